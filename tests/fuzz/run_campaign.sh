#!/usr/bin/env bash
# A long fuzz campaign: every target at once, at nice 19, each stopped (SIGINT, so libFuzzer prints
# its final stats) once it has used the given CPU time, measured from /proc, not the wall clock:
# on a shared machine the wall clock says nothing about how much fuzzing was done.
#   bash tests/fuzz/run_campaign.sh [CPU seconds per target, default 1200] [work dir]
# The work directory (default build/fuzz/campaign) keeps each target's grown corpus (TARGET/),
# log (TARGET.log, appended), CPU seconds used per session (TARGET.cpu) and any failing input
# (TARGET-crash-*, -leak-*, -timeout-*, -oom-*, -slow-unit-*). A second run on the same directory
# goes on from the corpus the first one built, and only until each target's CPU seconds over all
# sessions reach the total: so a target that stopped early is simply run again. Prints one
# Markdown table row per target for docs/reliability.md (executions summed over the sessions).
# The time limit for one input (CSM_FUZZ_TIMEOUT, default 120 s) is wall time in libFuzzer: at
# nice 19 behind other work a fast input can wait long for a core, so it is generous here; a
# real hang still stops the run. Needs the fuzz build (see run_short.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

cpu_seconds=${1:-1200}
work=${2:-build/fuzz/campaign}
build=${CSM_FUZZ_BUILD:-build/fuzz}
targets=(${CSM_FUZZ_TARGETS:-csv_reader json_reader period decimal compute_path state_reader rfm_path shard merge})
timeout=${CSM_FUZZ_TIMEOUT:-120}
ticks=$(getconf CLK_TCK)

cpu_before() {  # CPU seconds the target used in earlier sessions on this work directory
  if [ -f "$work/$1.cpu" ]; then awk '{s += $1} END {print s + 0}' "$work/$1.cpu"; else echo 0; fi
}

CXX=${CXX:-clang++-14} cmake -S tests/fuzz -B "$build" -G Ninja >/dev/null
cmake --build "$build"
mkdir -p "$work"

declare -A pid_of budget
for t in "${targets[@]}"; do
  budget[$t]=$((cpu_seconds - $(cpu_before "$t")))
  pid_of[$t]=""
  [ "${budget[$t]}" -gt 0 ] || continue
  dict=tests/fuzz/csv.dict
  [ "$t" = json_reader ] && dict=tests/fuzz/json.dict
  mkdir -p "$work/$t"
  echo "=== session of $(date -u +%FT%TZ), $((budget[$t])) CPU s to go" >>"$work/$t.log"
  nice -n 19 "$build/fuzz_$t" -dict="$dict" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$t-" "$work/$t" "tests/fuzz/corpus/$t" >>"$work/$t.log" 2>&1 &
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
running=1
while [ "$running" -gt 0 ]; do
  sleep 10
  running=0
  for t in "${targets[@]}"; do
    pid=${pid_of[$t]}
    [ -n "$pid" ] || continue
    cpu=$(cpu_of "$pid")
    if [ "$cpu" -lt 0 ]; then  # it stopped by itself: a crash or another failure
      wait "$pid" || true
      echo "${used[$t]:-0}" >>"$work/$t.cpu"
      pid_of[$t]=""
      continue
    fi
    used[$t]=$cpu
    if [ "$cpu" -ge "${budget[$t]}" ]; then
      kill -INT "$pid"
      wait "$pid" || true
      echo "$cpu" >>"$work/$t.cpu"
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
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<<"$last")
  artifacts=$(find "$work" -maxdepth 1 -name "$t-*" | wc -l)
  reports=$(grep -cE 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error|PROPERTY VIOLATED' "$log" || true)
  echo "| \`$t\` | $(cpu_before "$t") | ${runs:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $reports ($artifacts artifacts) |"
done
