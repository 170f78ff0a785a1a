#!/usr/bin/env bash
# The coverage table of `predict --interval` in docs/predictive.md: 200 simulated BG/NBD +
# Gamma-Gamma bases of 3,000 customers with known parameters, 90 % intervals from 200 draws
# (tests/predictive/interval_coverage.py; the CTest runs 30 repetitions of the same).
#   bench/predictive/interval_coverage.sh [BUILD_DIR] [REPS]   (default build/release, 200; needs python3-scipy)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
reps=${2:-200}
work=${WORK:-/tmp/csm-interval-coverage}
python=${PYTHON:-python3}
"$python" -c "import numpy, scipy" 2>/dev/null || python=/usr/bin/python3
mkdir -p "$work"
"$python" "$root/tests/predictive/interval_coverage.py" --binary "$build/src/csm-metrics" \
  --work "$work" --reps "$reps" --customers 3000 --level 0.9 --draws 200 --table "$work/coverage.md"
