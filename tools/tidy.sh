#!/usr/bin/env bash
# clang-tidy (the checks in .clang-tidy) over src/ and examples/, using the compile commands of a
# configured and built tree (default build/ci: `cmake --workflow --preset ci`). Any finding fails.
# `cmake --preset tidy && cmake --build --preset tidy` runs the same checks while compiling.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/ci}
if [ ! -f "$build/compile_commands.json" ]; then
  echo "tidy: $build/compile_commands.json is missing; configure and build first (cmake --preset ci)" >&2
  exit 2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if run-clang-tidy-14 -quiet -p "$build" -j "$(nproc 2>/dev/null || echo 2)" "$PWD/src/" "$PWD/examples/" >"$log" 2>&1; then
  echo "tidy: no findings"
else
  grep -E "(error|warning):" "$log" | grep -v "warnings* generated" | sed 's/\x1b\[[0-9;]*m//g' | sort -u >&2
  echo "tidy: findings above (checks: .clang-tidy)" >&2
  exit 1
fi
