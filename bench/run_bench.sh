#!/usr/bin/env bash
# csm-metrics against DuckDB, pandas, ClickHouse (chDB) and `wc -l` on the same files (issue 3).
# Not part of the unit tests and not run by CI. See bench/README.md.
#
#   bench/run_bench.sh [--quick] [--large] [--runs N] [--repo DIR] [--out FILE] [--no-build]
#                      [--csm BINARY] [--base BINARY] [--duckdb-only]
#
#   --quick     500k-row datasets and 3 runs: checks the whole pipeline in a few minutes
#   --large     also the 20M-row (~660 MB) file in the scaling table (4x the main size)
#   --runs N    timed runs per engine and dataset (default 5; 3 with --quick)
#   --repo DIR  the checkout to build and measure (default: the one this script is in)
#   --out FILE  where to write the markdown report (default bench/results/DATE-COMMIT.md;
#               with --quick, bench/work/DATE-COMMIT-quick.md, which is not committed)
#   --no-build  use DIR/build/release as it is
#   --csm BIN   measure this csm-metrics binary instead of building one (implies --no-build)
#   --base BIN  also time this (older) csm-metrics binary, in turn with the others: before/after
#   --duckdb-only  leave out pandas and chDB (csm-metrics against DuckDB only; faster)
#
# The datasets come from ../shared/bench/gen_activity.py next to the repository: the common
# yardstick behind the figures in issue 3. Generated files go to bench/work/ (ignored by git,
# reused by later runs); npm packages to bench/node_modules/ (ignored by git).
set -euo pipefail
export LC_ALL=C                       # '.' as the decimal point in EPOCHREALTIME and awk

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
QUICK=0
LARGE=0
RUNS=
OUT=
BUILD=1
CSM=
BASE=
DUCKDB_ONLY=0

usage() { sed -n '4,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --large) LARGE=1 ;;
    --runs) RUNS=${2:?--runs needs a number}; shift ;;
    --runs=*) RUNS=${1#--runs=} ;;
    --repo) REPO=$(cd "${2:?--repo needs a directory}" && pwd); shift ;;
    --repo=*) REPO=$(cd "${1#--repo=}" && pwd) ;;
    --out) OUT=${2:?--out needs a file}; shift ;;
    --out=*) OUT=${1#--out=} ;;
    --no-build) BUILD=0 ;;
    --csm) CSM=${2:?--csm needs a binary}; BUILD=0; shift ;;
    --csm=*) CSM=${1#--csm=}; BUILD=0 ;;
    --base) BASE=$(realpath "${2:?--base needs a binary}"); shift ;;
    --duckdb-only) DUCKDB_ONLY=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run_bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$RUNS" ]; then
  if [ $QUICK = 1 ]; then RUNS=3; else RUNS=5; fi
fi
case "$RUNS" in ''|*[!0-9]*|0) echo "run_bench.sh: --runs needs a positive integer" >&2; exit 2 ;; esac

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'run_bench.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- 1. the yardstick generator
GEN="${CSM_BENCH_GEN:-$REPO/../shared/bench/gen_activity.py}"   # CSM_BENCH_GEN: elsewhere (a worktree)
if [ ! -f "$GEN" ]; then
  die "this benchmark needs the shared yardstick generator ../shared/bench/gen_activity.py
next to the repository (looked for $GEN). It is the common data generator behind the
figures in issue 3 and is not part of the repository; run the benchmark from a workspace
that has shared/ beside the checkout."
fi
GEN=$(cd "$(dirname "$GEN")" && pwd)/gen_activity.py

# ---------------------------------------------------------------- 2. tools
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v ninja >/dev/null || need+=(ninja-build)
command -v g++ >/dev/null || need+=(g++)
for p in libcli11-dev libfmt-dev nlohmann-json3-dev libfast-float-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
[ -x /usr/bin/time ] || need+=(time)
command -v hyperfine >/dev/null || need+=(hyperfine)
# pandas from Debian, so it is Debian's /usr/bin/python3 that runs it (not a pyenv python3)
/usr/bin/python3 -c 'import pandas' >/dev/null 2>&1 || need+=(python3-pandas)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} (apt-get)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PY=/usr/bin/python3

