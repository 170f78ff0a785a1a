#!/usr/bin/env bash
# A long fuzz campaign: every target at once, at nice 19, each stopped (SIGINT, so libFuzzer prints
# its final stats) once it has used the given CPU time, measured from /proc, not the wall clock:
# on a shared machine the wall clock says nothing about how much fuzzing was done.
#   bash tests/fuzz/run_campaign.sh [CPU seconds per target, default 1200] [work dir]
# The work directory (default build/fuzz/campaign) keeps each target's grown corpus (TARGET/),
# log (TARGET.log) and any failing input (TARGET-crash-*, -leak-*, -timeout-*, -oom-*); a second
# run on the same directory goes on from the corpus the first one built. Prints one Markdown
# table row per target for docs/reliability.md. Needs the fuzz build (see run_short.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

cpu_seconds=${1:-1200}
work=${2:-build/fuzz/campaign}
build=${CSM_FUZZ_BUILD:-build/fuzz}
targets=(${CSM_FUZZ_TARGETS:-csv_reader json_reader period decimal compute_path state_reader rfm_path})
ticks=$(getconf CLK_TCK)

CXX=${CXX:-clang++-14} cmake -S tests/fuzz -B "$build" -G Ninja >/dev/null
cmake --build "$build"
mkdir -p "$work"

declare -A pid_of
for t in "${targets[@]}"; do
  dict=tests/fuzz/csv.dict
  [ "$t" = json_reader ] && dict=tests/fuzz/json.dict
  mkdir -p "$work/$t"
  nice -n 19 "$build/fuzz_$t" -dict="$dict" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$t-" "$work/$t" "tests/fuzz/corpus/$t" >"$work/$t.log" 2>&1 &
  pid_of[$t]=$!
done

cpu_of() {  # user + system CPU seconds of a running process (fields 14 and 15 of /proc/PID/stat)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -1; return; }
  stat=${stat##*) }  # the command name may contain spaces; the fields after it do not
  set -- $stat
  echo $(( (${12} + ${13}) / ticks ))
}

declare -A used
running=${#targets[@]}
while [ "$running" -gt 0 ]; do
  sleep 10
  running=0
  for t in "${targets[@]}"; do
    pid=${pid_of[$t]}
    [ -n "$pid" ] || continue
    cpu=$(cpu_of "$pid")
    if [ "$cpu" -lt 0 ]; then  # it stopped by itself: a crash or another failure
      wait "$pid" || true
      pid_of[$t]=""
      continue
    fi
    used[$t]=$cpu
    if [ "$cpu" -ge "$cpu_seconds" ]; then
      kill -INT "$pid"
      wait "$pid" || true
      pid_of[$t]=""
    else
      running=$((running + 1))
    fi
  done
done

echo "| target | CPU s | executions | cov (edges) | ft (features) | corpus at the end | failures |"
echo "|---|---:|---:|---:|---:|---|---|"
for t in "${targets[@]}"; do
  log="$work/$t.log"
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<<"$last")
  artifacts=$(find "$work" -maxdepth 1 -name "$t-*" | wc -l)
  reports=$(grep -cE 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error|PROPERTY VIOLATED' "$log" || true)
  echo "| \`$t\` | ${used[$t]:-?} | ${runs:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $reports ($artifacts artifacts) |"
done
