#!/usr/bin/env python3
"""End-to-end tests of `csm-metrics churn-risk --by COLUMN` (Python 3 standard library only).

- `--by segment` trains the same model as no --by (the segment column is the segment feature
  either way): every customer keeps its probability, and the groups partition the ungrouped list.
- Each customer's group is its value in the month scored, worked out here from the CSV rows; a
  customer without one is in the group "" (JSON) / "(none)" (CSV), as in compute --by.
- The group totals (active_customers, expected_churners, revenue, revenue_at_risk) are sums over
  the group's customers, recomputed here; --top N keeps the first N of each group.
- `--by plan` (another column) groups by it and makes it the segment feature.
- The same bytes for -j 1 and -j 2; a --by on the revenue column is a usage error (exit 2).

Usage: test_churn_risk_by.py --binary PATH --root DIR --work DIR
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

failures = []


def check(name, ok, detail=""):
    if not ok:
        failures.append(f"{name}: {detail}")
        print("FAIL:", name, str(detail)[:600])


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    b = a.binary
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    generated = os.path.join(a.work, "generated.csv")
    subprocess.run([sys.executable, os.path.join(a.root, "tools", "gen_churn.py"), "--customers", "600",
                    "--months", "14", "--seed", "3", "-o", generated], check=True)
    with open(generated, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    col = {name: i for i, name in enumerate(header)}
    last = max(r[col["period"]] for r in rows)
    # Blank the segment of every customer whose id ends in 7 in the last month (a group "" then),
    # and add a plan column derived from the revenue.
    header.append("plan")
    for r in rows:
        if r[col["period"]] == last and r[col["customer_id"]].endswith("7"):
            r[col["segment"]] = ""
        r.append("gold" if float(r[col["revenue"]]) >= 100 else "basic")
    data = os.path.join(a.work, "churn.csv")
    with open(data, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    segment_now, plan_now, revenue_now = {}, {}, {}
    for r in rows:
        if r[col["period"]] == last and float(r[col["revenue"]]) > 0:
            segment_now[r[col["customer_id"]]] = r[col["segment"]]
            plan_now[r[col["customer_id"]]] = r[-1]
            revenue_now[r[col["customer_id"]]] = revenue_now.get(r[col["customer_id"]], 0.0) + float(r[col["revenue"]])

    common = ["churn-risk", data, "--signal", "logins", "--backtest", "1"]
    code, out, err = run(b, common + ["-f", "json"])
    check("ungrouped: exit 0", code == 0, err)
    plain = json.loads(out)
    prob = {c["customer_id"]: c["churn_probability"] for c in plain["customers"]}

    code, out, err = run(b, common + ["-f", "json", "--by", "segment"])
    check("--by segment: exit 0", code == 0, err)
    doc = json.loads(out)
    check("group_by member", doc.get("group_by") == "segment", doc.get("group_by"))
    check("same model", doc["model"] == plain["model"] and doc["backtest"] == plain["backtest"])
    grouped = doc["customers"]
    check("same customers, same probabilities",
          {c["customer_id"]: c["churn_probability"] for c in grouped} == prob and len(grouped) == len(prob))
    check("the customers active in the month scored", set(prob) == set(segment_now),
          sorted(set(prob) ^ set(segment_now))[:5])
    check("group = the value in the month scored",
          all(c["group"] == segment_now.get(c["customer_id"]) for c in grouped),
          [c for c in grouped if c["group"] != segment_now.get(c["customer_id"])][:2])
    names = [g["group"] for g in doc["groups"]]
    check("groups by name, the one without a value first", names == sorted(set(segment_now.values()))
          and names[0] == "", names)
    check("group sizes add up to the ungrouped count",
          sum(g["active_customers"] for g in doc["groups"]) == plain["input"]["active_customers"] == len(prob))
    start = 0
    for g in doc["groups"]:
        members = grouped[start:start + g["active_customers"]]
        start += g["active_customers"]
        ids = [c["customer_id"] for c in members]
        check(f"group {g['group']!r}: its customers, in a run", all(c["group"] == g["group"] for c in members)
              and sorted(ids) == sorted(i for i, s in segment_now.items() if s == g["group"]), ids[:5])
        ps = [c["churn_probability"] for c in members]
        check(f"group {g['group']!r}: sorted by probability", ps == sorted(ps, reverse=True))
        # Sums of the 6-decimal probabilities: within half a unit of the 6th decimal per customer
        # (and the money to the cent, plus that rounding times the revenue).
        check(f"group {g['group']!r}: expected churners", abs(g["expected_churners"] - sum(ps)) <= 5e-7 * len(ps) + 1e-6,
              (g["expected_churners"], sum(ps)))
        check(f"group {g['group']!r}: revenue", abs(float(g["revenue"]) - sum(revenue_now[i] for i in ids)) < 0.005,
              (g["revenue"], sum(revenue_now[i] for i in ids)))
        at_risk = sum(prob[i] * revenue_now[i] for i in ids)
        check(f"group {g['group']!r}: revenue at risk", abs(float(g["revenue_at_risk"]) - at_risk)
              < 0.005 + 5e-7 * sum(revenue_now[i] for i in ids),
              (g["revenue_at_risk"], at_risk))
        check(f"group {g['group']!r}: shown = all", g["shown"] == g["active_customers"])

    # --top 2: the first two of each group, with the same totals.
    code, out, err = run(b, common + ["-f", "json", "--by", "segment", "--top", "2"])
    top = json.loads(out)
    expected = []
    start = 0
    for g in doc["groups"]:
        expected += [c["customer_id"] for c in grouped[start:start + min(2, g["active_customers"])]]
        start += g["active_customers"]
    check("--top 2 per group", [c["customer_id"] for c in top["customers"]] == expected,
          [c["customer_id"] for c in top["customers"]])
    check("--top 2: totals of all", [(g["group"], g["active_customers"], g["expected_churners"]) for g in top["groups"]]
          == [(g["group"], g["active_customers"], g["expected_churners"]) for g in doc["groups"]])

    # CSV: the group first, "(none)" for no value; the same rows as the JSON.
    code, out, err = run(b, common + ["-f", "csv", "--by", "segment"])
    lines = list(csv.reader(out.splitlines()))
    check("csv header", lines[0][:3] == ["group", "customer_id", "churn_probability"], lines[0])
    check("csv rows", [(r[0], r[1]) for r in lines[1:]]
          == [(c["group"] or "(none)", c["customer_id"]) for c in grouped], lines[1:3])

    # Table: a block per group, labelled as compute --by labels them.
    code, out, err = run(b, common + ["--by", "segment", "--top", "1"])
    for g in doc["groups"]:
        label = g["group"] or "(none)"
        check(f"table block {label}", f"\nsegment = {label}: {g['active_customers']} active," in out, out[:800])
    check("table fits 80 columns", all(len(line) <= 80 for line in out.splitlines()))

    # -j 1 and -j 2: the same bytes, in every format.
    for fmt in ("json", "csv", "table"):
        one = run(b, common + ["-f", fmt, "--by", "segment", "-j", "1", "--top", "3"])
        two = run(b, common + ["-f", fmt, "--by", "segment", "-j", "2", "--top", "3"])
        check(f"-j 1 = -j 2 ({fmt})", one == two and one[0] == 0)

    # --by plan: grouped by the plan column, which is now the segment feature.
    code, out, err = run(b, common + ["-f", "json", "--by", "plan"])
    check("--by plan: exit 0", code == 0, err)
    byplan = json.loads(out)
    check("--by plan: groups", [g["group"] for g in byplan["groups"]] == sorted(set(plan_now.values())),
          byplan["groups"])
    check("--by plan: each customer's plan", all(c["group"] == plan_now[c["customer_id"]] for c in byplan["customers"]))
    check("--by plan: plan is the segment feature",
          "segment=gold" in byplan["model"]["features"] and "segment=smb" not in byplan["model"]["features"],
          byplan["model"]["features"])

    # Usage errors.
    code, out, err = run(b, common + ["--by", "revenue"])
    check("--by revenue: exit 2", code == 2 and err.startswith("csm-metrics: error: --by"), (code, err))

    print(f"churn-risk --by e2e: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