if [ ! -d "$BENCH/node_modules/@duckdb/node-api" ] || [ ! -d "$BENCH/node_modules/chdb" ]; then
  say "npm install in bench/ (DuckDB's @duckdb/node-api; chdb, optional)"
  # no lock file: bench/ pins the versions in package.json
  (cd "$BENCH" && npm install --no-package-lock --no-audit --no-fund --loglevel=error) \
    >&2 || echo "run_bench.sh: npm install failed; engines that did not install are skipped" >&2
fi
(cd "$BENCH" && node --input-type=module -e "await import('@duckdb/node-api')") ||
  die "DuckDB (npm @duckdb/node-api) did not install into bench/node_modules; it is the reference engine"
HAVE_CHDB=0
if (cd "$BENCH" && node --input-type=module -e "const {query}=await import('chdb'); query('SELECT 1','CSV')") >/dev/null 2>&1; then
  HAVE_CHDB=1
else
  echo "run_bench.sh: chdb (ClickHouse embedded, npm) is not usable here; skipping that engine" >&2
fi

# ---------------------------------------------------------------- build csm-metrics (Release)
BUILD_DIR="$REPO/build/release"
if [ $BUILD = 1 ]; then
  say "building csm-metrics (Release) in $BUILD_DIR"
  cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCSM_BUILD_TESTS=OFF \
        -DCSM_BUILD_EXAMPLES=OFF >/dev/null ||
    die "cmake configure failed (missing build dependencies? 'bash tools/setup.sh run' installs them)"
  cmake --build "$BUILD_DIR" --target csm-metrics >/dev/null || die "build failed"
fi
if [ -n "$CSM" ]; then
  [ -x "$CSM" ] || die "--csm $CSM: not an executable"
  CSM=$(cd "$(dirname "$CSM")" && pwd)/$(basename "$CSM")
  CSM_ORIGIN="the binary $CSM (given with --csm)"
else
  for c in "$BUILD_DIR/src/csm-metrics" "$BUILD_DIR/csm-metrics"; do
    [ -x "$c" ] && { CSM=$c; break; }
  done
  [ -n "$CSM" ] || die "no csm-metrics binary under $BUILD_DIR"
  CSM_ORIGIN="Release build of this commit ($(${CXX:-g++} --version | head -n 1))"
fi
HAVE_THREADS=0
"$CSM" compute --help 2>/dev/null | grep -- '--threads' >/dev/null && HAVE_THREADS=1   # not grep -q: with pipefail, its early exit fails the pipe

# ---------------------------------------------------------------- 3. datasets
WORK="$BENCH/work"
mkdir -p "$WORK/out"
if [ $QUICK = 1 ]; then
  MAIN_C=38300; SCALE_S_C=7660; SCALE_L_C=153200
else
  MAIN_C=383000; SCALE_S_C=76600; SCALE_L_C=1532000
fi
MONTHS=36
SEED=2
DATASETS="$WORK/datasets.tsv"       # key, label, path, rows, bytes
: > "$DATASETS"

