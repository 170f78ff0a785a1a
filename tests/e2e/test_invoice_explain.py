#!/usr/bin/env python3
"""End-to-end tests of the data report on invoice records (`compute --explain`, `check`) and of the
presets' alternative column names (issue 17; docs/metrics.md, sections "Presets" and 14).

Every expected number is worked out by hand from the lines written here or from
examples/invoices.csv (the worked example of docs/metrics.md: 11 lines, of which 9 subscription
lines, 7 of whole months and 2 normalised by days, 1 trial, 1 credit, 1 one-time fee of 99.00,
1 refund of -49.00, 1 line converted from EUR).

Usage: test_invoice_explain.py --binary PATH --examples DIR --work DIR
Prints one line per failure and `e2e invoice explain: N passed, M failed`.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys


class Runner:
    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}: {str(detail)[:800]}")

    def run(self, args):
        done = subprocess.run([self.binary, *args], capture_output=True, timeout=60, input=b"")
        return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path


def test_worked_example(r, examples):
    path = os.path.join(examples, "invoices.csv")
    money = ["--currency", "USD", "--fx", os.path.join(examples, "fx.csv"), "--until", "2024-12"]
    code, out, err = r.run(["check", *money, path])
    r.check("check exit 0", code == 0, err)
    want = (
        "input report (invoice records)\n"
        "  invoice lines read              11\n"
        "  customers                        4\n"
        "  months                          12  (2024-01 to 2024-12)\n"
        "  months none active               0\n"
        "  duplicate rows                   0\n"
        "  subscription lines               9  (7 by whole months, 2 by days)\n"
        "  trials (amount 0)                1  (make nobody active)\n"
        "  credit lines                     1  (subscription lines with amount < 0)\n"
        "  no month end covered             0\n"
        "  one-time lines                   1  (sum 99.00, not MRR)\n"
        "  refund lines                     1  (sum -49.00, not MRR)\n"
        "  converted lines                  1  (to USD at the --fx rates)\n"
        "  invalid values                   0\n")
    r.check("check text on the worked example", out == want, out)
    code, out, err = r.run(["check", "-f", "json", *money, path])
    r.check("check -f json exit 0", code == 0, err)
    if code == 0:
        e = json.loads(out)["explain"]
        r.check("json rows", (e["rows_read"], e["rows_used"], e["rows_skipped"]) == (11, 11, 0), e)
        r.check("json months", (e["first_period"], e["last_period"], e["months"]) == ("2024-01", "2024-12", 12), e)
        r.check("json none active", e["months_without_rows"] == [], e)
        r.check("json trials are the zero-revenue rows", e["zero_revenue_rows"] == 1, e)
        r.check("json invoice_lines", e.get("invoice_lines") == {
            "subscription": 9, "one_time": 1, "refund": 1, "trial": 1, "credit": 1, "whole_month": 7,
            "day_rule": 2, "no_month_end": 0, "after_until": 0, "converted": 1, "currency": "USD"}, e)
    # compute --explain: the same report on stderr, the metrics unchanged on stdout.
    code, plain, _ = r.run(["compute", "-q", *money, path])
    code2, out, err = r.run(["compute", "-q", "--explain", *money, path])
    r.check("compute --explain: report on stderr", code2 == 0 and err == want, err)
    r.check("compute --explain: metrics unchanged", code == 0 and out == plain)
    code, out, err = r.run(["compute", "-f", "json", "--explain", *money, path])
    r.check("compute -f json --explain has invoice_lines",
            code == 0 and json.loads(out)["explain"]["invoice_lines"]["whole_month"] == 7, err)


def test_rows(r):
    # a: January; b: April; nobody active in February and March. One duplicate of a's line, a line
    # after --until, a day-rule line covering no month's last day, and two invalid rows.
    path = r.write("gaps.csv",
                   "customer_id,service_start,service_end,amount,line_type\n"
                   "a,2024-01-01,2024-02-01,10,subscription\n"
                   "a,2024-01-01,2024-02-01,10,subscription\n"
                   "b,2024-04-01,2024-05-01,20,subscription\n"
                   "b,2024-04-03,2024-04-20,5,subscription\n"
                   "c,2024-09-01,2024-10-01,30,subscription\n"
                   "d,2024-02-01,2024-03-01,1.1234567,subscription\n"
                   "e,2024-02-01,2024-03-01,10,renewal\n"
                   "f,2024-03-01,,15,one_time\n")
    code, out, err = r.run(["check", "--skip-invalid", "-q", "--until", "2024-04", path])
    r.check("gaps: exit 0", code == 0, err)
    want = (
        "input report (invoice records)\n"
        "  invoice lines read               8  (6 used, 2 invalid and skipped)\n"
        "  customers                        2\n"
        "  months                           4  (2024-01 to 2024-04)\n"
        "  months none active               2  2024-02, 2024-03\n"
        "  duplicate rows                   1  (identical in every field to an earlier row)\n"
        "  subscription lines               5  (3 by whole months, 1 by days, 1 after --until left out)\n"
        "  trials (amount 0)                0  (make nobody active)\n"
        "  credit lines                     0\n"
        "  no month end covered             1  (periods that end before any month's last day: no MRR)\n"
        "  one-time lines                   1  (sum 15.00, not MRR)\n"
        "  refund lines                     0  (sum 0.00, not MRR)\n"
        "  converted lines                  0  (no currency named)\n"
        "  invalid values                   2  amount 1, line_type 1\n")
    r.check("gaps: check text", out == want, out)


def test_preset_names(r, examples):
    with open(os.path.join(examples, "chargebee_invoice_lines.csv"), encoding="utf-8") as f:
        text = f.read()
    header, body = text.split("\n", 1)
    api = header.split(",")
    report = ["Date From" if c == "date_from" else "Date To" if c == "date_to"
              else "Currency" if c == "currency_code" else c for c in api]
    r.check("sample has the API names", report != api, header)
    renamed = r.write("chargebee_report.csv", ",".join(report) + "\n" + body)
    args = ["compute", "-q", "-f", "json", "--preset", "chargebee", "--until", "2024-12"]
    code, a, err = r.run([*args, os.path.join(examples, "chargebee_invoice_lines.csv")])
    r.check("chargebee API names: exit 0", code == 0, err)
    code, b, err = r.run([*args, renamed])
    r.check("chargebee Report Builder names: exit 0", code == 0, err)
    if a and b:
        da, db = json.loads(a), json.loads(b)
        r.check("the same metrics with either header", da["periods"] == db["periods"]
                and da["invoices"] == db["invoices"], (da["periods"][:1], db["periods"][:1]))
    both = r.write("chargebee_both.csv", header + ",Date From\n" +
                   "".join(line + "," + line.split(",")[3] + "\n" for line in body.strip().split("\n")))
    code, _, err = r.run([*args, both])
    r.check("both names of a column: duplicate column", code == 65 and "duplicate column" in err, err)
    code, _, err = r.run([*args, "--column", "service_start=date_from", renamed])
    r.check("--column replaces the alternatives", code == 65 and "missing required column" in err
            and "date_from" in err, err)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--examples", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    r = Runner(a.binary, a.work)
    test_worked_example(r, a.examples)
    test_rows(r)
    test_preset_names(r, a.examples)
    print(f"e2e invoice explain: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
