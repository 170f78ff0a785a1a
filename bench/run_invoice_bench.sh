#!/usr/bin/env bash
# Issue 17: reading + normalising invoice lines against reading activity rows (csm-metrics), and
# DuckDB doing the same normalisation in SQL (bench/duckdb_invoices.mjs). Not run by CI.
#
#   bench/run_invoice_bench.sh CSM_BINARY [WORKDIR]
#
# Generates (once) ~5M invoice lines with tools/gen_invoices.py (seed 1 + seed 2, USD/EUR/GBP and
# a weekly rate file) and the 5M-row activity file of run_bench.sh (../shared/bench/gen_activity.py
# --customers 383000 --months 36 --seed 2 --shuffle), then times each run with /usr/bin/time.
# On a shared machine wall time follows the load; compare the CPU times (user + sys).
set -euo pipefail
CSM=$(realpath "${1:?usage: run_invoice_bench.sh CSM_BINARY [WORKDIR]}")
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
WORK=${2:-$BENCH/work/invoices}
mkdir -p "$WORK" && cd "$WORK"
[ -s inv5m.csv ] || python3 "$REPO/tools/gen_invoices.py" --lines 5000000 --seed 1 -o inv5m.csv --fx-out fx.csv
[ -s inv1m.csv ] || python3 "$REPO/tools/gen_invoices.py" --customers 107000 --seed 2 -o inv1m.csv
[ -s act5m.csv ] || python3 "$REPO/../shared/bench/gen_activity.py" --customers 383000 --months 36 --seed 2 --shuffle -o act5m.csv
for i in 1 2 3; do
  /usr/bin/time -f "activity -j1: wall %e s, user %U s, sys %S s, RSS %M KB" "$CSM" compute -q -f json -j 1 act5m.csv >/dev/null
  /usr/bin/time -f "invoices:    wall %e s, user %U s, sys %S s, RSS %M KB" "$CSM" compute -q -f json --currency USD --fx fx.csv inv5m.csv inv1m.csv >/dev/null
done
if [ ! -d node_modules/@duckdb/node-api ]; then
  npm install --no-package-lock --no-audit --no-fund --loglevel=error @duckdb/node-api@1.5.6-r.1 >&2 || exit 0
fi
cp "$BENCH/duckdb_invoices.mjs" .
/usr/bin/time -f "duckdb:      wall %e s, user %U s, sys %S s, RSS %M KB" node duckdb_invoices.mjs inv5m.csv inv1m.csv fx.csv