# gen KEY LABEL FILE GENERATOR-ARGS...: generate once (reused later), record rows and bytes
gen() {
  local key=$1 label=$2 file=$3; shift 3
  if [ ! -s "$file" ]; then
    say "generating $(basename "$file")  (gen_activity.py $*)"
    "$PY" "$GEN" "$@" -o "$file.tmp"
    mv "$file.tmp" "$file"
  fi
  local lines rows
  lines=$(wc -l < "$file")
  case "$file" in *.csv) rows=$((lines - 1)) ;; *) rows=$lines ;; esac
  printf '%s\t%s\t%s\t%s\t%s\n' "$key" "$label" "$file" "$rows" "$(stat -L -c %s "$file")" >> "$DATASETS"
  printf '   %-40s %12s rows %8.1f MB\n' "$(basename "$file")" "$rows" "$(awk -v b="$(stat -L -c %s "$file")" 'BEGIN { print b / 1e6 }')" >&2
}
base="act-c%s-m$MONTHS-s$SEED"
say "datasets in $WORK"
f_shuf="$WORK/$(printf "$base" $MAIN_C)-shuf.csv"
f_sort="$WORK/$(printf "$base" $MAIN_C)-sorted.csv"
f_jsonl="$WORK/$(printf "$base" $MAIN_C)-shuf.jsonl"
f_s="$WORK/$(printf "$base" $SCALE_S_C)-shuf.csv"
f_l="$WORK/$(printf "$base" $SCALE_L_C)-shuf.csv"
common=(--months $MONTHS --seed $SEED)
gen csv-shuf "shuffled CSV" "$f_shuf" --customers $MAIN_C "${common[@]}" --shuffle
gen csv-sorted "sorted CSV (by month, then customer)" "$f_sort" --customers $MAIN_C "${common[@]}"
gen jsonl-shuf "shuffled JSON Lines" "$f_jsonl" --customers $MAIN_C "${common[@]}" --shuffle --jsonl
gen scale-s "shuffled CSV" "$f_s" --customers $SCALE_S_C "${common[@]}" --shuffle
if [ $LARGE = 1 ]; then
  gen scale-l "shuffled CSV" "$f_l" --customers $SCALE_L_C "${common[@]}" --shuffle
fi

# ---------------------------------------------------------------- engines
# engine_cmd ENGINE FILE: sets CMD to the command line that computes the metrics of FILE
engine_cmd() {
  case "$1" in
    csm) CMD=("$CSM" compute --format json "$2") ;;
    csm1) CMD=("$CSM" compute --format json --threads 1 "$2") ;;
    csmbase) CMD=("$BASE" compute --format json "$2") ;;
    duckdb) CMD=(node "$BENCH/duckdb_metrics.mjs" "$2") ;;
    pandas) CMD=("$PY" "$BENCH/pandas_metrics.py" "$2") ;;
    chdb) CMD=(node "$BENCH/chdb_metrics.mjs" "$2") ;;
    wc) CMD=(wc -l "$2") ;;
    *) die "unknown engine $1" ;;
  esac
}
csv_engines=(wc csm)
[ -n "$BASE" ] && csv_engines+=(csmbase)
[ $HAVE_THREADS = 1 ] && csv_engines+=(csm1)
csv_engines+=(duckdb)
[ $DUCKDB_ONLY = 0 ] && csv_engines+=(pandas)
[ $HAVE_CHDB = 1 ] && [ $DUCKDB_ONLY = 0 ] && csv_engines+=(chdb)
jsonl_engines=(wc csm)
[ -n "$BASE" ] && jsonl_engines+=(csmbase)
[ $HAVE_THREADS = 1 ] && jsonl_engines+=(csm1)
jsonl_engines+=(duckdb)

# ---------------------------------------------------------------- 4. cross-check on a small file
say "cross-check: every engine's numbers against csm-metrics' on a small file"
xc="$WORK/xcheck-c5000-m12-s3"
[ -s "$xc.csv" ] || "$PY" "$GEN" --customers 5000 --months 12 --seed 3 --shuffle --day-dates 0.3 -o "$xc.csv"
[ -s "$xc.jsonl" ] || "$PY" "$GEN" --customers 5000 --months 12 --seed 3 --shuffle --day-dates 0.3 --jsonl -o "$xc.jsonl"
xcheck() {   # xcheck FILE ENGINE...
  local file=$1; shift
  local ref="$WORK/out/xcheck-ref.json" outs=() e
  "$CSM" compute --format json "$file" > "$ref" || die "csm-metrics failed on $file"
  for e in "$@"; do
    [ "$e" = wc ] || [ "$e" = csm ] && continue
    engine_cmd "$e" "$file"
    "${CMD[@]}" > "$WORK/out/xcheck-$e.json" || die "$e failed on $file"
    outs+=("$WORK/out/xcheck-$e.json")
  done
  echo "   $(basename "$file"):" >&2
  "$PY" "$BENCH/compare_outputs.py" "$ref" "${outs[@]}" | sed 's/^/     /' >&2 ||
    die "an engine's numbers differ from csm-metrics' on $file (see above); not timing anything"
}
xcheck "$xc.csv" "${csv_engines[@]}"
xcheck "$xc.jsonl" "${jsonl_engines[@]}"

