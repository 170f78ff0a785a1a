#!/usr/bin/env python3
"""report --forecast N (issue 19): the page's forecast section shows what `forecast --months N`
computes (its JSON, read independently of the page), joined to the observed MRR; it is absent
without the option; standard input and records of the wrong kind are refused."""
import argparse
import html
import json
import os
import re
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--binary", required=True)
parser.add_argument("--examples", required=True)
parser.add_argument("--work", required=True)
args = parser.parse_args()
os.makedirs(args.work, exist_ok=True)
failures = 0
passed = 0


def check(ok, what):
    global failures, passed
    if ok:
        passed += 1
    else:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def run(arguments, stdin=None):
    return subprocess.run([args.binary, *arguments], capture_output=True, stdin=stdin, timeout=120)


def number(text):
    return float(text.replace(",", ""))


activity = os.path.join(args.examples, "activity.csv")
page_path = os.path.join(args.work, "forecast.html")
result = run(["report", activity, "--forecast", "6", "-o", page_path])
check(result.returncode == 0 and result.stdout == b"", f"report --forecast 6: {result.returncode} {result.stderr!r}")
page = open(page_path, encoding="utf-8").read()
start = page.find('<section id="forecast">')
check(start > 0, "the page has a forecast section")
section = page[start:page.find("</section>", start)]
rows = re.findall(r"<tr><td>([^<]*)</td>" + r"<td>([^<]*)</td>" * 6 + r"</tr>", section)
check(len(rows) == 6, f"six forecast rows, got {len(rows)}")

expected = json.loads(run(["forecast", activity, "--months", "6", "-f", "json"]).stdout)
# The months after the last month of the data (examples/activity.csv ends in 2025-12).
check([r[0] for r in rows] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"],
      f"month labels {[r[0] for r in rows]}")
for row, month in zip(rows, expected["months"]):
    shown = [number(v) for v in row[1:]]
    wanted = [month["customers"], month["customers_low"], month["customers_high"],
              month["mrr"], month["mrr_low"], month["mrr_high"]]
    check(all(abs(a - b) <= 0.006 for a, b in zip(shown[3:], wanted[3:])), f"{row[0]} MRR {shown[3:]} vs {wanted[3:]}")
    check(all(abs(a - b) <= 0.006 for a, b in zip(shown[:3], wanted[:3])), f"{row[0]} customers {shown[:3]} vs {wanted[:3]}")
    check(shown[4] <= shown[3] <= shown[5], f"{row[0]}: the MRR lies within its bounds")

# The chart: observed months, then the forecast joined at the last observed month.
check('id="chart-forecast"' in section, "the forecast chart")
for label in ("mrr_end (observed)", "forecast", "lower bound (80 %)", "upper bound (80 %)"):
    check(html.escape(label) in section, f"legend entry {label}")
metrics = json.loads(run(["compute", activity, "--format", "json"]).stdout)
last_mrr = float(metrics["periods"][-1]["mrr_end"])
check(f"{last_mrr:,.2f}" in section, f"the last observed MRR {last_mrr:,.2f} is in the chart")
check("--forecast 6" in page, "the equivalent command names --forecast 6")

# Without the option: no section.
result = run(["report", activity])
check(result.returncode == 0 and b'id="forecast"' not in result.stdout, "no forecast section without --forecast")

# Standard input cannot be read twice: usage error; summary records cannot be forecast: 65.
with open(activity, "rb") as stdin:
    result = run(["report", "-", "--forecast", "3"], stdin=stdin)
check(result.returncode == 2 and b"--forecast" in result.stderr and result.stderr.count(b"\n") == 1,
      f"stdin: {result.returncode} {result.stderr!r}")
summary = os.path.join(args.examples, "summary.csv")
result = run(["report", summary, "--forecast", "3", "-o", os.path.join(args.work, "s.html")])
check(result.returncode == 65 and summary.encode() in result.stderr, f"summary records: {result.returncode} {result.stderr!r}")
check(not os.path.exists(os.path.join(args.work, "s.html")), "no page after the refusal")
result = run(["report", activity, "--forecast", "0"])
check(result.returncode == 2, f"--forecast 0: {result.returncode}")

print(f"report --forecast: {passed} passed, {failures} failed")
sys.exit(1 if failures else 0)
