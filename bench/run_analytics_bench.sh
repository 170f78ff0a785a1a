#!/usr/bin/env bash
# compute --by segment, compute --grain quarter and cohorts beside plain compute (issue 4), on the
# 5M-row shuffled CSV of bench/run_bench.sh (../shared/bench/gen_activity.py --customers 383000
# --months 36 --seed 2 --shuffle). Runs are interleaved (one of each command per round) so that
# the machine's load affects them alike; prints the median wall time, CPU time (user+sys: less
# sensitive to other processes on a busy machine) and peak RSS of each.
#
#   bench/run_analytics_bench.sh [--runs N] [--base BINARY] [--out FILE] BINARY
#
#   BINARY         the csm-metrics to measure (a Release build)
#   --base BINARY  also time plain compute of another build (e.g. main before this change)
#   --runs N       rounds (default 5)
#   --out FILE     also write the markdown table to FILE
set -euo pipefail
export LC_ALL=C
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNS=5
BASE=
OUT=
CSM=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --base) BASE=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) CSM=$1 ;;
  esac
  shift
done
[ -n "$CSM" ] || { echo "run_analytics_bench.sh: give the csm-metrics binary to measure" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run_analytics_bench.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

WORK="$BENCH/work"
DATA="$WORK/act-c383000-m36-s2-shuf.csv"
if [ ! -s "$DATA" ]; then
  GEN="$BENCH/../../shared/bench/gen_activity.py"
  [ -f "$GEN" ] || { echo "run_analytics_bench.sh: needs $DATA or ../shared/bench/gen_activity.py to make it" >&2; exit 1; }
  mkdir -p "$WORK"
  /usr/bin/python3 "$GEN" --customers 383000 --months 36 --seed 2 --shuffle -o "$DATA.tmp"
  mv "$DATA.tmp" "$DATA"
fi

names=()
cmds=()
add() { names+=("$1"); shift; cmds+=("$*"); }
[ -n "$BASE" ] && add "compute (base)" "$BASE" compute --format json "$DATA"
add "compute" "$CSM" compute --format json "$DATA"
add "compute --by segment" "$CSM" compute --by segment --format json "$DATA"
add "compute --grain quarter" "$CSM" compute --grain quarter --format json "$DATA"
add "cohorts" "$CSM" cohorts --format json "$DATA"

declare -A times cpu rss
for ((r = 1; r <= RUNS; r++)); do
  for i in "${!cmds[@]}"; do
    # shellcheck disable=SC2086
    out=$( { /usr/bin/time -f '%e %U %S %M' ${cmds[$i]} > /dev/null; } 2>&1 | tail -1)
    read -r wall user sys kb <<< "$out"
    times[$i]+="$wall "
    cpu[$i]+="$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') "
    rss[$i]+="$kb "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
table="| command | median wall s (of $RUNS) | median CPU s (user+sys) | peak RSS MB |
|---|---:|---:|---:|"
for i in "${!cmds[@]}"; do
  t=$(echo "${times[$i]}" | median)
  m=$(echo "${rss[$i]}" | median)
  c=$(echo "${cpu[$i]}" | median)
  table+=$'\n'"| \`${names[$i]}\` | $t | $c | $(awk -v k="$m" 'BEGIN { printf "%.0f", k / 1024 }') |"
done
echo "$table"
[ -z "$OUT" ] || printf '%s\n' "$table" > "$OUT"
