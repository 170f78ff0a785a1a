#!/usr/bin/env bash
# Benchmark of `csm-metrics rfm` and `predict` on exactly 10 million transactions of 1 million
# simulated customers (issue 7), and of an independent scipy fit on the same summary. Writes
# bench/results/predictive-DATE-COMMIT.md.
#   bench/predictive/run_bench.sh [BUILD_DIR] [RUNS]   (default build/release, 5; needs python3-scipy)
# The data (10,000,000 transactions, about 280 MB) is generated once into $WORK by
# tools/gen_transactions.py with a fixed seed: r 1, alpha 2, a 0.8, b 8 per week, Gamma-Gamma
# p 6, q 4, gamma 15, shuffled rows, cut at the 10-millionth purchase in time (2024-10-11).
# OLD=path/to/csm-metrics also times an older binary, interleaved with the new one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
runs=${2:-5}
bin=$build/src/csm-metrics
work=${WORK:-/tmp/csm-predictive-bench}
python=${PYTHON:-python3}
"$python" -c "import numpy, scipy" 2>/dev/null || python=/usr/bin/python3
mkdir -p "$work"
data=$work/tx10m.csv
if [ ! -s "$data" ]; then
  "$python" "$root/tools/gen_transactions.py" --customers 1000000 --seed 42 --r 1.0 --alpha 2.0 \
    --a 0.8 --b 8 --shuffle --transactions 10000000 -o "$data"
fi
commit=$(git -C "$root" rev-parse --short=10 HEAD)
out=$root/bench/results/predictive-$(date -u +%F)-$commit.md
"$python" "$root/bench/predictive/bench.py" "$bin" "$data" --runs "$runs" --work "$work" -o "$out" \
  ${OLD:+--old "$OLD"}
echo "wrote $out"