# ---------------------------------------------------------------- 5. timing
TIMES="$WORK/timings.tsv"           # key, engine, run, wall_s, user_s, sys_s, maxrss_kb, minor faults
: > "$TIMES"
# time_round KEY FILE ENGINE...: one timed run of each engine, in turn
time_round() {
  local key=$1 file=$2 run=$3; shift 3
  local e tf="$WORK/out/time.txt" t0 t1 wall
  for e in "$@"; do
    engine_cmd "$e" "$file"
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -f '%e %U %S %M %R' -o "$tf" "${CMD[@]}" > "$WORK/out/$key-$e.json" 2> "$WORK/out/$key-$e.err"; then
      cat "$WORK/out/$key-$e.err" >&2
      die "$e failed on $file"
    fi
    t1=$EPOCHREALTIME
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    read -r _ user sys rss faults < <(tail -n 1 "$tf")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$e" "$run" "$wall" "$user" "$sys" "$rss" "$faults" >> "$TIMES"
    printf '   %-12s %-8s run %d: %6.2f s wall, %7.1f MB\n' "$key" "$e" "$run" "$wall" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" >&2
  done
}
# bench_dataset KEY FILE ENGINE...: RUNS rounds over the engines, side by side
bench_dataset() {
  local key=$1 file=$2 r; shift 2
  say "timing $key ($(basename "$file")): $* x $RUNS"
  cat "$file" > /dev/null             # every engine reads it from the page cache
  for ((r = 1; r <= RUNS; r++)); do time_round "$key" "$file" "$r" "$@"; done
}
bench_dataset csv-shuf "$f_shuf" "${csv_engines[@]}"
bench_dataset csv-sorted "$f_sort" "${csv_engines[@]}"
bench_dataset jsonl-shuf "$f_jsonl" "${jsonl_engines[@]}"
bench_dataset scale-s "$f_s" wc csm
[ $LARGE = 1 ] && bench_dataset scale-l "$f_l" wc csm

STARTUP="$WORK/out/startup.json"
rm -f "$STARTUP"
if [ -f "$REPO/examples/activity.csv" ]; then
  say "start-up: csm-metrics on examples/activity.csv (hyperfine)"
  hyperfine -N --warmup 5 --runs 50 --style basic --export-json "$STARTUP" \
    "'$CSM' compute --format json '$REPO/examples/activity.csv'" >&2 || rm -f "$STARTUP"
fi

# ---------------------------------------------------------------- report
export GIT_OPTIONAL_LOCKS=0           # reading the commit must not take git's index lock
COMMIT=$(git -C "$REPO" rev-parse --short=10 HEAD 2>/dev/null || echo unknown)
DIRTY=""
if [ "$COMMIT" != unknown ] && ! git -C "$REPO" diff --quiet HEAD -- 2>/dev/null; then DIRTY="+uncommitted changes"; fi
DATE=$(date +%F)
if [ -z "$OUT" ]; then
  if [ $QUICK = 1 ]; then OUT="$WORK/$DATE-$COMMIT-quick.md"
  else OUT="$BENCH/results/$DATE-$COMMIT.md"; fi
fi
mkdir -p "$(dirname "$OUT")"

