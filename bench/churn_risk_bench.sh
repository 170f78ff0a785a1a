#!/usr/bin/env bash
# churn-risk on the 5M-row benchmark file (383k customers, 36 months) with two signals: time and
# peak memory (GNU time). Targets (issue 21): under 30 s and 2 GB on the 2-core test machine.
#   bash bench/churn_risk_bench.sh [BINARY] [WORK_DIR]
# The benchmark file comes from gen_activity.py (../shared/bench or tools/); the two signals
# (logins, tickets) are added by awk as deterministic functions of the row number, so the model
# has nothing real to learn from them: this measures speed, not accuracy (docs/churn-risk.md has
# the accuracy on tools/gen_churn.py data).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-build/release/src/csm-metrics}
work=${2:-build/bench-churn}
mkdir -p "$work"
gen=/work/shared/bench/gen_activity.py
[ -f "$gen" ] || gen=tools/gen_activity.py
if [ ! -f "$work/L.csv" ]; then
  python3 "$gen" --customers 383000 --months 36 --seed 2 -o "$work/L.csv"
fi
if [ ! -f "$work/L_signals.csv" ]; then
  awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0, "logins", "tickets"; next }
           { h = (NR * 2654435761) % 4294967296; print $0, h % 60, (h % 7 == 0) ? 1 + h % 3 : 0 }' \
      "$work/L.csv" > "$work/L_signals.csv"
fi
echo "rows: $(($(wc -l < "$work/L_signals.csv") - 1))"
/usr/bin/time -f "elapsed %e s (user %U s, system %S s), peak RSS %M KB" \
  "$binary" churn-risk "$work/L_signals.csv" --signal logins --signal tickets -q --top 20 \
  -o "$work/churn_risk.txt"
head -12 "$work/churn_risk.txt"
