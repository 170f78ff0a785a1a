#!/usr/bin/env python3
"""One command line (issue 18, docs/cli.md): a rate option takes 0.8 and 80% alike (the same
output byte for byte), former option names still work as hidden aliases (absent from --help),
and records of a kind a command cannot use exit 65 naming the file."""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
from decimal import Decimal

parser = argparse.ArgumentParser()
parser.add_argument("--binary", required=True)
parser.add_argument("--examples", required=True)
args = parser.parse_args()
failures = []
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)
        print("FAIL:", message, file=sys.stderr)


def run(arguments):
    return subprocess.run([args.binary, *arguments], capture_output=True, stdin=subprocess.DEVNULL,
                          cwd=args.examples)


def same_output(name, first, second):
    a, b = run(first), run(second)
    check(a.returncode == 0 and b.returncode == 0, f"{name}: exit {a.returncode}, {b.returncode}: {a.stderr[:200]!r}")
    check(a.stdout == b.stdout and a.stdout, f"{name}: outputs differ")


END = ["--end", "2025-09-30", "-q"]
# ---- rates: a fraction or a percentage --------------------------------------------------------------
same_output("compute --gross-margin 80% --discount-rate 1%",
            ["compute", "activity.csv", "-f", "json", "--gross-margin", "80%", "--discount-rate", "1%"],
            ["compute", "activity.csv", "-f", "json", "--gross-margin", "0.8", "--discount-rate", "0.01"])
same_output("compute --gross-margin 0.7%", ["compute", "activity.csv", "-f", "json", "--gross-margin", "0.7%"],
            ["compute", "activity.csv", "-f", "json", "--gross-margin", "0.007"])
same_output("report --gross-margin 80%", ["report", "activity.csv", "-o", "-", "--gross-margin", "80%"],
            ["report", "activity.csv", "-o", "-", "--gross-margin", "0.8"])
same_output("predict --gross-margin 40% --discount-rate 1% --max-p-alive 90%",
            ["predict", "transactions.csv", *END, "--gross-margin", "40%", "--discount-rate", "1%", "--max-p-alive", "90%"],
            ["predict", "transactions.csv", *END, "--gross-margin", "0.4", "--discount-rate", "0.01", "--max-p-alive", "0.9"])
same_output("retention --gross-margin 50% --discount-rate 1%",
            ["retention", "activity.csv", "-f", "json", "--gross-margin", "50%", "--discount-rate", "1%"],
            ["retention", "activity.csv", "-f", "json", "--gross-margin", "0.5", "--discount-rate", "0.01"])
same_output("calc clv --retention 90% --growth 5%",
            ["calc", "clv", "--gross-profit", "900", "--retention", "90%", "--growth", "5%"],
            ["calc", "clv", "--gross-profit", "900", "--retention", "0.9", "--growth", "0.05"])
# at-risk's percentages are already percentages: 20% is 20.
same_output("at-risk --contraction-pct 10% --low-tier-pct 50%",
            ["at-risk", "activity.csv", "--contraction-pct", "10%", "--low-tier-pct", "50%"],
            ["at-risk", "activity.csv", "--contraction-pct", "10", "--low-tier-pct", "50"])
for arguments, wanted in (
        (["compute", "activity.csv", "--gross-margin", "180%"], "from 0% to 100%, got \"180%\""),
        (["predict", "transactions.csv", *END, "--max-p-alive", "x%"], "got \"x%\""),
        (["predict", "transactions.csv", *END, "--margin", "120%"], "--margin: expected a number from 0 to 1"),
        (["retention", "activity.csv", "--gross-margin", "nan%"], "got \"nan%\"")):
    result = run(arguments)
    check(result.returncode == 2 and wanted.encode() in result.stderr and result.stderr.count(b"\n") == 1,
          f"{' '.join(arguments)}: exit {result.returncode}: {result.stderr!r}")

# ---- hidden aliases -------------------------------------------------------------------------------
same_output("predict --margin (former --gross-margin)", ["predict", "transactions.csv", *END, "--margin", "0.4"],
            ["predict", "transactions.csv", *END, "--gross-margin", "0.4"])
same_output("calc clv --margin (former --gross-profit)", ["calc", "clv", "--margin", "900", "--retention", "0.9"],
            ["calc", "clv", "--gross-profit", "900", "--retention", "0.9"])
for command in (["predict"], ["calc", "clv"]):
    text = run([*command, "--help"]).stdout.decode()
    check("--margin" not in text, f"{' '.join(command)} --help shows the hidden --margin")
check("--gross-margin" in run(["predict", "--help"]).stdout.decode(), "predict --help lacks --gross-margin")
check("--gross-profit" in run(["calc", "clv", "--help"]).stdout.decode(), "calc clv --help lacks --gross-profit")
check(run(["predict", "transactions.csv", *END, "--margin", "0.4", "--gross-margin", "0.4"]).returncode == 2,
      "predict: both --margin and --gross-margin accepted")

# ---- --fail-if: the table's column headings as well as the JSON names -------------------------------
header = run(["compute", "activity.csv"]).stdout.decode().split("\n")[0].split()
check(header[0] == "period" and len(header) > 5, f"compute table header: {header}")
for heading in header[1:]:
    result = run(["compute", "activity.csv", "-f", "json", "--fail-if", f"{heading} < -1"])
    check(result.returncode == 0, f"--fail-if '{heading} < -1': exit {result.returncode}: {result.stderr[:300]!r}")
