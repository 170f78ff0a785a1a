#!/usr/bin/env bash
# movements_bench.sh: `csm-metrics movements` side by side with `compute` on the 5M-row file
# (issue 16: "it must run at the speed of compute"), compute with the data-quality warnings off
# (CSM_NO_DATA_QUALITY=1: what they cost), and, with --base, the same commands of an
# older build in the same rounds (the cost of a change, e.g. of the data-quality warnings).
#
#   bench/movements_bench.sh --csm build/ci/src/csm-metrics [--base OLD_BINARY] [--runs 3]
#                            [--file /tmp/L.csv] [--out bench/results/movements-DATE.md]
#
# The file is generated when missing, with the yardstick generator (CSM_BENCH_GEN, default
# ../shared/bench/gen_activity.py): --customers 383000 --months 36 --seed 2 --shuffle (5,009,217
# rows, 166 MB). Generate it outside the repository (default /tmp/L.csv); never commit it.
# Each round runs every command once, interleaved, under /usr/bin/time (wall, user CPU, max RSS);
# the table gives each run and the medians. The outputs of the two builds are compared by md5.
set -euo pipefail

csm="" base="" runs=3 file=/tmp/L.csv out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --csm) csm=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --file) file=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "movements_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$csm" ] || { echo "movements_bench.sh: --csm BINARY is required" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
gen=${CSM_BENCH_GEN:-$here/../../shared/bench/gen_activity.py}
if [ ! -s "$file" ]; then
  [ -f "$gen" ] || { echo "movements_bench.sh: no generator at $gen (set CSM_BENCH_GEN)" >&2; exit 2; }
  python3 "$gen" --customers 383000 --months 36 --seed 2 --shuffle -o "$file"
fi
[ -n "$out" ] || out=$here/results/movements-$(date -u +%Y-%m-%d).md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name|binary|arguments
cases=("compute|$csm|compute -q -f json"
       "compute, warnings off|env|CSM_NO_DATA_QUALITY=1 $csm compute -q -f json"
       "movements|$csm|movements -q -f csv")
if [ -n "$base" ]; then
  cases=("base compute|$base|compute -q -f json" "${cases[@]}")
fi

for ((round = 1; round <= runs; round++)); do
  for c in "${cases[@]}"; do
    IFS='|' read -r name bin args <<<"$c"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %M" -o "$tmp/time" "$bin" $args "$file" > "$tmp/out-${name// /_}"
    echo "$name $(cat "$tmp/time")" >> "$tmp/times"
  done
done

{
  echo "# movements and compute on the 5M-row file, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "File: $file ($(wc -l < "$file") lines, $(stat -c %s "$file") bytes). Binaries: \`$csm\`"
  [ -z "$base" ] || echo "and, as the base, \`$base\`."
  echo "Load average at the start of the last round: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores."
  echo
  echo "| command | wall s (runs) | user s (runs) | max RSS MB | median wall | median user |"
  echo "|---|---|---|---:|---:|---:|"
  for c in "${cases[@]}"; do
    IFS='|' read -r name bin args <<<"$c"
    awk -v n="$name" -v a="$args" '
      { k = $1; for (i = 2; i < NF - 2; i++) k = k " " $i }
      k == n { w[++m] = $(NF - 2); u[m] = $(NF - 1); r = $NF > r ? $NF : r }
      function median(v, m,   s, i, j, t) {
        for (i = 1; i <= m; i++) s[i] = v[i]
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (s[j] + 0 < s[i] + 0) { t = s[i]; s[i] = s[j]; s[j] = t }
        return s[int((m + 1) / 2)]
      }
      END {
        ws = ""; us = ""
        for (i = 1; i <= m; i++) { ws = ws (i > 1 ? ", " : "") w[i]; us = us (i > 1 ? ", " : "") u[i] }
        printf "| `%s` (%s) | %s | %s | %d | %s | %s |\n", a, n, ws, us, r / 1024, median(w, m), median(u, m)
      }' "$tmp/times"
  done
  echo
  echo "movement lines: $(($(wc -l < "$tmp/out-movements") - 1))"
  if [ -n "$base" ]; then
    if cmp -s "$tmp/out-compute" "$tmp/out-base_compute"; then
      echo "compute's JSON of the two builds: byte-identical ($(md5sum < "$tmp/out-compute" | cut -c1-32))."
    else
      echo "compute's JSON of the two builds DIFFERS."
    fi
  fi
} > "$out"
cat "$out"
