#!/usr/bin/env python3
"""End-to-end tests of invoice records (issue 17; docs/metrics.md, "Invoice records").

Every expected number here was worked out by hand from the documented rules (the worked example of
docs/metrics.md, and the two preset samples whose lines are commented below), not taken from the
program: compute at every grain and with --by, every reader (CSV, TSV, JSON, JSON Lines, stdin,
several files, --column), --kind invoice, the presets, cohorts, at-risk, check, report,
--emit-state / merge, --skip-invalid, and the usage errors.

Usage: test_invoices.py --binary PATH --examples DIR --work DIR
Prints one line per failure and `e2e invoices: N passed, M failed`.
"""

import argparse
import csv
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
            print(f"FAIL {name}: {str(detail)[:600]}")

    def run(self, args, stdin=None):
        done = subprocess.run([self.binary, *args], capture_output=True, timeout=120,
                              input=stdin if stdin is not None else b"")
        return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")

    def ok_json(self, name, args, stdin=None):
        code, out, err = self.run(args, stdin)
        self.check(f"{name}: exit 0", code == 0, err)
        if code != 0:
            return None
        return json.loads(out)

    def error(self, name, args, code, text):
        got, _, err = self.run(args)
        self.check(name, got == code and text in err and err.count("\n") == 1,
                   f"exit {got}: {err!r}")

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path


def mrr(report):
    return {p["period"]: (p["mrr_end"], p["customers_end"]) for p in report["periods"]}


# The worked example of docs/metrics.md: MRR and active customers at each month's end.
EXAMPLE = {
    "2024-01": ("208.50", 2),
    "2024-02": ("397.500833", 4),
    "2024-03": ("348.50", 3),
    "2024-04": ("198.50", 2),
    "2024-05": ("108.50", 1),
    "2024-12": ("108.50", 1),
}


def same_number(a, b):
    return a is not None and abs(float(a) - float(b)) < 1e-9 and f"{float(a):.6f}" == f"{float(b):.6f}"