ver_duckdb=$(cd "$BENCH" && node --input-type=module -e "
  const {DuckDBInstance}=await import('@duckdb/node-api');
  const c=await (await DuckDBInstance.create(':memory:')).connect();
  console.log((await c.runAndReadAll('SELECT version()')).getRows()[0][0]);" 2>/dev/null || echo '?')
ver_chdb=-
[ $HAVE_CHDB = 1 ] && ver_chdb=$(cd "$BENCH" && node --input-type=module -e "
  const {query}=await import('chdb'); process.stdout.write(query('SELECT version()','TSV').trim());" 2>/dev/null || echo '?')

export B_OUT="$OUT" B_TIMES="$TIMES" B_DATASETS="$DATASETS" B_STARTUP="$STARTUP" B_WORK="$WORK"
export B_COMMIT="$COMMIT$DIRTY" B_DATE="$DATE" B_RUNS=$RUNS B_QUICK=$QUICK B_LARGE=$LARGE
export B_HAVE_CHDB=$HAVE_CHDB B_HAVE_THREADS=$HAVE_THREADS B_REPO="$REPO" B_BENCH="$BENCH"
export B_CSM_VERSION="$("$CSM" --version 2>/dev/null | head -n 1)"
export B_DUCKDB="$ver_duckdb" B_CHDB="$ver_chdb" B_NODE="$(node --version)"
export B_PANDAS="$("$PY" -c 'import pandas; print(pandas.__version__)')"
export B_CPU="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
export B_NPROC="$(nproc)" B_MEM="$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
export B_OS="$(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r)"
export B_CSM_ORIGIN="$CSM_ORIGIN"
export B_CMDLINE="bench/run_bench.sh$([ $QUICK = 1 ] && echo ' --quick')$([ $LARGE = 1 ] && echo ' --large') --runs $RUNS$([ "$CSM_ORIGIN" != "${CSM_ORIGIN#the binary}" ] && echo " --csm $CSM")$([ -n "$BASE" ] && echo " --base $BASE")$([ $DUCKDB_ONLY = 1 ] && echo " --duckdb-only")"

"$PY" - <<'PY'
import json, os, statistics, subprocess, sys
from collections import defaultdict

E = os.environ
bench = E["B_BENCH"]
datasets = {}
for line in open(E["B_DATASETS"]):
    key, label, path, rows, size = line.rstrip("\n").split("\t")
    datasets[key] = dict(label=label, path=path, rows=int(rows), bytes=int(size))
runs = defaultdict(list)
for line in open(E["B_TIMES"]):
    key, eng, run, wall, user, sys_, rss, faults = line.split()
    runs[(key, eng)].append((float(wall), float(user) + float(sys_), int(rss) * 1024,
                             float(user), float(sys_), int(faults)))

def med(key, eng, i):
    v = runs.get((key, eng))
    return statistics.median(x[i] for x in v) if v else None

names = {"csm": "csm-metrics", "csm1": "csm-metrics --threads 1", "csmbase": "csm-metrics, --base binary",
         "duckdb": "DuckDB %s (node-api)" % E["B_DUCKDB"], "pandas": "pandas %s" % E["B_PANDAS"],
         "chdb": "chDB %s (ClickHouse)" % E["B_CHDB"], "wc": "wc -l"}
order = ["csm", "csmbase", "csm1", "duckdb", "pandas", "chdb", "wc"]

def same_numbers(key, eng):
    if eng == "wc":
        return ""
    ref = os.path.join(E["B_WORK"], "out", "%s-csm.json" % key)
    if eng == "csm":
        return "reference"
    r = subprocess.run([sys.executable, os.path.join(bench, "compare_outputs.py"), ref,
                        os.path.join(E["B_WORK"], "out", "%s-%s.json" % (key, eng))],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, file=sys.stderr)
        same_numbers.failed = True
    return "yes" if r.returncode == 0 else "**NO**"
same_numbers.failed = False

def mb(b):
    return "%.0f" % (b / 1e6) if b >= 10e6 else "%.1f" % (b / 1e6)

def secs(s):
    return "%.3f" % s if s < 1 else "%.2f" % s

def ds_title(key, what):
    d = datasets[key]
    return "%s: %s, %s rows, %s MB (`%s`)" % (what, d["label"], format(d["rows"], ","), mb(d["bytes"]),
                                             os.path.basename(d["path"]))

out = []
w = out.append
quick = E["B_QUICK"] == "1"
w("# csm-metrics benchmark, %s, commit %s%s" % (E["B_DATE"], E["B_COMMIT"], " (quick run)" if quick else ""))
w("")
w("- Machine: %s, %s cores, %s; %s" % (E["B_CPU"] or "?", E["B_NPROC"], E["B_MEM"], E["B_OS"]))
w("- csm-metrics: %s, %s" % (E["B_CSM_VERSION"] or "?", E["B_CSM_ORIGIN"]))
w("- Engines: DuckDB %s through npm @duckdb/node-api on Node %s; pandas %s (Debian python3-pandas); %s"
  % (E["B_DUCKDB"], E["B_NODE"], E["B_PANDAS"],
     "chDB %s (ClickHouse embedded, npm chdb)" % E["B_CHDB"] if E["B_HAVE_CHDB"] == "1" else "chDB not available here"))
w("- Command: `%s`; data from `../shared/bench/gen_activity.py --months 36 --seed 2` (shuffled unless said);"
  " %s timed runs per engine, engines taking turns; files in the page cache" % (E["B_CMDLINE"], E["B_RUNS"]))
w("- Every engine computes the same monthly fields (counts, MRR movements, rates, grr, nrr, arpu, csat, cac);"
  " its numbers were checked equal to csm-metrics' on a small file before timing, and again on each timed"
  " file (last column).")
w("- Medians of: wall time, CPU time (user + sys), user and sys time, minor page faults (`/usr/bin/time` %R), peak RSS. *speed-up vs DuckDB* = DuckDB's wall / this"
  " engine's (higher is faster); *RSS vs DuckDB* = this engine's peak RSS / DuckDB's; *× wc -l* = this"
  " engine's wall / `wc -l`'s on the same file.")
if E["B_HAVE_THREADS"] != "1":
    w("- This build of csm-metrics has no `--threads` option, so there is no `--threads 1` row.")
w("")

def engine_table(key, what):
    engines = [e for e in order if (key, e) in runs]
    dw, dr = med(key, "duckdb", 0), med(key, "duckdb", 2)
    ww = med(key, "wc", 0)
    w("## " + ds_title(key, what))
    w("")
    w("| engine | wall s | CPU s | user s | sys s | page faults | peak RSS MB | speed-up vs DuckDB | RSS vs DuckDB | × wc -l | same numbers |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for e in engines:
        wall, cpu, rss = med(key, e, 0), med(key, e, 1), med(key, e, 2)
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            names[e], secs(wall), secs(cpu), secs(med(key, e, 3)), secs(med(key, e, 4)),
            format(int(med(key, e, 5)), ","), mb(rss),
            "%.1f×" % (dw / wall) if dw and e != "wc" else "",
            "%.3f" % (rss / dr) if dr and e != "wc" else "",
            "%.1f" % (wall / ww) if ww and e != "wc" else "",
            same_numbers(key, e)))
    w("")

engine_table("csv-shuf", "Main")
engine_table("csv-sorted", "Same records")
engine_table("jsonl-shuf", "Same records")

# scaling: csm-metrics only; active customer-months = sum of customers_end over the months
w("## Scaling: csm-metrics on shuffled CSV")
w("")
w("| rows | MB | wall s | CPU s | peak RSS MB | ns per row | × wc -l | active customer-months | RSS bytes per customer-month |")
w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for key in ("scale-s", "csv-shuf", "scale-l"):
    if (key, "csm") not in runs:
        continue
    d = datasets[key]
    wall, cpu, rss, ww = med(key, "csm", 0), med(key, "csm", 1), med(key, "csm", 2), med(key, "wc", 0)
    with open(os.path.join(E["B_WORK"], "out", "%s-csm.json" % key)) as f:
        cm = sum(p["customers_end"] for p in json.load(f)["periods"])
    w("| %s | %s | %s | %s | %s | %.0f | %s | %s | %.0f |" % (
        format(d["rows"], ","), mb(d["bytes"]), secs(wall), secs(cpu), mb(rss),
        wall * 1e9 / d["rows"], "%.1f" % (wall / ww) if ww else "", format(cm, ","), rss / cm))
w("")

startup = None
if os.path.exists(E["B_STARTUP"]):
    with open(E["B_STARTUP"]) as f:
        r = json.load(f)["results"][0]
    startup = r["median"] * 1000
    w("## Start-up: `csm-metrics compute --format json examples/activity.csv` (hyperfine, %d runs)" % len(r["times"]))
    w("")
    w("median %.1f ms, mean %.1f ± %.1f ms, min %.1f ms" % (startup, r["mean"] * 1000, r["stddev"] * 1000, r["min"] * 1000))
    w("")

# the targets of issue 3
w("## Targets (issue 3)")
w("")
def verdict(ok):
    return "met" if ok else "**not met**"
cw, dw, cr, dr = med("csv-shuf", "csm", 0), med("csv-shuf", "duckdb", 0), med("csv-shuf", "csm", 2), med("csv-shuf", "duckdb", 2)
w("- Shuffled CSV, ≥ 10× faster than DuckDB: %.1f× — %s" % (dw / cw, verdict(dw / cw >= 10)))
w("- Shuffled CSV, peak RSS ≤ 1/4 of DuckDB's: %.3f — %s" % (cr / dr, verdict(cr / dr <= 0.25)))
sw = med("csv-sorted", "csm", 0)
w("- Sorted CSV at least as fast as shuffled: %s s vs %s s — %s" % (secs(sw), secs(cw), verdict(sw <= cw * 1.02)))
jw, jd = med("jsonl-shuf", "csm", 0), med("jsonl-shuf", "duckdb", 0)
w("- JSON Lines, ≥ 5× faster than DuckDB on JSON Lines: %.1f× — %s" % (jd / jw, verdict(jd / jw >= 5)))
w("- (issue 22) JSON Lines ≥ 6× faster than DuckDB: %.1f× — %s" % (jd / jw, verdict(jd / jw >= 6)))
cu, cs = med("csv-shuf", "csm", 3), med("csv-shuf", "csm", 4)
w("- (issue 22) Shuffled CSV, sys time under 15 %% of user time: %.0f %% (%s s sys, %s s user, %s page faults) — %s"
  % (100 * cs / cu, secs(cs), secs(cu), format(int(med("csv-shuf", "csm", 5)), ","), verdict(cs < 0.15 * cu)))
sizes = [k for k in ("scale-s", "csv-shuf", "scale-l") if (k, "csm") in runs]
w("- Linear time in rows: %s ns/row at %s rows" % (
    " / ".join("%.0f" % (med(k, "csm", 0) * 1e9 / datasets[k]["rows"]) for k in sizes),
    " / ".join(format(datasets[k]["rows"], ",") for k in sizes)))
if startup is not None:
    w("- Start-up on the bundled example under 10 ms: %.1f ms — %s" % (startup, verdict(startup < 10)))
if quick:
    w("")
    w("*Quick run: 10× smaller files, where fixed start-up costs (Node, Python, DuckDB's catalog) weigh"
      " more; the targets are about the full-size run.*")

text = "\n".join(out) + "\n"
with open(E["B_OUT"], "w") as f:
    f.write(text)
print(text)
if same_numbers.failed:
    print("run_bench.sh: some engine's numbers differ from csm-metrics' on a timed file (see above)", file=sys.stderr)
    sys.exit(1)
PY
say "report written to $OUT"
