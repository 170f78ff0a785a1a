#!/usr/bin/env python3
"""Usage errors (issue 18): every one is exactly one stderr line `csm-metrics: error: ...` that
names the command, with a did-you-mean for a mistyped option or command and where to read more;
exit 2 and nothing on stdout. Help and version written to a full disk exit 74."""
import argparse
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--binary", required=True)
args = parser.parse_args()
failures = []
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)
        print("FAIL:", message, file=sys.stderr)


cases = [
    # (arguments, substrings the one line must contain)
    (["compute", "--fromat", "json", "x.csv"], ["compute: unknown option \"--fromat\"", "did you mean --format?",
                                                "see 'csm-metrics compute --help'"]),
    (["compute", "--format", "xml", "x.csv"], ["compute: --format: xml not in {table,json,csv}"]),
    (["calc", "clv-dcf", "--revenues", "1,2", "--discount-rate", "0.1", "--yeers", "4"],
     ["calc clv-dcf: unknown option \"--yeers\""]),
    (["comput", "x.csv"], ["unknown command \"comput\"", "did you mean compute?", "see 'csm-metrics --help'"]),
    (["calc", "cak"], ["calc: unknown metric \"cak\"", "did you mean cac?"]),
    (["calc"], ["calc: no metric given"]),
    ([], ["no command given", "compute"]),
    (["rfm", "x.csv"], ["rfm: --end is required", "see 'csm-metrics rfm --help'"]),
    (["compute", "--csat-threshold", "6", "x.csv"], ["compute: --csat-threshold", "6"]),
    (["predict", "x.csv", "--end", "2024-01-01", "--hoizon", "3"], ["did you mean --horizon?"]),
]
for arguments, wanted in cases:
    result = subprocess.run([args.binary, *arguments], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    name = " ".join(arguments) or "(no arguments)"
    check(result.returncode == 2, f"{name}: exit {result.returncode}")
    check(result.stdout == "", f"{name}: stdout {result.stdout[:100]!r}")
    lines = result.stderr.split("\n")
    check(len(lines) == 2 and lines[1] == "" and lines[0].startswith("csm-metrics: error: "),
          f"{name}: not one error line: {result.stderr!r}")
    for text in wanted:
        check(text in lines[0], f"{name}: {text!r} not in {lines[0]!r}")

# Help and version: stdout, exit 0; on a full disk, the failed write is exit 74 (output error).
for flag in (["--help"], ["--version"], ["compute", "--help"]):
    result = subprocess.run([args.binary, *flag], capture_output=True, text=True)
    check(result.returncode == 0 and result.stdout and not result.stderr, f"{flag}: {result.returncode}")
    with open("/dev/full", "w") as full:
        code = subprocess.run([args.binary, *flag], stdout=full, stderr=subprocess.DEVNULL).returncode
    check(code == 74, f"{flag} > /dev/full: exit {code}, expected 74")

print(f"{checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
