#!/usr/bin/env python3
"""End-to-end tests of `compute --by`, `compute --grain` and `cohorts` (issue 4) on the real
binary: output shapes, the unchanged output without the new options, exit codes. Numbers are
worked out by hand in the comments; the cross-check (tests/crosscheck/crosscheck_analytics.py)
compares the rest on generated data. Python 3 standard library only.

Usage: test_analytics.py --binary PATH --data DIR --examples DIR --work DIR
"""

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal

FAILED = []
PASSED = [0]


def check(name, ok, detail=""):
    if ok:
        PASSED[0] += 1
    else:
        FAILED.append(name)
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def run(binary, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CLICOLOR_FORCE")}
    done = subprocess.run([binary, *args], capture_output=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--examples", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    b = a.binary
    moves = os.path.join(a.data, "analytics", "moves.csv")
    example = os.path.join(a.examples, "activity.csv")

    # Without the new options nothing new appears.
    code, plain, _ = run(b, "compute", "-f", "json", example)
    check("plain exit", code == 0)
    for key in ('"group_by"', '"groups"', '"grain"', "moved_in"):
        check(f"plain has no {key}", key not in plain)
    check("plain periods have no months", all("months" not in p for p in json.loads(plain)["periods"]))
    code, month, _ = run(b, "compute", "-f", "json", "--grain", "month", example)
    check("--grain month is the default", month == plain)
    code, plain_csv, _ = run(b, "compute", "-f", "csv", example)
    check("plain csv header", plain_csv.startswith("period,customers_start,"))

    # --by plan (a column with a comma in a value and an empty value).
    code, out, err = run(b, "compute", "--by", "plan", "-f", "json", moves)
    check("--by exit", code == 0, err)
    doc = json.loads(out, parse_float=Decimal)
    check("group_by member", doc.get("group_by") == "plan")
    check("groups sorted, empty first", [g["group"] for g in doc["groups"]] == ["", "basic", "pro", "team, large"])
    keys = list(doc["groups"][0]["periods"][0].keys())
    check("group period keys", keys[-4:] == ["moved_in_customers", "moved_out_customers",
                                             "moved_in_mrr", "moved_out_mrr"] and
          keys[:-4] == list(doc["periods"][0].keys()), keys)
    check("all-customers periods as without --by",
          doc["periods"] == json.loads(run(b, "compute", "-f", "json", moves)[1], parse_float=Decimal)["periods"])
    team = doc["groups"][3]["periods"]
    # March, "team, large": a moved in from pro (moved_in_mrr = its February 100), expanded by
    # 20; d came back with 10: E = 2, mrr_end 130, csat one response of 4 (a's row).
    check("team March", (team[2]["customers_end"], team[2]["moved_in_customers"],
                         str(team[2]["moved_in_mrr"]), str(team[2]["mrr_end"]),
                         team[2]["csat_responses"]) == (2, 1, "100.00", "130.00", 1), team[2])
    pro = doc["groups"][2]["periods"]
    check("pro March: moved out, not churned",
          (pro[2]["churned_customers"], pro[2]["moved_out_customers"], pro[2]["churn_rate"])
          == (0, 1, 0), pro[2])
    # January acquisition cost: 300 on a's pro row, 100 on b's basic row; cac per group.
    check("pro cac", pro[0]["cac"] == 300 and doc["groups"][1]["periods"][0]["cac"] == 100)
    check("group summary", doc["groups"][1]["summary"]["total_churned_customers"] == 1)

    code, out, _ = run(b, "compute", "--by", "plan", "-f", "csv", moves)
    rows = list(csv.reader(io.StringIO(out)))
    check("csv group column", rows[0][0] == "group" and rows[0][-4:] == [
        "moved_in_customers", "moved_out_customers", "moved_in_mrr", "moved_out_mrr"])
    check("csv all rows first", [r[0] for r in rows[1:4]] == ["", "", ""])
    check("csv (none) group", rows[4][0] == "(none)")
    check("csv quoted group", any(r[0] == "team, large" for r in rows))
    check("csv width", all(len(r) == len(rows[0]) for r in rows))

    code, out, _ = run(b, "compute", "--by", "plan", moves)
    check("table blocks", "plan = pro" in out and "plan = (none)" in out and "in/out:" in out)
    check("table 80 columns", max(len(line) for line in out.splitlines()) <= 80,
          max(out.splitlines(), key=len))

    code, _, err = run(b, "compute", "--by", "plann", moves)
    check("--by a missing column", code == 65 and '"plann"' in err, err)
    code, _, err = run(b, "compute", "--by", "segment", os.path.join(a.examples, "summary.csv"))
    check("--by on summary records is a usage error", code == 2 and "--by" in err, err)

    # --grain quarter on a range of Jan-Mar 2024 plus nothing else: one full quarter.
    code, out, _ = run(b, "compute", "--grain", "quarter", "-f", "json", moves)
    q = json.loads(out, parse_float=Decimal)
    check("grain member", q.get("grain") == "quarter")
    p0 = q["periods"][0]
    # Q1, seen in March: a 120, c 30, d 10 active (E 3, mrr 160), all first active in Q1: N 3.
    # b (Jan, Feb, then 0) joined and left inside the quarter: neither new nor churned. d's gap in
    # February is inside the quarter: d is new, not reactivated. S 0, C 0, A 0.
    check("quarter counts", (p0["period"], p0["customers_start"], p0["new_customers"],
                             p0["churned_customers"], p0["reactivated_customers"],
                             p0["customers_end"], str(p0["mrr_end"]), p0["months"])
          == ("2024-Q1", 0, 3, 0, 0, 3, "160.00", 3), p0)
    check("quarter summary is monthly", q["summary"] == json.loads(
        run(b, "compute", "-f", "json", moves)[1], parse_float=Decimal)["summary"])
    code, out, _ = run(b, "compute", "--grain", "year", example)
    check("year table", out.startswith("period") and "\n2025 " in out)
    code, out, _ = run(b, "compute", "--grain", "quarter", "-f", "json",
                       os.path.join(a.examples, "summary.csv"))
    check("quarter on summary records", code == 0 and json.loads(out)["grain"] == "quarter")
    code, out, _ = run(b, "compute", "--grain", "week", moves)
    check("--grain week is a usage error", code == 2)

    # Partial quarter: February and March only.
    partial = os.path.join(a.work, "partial.csv")
    with open(partial, "w") as f:
        f.write("customer_id,period,revenue\nx,2024-02,10\nx,2024-03,10\nx,2024-04,10\n")
    code, out, _ = run(b, "compute", "--grain", "quarter", "-f", "json", partial)
    d = json.loads(out)
    check("partial months", [p["months"] for p in d["periods"]] == [2, 1])
    check("partial warning", any("2024-Q1" in w and "2 of its 3" in w for w in d["warnings"]), d["warnings"])
    code, out, _ = run(b, "compute", "--grain", "quarter", partial)
    check("partial star", "2024-Q1*" in out)

    # cohorts
    code, out, err = run(b, "cohorts", "-f", "json", moves)
    check("cohorts exit", code == 0, err)
    c = json.loads(out, parse_float=Decimal)
    # 2024-01: a, b, d (revenue 160); Feb: a, b (160, d gone); Mar: a, d (130; b at 0).
    jan = c["cohorts"][0]
    check("cohort jan", (jan["cohort"], jan["customers"], str(jan["revenue"])) == ("2024-01", 3, "160.00"), jan)
    check("cohort jan ages", [x["active_customers"] for x in jan["ages"]] == [3, 2, 2], jan)
    check("cohort jan revenue", [str(x["revenue"]) for x in jan["ages"]] == ["160.00", "160.00", "130.00"])
    code, out, _ = run(b, "cohorts", "-f", "json", "--exclude-reactivated", moves)
    jan = json.loads(out)["cohorts"][0]
    check("cohort excluding d's return", [x["active_customers"] for x in jan["ages"]] == [3, 2, 1], jan)
    code, out, _ = run(b, "cohorts", "-f", "csv", moves)
    rows = list(csv.reader(io.StringIO(out)))
    check("cohorts csv", rows[0] == ["cohort", "age", "customers", "active_customers", "revenue",
                                     "logo_retention", "revenue_retention"] and rows[1][:5] == ["2024-01", "0", "3", "3", "160.00"], rows[:2])
    code, out, _ = run(b, "cohorts", "--metric", "both", example)
    check("cohorts table", "logo retention" in out and "revenue retention" in out and
          max(len(line) for line in out.splitlines()) <= 80)
    code, out, _ = run(b, "cohorts", "--grain", "year", "-o", os.path.join(a.work, "c.json"), "-f", "json", example)
    check("cohorts -o", code == 0 and out == "" and json.load(open(os.path.join(a.work, "c.json")))["grain"] == "year")
    code, out, _ = run(b, "cohorts", "--by", "plan", "-f", "json", moves)
    g = json.loads(out)
    # By the plan of the first active month: a in pro, b in basic, d in "team, large", c in "".
    check("cohorts --by", g["group_by"] == "plan" and
          [(x["group"], x["cohorts"][0]["customers"]) for x in g["groups"]] ==
          [("", 1), ("basic", 1), ("pro", 1), ("team, large", 1)], g.get("groups"))
    check("cohorts --by follows the customer", [x["active_customers"] for x in g["groups"][2]["cohorts"][0]["ages"]] == [1, 1, 1])
    code, _, err = run(b, "cohorts", os.path.join(a.work, "missing.csv"))
    check("cohorts missing file", code == 66, err)
    code, _, err = run(b, "cohorts", os.path.join(a.examples, "summary.csv"))
    check("cohorts on summary records is bad data, the file named", code == 65 and "summary.csv: " in err and "summary records" in err, err)

    print(f"test_analytics: {PASSED[0]} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
