#!/usr/bin/env bash
# Shows that a change keeps every output of csm-metrics byte for byte (issue 14). It runs one
# fixed list of commands and keeps, per run, the command (NNN.cmd), stdout (NNN.out), stderr
# (NNN.err, the binary's path written BINARY), exit status (NNN.rc) and any report it wrote
# (NNN.html), with an md5 list of them all (MD5SUMS). Then it names every run whose files differ.
#
#   tools/compare_outputs.sh OLD_BINARY NEW_BINARY [WORK_DIR]   the two binaries side by side
#   tools/compare_outputs.sh --snapshot DIR BINARY              keep one binary's outputs in DIR
#   tools/compare_outputs.sh --check DIR BINARY                 this binary against that snapshot
#
# --large FILE (first) adds a large activity file to the runs of the first list; give the same
# file to --snapshot and --check. Prints "DIFFERS <command>" for each run that differs, then
# "N runs, M differ"; exits 0 when none differs, 1 when some does, 2 on a usage error.
#
# The runs:
#  1. compute in every format (plain, --all, --by, --grain, clv settings, --spend, --fail-if on 14
#     fields), report (HTML) on the shipped examples, two e2e inputs and --large; calc; shard,
#     --emit-state and merge of the examples and --large;
#  2. the other commands side by side: check, cohorts, at-risk, movements, rfm, predict (three
#     models), retention, invoices, --emit-state, JSON and JSON Lines inputs, and files read in
#     shares (CSM_SPLIT_MIN_BYTES=1), on the examples and an activity file of about 200,000 rows
#     generated with tools/gen_activity.py (seed 7) into $CSM_COMPARE_DATA (default
#     /tmp/csm-compare-data; kept, so that every run reads the same path).
set -uo pipefail
R=$(cd "$(dirname "$0")/.." && pwd)
usage() {
  echo "usage: $0 [--large FILE] OLD_BINARY NEW_BINARY [WORK_DIR]" >&2
  echo "       $0 [--large FILE] --snapshot DIR BINARY | --check DIR BINARY" >&2
  exit 2
}
BIG=
if [[ ${1:-} == --large ]]; then
  [[ $# -ge 2 && -f $2 ]] || usage
  BIG=$(realpath "$2")
  shift 2
fi
mode=pair
case ${1:-} in
  --snapshot | --check)
    mode=${1#--}
    [[ $# -eq 3 ]] || usage
    dir=$(realpath -m "$2")
    binaries=("$(realpath "$3")")
    ;;
  -*) usage ;;
  *)
    [[ $# -ge 2 && $# -le 3 ]] || usage
    binaries=("$(realpath "$1")" "$(realpath "$2")")
    work=$(realpath -m "${3:-$(mktemp -d)}")
    ;;
esac
for b in "${binaries[@]}"; do [[ -x $b ]] || { echo "$0: $b is not an executable" >&2; exit 2; }; done

D=$(realpath -m "${CSM_COMPARE_DATA:-/tmp/csm-compare-data}")
mkdir -p "$D"
gen=$D/gen.csv
if [[ ! -s $gen ]]; then
  python3 "$R/tools/gen_activity.py" --customers 12000 --months 30 --seed 7 --shuffle \
    --day-dates 0.2 -o "$gen.tmp" >/dev/null && mv "$gen.tmp" "$gen" || exit 2
fi

# run [VAR=VALUE] ARGS...: one run of $B with the working directory $W, into $O/NNN.*.
run() {
  n=$((n + 1))
  local f environment=()
  f=$(printf '%s/%03d' "$O" "$n")
  if [[ $1 == CSM_*=* ]]; then environment=("$1"); shift; fi
  echo "${environment[*]}${environment[*]:+ }$*" | sed "s#$R/##g; s#$W/##g; s#$D/##g" >"$f.cmd"
  (cd "$W" && env "${environment[@]}" "$B" "$@" >"$f.out" 2>"$f.err" </dev/null; echo $? >"$f.rc")
  sed -i "s#$B#BINARY#g" "$f.err"
}

# Every run of both lists with binary $1 into the directory $2 (emptied first).
run_all() {
  B=$1
  O=$2
  n=0
  rm -rf "$O"
  mkdir -p "$O"
  W=$(mktemp -d)
  local f x fmt i s args ex=$R/examples
  # 1. compute, report, calc and merge.
  for f in "$ex"/activity.csv "$ex"/summary.csv "$ex"/subscriptions.csv \
    "$R"/tests/data/e2e/small.csv "$R"/tests/data/nps/nps.csv ${BIG:+"$BIG"}; do
    for fmt in table json csv; do
      run compute -q -f $fmt "$f"
      run compute -q -f $fmt --all "$f"
      run compute -q -f $fmt --grain quarter "$f"
      run compute -q -f $fmt --grain year "$f"
      run compute -q -f $fmt --by segment "$f"
      run compute -q -f $fmt --by segment --grain quarter "$f"
      run compute -q -f $fmt --by segment --grain year --all "$f"
      run compute -q -f $fmt --gross-margin 0.7 --discount-rate 0.01 --quick-ratio-without-reactivation "$f"
      run compute -q -f $fmt --spend "$ex"/spend.csv --by segment "$f"
      run compute -q -f $fmt --spend "$ex"/spend.csv --spend-mode add --grain quarter "$f"
    done
    for x in churn_rate retention_rate clv ltv_cac nps cac arpu grr nrr quick_ratio cac_payback_months \
      csat mrr_end summary.average_nrr moved_in_customers; do
      run compute -f json --fail-if "$x > 1" --fail-scope all "$f"
      run compute --fail-if "$x < 1" --fail-scope all --by segment --grain quarter "$f"
      run compute --fail-if "$x >= 0" "$f"
    done
    run report "$f" -o "$W/r.html"
    cp "$W/r.html" "$(printf '%s/%03d' "$O" $n).html" 2>/dev/null
    run report --by segment --grain quarter "$f" -o "$W/r.html"
    cp "$W/r.html" "$(printf '%s/%03d' "$O" $n).html" 2>/dev/null
  done
  run compute -q "$ex"/activity.csv --fail-if 'churn%>1' --fail-if 'active<3' --fail-if 'mrr > 3'
  run compute -q "$ex"/activity.csv --fail-if 'chrun_rate>1'
  run calc clv --gross-profit 900 --retention 0.9 --discount-rate 0.01
  run calc churn --churned 5 --start 100
  run calc ltv-cac --clv 500 --cac 100
  for f in "$ex"/activity.csv ${BIG:+"$BIG"}; do
    # Relative paths inside the work directory: the states record their sources' names.
    rm -rf "$W/sh"
    mkdir -p "$W/sh"
    (cd "$W" && "$B" shard -q -n 3 -o sh "$f" >/dev/null 2>&1)
    for i in 0 1 2; do
      s=sh/shard-$i-of-3.csv
      (cd "$W" && "$B" compute -q --emit-state "$s.state" --shard "$i/3" --by segment --grain quarter \
        "$s" >/dev/null 2>&1)
    done
    for fmt in table json csv; do
      run merge -q -f $fmt sh/shard-0-of-3.csv.state sh/shard-1-of-3.csv.state sh/shard-2-of-3.csv.state
    done
  done
  # 2. Every other command, one run each (each case is a word list).
  local cases=(
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
    "compute -f json -j 1 $gen"
    "compute -f json -j 2 $gen"
    "compute -f csv --by segment -j 2 $gen"
    "compute -f json --grain quarter -j 2 $gen"
    "compute -f json $gen $gen"
    "compute --emit-state - $gen"
    "compute --emit-state - --by segment $ex/activity.csv"
    "report $ex/activity.csv"
    "report --by segment $gen"
    "check $gen"
    "check -f json $ex/activity.csv"
    "cohorts $ex/activity.csv"
    "cohorts -f json $gen"
    "at-risk $ex/activity.csv"
    "at-risk -f json $gen"
    "movements -f csv $gen"
    "movements -f json --by segment $ex/activity.csv"
    "rfm $ex/transactions.csv --end 2025-09-30"
    "predict $ex/transactions.csv --end 2025-09-30 -f json"
    "predict $ex/transactions.csv --end 2025-09-30 --model pareto-nbd -f json"
    "predict $ex/transactions.csv --end 2025-09-30 --model auto --compare"
    "retention $ex/subscriptions.csv -f json"
    "calc clv --gross-profit 900 --retention 0.9 --discount-rate 0.01 -f json"
    "calc grr --mrr-start 1000 --churned-mrr 50 -f json"
    # Files read in shares (the reader splits files of 32 MiB and more; this makes it split these).
    "CSM_SPLIT_MIN_BYTES=1 compute -f json -j 2 $ex/activity.csv"
    "CSM_SPLIT_MIN_BYTES=1 compute -f json -j 2 $gen"
    "CSM_SPLIT_MIN_BYTES=1 compute -f json -j 2 --by segment $gen $gen"
    "CSM_SPLIT_MIN_BYTES=1 check -f json -j 2 $gen"
  )
  for args in "${cases[@]}"; do
    # shellcheck disable=SC2086  # the case is a word list on purpose
    run $args
  done
  rm -rf "$W"
  (cd "$O" && md5sum [0-9]* >MD5SUMS)
}

# Names the runs of directory $2 whose files differ from those listed in $1/MD5SUMS.
compare_sums() {
  local runs differ=0 k
  runs=$(ls "$2" | grep -c '\.cmd$')
  for k in $(diff "$1/MD5SUMS" "$2/MD5SUMS" | sed -n 's/^[<>] [0-9a-f]*  \([0-9]*\)\..*/\1/p' | sort -u); do
    differ=$((differ + 1))
    echo "DIFFERS $(cat "$2/$k.cmd" 2>/dev/null || cat "$1/$k.cmd")"
  done
  echo "$runs runs, $differ differ ($2)"
  [[ $differ -eq 0 ]]
}

case $mode in
  snapshot)
    run_all "${binaries[0]}" "$dir"
    echo "$n runs, $(ls "$dir" | grep -c '^[0-9]') files: $dir/MD5SUMS"
    ;;
  check)
    [[ -f $dir/MD5SUMS ]] || { echo "$0: no snapshot in $dir (--snapshot makes one)" >&2; exit 2; }
    now=$(mktemp -d)
    run_all "${binaries[0]}" "$now"
    compare_sums "$dir" "$now"
    ;;
  pair)
    run_all "${binaries[0]}" "$work/old"
    run_all "${binaries[1]}" "$work/new"
    compare_sums "$work/old" "$work/new"
    ;;
esac
