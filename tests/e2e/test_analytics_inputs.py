#!/usr/bin/env python3
"""End-to-end tests of issue 4's inputs: subscription records, --spend, the unit economics and the
data report (compute --explain, check). Python 3 standard library only.

Runs the real binary on examples/ and on small files written here, and checks stdout, stderr and
exit codes against numbers worked out by hand (in the comments).

Usage: test_analytics_inputs.py --binary PATH --examples DIR --work DIR
Prints one line per failure and `analytics inputs: N passed, M failed`; exits 1 if anything failed.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import traceback
from decimal import Decimal

TIMEOUT = 60


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
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        return ok

    def run(self, args):
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CLICOLOR_FORCE")}
        proc = subprocess.run([self.binary] + args, stdin=subprocess.DEVNULL, capture_output=True,
                              env=env, timeout=TIMEOUT, cwd=self.work)
        return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def ok_json(self, name, args, quiet_stderr=True):
        code, out, err = self.run(args)
        if not self.check(f"{name} exit 0", code == 0, f"exit {code}: {err[:300]!r}"):
            return None
        if quiet_stderr:
            self.check(f"{name} stderr empty", err == "", repr(err[:300]))
        try:
            return json.loads(out, parse_float=Decimal)
        except ValueError as e:
            self.check(f"{name} JSON parses", False, str(e))
            return None

    def error(self, name, args, code, *needles):
        got, out, err = self.run(args)
        self.check(f"{name} exit {code}", got == code, f"exit {got}: {err[:300]!r}")
        self.check(f"{name} stdout empty", out == "", repr(out[:200]))
        for needle in needles:
            self.check(f"{name} stderr has {needle!r}", needle in err, repr(err[:400]))


def close(a, b):
    return a is not None and abs(float(a) - b) <= 1e-9 * max(1.0, abs(b))


def by_period(report):
    return {p["period"]: p for p in report["periods"]} if report else {}


# ---- subscription records ---------------------------------------------------------------------
def test_subscriptions(r, examples):
    path = os.path.join(examples, "subscriptions.csv")
    report = r.ok_json("subscriptions.csv", ["compute", "--format", "json", path])
    if report is None:
        return
    r.check("subscriptions kind", report["kind"] == "subscription", report["kind"])
    r.check("subscriptions records = rows", report["input"]["records"] == 14)
    r.check("subscriptions customers", report["input"]["customers"] == 10)
    # The table of examples/README.md, worked out by hand from the 14 rows.
    expected = {
        "2025-01": (3, 3, 0, 0, 0, 0, "447.00"),
        "2025-02": (4, 1, 0, 0, 0, 0, "1496.00"),
        "2025-03": (4, 1, 0, 1, 1, 0, "1744.00"),
        "2025-04": (5, 2, 0, 1, 0, 0, "2643.00"),
        "2025-05": (7, 1, 1, 0, 0, 1, "2741.00"),
        "2025-06": (7, 1, 0, 1, 0, 1, "1842.00"),
    }
    periods = by_period(report)
    r.check("subscriptions months", list(periods) == list(expected), list(periods))
    for month, (e, n, a, c, x, k, mrr) in expected.items():
        p = periods.get(month, {})
        got = (p.get("customers_end"), p.get("new_customers"), p.get("reactivated_customers"),
               p.get("churned_customers"), p.get("expanded_customers"),
               p.get("contracted_customers"), str(p.get("mrr_end")))
        r.check(f"subscriptions {month}", got == (e, n, a, c, x, k, mrr), got)

    # --until 2025-09: every subscription open in June runs on; nothing churns after June.
    report = r.ok_json("subscriptions --until", ["compute", "--format", "json", "--until",
                                                 "2025-09", path])
    if report:
        periods = by_period(report)
        r.check("--until months", list(periods)[-1] == "2025-09" and len(periods) == 9,
                list(periods))
        for month in ("2025-07", "2025-08", "2025-09"):
            p = periods.get(month, {})
            r.check(f"--until {month} steady", str(p.get("mrr_end")) == "1842.00"
                    and p.get("churned_customers") == 0 and p.get("customers_end") == 7, p)

    # Activity records (issue 16): --until leaves the later rows out, counted in input; the months
    # up to it are those of the whole input, since a month depends only on the months before it.
    activity_csv = os.path.join(examples, "activity.csv")
    with open(activity_csv, encoding="utf-8", newline="") as f:
        later = sum(1 for row in csv.DictReader(f) if row["period"][:7] > "2025-09")
    cut = r.ok_json("--until with activity records", ["compute", "--until", "2025-09", "-f", "json", activity_csv])
    whole = r.ok_json("activity records without --until", ["compute", "-f", "json", activity_csv])
    if cut and whole:
        r.check("--until on activity: the first 9 months unchanged", cut["periods"] == whole["periods"][:9],
                [p["period"] for p in cut["periods"]])
        r.check("--until on activity: later rows counted", later > 0
                and cut["input"]["outside_range_records"] == later
                and cut["input"]["records"] + later == whole["input"]["records"], cut["input"])
    r.error("--until not a month", ["compute", "--until", "2025-9", path], 2, "--until 2025-9")
    r.error("--until before every start", ["compute", "--until", "2024-12", path], 2,
            "before the month of every start_date")
    bad = r.write("backwards.csv", "customer_id,start_date,end_date,mrr\n"
                                   "a,2025-01-10,,10\nb,2025-03-01,2025-02-01,10\n")
    r.error("end_date before start_date", ["compute", bad], 65,
            "backwards.csv:3: end_date: expected a date on or after start_date (2025-03-01), "
            "got 2025-02-01")
    # --kind subscription on a file whose header would not say so (renamed columns).
    renamed = r.write("renamed.csv", "account,since,until,amount\nx,2025-01-05,2025-03-01,20\n"
                                     "y,2025-02-01,,5\n")
    report = r.ok_json("--kind subscription with renames",
                       ["compute", renamed, "--format", "json", "--kind", "Subscription",
                        "--column", "customer_id=account", "--column", "start_date=since",
                        "--column", "end_date=until", "--column", "mrr=amount"])
    if report:
        # x: Jan, Feb (20); y: Feb, Mar (5). Range Jan..Mar. Mar: x churned.
        p = by_period(report)
        r.check("renamed months", list(p) == ["2025-01", "2025-02", "2025-03"], list(p))
        r.check("renamed March", str(p["2025-03"]["mrr_end"]) == "5.00"
                and p["2025-03"]["churned_customers"] == 1, p.get("2025-03"))


def test_subscriptions_like_activity(r, examples):
    """compute --by/--grain and cohorts give the same on subscriptions as on the activity rows they
    stand for (written here by hand from the rule: active in a month if active on its last day,
    end_date exclusive)."""
    subs = r.write("like-subs.csv", "customer_id,start_date,end_date,mrr,segment\n"
                   "a,2025-01-10,2025-04-15,100,pro\n"    # Jan, Feb, Mar (ended before Apr 30)
                   "a,2025-03-01,,20,pro\n"               # Mar .. Jun (the range's end)
                   "b,2025-02-28,2025-03-31,50,basic\n"   # Feb only (Mar 31 is its end, excluded)
                   "c,2025-04-01,2025-06-30,30,basic\n"   # Apr, May
                   "d,2025-01-31,,40,basic\n")            # Jan .. Jun
    activity = r.write("like-activity.csv", "customer_id,period,revenue,segment\n"
                       "a,2025-01,100,pro\na,2025-02,100,pro\na,2025-03,120,pro\n"
                       "a,2025-04,20,pro\na,2025-05,20,pro\na,2025-06,20,pro\n"
                       "b,2025-02,50,basic\nc,2025-04,30,basic\nc,2025-05,30,basic\n"
                       "d,2025-01,40,basic\nd,2025-02,40,basic\nd,2025-03,40,basic\n"
                       "d,2025-04,40,basic\nd,2025-05,40,basic\nd,2025-06,40,basic\n")
    for args in (["compute", "--by", "segment"], ["compute", "--grain", "quarter", "--by", "segment"],
                 ["compute", "--grain", "year"], ["cohorts", "--by", "segment"],
                 ["cohorts", "--grain", "quarter", "--exclude-reactivated"]):
        got = [r.run(args + ["-f", "json", path]) for path in (subs, activity)]
        r.check(f"{' '.join(args)}: both exit 0", got[0][0] == 0 and got[1][0] == 0,
                got[0][2] + got[1][2])
        if got[0][0] != 0 or got[1][0] != 0:
            continue
        a_doc, b_doc = json.loads(got[0][1]), json.loads(got[1][1])
        for key in ("periods", "groups", "cohorts", "summary"):
            r.check(f"{' '.join(args)} on subscriptions: {key} as on activity records",
                    a_doc.get(key) == b_doc.get(key), (a_doc.get(key), b_doc.get(key)))
    # The cohorts table of the subscriptions, by hand: January's cohort is a and d (140.00);
    # February: b; April: c. In June a (20) and d (40) are active: January's logo retention
    # at age 5 is 100 %, its revenue 60/140 = 42.9 %.
    code, out, err = r.run(["cohorts", "-f", "json", subs])
    if code == 0:
        doc = json.loads(out)
        jan = doc["cohorts"][0]
        r.check("subscription cohorts: January", jan["cohort"] == "2025-01" and jan["customers"] == 2
                and str(jan["revenue"]) in ("140", "140.0", "140.00"), jan)
        r.check("subscription cohorts: January at age 5", len(jan["ages"]) == 6
                and jan["ages"][5]["active_customers"] == 2
                and close(jan["ages"][5]["revenue_retention"], 100.0 * 60 / 140), jan["ages"][5])
        r.check("subscription cohorts", [c["cohort"] for c in doc["cohorts"]]
                == ["2025-01", "2025-02", "2025-04"], doc["cohorts"])
    r.error("cohorts on summary records", ["cohorts", os.path.join(examples, "summary.csv")], 65,
            "summary records")
    cut = r.ok_json("cohorts --until on activity records", ["cohorts", "--until", "2025-09", "-f", "json", activity])
    if cut:
        r.check("cohorts --until on activity: cohorts up to 2025-09", cut["cohorts"][-1]["cohort"] <= "2025-09",
                [c["cohort"] for c in cut["cohorts"]])
    report = r.ok_json("cohorts --until", ["cohorts", "--until", "2025-09", "-f", "json", subs])
    if report:
        r.check("cohorts --until runs the ages to September",
                len(report["cohorts"][0]["ages"]) == 9, report["cohorts"][0])
    # Option values in any case, as for compute.
    upper = r.run(["cohorts", "--grain", "QUARTER", "--metric", "BOTH", "--input-format", "CSV",
                   "-f", "JSON", activity])
    lower = r.run(["cohorts", "--grain", "quarter", "--metric", "both", "--input-format", "csv",
                   "-f", "json", activity])
    r.check("cohorts options in any case", upper == lower and upper[0] == 0
            and json.loads(upper[1])["grain"] == "quarter", upper[2])


# ---- --spend and the unit economics -----------------------------------------------------------
def test_spend(r, examples):
    subs = os.path.join(examples, "subscriptions.csv")
    spend = os.path.join(examples, "spend.csv")
    code, out, err = r.run(["compute", "--format", "json", "--spend", spend, subs])
    r.check("--spend exit 0", code == 0, err)
    r.check("--spend warns that it replaces record costs",
            "csm-metrics: warning: --spend replaces the acquisition_cost of the records" in err, err)
    report = json.loads(out, parse_float=Decimal) if code == 0 else None
    if report:
        r.check("spend member", report["spend"]["records"] == 10
                and str(report["spend"]["total"]) == "8800.00"
                and report["spend"]["mode"] == "replace"
                and report["spend"]["months_outside_range"] == [], report.get("spend"))
        r.check("spend warning in JSON", any("replaces" in w for w in report["warnings"]))
        march = by_period(report)["2025-03"]
        # acquisition 900 + 350 = 1250, N = 1 -> cac 1250; arpu 1744/4 = 436;
        # payback 1250/436; clv 436/(1 - 0.75) = 1744; ltv:cac 1744/1250 = 1.3952;
        # quick ratio (398 + 49 + 0) / (199 + 0) = 447/199.
        r.check("March acquisition_cost", str(march["acquisition_cost"]) == "1250.00", march)
        r.check("March cac", close(march["cac"], 1250.0), march["cac"])
        r.check("March payback", close(march["cac_payback_months"], 1250 / 436), march)
        r.check("March ltv_cac", close(march["ltv_cac"], 1.3952), march["ltv_cac"])
        r.check("March quick_ratio", close(march["quick_ratio"], 447 / 199), march["quick_ratio"])
        january = by_period(report)["2025-01"]
        # no losses in the first month: quick ratio null; clv null (no retention yet) -> ltv:cac null
        r.check("January nulls", january["quick_ratio"] is None and january["ltv_cac"] is None,
                january)

    report = r.ok_json("--spend-mode add", ["compute", "--format", "json", "--spend", spend,
                                            "--spend-mode", "ADD", subs])  # any case
    if report:
        # records: evergreen-legal's 700.00 in March; spend 1250.00 -> 1950.00
        march = by_period(report)["2025-03"]
        r.check("add March acquisition_cost", str(march["acquisition_cost"]) == "1950.00", march)

    # May: new 49 + expansion 0 + reactivation 199 over churned 0 + contraction 150
    report = r.ok_json("quick ratio default", ["compute", "--format", "json", subs])
    if report:
        r.check("May quick ratio", close(by_period(report)["2025-05"]["quick_ratio"], 248 / 150))
        r.check("settings quick_ratio_reactivation",
                report["settings"]["quick_ratio_reactivation"] is True)
    report = r.ok_json("--quick-ratio-without-reactivation",
                       ["compute", "--format", "json", "--quick-ratio-without-reactivation", subs])
    if report:
        r.check("May quick ratio without reactivation",
                close(by_period(report)["2025-05"]["quick_ratio"], 49 / 150))
        r.check("settings without reactivation",
                report["settings"]["quick_ratio_reactivation"] is False)

    # Spend outside the data, a channel column absent, JSON Lines: warned and left out.
    outside = r.write("outside.jsonl", '{"period": "2024-12", "amount": 75.5}\n'
                                       '{"period": "2025-02-10", "amount": 100}\n')
    code, out, err = r.run(["compute", "--format", "json", "--spend", outside,
                            os.path.join(examples, "activity.csv")])
    r.check("outside spend exit 0", code == 0, err)
    r.check("outside spend warning",
            "spend in months outside the data left out: 2024-12 (75.50)" in err, err)
    if code == 0:
        report = json.loads(out, parse_float=Decimal)
        r.check("outside spend member", report["spend"]["months_outside_range"] == ["2024-12"]
                and str(report["spend"]["applied"]) == "100.00", report["spend"])
        # activity.csv has 2 new customers in February: cac = 100 / 2
        r.check("outside spend February cac", close(by_period(report)["2025-02"]["cac"], 50.0))
    code, out, err = r.run(["compute", "-q", "--spend", outside,
                            os.path.join(examples, "activity.csv")])
    r.check("-q hides spend warnings", code == 0 and err == "", err)

    bad = r.write("bad-spend.csv", "period,amount\n2025-01,10\n2025-02,ten\n")
    r.error("bad spend amount", ["compute", "--spend", bad, subs], 65, "bad-spend.csv:3: amount:")
    r.error("missing spend file", ["compute", "--spend", "no-such-spend.csv", subs], 66,
            "no-such-spend.csv")
    r.error("--spend-mode without --spend", ["compute", "--spend-mode", "add", subs], 2,
            "--spend-mode requires --spend")

    code, out, err = r.run(["compute", "--all", subs])
    r.check("--all shows the unit economics", code == 0 and "cac_payback_months" in out
            and "quick_ratio" in out, out[:300])
    code, out, err = r.run(["compute", subs])
    r.check("the key table leaves them out", code == 0 and "quick_ratio" not in out, out[:300])


def test_spend_by_group(r, examples):
    # Customers: a (pro) and b (basic) join in January, c (pro) in February.
    records = r.write("spend-groups.csv", "customer_id,period,revenue,segment,plan\n"
                      "a,2024-01,100,pro,P\n" "b,2024-01,50,basic,B\n"
                      "a,2024-02,100,pro,P\n" "b,2024-02,50,basic,B\n" "c,2024-02,80,pro,P\n")
    # Spend by segment: January pro 300, basic 100; February pro 200, 40 for no segment, 25 for
    # enterprise (a segment without customers).
    spend = r.write("spend-segments.csv", "period,amount,segment\n"
                    "2024-01,300,pro\n" "2024-01,100,basic\n" "2024-02,200,pro\n"
                    "2024-02,40,\n" "2024-02,25,enterprise\n")
    code, out, err = r.run(["compute", "--by", "segment", "--spend", spend, "-f", "json", records])
    r.check("spend by segment exit 0", code == 0, err)
    if code == 0:
        report = json.loads(out)
        groups = {g["group"]: by_period(g) for g in report["groups"]}
        # All customers: January 400 over N 2 = 200; February 200 + 40 + 25 = 265 over N 1 (c).
        r.check("all January cac 200", close(by_period(report)["2024-01"]["cac"], 200.0))
        r.check("all February cac 265", close(by_period(report)["2024-02"]["cac"], 265.0))
        # pro: 300 over a, then 200 over c; basic: 100 over b, then 0 spent and nobody new (null).
        r.check("pro January cac 300", close(groups["pro"]["2024-01"]["cac"], 300.0), groups["pro"])
        r.check("pro February cac 200", close(groups["pro"]["2024-02"]["cac"], 200.0))
        r.check("basic January cac 100", close(groups["basic"]["2024-01"]["cac"], 100.0))
        r.check("basic February cost 0, cac null",
                groups["basic"]["2024-02"]["acquisition_cost"] == 0
                and groups["basic"]["2024-02"]["cac"] is None, groups["basic"]["2024-02"])
        r.check("spend without customers is named",
                any("enterprise" in w and "25.00" in w for w in report["warnings"]), report["warnings"])
        r.check("spend without a segment is named",
                any("without a segment value (40.00)" in w for w in report["warnings"]), report["warnings"])
    # The spend file of the examples has no segment column: the groups' cost is unknown (null)
    # in replace mode, and says so; in add mode the groups keep their records' costs.
    plain = r.write("spend-plain.csv", "period,amount\n2024-01,90\n")
    code, out, err = r.run(["compute", "--by", "segment", "--spend", plain, "-f", "json", records])
    r.check("spend without groups exit 0", code == 0, err)
    if code == 0:
        report = json.loads(out)
        r.check("all-customers cac from the spend", close(by_period(report)["2024-01"]["cac"], 45.0))
        r.check("groups' cost unknown",
                all(p["acquisition_cost"] is None and p["cac"] is None
                    for g in report["groups"] for p in g["periods"]), report["groups"])
        r.check("groups' cost warning", "no segment values" in err, err)
    code, out, err = r.run(["compute", "--by", "segment", "--spend", os.path.join(examples, "spend.csv"),
                            os.path.join(examples, "activity.csv")])
    r.check("the examples' spend file with --by", code == 0, err)
    # --by plan: the spend file's plan column names the groups.
    by_plan = r.write("spend-plans.csv", "period,amount,plan\n2024-01,60,P\n2024-02,30,P\n")
    code, out, err = r.run(["compute", "--by", "plan", "--spend", by_plan, "-f", "json", records])
    r.check("spend by plan exit 0", code == 0, err)
    if code == 0:
        groups = {g["group"]: by_period(g) for g in json.loads(out)["groups"]}
        r.check("plan P cac: 60 over a, 30 over c",
                close(groups["P"]["2024-01"]["cac"], 60.0) and close(groups["P"]["2024-02"]["cac"], 30.0))
        r.check("plan B: nothing spent", groups["B"]["2024-01"]["acquisition_cost"] == 0)


# ---- the data report: compute --explain, check -------------------------------------------------
def test_explain(r, examples):
    # Rows by hand: lines 2 and 3 are one row written twice (10.0 = 10.00): 1 duplicate;
    # b has a zero-revenue row in January; nothing in February or March; line 6 has a bad
    # revenue, line 7 a csat of 9, line 8 too few fields: 3 invalid, by column revenue 1,
    # csat 1, (record) 1. 8 data rows read, 5 used; 3 customers (a, b, c).
    path = r.write("explain.csv", "customer_id,period,revenue,csat\n"
                                  "a,2025-01,10.0,\n"
                                  "a,2025-01,10.00,\n"
                                  "b,2025-01,0,\n"
                                  "c,2025-04,5,\n"
                                  "c,2025-04,five,\n"
                                  "b,2025-04,5,9\n"
                                  "d,2025-02\n"
                                  "b,2025-04,7,4\n")
    expected_text = (
        "input report (activity records)\n"
        "  rows read                        8  (5 used, 3 invalid and skipped)\n"
        "  customers                        3\n"
        "  months                           4  (2025-01 to 2025-04)\n"
        "  months with no rows              2  2025-02, 2025-03\n"
        "  duplicate rows                   1  (identical in every field to an earlier row)\n"
        "  zero-revenue rows                1\n"
        "  invalid values                   3  (record) 1, csat 1, revenue 1\n")
    code, out, err = r.run(["check", "--skip-invalid", "-q", path])
    r.check("check exit 0", code == 0, err)
    # Then the data-quality warnings (issue 16), by hand: rows in 2025-01 and 2025-04 only (2
    # months without rows between them); line 3 repeats line 2 after parsing (10.0 = 10.00). Not
    # partial: 2025-04 has 2 rows, the 3 months before 3 + 0 + 0, half their mean 0.5.
    check_text = expected_text + (
        "data-quality warnings (docs/metrics.md, section 15)\n"
        "  gap_month: 2 months without rows inside the range: 2025-02, 2025-03; their customers "
        "count as churned and their revenue as 0, and they come back as reactivated: check the "
        "export for a missing month, or leave the months out with --since/--until\n"
        f"  duplicate_rows: 1 row is an exact copy of an earlier row (every field the same; first at "
        f"{path}:3), so its revenue is counted twice: drop them with --dedupe, or fix the export\n")
    r.check("check report on stdout", out == check_text, repr(out))
    r.check("check -q: nothing on stderr", err == "", repr(err))

    code, out, err = r.run(["compute", "--explain", "--skip-invalid", "-q", path])
    r.check("--explain exit 0", code == 0, err)
    r.check("--explain table: report on stderr", err == expected_text, repr(err))
    r.check("--explain table: metrics on stdout", out.startswith("period"), out[:100])

    report = r.ok_json("--explain json", ["compute", "--explain", "--skip-invalid", "-q",
                                          "--format", "json", path])
    if report:
        e = report.get("explain", {})
        r.check("explain member", e.get("rows_read") == 8 and e.get("rows_used") == 5
                and e.get("rows_skipped") == 3 and e.get("customers") == 3
                and e.get("months_without_rows") == ["2025-02", "2025-03"]
                and e.get("duplicate_rows") == 1 and e.get("zero_revenue_rows") == 1
                and e.get("invalid_by_field") == {"(record)": 1, "csat": 1, "revenue": 1}, e)
        r.check("explain is the last member", list(report)[-1] == "explain", list(report))
    report = r.ok_json("check json", ["check", "--format", "JSON", "--input-format", "CSV",
                                      "--skip-invalid", "-q", path])
    if report:
        r.check("check json members", list(report) == ["tool", "version", "command", "kind", "explain",
                                                       "warnings", "data_warnings"], list(report))
        r.check("check json data warnings", [w["code"] for w in report["data_warnings"]]
                == ["gap_month", "duplicate_rows"], report["data_warnings"])
    report = r.ok_json("compute json without --explain", ["compute", "--format", "json",
                                                          "--skip-invalid", "-q", path])
    if report:
        r.check("no explain member unless asked", "explain" not in report, list(report))

    # Strict by default, like compute: the first invalid record stops the run.
    r.error("check strict", ["check", path], 65, "explain.csv:6: revenue:")
    # Subscriptions: months in which none is active (the example has none).
    code, out, err = r.run(["check", os.path.join(examples, "subscriptions.csv")])
    r.check("check subscriptions", code == 0 and "subscriptions read              14" in out
            and "months none active               0" in out, out)
    r.error("check --format csv is refused", ["check", "--format", "csv", path], 2, "--format")

    # One row with two bad values: one record skipped, both values counted by column. A spend
    # file's invalid rows are in the report too, by column with "spend." in front.
    two = r.write("two-bad.csv", "customer_id,period,revenue,csat\n"
                                 "a,2025-01,10,4\n"
                                 "b,2025-01,ten,9\n")
    bad_spend = r.write("bad-spend-explain.csv", "period,amount\n2025-01,5\n2025-13,x\n")
    report = r.ok_json("two bad values", ["compute", "--explain", "--skip-invalid", "-q",
                                          "--spend", bad_spend, "--format", "json", two])
    if report:
        e = report.get("explain", {})
        r.check("two bad values in one row", e.get("rows_skipped") == 1
                and e.get("invalid_by_field") == {"csat": 1, "revenue": 1, "spend.amount": 1,
                                                  "spend.period": 1}, e)


TESTS = [test_subscriptions, test_subscriptions_like_activity, test_spend, test_spend_by_group, test_explain]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--work", required=True)
    options = parser.parse_args()
    work = os.path.abspath(options.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = Runner(os.path.abspath(options.binary), work)
    examples = os.path.abspath(options.examples)
    for test in TESTS:
        try:
            test(r, examples)
        except Exception:  # a broken test is a failure, and the others still run
            r.check(test.__name__ + " ran", False, traceback.format_exc())
    print(f"analytics inputs: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
