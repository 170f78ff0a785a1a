#!/usr/bin/env python3
"""Shell completions (issue 18): `csm-metrics completion bash|zsh|fish` scripts, loaded in the
real shells, complete subcommands, options and option values, and offer every option that
`--help` lists. Python 3 standard library; bash, zsh and fish from Debian (tools/setup.sh test)."""
import argparse
import os
import re
import shutil
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--binary", required=True)
parser.add_argument("--work", required=True)
args = parser.parse_args()
os.makedirs(args.work, exist_ok=True)
failures = []
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)
        print("FAIL:", message, file=sys.stderr)


def script(shell):
    result = subprocess.run([args.binary, "completion", shell], capture_output=True, text=True)
    check(result.returncode == 0 and result.stderr == "", f"completion {shell}: {result}")
    path = os.path.join(args.work, "completion." + shell)
    with open(path, "w") as f:
        f.write(result.stdout)
    return path


def bash_complete(path, words):
    """COMPREPLY for a command line whose last word is being typed."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    code = (f"source '{path}'; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
            "_csm_metrics; printf '%s\\n' \"${COMPREPLY[@]}\"")
    out = subprocess.run(["bash", "--norc", "-c", code], capture_output=True, text=True, cwd=args.work)
    check(out.returncode == 0, f"bash {words}: {out.stderr}")
    return [line for line in out.stdout.split("\n") if line]


def help_options(command):
    """Long options that `csm-metrics COMMAND --help` lists."""
    text = subprocess.run([args.binary, *command, "--help"], capture_output=True, text=True).stdout
    return set(re.findall(r"^\s+(?:-\w,)?(--[\w-]+)", text, re.M))


def help_commands(command):
    text = subprocess.run([args.binary, *command, "--help"], capture_output=True, text=True).stdout
    part = text.split("Subcommands:", 1)
    if len(part) != 2:
        return set()
    block = part[1].split("\n\n", 1)[0]  # up to the blank line before the footer
    return set(re.findall(r"^  (\S+)", block, re.M))


bash = script("bash")
# Subcommands at the top and under calc, exactly those --help lists.
top = set(bash_complete(bash, ["csm-metrics", ""]))
check(top == help_commands([]), f"bash top-level commands {sorted(top)} != --help's")
check({"compute", "report", "predict", "completion"} <= top, f"missing commands in {sorted(top)}")
calc = set(bash_complete(bash, ["csm-metrics", "calc", ""]))
check(calc == help_commands(["calc"]) and "clv" in calc, f"calc metrics {sorted(calc)}")
# Every option --help shows for these commands, offered after "--".
for command in (["compute"], ["predict"], ["at-risk"], ["calc", "clv"], ["cohorts"]):
    offered = set(bash_complete(bash, ["csm-metrics", *command, "--"]))
    missing = help_options(command) - offered
    check(not missing, f"bash {' '.join(command)}: options from --help not completed: {sorted(missing)}")
# Values of options with a fixed list, after options and files.
check(bash_complete(bash, ["csm-metrics", "compute", "x.csv", "--format", ""]) == ["table", "json", "csv"],
      "bash compute --format")
check(bash_complete(bash, ["csm-metrics", "compute", "--grain", "q"]) == ["quarter"], "bash --grain q")
kinds = bash_complete(bash, ["csm-metrics", "compute", "--kind", ""])
check({"activity", "summary", "subscription"} <= set(kinds), f"bash --kind {kinds}")
fields = bash_complete(bash, ["csm-metrics", "compute", "--fail-if", "churn"])
check("churn_rate" in fields and all(f.startswith("churn") for f in fields), f"bash --fail-if churn: {fields}")
# The same word is a command at the top and a calc metric: the path decides.
check("--gross-profit" in bash_complete(bash, ["csm-metrics", "calc", "clv", "--g"]), "bash calc clv --g")
# Former spellings are hidden aliases: they work but are not offered.
check("--margin" not in bash_complete(bash, ["csm-metrics", "calc", "clv", "--m"]), "bash calc clv --m: no --margin")
check("--margin" not in bash_complete(bash, ["csm-metrics", "predict", "--m"]), "bash predict --m: no --margin")
check(bash_complete(bash, ["csm-metrics", "compute", "--gross-margin", ""]) == [],
      "a numeric option completes nothing")

fish = script("fish")
if shutil.which("fish"):
    out = subprocess.run(["fish", "--no-config", "-c",
                          f"source '{fish}'; complete -C 'csm-metrics compute --format '"],
                         capture_output=True, text=True)
    got = [line.split("\t")[0] for line in out.stdout.split("\n") if line]
    check(sorted(got) == ["csv", "json", "table"], f"fish compute --format: {got} {out.stderr}")
    out = subprocess.run(["fish", "--no-config", "-c", f"source '{fish}'; complete -C 'csm-metrics '"],
                         capture_output=True, text=True)
    got = {line.split("\t")[0] for line in out.stdout.split("\n") if line}
    check(got == help_commands([]), f"fish top-level: {sorted(got)}")
    out = subprocess.run(["fish", "--no-config", "-c",
                          f"source '{fish}'; complete -C 'csm-metrics calc clv --dis'"],
                         capture_output=True, text=True)
    check(out.stdout.startswith("--discount-rate"), f"fish calc clv --dis: {out.stdout!r}")
else:
    check(False, "fish is not installed (tools/setup.sh test installs it)")

zsh = script("zsh")
if shutil.which("zsh"):
    out = subprocess.run(["zsh", "-n", zsh], capture_output=True, text=True)
    check(out.returncode == 0, f"zsh -n: {out.stderr}")
    with open(zsh) as f:
        text = f.read()
    check(text.startswith("#compdef csm-metrics\n"), "zsh script starts with #compdef")
    check("(table json csv)" in text, "zsh lists the --format values")
else:
    check(False, "zsh is not installed (tools/setup.sh test installs it)")

result = subprocess.run([args.binary, "completion", "tcsh"], capture_output=True, text=True)
check(result.returncode == 2 and result.stdout == "", f"completion tcsh: {result}")

print(f"{checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
