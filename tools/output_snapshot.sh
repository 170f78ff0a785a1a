#!/usr/bin/env bash
# The outputs of compute (table, CSV, JSON; --all, --by, --grain, clv settings, --spend, --fail-if),
# report, calc and merge on the shipped examples, the e2e inputs and an optional large file, one
# file per run (stdout, stderr, exit status), with an md5 list: to show that a refactoring keeps
# every output byte for byte (issue 14). Compare two binaries:
#   python3 tools/gen_activity.py --customers 15000 --months 24 --seed 7 -o /tmp/big.csv  # 200k rows
#   tools/output_snapshot.sh OLD/csm-metrics /tmp/before /tmp/big.csv
#   tools/output_snapshot.sh build/ci/src/csm-metrics /tmp/after /tmp/big.csv
#   (cd /tmp/after && md5sum -c ../before/MD5SUMS | grep -v ': OK$')   # nothing: identical
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BINARY OUTDIR [LARGE.csv]" >&2; exit 2; }
B=$(realpath "$1"); O=$(realpath -m "$2"); BIG=${3:+$(realpath "$3")}
R=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$O"; mkdir -p "$O"; W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
n=0
run() {
  n=$((n + 1)); local f; f=$(printf '%s/%03d' "$O" $n)
  echo "$*" | sed "s#$R/##g; s#$W/##g" >"$f.cmd"
  (cd "$W" && "$B" "$@" >"$f.out" 2>"$f.err"; echo $? >"$f.rc")
}
for f in "$R"/examples/activity.csv "$R"/examples/summary.csv "$R"/examples/subscriptions.csv \
         "$R"/tests/data/e2e/small.csv "$R"/tests/data/nps/nps.csv $BIG; do
  for fmt in table json csv; do
    run compute -q -f $fmt "$f"
    run compute -q -f $fmt --all "$f"
    run compute -q -f $fmt --grain quarter "$f"
    run compute -q -f $fmt --grain year "$f"
    run compute -q -f $fmt --by segment "$f"
    run compute -q -f $fmt --by segment --grain quarter "$f"
    run compute -q -f $fmt --by segment --grain year --all "$f"
    run compute -q -f $fmt --gross-margin 0.7 --discount-rate 0.01 --quick-ratio-without-reactivation "$f"
    run compute -q -f $fmt --spend "$R"/examples/spend.csv --by segment "$f"
    run compute -q -f $fmt --spend "$R"/examples/spend.csv --spend-mode add --grain quarter "$f"
  done
  for x in churn_rate retention_rate clv ltv_cac nps cac arpu grr nrr quick_ratio cac_payback_months csat \
           mrr_end summary.average_nrr moved_in_customers; do
    run compute -f json --fail-if "$x > 1" --fail-scope all "$f"
    run compute --fail-if "$x < 1" --fail-scope all --by segment --grain quarter "$f"
    run compute --fail-if "$x >= 0" "$f"
  done
  run report "$f" -o "$W/r.html"; cp "$W/r.html" "$(printf '%s/%03d' "$O" $n).html" 2>/dev/null
  run report --by segment --grain quarter "$f" -o "$W/r.html"
  cp "$W/r.html" "$(printf '%s/%03d' "$O" $n).html" 2>/dev/null
done
run compute -q "$R"/examples/activity.csv --fail-if 'churn%>1' --fail-if 'active<3' --fail-if 'mrr > 3'
run compute -q "$R"/examples/activity.csv --fail-if 'chrun_rate>1'
run calc clv --gross-profit 900 --retention 0.9 --discount-rate 0.01
run calc churn --churned 5 --start 100
run calc ltv-cac --clv 500 --cac 100
for f in "$R"/examples/activity.csv $BIG; do
  # Relative paths inside the work directory: the states record their sources' names.
  rm -rf "$W/sh"; mkdir -p "$W/sh"
  (cd "$W" && "$B" shard -q -n 3 -o sh "$f" >/dev/null 2>&1)
  for i in 0 1 2; do
    s=sh/shard-$i-of-3.csv
    (cd "$W" && "$B" compute -q --emit-state "$s.state" --shard "$i/3" --by segment --grain quarter "$s" >/dev/null 2>&1)
  done
  for fmt in table json csv; do run merge -q -f $fmt sh/shard-0-of-3.csv.state sh/shard-1-of-3.csv.state sh/shard-2-of-3.csv.state; done
done
(cd "$O" && md5sum [0-9]* >MD5SUMS)
echo "$n runs, $(ls "$O" | grep -c '^[0-9]') files: $O/MD5SUMS"
