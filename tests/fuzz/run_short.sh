#!/usr/bin/env bash
# The short fuzz pass for CI: build the libFuzzer targets (clang 14, ASan + UBSan) and run each for
# a short time on the committed seed corpus. Fails on any crash, sanitizer report, property
# violation, timeout or out-of-memory. Needs Debian's clang-14 and libclang-rt-14-dev.
#   bash tests/fuzz/run_short.sh [seconds per target, default 30]
# Environment: CXX (default clang++-14), CSM_FUZZ_BUILD (default build/fuzz), CSM_FUZZ_JOBS
# (targets run at once, default the number of cores).
# New inputs the fuzzers find go to a temporary directory and are dropped: the committed corpus
# only changes by hand (see docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-30}
build=${CSM_FUZZ_BUILD:-build/fuzz}
cxx=${CXX:-clang++-14}
jobs=${CSM_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
targets=(csv_reader json_reader period decimal compute_path state_reader rfm_path shard merge)

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "run_short: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi
CXX="$cxx" cmake -S tests/fuzz -B "$build" -G Ninja >/dev/null
cmake --build "$build" -j "$jobs"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_one() {
  local t=$1 dict=tests/fuzz/csv.dict
  [ "$t" = json_reader ] && dict=tests/fuzz/json.dict
  mkdir -p "$work/$t"
  # A fixed seed: CI runs the same inputs every time, so a red run is reproducible.
  if "$build/fuzz_$t" -seed=1 -dict="$dict" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$work/$t-" "$work/$t" "tests/fuzz/corpus/$t" \
       >"$work/$t.log" 2>&1; then
    echo "run_short: $t ok: $(grep -E '^stat::number_of_executed_units' "$work/$t.log" | awk '{print $2}') runs" >&2
  else
    echo "run_short: $t FAILED; the end of its log:" >&2
    tail -n 40 "$work/$t.log" >&2
    for f in "$work/$t"-*; do
      [ -e "$f" ] || continue
      echo "run_short: input that failed ($f), as hex:" >&2
      od -An -tx1 "$f" | head -n 20 >&2
    done
    return 1
  fi
}

failed=0
pids=()
names=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=$((failed + 1))
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
if [ "$failed" -ne 0 ]; then
  echo "run_short: a fuzz target failed (see above; add the input to tests/fuzz/corpus/ once fixed)" >&2
  echo "fuzz: $((${#targets[@]} - failed)) passed, $failed failed"
  exit 1
fi
echo "run_short: all ${#targets[@]} fuzz targets ran ${seconds}s each without a failure" >&2
echo "fuzz: ${#targets[@]} passed, 0 failed"
