#!/usr/bin/env bash
# Speed of `csm-metrics retention` (issue 19): every monthly cohort of CUSTOMERS subscriptions over
# MONTHS months, fitted with --model auto (sBG and BdW for each cohort, and the pooled fit).
# --timings splits reading the records from fitting; the target is a fit under a second.
# Usage: [RUNS=3] bench/retention_bench.sh [BINARY] [CUSTOMERS] [MONTHS]   (defaults: build/release, 1000000, 60)
# GENERATOR=fast (default): bench/gen_subscriptions.py (numpy, one subscription per customer, seconds
# for 1 M); GENERATOR=activity: tools/gen_activity.py --kind subscription (about 3 subscriptions per
# customer, but hours and several GB at 1 M customers: for small runs).
# Each run prints the load average, then --timings (stderr) and wall, user and sys CPU, peak RSS.
# The generated file (about 50 bytes a row) goes to ${TMPDIR:-/tmp} and is removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$here/build/release/src/csm-metrics}
customers=${2:-1000000}
months=${3:-60}
data=${TMPDIR:-/tmp}/retention-bench-$customers-$months.csv
trap 'rm -f "$data"' EXIT
gen_start=$SECONDS
if [ "${GENERATOR:-fast}" = fast ]; then
  /usr/bin/python3 "$here/bench/gen_subscriptions.py" --customers "$customers" --months "$months" --seed 19 -o "$data"
else
  python3 "$here/tools/gen_activity.py" --customers "$customers" --months "$months" --kind subscription \
    --seed 19 --plain-ids -o "$data"
fi
echo "input: $(wc -l < "$data") rows, $(du -h "$data" | cut -f1) (generated in $((SECONDS - gen_start)) s)"
runs=${RUNS:-1}
for ((run = 1; run <= runs; run++)); do
  for model in sbg bdw auto; do
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    /usr/bin/time -f "$model: %e s wall, %U s user, %S s sys, %M KiB max RSS" "$binary" retention "$data" \
      --model "$model" --timings -f json > /dev/null
  done
done