def test_example(r, examples):
    path = os.path.join(examples, "invoices.csv")
    fx = os.path.join(examples, "fx.csv")
    report = r.ok_json("example", ["compute", "-f", "json", "--currency", "USD", "--fx", fx, path])
    if not report:
        return
    r.check("example kind", report["kind"] == "invoice", report["kind"])
    got = mrr(report)
    r.check("example months", list(got)[0] == "2024-01" and list(got)[-1] == "2024-12", list(got))
    for month, (want, customers) in EXAMPLE.items():
        g = got.get(month)
        r.check(f"example {month}", g is not None and same_number(g[0], want) and g[1] == customers,
                f"got {g}, want {(want, customers)}")
    p = {x["period"]: x for x in report["periods"]}
    # Feb: umbrella and initech new (49 + 90), acme expands 100 -> 150.000833.
    r.check("example Feb new", p["2024-02"]["new_customers"] == 2 and
            same_number(p["2024-02"]["new_mrr"], "139.00"), p["2024-02"])
    r.check("example Feb expansion", same_number(p["2024-02"]["expansion_mrr"], "50.000833"),
            p["2024-02"]["expansion_mrr"])
    r.check("example Mar churn", p["2024-03"]["churned_customers"] == 1 and
            same_number(p["2024-03"]["churned_mrr"], "49.00"), p["2024-03"])
    r.check("example May churn", p["2024-05"]["churned_customers"] == 1 and
            same_number(p["2024-05"]["churned_mrr"], "90.00"), p["2024-05"])
    inv = report["invoices"]
    want = {"currency": "USD", "lines": 11, "subscription_lines": 9, "trial_lines": 1,
            "credit_lines": 1, "whole_month_lines": 7, "day_rule_lines": 2,
            "no_month_end_lines": 0, "converted_lines": 1, "one_time_lines": 1, "refund_lines": 1}
    for key, value in want.items():
        r.check(f"example invoices.{key}", inv.get(key) == value, f"got {inv.get(key)}, want {value}")
    r.check("example one_time_amount", same_number(inv["one_time_amount"], "99"), inv)
    r.check("example refund_amount", same_number(inv["refund_amount"], "-49"), inv)
    r.check("example non_recurring", inv["non_recurring"] == [
        {"period": "2024-02", "one_time": 99.0, "refunds": 0.0},
        {"period": "2024-03", "one_time": 0.0, "refunds": -49.0}], inv["non_recurring"])
    r.check("example input", report["input"]["records"] == 11 and
            report["input"]["customers"] == 4 and report["input"]["zero_revenue_records"] == 1,
            report["input"])

    # Grains: the quarter and year periods compare the period ends (Q1: Mar, Q2: Jun).
    q = r.ok_json("example quarter", ["compute", "-f", "json", "--grain", "quarter",
                                      "--currency", "USD", "--fx", fx, path])
    if q:
        qp = {x["period"]: x for x in q["periods"]}
        r.check("quarter Q1", same_number(qp["2024-Q1"]["mrr_end"], "348.50") and
                qp["2024-Q1"]["customers_end"] == 3, qp.get("2024-Q1"))
        r.check("quarter Q2", same_number(qp["2024-Q2"]["mrr_end"], "108.50") and
                qp["2024-Q2"]["churned_customers"] == 2, qp.get("2024-Q2"))
        r.check("quarter non_recurring", q["invoices"]["non_recurring"] == [
            {"period": "2024-Q1", "one_time": 99.0, "refunds": -49.0}], q["invoices"])
    y = r.ok_json("example year", ["compute", "-f", "json", "--grain", "year",
                                   "--currency", "USD", "--fx", fx, path])
    if y:
        r.check("year 2024", same_number(y["periods"][0]["mrr_end"], "108.50"), y["periods"][0])
    # --by segment: pro = acme + initech; Feb 240.000833.
    b = r.ok_json("example --by", ["compute", "-f", "json", "--by", "segment",
                                   "--currency", "USD", "--fx", fx, path])
    if b:
        groups = {g["group"]: {x["period"]: x for x in g["periods"]} for g in b["groups"]}
        r.check("--by groups", sorted(groups) == ["enterprise", "pro", "starter"], list(groups))
        r.check("--by pro Feb", same_number(groups["pro"]["2024-02"]["mrr_end"], "240.000833"),
                groups["pro"].get("2024-02"))
        r.check("--by starter Feb", same_number(groups["starter"]["2024-02"]["mrr_end"], "49.00"),
                groups["starter"].get("2024-02"))
    # --until cuts the range; later lines would be left out.
    u = r.ok_json("example --until", ["compute", "-f", "json", "--until", "2024-06",
                                      "--currency", "USD", "--fx", fx, path])
    if u:
        r.check("--until months", [x["period"] for x in u["periods"]][-1] == "2024-06", u["periods"][-1])
    # --fail-if on invoices.
    code, _, err = r.run(["compute", "--currency", "USD", "--fx", fx, "--fail-if", "mrr_end<150", path])
    r.check("--fail-if fires on the last month (108.50)", code == 1, err)


def convert_formats(r, examples):
    """The example in every reader: TSV, JSON, JSON Lines, stdin, two files, renamed columns."""
    path = os.path.join(examples, "invoices.csv")
    fx = os.path.join(examples, "fx.csv")
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    tsv = r.write("inv.tsv", "\t".join(rows[0].keys()) + "\n" +
                  "".join("\t".join(x.values()) + "\n" for x in rows))
    jsonl = r.write("inv.jsonl", "".join(json.dumps({k: v for k, v in x.items() if v != ""}) + "\n"
                                         for x in rows))
    arr = r.write("inv.json", json.dumps([{k: (float(v) if k == "amount" else v)
                                           for k, v in x.items() if v != ""} for x in rows]))
    header = "customer_id,service_start,service_end,amount,currency,line_type,segment\n"
    lines = open(path, encoding="utf-8").read().splitlines(True)[1:]
    half1 = r.write("inv-1.csv", header + "".join(lines[:5]))
    half2 = r.write("inv-2.csv", header + "".join(lines[5:]))
    renamed = r.write("inv-renamed.csv", "Account,From,To,Net,Cur,Kind,Plan\n" + "".join(lines))
    base = ["compute", "-f", "json", "--currency", "USD", "--fx", fx]
    want = r.ok_json("csv", base + [path])
    if not want:
        return
    cases = {
        "tsv": base + [tsv],
        "json": base + [arr],
        "jsonl": base + [jsonl],
        "two files": base + [half1, half2],
        "--column and --kind invoice": base + ["--kind", "invoice", "--column", "customer_id=Account",
                                                "--column", "service_start=From", "--column",
                                                "service_end=To", "--column", "amount=Net",
                                                "--column", "currency=Cur", "--column",
                                                "line_type=Kind", "--column", "segment=Plan", renamed],
    }
    for name, args in cases.items():
        got = r.ok_json(name, args)
        if got:
            r.check(f"{name}: same periods", got["periods"] == want["periods"], name)
            r.check(f"{name}: same invoices", got["invoices"] == want["invoices"], got["invoices"])
    with open(jsonl, "rb") as f:
        got = r.ok_json("stdin jsonl", base + ["--input-format", "jsonl", "-"], stdin=f.read())
    if got:
        r.check("stdin: same periods", got["periods"] == want["periods"])


