#!/usr/bin/env bash
# Set up csm-metrics on Debian 12 from a fresh checkout, then run it or test it.
#   bash tools/setup.sh run    install what is missing, build, compute the bundled example
#   bash tools/setup.sh test   install what is missing, build with warnings as errors, run all tests;
#                              clang-tidy (.clang-tidy) on the sources; then the same tests under
#                              AddressSanitizer + UBSan, and a short pass of every fuzz target
#                              (clang 14, libFuzzer); the HTML report is rendered in headless
#                              chromium; then the Debian package is built, checked with lintian,
#                              installed, tried and removed
#   bash tools/setup.sh deb    install what is missing, build build/deb/csm-metrics_VERSION_ARCH.deb
# Packages come from Debian only (apt-get); the build downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
case "$mode" in
  run|test|deb) ;;
  *) echo "usage: bash tools/setup.sh run|test|deb" >&2; exit 2 ;;
esac

packages=(cmake g++ ninja-build libcli11-dev libfmt-dev nlohmann-json3-dev catch2
          libfast-float-dev python3 libnlopt-dev libboost-dev help2man libxgboost-dev)
# deb (and test, which builds the package): CPack's dependency scan needs dpkg-shlibdeps and file.
if [ "$mode" != run ]; then packages+=(dpkg-dev file); fi
# test: lintian checks the package, man-db answers `man -w`, bash-completion, zsh and fish load
# the completions.
if [ "$mode" = test ]; then packages+=(lintian man-db bash-completion zsh fish); fi
# test: clang for the fuzzers; chromium renders the HTML report in tests/report; the predictive
# cross-checks compare with an independent scipy implementation.
if [ "$mode" = test ]; then packages+=(clang-14 libclang-rt-14-dev chromium python3-scipy python3-mpmath python3-distributed); fi
# test: valgrind counts the instructions of compute for the CI performance check (bench/instructions_check.sh).
if [ "$mode" = test ]; then packages+=(valgrind); fi
# test: clang-tidy runs the checks of .clang-tidy on the sources (tools/tidy.sh).
if [ "$mode" = test ]; then packages+=(clang-tidy-14); fi
# test: churn-risk's cross-check trains python3-xgboost on the exported features (issue 21).
if [ "$mode" = test ]; then packages+=(python3-xgboost); fi
# test: the JSON outputs are validated against docs/schema/csm-metrics.schema.json (issue 18).
if [ "$mode" = test ]; then packages+=(python3-jsonschema); fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
build_deb() {
  cmake --preset deb >/dev/null
  cmake --build --preset deb -j "$jobs"
  (cd build/deb && cpack -G DEB >/dev/null)
  ls build/deb/csm-metrics_*.deb
}
if [ "$mode" = run ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$jobs"
  echo >&2
  ./build/release/src/csm-metrics compute examples/activity.csv
elif [ "$mode" = deb ]; then
  build_deb
else
  cmake --workflow --preset ci
  bash tools/tidy.sh build/ci
  cmake --workflow --preset asan
  bash tests/fuzz/run_short.sh 30
  # The package checked here is made from the tree just tested (optimised, CPack strips it), not
  # from a second, Release build: the packaging rules are the same, and that build would cost a
  # sixth of the CI's time. `bash tools/setup.sh deb` makes the Release package users install.
  rm -f build/deb/csm-metrics_*.deb
  (cd build/ci && cpack -G DEB -B "$PWD/../deb" >/dev/null)
  bash tests/package/check_deb.sh build/deb/csm-metrics_*.deb
fi
