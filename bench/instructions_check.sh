#!/usr/bin/env bash
# The CI performance check (issue 22): counts the instructions that `csm-metrics compute` executes
# on a fixed generated file with valgrind's cachegrind, and fails when they are more than 10 % over
# the figure in bench/instructions.txt. An instruction count does not depend on how busy the
# machine is, so the check cannot be fooled by a noisy CI runner; a slowdown shows in the commit
# that causes it.
#
#   bench/instructions_check.sh BINARY            check (exit 1 when over the limit)
#   bench/instructions_check.sh BINARY --update   measure and rewrite bench/instructions.txt
#
# BINARY must be the ci preset's build (build/ci/src/csm-metrics: RelWithDebInfo, g++ 12): the
# figure is for that build. Run from CTest as `ctest --test-dir build/ci -L perf`. Exit 77
# (skipped) when valgrind is not installed (tools/setup.sh test installs it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${1:?usage: instructions_check.sh BINARY [--update]}
mode=${2:-check}
figure_file=$here/instructions.txt
# The file: about 200,000 rows of shuffled activity records (6.6 MB, under the 32 MiB split
# threshold, so one thread reads it and the count does not depend on thread scheduling).
gen_args=(--customers 15500 --months 24 --seed 22 --shuffle)
limit_percent=10

if ! command -v valgrind > /dev/null; then
  echo "instructions_check: valgrind is not installed; skipped (tools/setup.sh test installs it)"
  exit 77
fi
python=$(command -v python3)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" "$root/tools/gen_activity.py" "${gen_args[@]}" -o "$work/activity.csv"
rows=$(($(wc -l < "$work/activity.csv") - 1))
valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$work/cachegrind.out" \
  "$bin" compute --format json "$work/activity.csv" > "$work/out.json" 2> "$work/valgrind.log" || {
  cat "$work/valgrind.log" >&2
  echo "instructions_check: csm-metrics compute failed under valgrind" >&2
  exit 1
}
count=$(awk '$1 == "summary:" { print $2 }' "$work/cachegrind.out")
[ -n "$count" ] || { echo "instructions_check: no count in cachegrind's output" >&2; exit 1; }

if [ "$mode" = --update ]; then
  cat > "$figure_file" <<TXT
# Instructions executed by \`csm-metrics compute --format json FILE\` (valgrind cachegrind, I refs),
# checked in CI by bench/instructions_check.sh (CTest label perf, ci preset only): the test fails
# when the count grows more than $limit_percent % over this figure.
# FILE: tools/gen_activity.py ${gen_args[*]} ($rows rows, $(stat -c %s "$work/activity.csv") bytes;
#   read by one thread)
# Build: the ci preset (RelWithDebInfo), $(${CXX:-g++} --version | head -n 1), valgrind $(valgrind --version | sed 's/valgrind-//')
# Measured $(date -u +%F) at commit $(git -C "$root" rev-parse --short=10 HEAD 2>/dev/null || echo unknown).
# To update after a change that is meant to cost more (or that made it cheaper), rebuild the ci
# preset and run: bash bench/instructions_check.sh build/ci/src/csm-metrics --update
instructions $count
TXT
  echo "instructions_check: wrote $count to $figure_file"
  exit 0
fi

figure=$(awk '$1 == "instructions" { print $2 }' "$figure_file")
[ -n "$figure" ] || { echo "instructions_check: no figure in $figure_file" >&2; exit 1; }
limit=$((figure + figure * limit_percent / 100))
percent=$(awk -v c="$count" -v f="$figure" 'BEGIN { printf "%+.1f", (c - f) * 100 / f }')
echo "instructions_check: $count instructions on $rows rows; committed figure $figure ($percent %), limit $limit"
if [ "$count" -gt "$limit" ]; then
  echo "instructions_check: FAILED: compute executes $percent % more instructions than the committed figure" >&2
  echo "  (more than $limit_percent %). If the extra work is intended, update the figure:" >&2
  echo "  bash bench/instructions_check.sh build/ci/src/csm-metrics --update" >&2
  exit 1
fi
if [ "$count" -lt $((figure - figure * 20 / 100)) ]; then
  echo "instructions_check: note: more than 20 % under the figure; consider updating it (--update)"
fi