def test_presets(r, examples):
    fx = os.path.join(examples, "fx.csv")
    # Stripe: cus_PXa1 49/month from Jan 15, prorations Mar 2..15 (cover no month end), 99 from
    # Mar 15 to May 15; cus_PXb2 1188.00 EUR a year from Feb 1 at 1.0850 = 1288.98 USD, 107.415 a
    # month (Feb 2024 .. Jan 2025); cus_PXc3 trial Jan 3..17, then 29 from Jan 17 to Mar 17;
    # (the trial is 14 days: by days too, and covers no month end);
    # cus_PXd4 199 from Feb 5 to Apr 5 and a one-off 150.00.
    s = r.ok_json("stripe preset", ["compute", "-f", "json", "--preset", "stripe", "--currency",
                                    "USD", "--fx", fx,
                                    os.path.join(examples, "stripe_invoice_lines.csv")])
    if s:
        got = mrr(s)
        want = {"2024-01": ("78.00", 2), "2024-02": ("384.415", 4), "2024-03": ("405.415", 3),
                "2024-04": ("206.415", 2), "2024-05": ("107.415", 1), "2025-01": ("107.415", 1)}
        for month, (m, c) in want.items():
            g = got.get(month)
            r.check(f"stripe {month}", g is not None and same_number(g[0], m) and g[1] == c,
                    f"got {g}, want {(m, c)}")
        inv = s["invoices"]
        r.check("stripe one-off", inv["one_time_lines"] == 1 and same_number(inv["one_time_amount"], "150"), inv)
        r.check("stripe prorations by days", inv["day_rule_lines"] == 3 and inv["no_month_end_lines"] == 3, inv)
    # Chargebee: AzZlGkU1 297.00 a quarter from Jan 10 (99 a month, Jan..Jun); 16BjsoU7 49 + 10
    # a month from Jan 31 (month-end periods) to Mar 31, and a 200.00 onboarding charge.
    c = r.ok_json("chargebee preset", ["compute", "-f", "json", "--preset", "chargebee",
                                       os.path.join(examples, "chargebee_invoice_lines.csv")])
    if c:
        got = mrr(c)
        want = {"2024-01": ("158.00", 2), "2024-02": ("158.00", 2), "2024-03": ("99.00", 1),
                "2024-06": ("99.00", 1)}
        for month, (m, n) in want.items():
            g = got.get(month)
            r.check(f"chargebee {month}", g is not None and same_number(g[0], m) and g[1] == n,
                    f"got {g}, want {(m, n)}")
        r.check("chargebee range", list(got)[-1] == "2024-06", list(got))
        r.check("chargebee one-off", same_number(c["invoices"]["one_time_amount"], "200"), c["invoices"])
    r.error("unknown preset", ["compute", "--preset", "zuora", "x.csv"], 2, "--preset zuora")


