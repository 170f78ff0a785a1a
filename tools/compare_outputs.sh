#!/usr/bin/env bash
# Runs a fixed set of commands with two csm-metrics binaries and compares their outputs byte for
# byte (stdout, stderr and exit status of each), for refactorings that must not change any output
# (issue 14). Usage:
#
#   tools/compare_outputs.sh OLD_BINARY NEW_BINARY [WORK_DIR]
#
# Inputs: the shipped examples/, a few tests/data files, and an activity file of about 200,000
# rows generated with tools/gen_activity.py (seed 7; read with -j 1 and -j 2, and in shares with
# CSM_SPLIT_MIN_BYTES=1). Prints one md5 line per output and binary, then "N outputs, M differ"
# and exits 1 when any differs. Run from the repository's root.
set -euo pipefail
old=$(realpath "$1")
new=$(realpath "$2")
work=${3:-$(mktemp -d)}
mkdir -p "$work"
ex=examples
big="$work/gen.csv"
[[ -s $big ]] || python3 tools/gen_activity.py --customers 12000 --months 30 --seed 7 --shuffle \
  --day-dates 0.2 -o "$big" >/dev/null

cases=(
  "compute $ex/activity.csv"
  "compute -f csv $ex/activity.csv"
  "compute -f json $ex/activity.csv"
  "compute -f json $ex/activity.json"
  "compute -f json $ex/activity.jsonl"
  "compute -f json --by segment $ex/activity.csv"
  "compute -f json --grain quarter $ex/activity.csv"
  "compute -f json --grain year --by segment $ex/activity.csv"
  "compute --explain $ex/activity.csv"
  "compute -f json $ex/subscriptions.csv"
  "compute -f json $ex/summary.csv"
  "compute -f json $ex/invoices.csv --currency USD --fx $ex/fx.csv"
  "compute -f json --spend $ex/spend.csv $ex/activity.csv"
  "compute -f json --fail-if churn_rate>1% $ex/activity.csv"
  "compute -f json -j 1 $big"
  "compute -f json -j 2 $big"
  "compute -f csv --by segment -j 2 $big"
  "compute -f json --grain quarter -j 2 $big"
  "compute -f json $big $big"
  "compute --emit-state - $big"
  "compute --emit-state - --by segment $ex/activity.csv"
  "report $ex/activity.csv"
  "report --by segment $big"
  "check $big"
  "check -f json $ex/activity.csv"
  "cohorts $ex/activity.csv"
  "cohorts -f json $big"
  "at-risk $ex/activity.csv"
  "at-risk -f json $big"
  "movements -f csv $big"
  "movements -f json --by segment $ex/activity.csv"
  "rfm $ex/transactions.csv --end 2025-09-30"
  "predict $ex/transactions.csv --end 2025-09-30 -f json"
  "predict $ex/transactions.csv --end 2025-09-30 --model pareto-nbd -f json"
  "predict $ex/transactions.csv --end 2025-09-30 --model auto --compare"
  "retention $ex/subscriptions.csv -f json"
  "calc clv --gross-profit 900 --retention 0.9 --discount-rate 0.01 -f json"
  "calc grr --mrr-start 1000 --churned-mrr 50 -f json"
)

run_case() {  # binary, case, output prefix
  local binary=$1 args=$2 out=$3 status=0
  # shellcheck disable=SC2086  # the case is a word list on purpose
  "$binary" $args >"$out.stdout" 2>"$out.stderr" </dev/null || status=$?
  echo "$status" >"$out.status"
  # The binary's path may appear in messages; the version line of JSON is the same build version.
  sed -i "s|$binary|BINARY|g" "$out.stderr"
  cat "$out.stdout" "$out.stderr" "$out.status" | md5sum | cut -d' ' -f1
}

differ=0
n=0
compare() {  # environment prefix ("" or VAR=VALUE), case
  local env=$1 args=$2 a b mark=same
  n=$((n + 1))
  a=$(env $env bash -c "$(declare -f run_case); run_case '$old' '$args' '$work/old.$n'")
  b=$(env $env bash -c "$(declare -f run_case); run_case '$new' '$args' '$work/new.$n'")
  if [[ $a != "$b" ]]; then
    mark=DIFFERS
    differ=$((differ + 1))
  fi
  printf '%s %s %-8s %s\n' "$a" "$b" "$mark" "${env:+$env }$args"
}
for args in "${cases[@]}"; do
  compare "" "$args"
done
# Files read in shares (the reader splits files of 32 MiB and more; this makes it split these).
for args in "compute -f json -j 2 $ex/activity.csv" "compute -f json -j 2 $big" \
  "compute -f json -j 2 --by segment $big $big" "check -f json -j 2 $big"; do
  compare CSM_SPLIT_MIN_BYTES=1 "$args"
done
echo "$n outputs, $differ differ (outputs in $work)"
[[ $differ -eq 0 ]]