# A heading and its JSON name decide alike. mrr_end of the last month is the revenue of its rows,
# summed here from the file: 'mrr < MRR + 0.01' is crossed and 'mrr < MRR' is not.
with open(os.path.join(args.examples, "activity.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
last = max(r["period"][:7] for r in rows)  # periods are YYYY-MM or dates
mrr = sum(Decimal(r["revenue"]) for r in rows if r["period"][:7] == last)
for expression, code in ((f"mrr < {mrr + Decimal('0.01')}", 1), (f"mrr_end < {mrr + Decimal('0.01')}", 1),
                         (f"mrr < {mrr}", 0), (f"MRR <= {mrr}", 1)):
    result = run(["compute", "activity.csv", "-f", "json", "--fail-if", expression])
    check(result.returncode == code, f"--fail-if '{expression}': exit {result.returncode}, expected {code}")
for typo, suggestion in (("chrn%", "churn%"), ("activ", "active"), ("mrr_ed", "mrr_end")):
    result = run(["compute", "activity.csv", "--fail-if", f"{typo} > 1"])
    check(result.returncode == 2 and f"did you mean {suggestion}?".encode() in result.stderr,
          f"--fail-if {typo}: {result.stderr[:200]!r}")

# ---- help texts the issue found wrong -------------------------------------------------------------------
def help_text(*command):
    return " ".join(run([*command, "--help"]).stdout.decode().split())


check("movements summed" not in help_text("compute") and "compared at the period ends" in help_text("compute"),
      "compute --help --grain")
check("compared at the period ends" in help_text("report"), "report --help --grain")
check("Activity states" not in help_text("merge") and "States of compute --emit-state" in help_text("merge"),
      "merge --help --spend/--fail-if")
check("fits" not in help_text("rfm"), "rfm --help mentions fits")
check("(end - new - reactivated) / start" in help_text("calc", "retention"), "calc retention --help formula")
top = help_text()
for code in ("0 ok", "1 a --fail-if", "2 usage", "65 invalid", "66 input", "70 internal", "71 out of memory",
             "74 output", "130, 141, 143"):
    check(code in top, f"top-level --help exit status lacks {code!r}")

# ---- records of a kind the command cannot use: 65, one line naming the file ---------------------------
WRONG = {
    "transactions.csv": ["compute", "report", "check", "movements", "at-risk", "cohorts", "retention", "forecast", "churn-risk"],
    "summary.csv": ["cohorts", "at-risk", "movements", "retention", "forecast", "churn-risk"],
    "activity.csv": ["rfm", "predict"],
    "subscriptions.csv": ["rfm", "predict"],
}
for name, commands in WRONG.items():
    for command in commands:
        extra = ["--end", "2025-09-30"] if command in ("rfm", "predict") else []
        result = run([command, name, *extra])
        line = result.stderr.decode()
        check(result.returncode == 65 and line.startswith(f"csm-metrics: error: {name}:") and line.count("\n") == 1
              and not result.stdout, f"{command} {name}: exit {result.returncode}: {line!r}")
# compute --emit-state of transaction or summary records: the same.
for name in ("transactions.csv", "summary.csv"):
    result = run(["compute", name, "--emit-state", os.devnull])
    check(result.returncode == 65 and result.stderr.decode().startswith(f"csm-metrics: error: {name}:"),
          f"compute --emit-state {name}: exit {result.returncode}: {result.stderr!r}")
# From standard input the file is <stdin>.
with open(os.path.join(args.examples, "transactions.csv"), "rb") as stdin:
    result = subprocess.run([args.binary, "compute"], stdin=stdin, capture_output=True)
check(result.returncode == 65 and result.stderr.startswith(b"csm-metrics: error: <stdin>: these are transaction records"),
      f"compute < transactions.csv: {result.returncode} {result.stderr!r}")

# ---- documented behaviours the issue found doubtful ----------------------------------------------------
with tempfile.TemporaryDirectory() as work:
    # shard detects the format from the content, as every input (README): JSON without an extension.
    source = os.path.join(work, "records")
    with open(os.path.join(args.examples, "activity.json"), "rb") as f, open(source, "wb") as out:
        out.write(f.read())
    result = subprocess.run([args.binary, "shard", "-n", "2", source, "-o", os.path.join(work, "shards")],
                            capture_output=True)
    check(result.returncode == 0 and sorted(os.listdir(os.path.join(work, "shards"))) ==
          ["shard-0-of-2.jsonl", "shard-1-of-2.jsonl"], f"shard of JSON without extension: {result.stderr!r}")
    # report's "made with" names --timestamp when it was given (docs/report.md).
    page = os.path.join(work, "r.html")
    result = run(["report", "activity.csv", "--timestamp", "-o", page])
    with open(page, encoding="utf-8") as f:
        html = f.read()
    check(result.returncode == 0 and "csm-metrics report activity.csv --timestamp" in html,
          "report --timestamp: made-with line lacks --timestamp")

print(f"{checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
