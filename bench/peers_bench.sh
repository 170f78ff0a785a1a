#!/usr/bin/env bash
# peers_bench.sh: `movements` and `churn-risk` side by side with the peer a user would reach for
# (issue 22): DuckDB SQL for movements (bench/duckdb_movements.mjs, the same lines written to a
# CSV file), pandas + scikit-learn + python3-xgboost for churn-risk (bench/churn_risk_peer.py,
# the same features, sample size, boosters, calibration, baseline and 3-month backtest).
#
#   bench/peers_bench.sh --csm build/ci/src/csm-metrics [--runs 3] [--file /tmp/L.csv]
#                        [--signals /tmp/cr/bench/L_signals.csv] [--out bench/results/peers-DATE.md]
#
# --file: the 5M-row activity file of movements_bench.sh (generated the same way when missing);
# --signals: that file with the two signal columns of churn_risk_bench.sh (made from --file by the
# same awk when missing). Each round runs the four commands once, interleaved, under /usr/bin/time
# (wall, user and system CPU, peak RSS) with the load average before each; the table gives the
# medians. The two movements outputs of the first round are compared line by line
# (bench/compare_movements.py). DuckDB comes from bench/node_modules (npm install in bench/);
# the Python peer needs Debian's python3-pandas, python3-sklearn and python3-xgboost (/usr/bin/python3).
set -euo pipefail
csm="" runs=3 file=/tmp/L.csv signals="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --csm) csm=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --file) file=$2; shift 2 ;;
    --signals) signals=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "peers_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$csm" ] || { echo "peers_bench.sh: --csm BINARY is required" >&2; exit 2; }
csm=$(realpath "$csm")
here=$(cd "$(dirname "$0")" && pwd)
gen=${CSM_BENCH_GEN:-$here/../../shared/bench/gen_activity.py}
if [ ! -s "$file" ]; then
  python3 "$gen" --customers 383000 --months 36 --seed 2 --shuffle -o "$file"
fi
if [ -z "$signals" ]; then
  signals=${file%.csv}_signals.csv
fi
if [ ! -s "$signals" ]; then
  awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0, "logins", "tickets"; next }
           { h = (NR * 2654435761) % 4294967296; print $0, h % 60, (h % 7 == 0) ? 1 + h % 3 : 0 }' \
      "$file" > "$signals"
fi
[ -n "$out" ] || out=$here/results/peers-$(date -u +%Y-%m-%d).md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name|command (run by bash -c; OUT is the round's output file)
cases=("movements: csm-metrics|\"$csm\" movements -q -f csv \"$file\" > OUT"
       "movements: DuckDB SQL|cd \"$here\" && node duckdb_movements.mjs \"$file\" OUT >&2"
       "churn-risk: csm-metrics|\"$csm\" churn-risk \"$signals\" --signal logins --signal tickets -q --top 20 > OUT"
       "churn-risk: pandas + xgboost|/usr/bin/python3 \"$here/churn_risk_peer.py\" \"$signals\" --signal logins --signal tickets --top 20 > OUT")

for ((round = 1; round <= runs; round++)); do
  for c in "${cases[@]}"; do
    name=${c%%|*}
    cmd=${c#*|}
    key=${name//[^a-zA-Z]/_}
    cmd=${cmd//OUT/$tmp/out-$key-$round}
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" bash -c "$cmd" 2> "$tmp/err-$key-$round"
    echo "$key|$name|$(cat "$tmp/time")|$load" >> "$tmp/times"
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
{
  echo "# movements and churn-risk beside their peers, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Files: \`$file\` ($(($(wc -l < "$file") - 1)) rows), \`$signals\` (the same rows with two signal columns)."
  echo "Binary: \`$csm\`. $(nproc) cores; $runs rounds, each running the four commands in turn."
  echo
  echo "| command | wall s (runs) | median wall | median user s | median sys s | peak RSS MB | load average before (runs) |"
  echo "|---|---|---:|---:|---:|---:|---|"
  for c in "${cases[@]}"; do
    name=${c%%|*}
    key=${name//[^a-zA-Z]/_}
    rows=$(grep "^$key|" "$tmp/times")
    walls=$(cut -d'|' -f3 <<<"$rows" | cut -d' ' -f1 | paste -sd, | sed 's/,/, /g')
    mw=$(cut -d'|' -f3 <<<"$rows" | cut -d' ' -f1 | median)
    mu=$(cut -d'|' -f3 <<<"$rows" | cut -d' ' -f2 | median)
    ms=$(cut -d'|' -f3 <<<"$rows" | cut -d' ' -f3 | median)
    rss=$(cut -d'|' -f3 <<<"$rows" | cut -d' ' -f4 | sort -n | tail -1)
    loads=$(cut -d'|' -f4 <<<"$rows" | paste -sd, | sed 's/,/, /g')
    echo "| $name | $walls | $mw | $mu | $ms | $((rss / 1024)) | $loads |"
  done
  echo
  echo "movements, round 1, csm-metrics against DuckDB: $(python3 "$here/compare_movements.py" \
    "$tmp/out-movements__csm_metrics-1" "$tmp/out-movements__DuckDB_SQL-1" | head -3)"
  echo
  echo "DuckDB's own timer of the SQL (without starting node), per round: $(cat "$tmp"/err-movements__DuckDB_SQL-* | paste -sd' ')"
  echo
  echo "churn-risk, csm-metrics (round 1):"
  echo '```'
  head -7 "$tmp/out-churn_risk__csm_metrics-1"
  echo '```'
  echo "churn-risk, the Python peer (round 1):"
  echo '```'
  head -4 "$tmp/out-churn_risk__pandas___xgboost-1"
  cat "$tmp/err-churn_risk__pandas___xgboost-1"
  echo '```'
} > "$out"
cat "$out"
