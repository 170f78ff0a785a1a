#!/usr/bin/env bash
# Speed of `csm-metrics retention` (issue 19): every monthly cohort of CUSTOMERS subscriptions over
# MONTHS months, fitted with --model auto (sBG and BdW for each cohort, and the pooled fit).
# --timings splits reading the records from fitting; the target is a fit under a second.
# Usage: bench/retention_bench.sh [BINARY] [CUSTOMERS] [MONTHS]   (defaults: build/release, 1000000, 60)
# The generated file (about 50 bytes a row) goes to ${TMPDIR:-/tmp} and is removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$here/build/release/src/csm-metrics}
customers=${2:-1000000}
months=${3:-60}
data=${TMPDIR:-/tmp}/retention-bench-$customers-$months.csv
trap 'rm -f "$data"' EXIT
python3 "$here/tools/gen_activity.py" --customers "$customers" --months "$months" --kind subscription \
  --seed 19 --plain-ids -o "$data"
echo "input: $(wc -l < "$data") rows, $(du -h "$data" | cut -f1)"
for model in sbg bdw auto; do
  /usr/bin/time -f "$model: %e s wall, %M KiB max RSS" "$binary" retention "$data" --model "$model" \
    --timings -f json > /dev/null
done
