#!/usr/bin/env bash
# The BG/BB coverage table of `predict --model bg-bb --interval` in docs/predictive.md: 200
# simulated bases of 3,000 customers with known parameters, 90 % and 50 % intervals from 200
# draws (tests/predictive/bgbb_interval_coverage.py; the CTest runs 40 repetitions of 2,000).
#   bench/predictive/bgbb_interval_coverage.sh [BUILD_DIR] [REPS]   (default build/release, 200; needs python3-scipy)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
reps=${2:-200}
work=${WORK:-/tmp/csm-bgbb-interval-coverage}
python=${PYTHON:-python3}
"$python" -c "import numpy, scipy" 2>/dev/null || python=/usr/bin/python3
mkdir -p "$work"
"$python" "$root/tests/predictive/bgbb_interval_coverage.py" --binary "$build/src/csm-metrics" \
  --work "$work" --reps "$reps" --customers 3000 --levels 0.9,0.5 --draws 200 --table "$work/coverage.md"
