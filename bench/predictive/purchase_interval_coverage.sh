#!/usr/bin/env bash
# The coverage table of `predict --interval 0.9 --interval-of purchases` in docs/predictive.md:
# simulated BG/NBD, Pareto/NBD and BG/BB bases whose holdout purchases are simulated with their
# calibration (tests/predictive/purchase_interval_coverage.py; the CTest runs 10 bases per model).
#   bench/predictive/purchase_interval_coverage.sh [BUILD_DIR] [REPS] [CUSTOMERS]
#   (default build/release, 200, 2000; needs python3-scipy)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
reps=${2:-200}
customers=${3:-2000}
work=${WORK:-/tmp/csm-purchase-interval-coverage}
python=${PYTHON:-python3}
"$python" -c "import numpy, scipy" 2>/dev/null || python=/usr/bin/python3
mkdir -p "$work"
"$python" "$root/tests/predictive/purchase_interval_coverage.py" --binary "$build/src/csm-metrics" \
  --work "$work" --reps "$reps" --customers "$customers" --level 0.9 --draws 200 --table "$work/coverage.md"
