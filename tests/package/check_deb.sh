#!/usr/bin/env bash
# The Debian package as a user meets it (CI, after `bash tools/setup.sh deb`): lintian finds no
# error, `apt-get install ./csm-metrics_*.deb` works, the installed binary, man pages and
# completions work, and `apt-get remove` takes every file away again.
#   bash tests/package/check_deb.sh build/deb/csm-metrics_VERSION_ARCH.deb
set -euo pipefail
deb=$(realpath "$1")
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
fail() { echo "check_deb: FAIL: $*" >&2; exit 1; }

echo "check_deb: lintian $deb" >&2
# Errors fail; warnings and notes are printed for the record.
lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian reported errors"

if dpkg -s csm-metrics >/dev/null 2>&1; then fail "csm-metrics is installed already"; fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$deb" >/dev/null
trap 'DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y -qq csm-metrics >/dev/null 2>&1 || true' EXIT

[ "$(command -v csm-metrics)" = /usr/bin/csm-metrics ] || fail "csm-metrics is not /usr/bin/csm-metrics"
version=$(csm-metrics --version)
echo "check_deb: $version" >&2
[[ $version =~ ^csm-metrics\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ [0-9a-f]{7,}(-dirty)?\)$ ]] ||
  fail "unexpected --version: $version"
csm-metrics compute examples/activity.csv | grep -q '^2025-12 ' || fail "compute on the example"

for page in csm-metrics csm-metrics-compute csm-metrics-predict; do
  path=$(man -w "$page") || fail "man -w $page"
  [[ $path == /usr/share/man/man1/$page.1.gz ]] || fail "man -w $page: $path"
done
man -P cat csm-metrics-compute 2>/dev/null | grep -q -- '--format' || fail "man csm-metrics-compute has no --format"

# bash: the installed script completes subcommands and option values.
out=$(bash -c 'source /usr/share/bash-completion/completions/csm-metrics
  COMP_WORDS=(csm-metrics compute --format ""); COMP_CWORD=3; _csm_metrics; echo "${COMPREPLY[*]}"')
[ "$out" = "table json csv" ] || fail "bash completion of compute --format: '$out'"
# fish and zsh find the installed scripts by themselves.
out=$(fish -c 'complete -C "csm-metrics compute --grain "' | cut -f1 | sort | tr '\n' ' ')
[ "$out" = "month quarter year " ] || fail "fish completion of compute --grain: '$out'"
zsh -c 'autoload -U compinit && compinit -u && [[ ${_comps[csm-metrics]} == _csm-metrics ]]' ||
  fail "zsh does not find _csm-metrics"

DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y -qq csm-metrics >/dev/null
trap - EXIT
[ ! -e /usr/bin/csm-metrics ] || fail "/usr/bin/csm-metrics left after remove"
[ ! -e /usr/share/man/man1/csm-metrics.1.gz ] || fail "man page left after remove"
[ ! -e /usr/share/bash-completion/completions/csm-metrics ] || fail "completion left after remove"
echo "check_deb: 1 passed, 0 failed"
