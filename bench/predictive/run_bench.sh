#!/usr/bin/env bash
# Benchmark of `csm-metrics rfm` and `predict` on 1 million simulated customers (issue 7), and of
# an independent scipy fit on the same summary. Writes bench/results/predictive-DATE-COMMIT.md.
#   bench/predictive/run_bench.sh [BUILD_DIR]     (default build/release; needs python3-scipy)
# The data (about 15 million transactions, 420 MB) is generated once into $WORK by
# tools/gen_transactions.py with a fixed seed: r 1, alpha 2, a 0.8, b 8 per week, Gamma-Gamma
# p 6, q 4, gamma 15, shuffled rows.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
bin=$build/src/csm-metrics
work=${WORK:-/tmp/csm-predictive-bench}
python=${PYTHON:-python3}
"$python" -c "import numpy, scipy" 2>/dev/null || python=/usr/bin/python3
mkdir -p "$work"
data=$work/tx.csv
if [ ! -s "$data" ]; then
  "$python" "$root/tools/gen_transactions.py" --customers 1000000 --seed 42 --r 1.0 --alpha 2.0 \
    --a 0.8 --b 8 --shuffle -o "$data"
fi
commit=$(git -C "$root" rev-parse --short=10 HEAD)
out=$root/bench/results/predictive-$(date -u +%F)-$commit.md
rows=$(($(wc -l < "$data") - 1))
{
  echo "# rfm and predict on $rows transactions of 1,000,000 customers ($commit)"
  echo
  echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start."
  echo "Command: bench/predictive/run_bench.sh (data: tools/gen_transactions.py --customers 1000000"
  echo "--seed 42 --r 1.0 --alpha 2.0 --a 0.8 --b 8 --shuffle). Times: wall (user CPU) seconds."
  echo
  echo '| run | rfm | predict | read | bgnbd fit | gamma-gamma fit | predictions | output | max RSS |'
  echo '|---|---|---|---|---|---|---|---|---|'
} > "$out"
for run in 1 2 3; do
  rfm=$( { /usr/bin/time -f "%e (%U) %M" "$bin" rfm "$data" --end 2024-09-29 -f csv -o "$work/rfm.csv"; } 2>&1 )
  pred=$( { /usr/bin/time -f "%e (%U) %M" "$bin" predict "$data" --end 2024-09-29 --timings \
            --customers-csv "$work/pred.csv" -f json -o "$work/pred.json"; } 2>&1 )
  read -r t_read t_bg t_gg t_pred t_out <<< "$(echo "$pred" | sed -n 's/.*timings: //p' |
    grep -o '[0-9.]* s' | cut -d' ' -f1 | tr '\n' ' ')"
  time_line=$(echo "$pred" | tail -1)
  echo "| $run | ${rfm% *} | ${time_line% *} | $t_read | $t_bg | $t_gg | $t_pred | $t_out | ${time_line##* } KB |" >> "$out"
done
{
  echo
  echo "csm-metrics' fit (from pred.json):"
  echo '```'
  "$python" -c "import json,sys; d=json.load(open(sys.argv[1]))['model']; print(json.dumps({k: {n: v for n, v in m.items() if n in ('r','alpha','a','b','p','q','gamma','log_likelihood','iterations')} for k, m in d.items()}, indent=1))" "$work/pred.json"
  echo '```'
  echo "scipy (BFGS on the log-parameters, numerical gradient, vectorised numpy; bench/predictive/scipy_fit.py) on the same summary:"
  echo '```'
  "$python" "$root/bench/predictive/scipy_fit.py" "$work/rfm.csv"
  echo '```'
} >> "$out"
echo "wrote $out"