def test_other_commands(r, examples):
    path = os.path.join(examples, "invoices.csv")
    fx = os.path.join(examples, "fx.csv")
    money = ["--currency", "USD", "--fx", fx]
    # cohorts: Jan cohort (acme, globex) keeps 2 in Feb and Mar, 1 from Apr (globex).
    c = r.ok_json("cohorts", ["cohorts", "-f", "json", *money, path])
    if c:
        jan = [x for x in c["cohorts"] if x["cohort"] == "2024-01"]
        r.check("cohorts Jan size", jan and jan[0]["customers"] == 2, jan)
        if jan:
            active = [a["active_customers"] for a in jan[0]["ages"]]
            r.check("cohorts Jan active", active[:5] == [2, 2, 2, 1, 1], active[:6])
    # at-risk runs on invoice records as on activity records.
    code, out, err = r.run(["at-risk", "-f", "json", *money, path])
    r.check("at-risk runs", code == 0 and json.loads(out), err)
    code, out, err = r.run(["check", *money, path])
    r.check("check runs", code == 0 and out, err)
    code, out, err = r.run(["report", *money, "-o", os.path.join(r.work, "inv.html"), path])
    r.check("report runs", code == 0, err)
    # --emit-state per shard and merge: the same periods as one compute.
    whole = r.ok_json("whole", ["compute", "-f", "json", "--until", "2024-12", "--by", "segment",
                                *money, path])
    # A whole file under --shard is refused (its customers are not all in the shard).
    code, _, err = r.run(["compute", "-q", "--until", "2024-12", *money, "--shard", "0/3", path,
                          "--emit-state", os.path.join(r.work, "refused.state")])
    r.check("--shard refuses other shards' customers", code == 65 and "belongs to shard" in err, err)
    shards = os.path.join(r.work, "shards")
    code, _, err = r.run(["shard", "-n", "3", "-o", shards, path])
    r.check("shard", code == 0, err)
    states = []
    for i in range(3):
        part = os.path.join(shards, f"shard-{i}-of-3.csv")
        st = os.path.join(r.work, f"inv-{i}.state")
        code, _, err = r.run(["compute", "-q", "--until", "2024-12", "--by", "segment", *money,
                              "--shard", f"{i}/3", part, "--emit-state", st])
        r.check(f"emit-state shard {i}", code == 0, err)
        states.append(st)
    merged = r.ok_json("merge", ["merge", "-f", "json", *states])
    if whole and merged:
        for key in ("kind", "periods", "summary", "groups"):
            r.check(f"merge {key} equals compute", merged[key] == whole[key], key)
    r.error("emit-state without --until", ["compute", *money, path, "--emit-state",
                                            os.path.join(r.work, "x.state")], 2, "--until")


def test_errors(r):
    bad = r.write("bad-lines.csv", "customer_id,service_start,service_end,amount,line_type\n"
                  "a,2024-01-01,2024-02-01,10,subscription\n"
                  "b,2024-03-01,2024-02-01,10,subscription\n"
                  "c,2024-01-01,2024-02-01,10.1234567,subscription\n"
                  "d,2024-01-01,2024-02-01,10,renewal\n")
    r.error("end before start", ["compute", bad], 65,
            "bad-lines.csv:3: service_end: expected a date after service_start (2024-03-01), got 2024-02-01")
    code, out, err = r.run(["compute", "-f", "json", "--skip-invalid", bad])
    report = json.loads(out) if code == 0 else None
    r.check("--skip-invalid counts three", report is not None and report["input"]["skipped_records"] == 3
            and report["input"]["records"] == 1, err)
    r.error("--fx without --currency", ["compute", "--fx", "x.csv", bad], 2, "--fx needs --currency")
    r.error("--currency not ISO", ["compute", "--currency", "XYZ", bad], 2, "--currency XYZ")
    two = r.write("two-currencies.csv", "customer_id,service_start,service_end,amount,currency\n"
                  "a,2024-01-01,2024-02-01,10,USD\nb,2024-01-01,2024-02-01,10,EUR\n")
    r.error("two currencies without --currency", ["compute", two], 65,
            "two-currencies.csv:3: currency: a second currency (EUR after USD)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--examples", required=True)
    p.add_argument("--work", required=True)
    args = p.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    r = Runner(os.path.abspath(args.binary), args.work)
    test_example(r, args.examples)
    convert_formats(r, args.examples)
    test_presets(r, args.examples)
    test_other_commands(r, args.examples)
    test_errors(r)
    print(f"e2e invoices: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
