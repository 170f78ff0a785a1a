#!/usr/bin/env python3
"""End-to-end tests of `csm-metrics at-risk` (Python 3 standard library only).

tests/data/at_risk/rules.csv is worked out by hand in tests/core/at_risk_test.cpp; this checks the
same numbers through the real binary in JSON, CSV and the table, the options, byte-identical output
for shuffled rows (CSV and JSON Lines), and the usage and input errors.

Usage: test_at_risk.py --binary PATH --data DIR --examples DIR --work DIR
"""

import argparse
import csv
import io
import json
import os
import random
import shutil
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402

# (customer_id, revenue_at_risk, reasons) by hand: see tests/core/at_risk_test.cpp.
EXPECTED = [
    ("shrink", "240.00", ["contraction"]),
    ("oldmax", "200.00", ["contraction"]),
    ("sad", "150.00", ["low_csat"]),
    ("back", "100.00", ["gap_return"]),
    ("edge20", "80.00", ["contraction"]),
    ("flat50", "50.00", ["flat_low_tier"]),
    ("tinychange", "30.00", ["flat_low_tier"]),
    ("tiny", "20.00", ["flat_low_tier"]),
]


def test_json(r, rules):
    code, out, err = r.run(["at-risk", "--format", "json", rules])
    r.check("json: exit 0, stderr empty", code == 0 and err == b"", repr(err))
    doc = r.json_of("at-risk json", out.decode())
    if doc is None:
        return
    r.check("json: top-level members", list(doc) == ["tool", "version", "kind", "settings", "input", "customers",
                                                     "warnings"], repr(list(doc)))
    r.check("json: settings", doc["settings"] == {"as_of": "2025-08", "window": 3, "contraction_pct": 20,
                                                   "csat_max": 2, "gap_window": 6, "flat_months": 6, "top": None},
            repr(doc["settings"]))
    inp = doc["input"]
    r.check("json: input counts", inp["records"] == 88 and inp["customers"] == 16 and inp["active_customers"] == 14
            and inp["customers_at_risk"] == 8 and inp["tier_limit"] == Decimal("50.00"), repr(inp))
    got = [(c["customer_id"], str(c["revenue_at_risk"]), c["reasons"]) for c in doc["customers"]]
    r.check("json: customers, order, revenue, reasons", got == EXPECTED, repr(got))
    by_id = {c["customer_id"]: c for c in doc["customers"]}
    shrink = by_id.get("shrink", {})
    r.check("json: shrink contraction evidence",
            shrink.get("contraction") == {"previous_max": Decimal("500.00"), "previous_max_period": "2025-05",
                                          "drop_pct": Decimal("52")} and shrink.get("low_csat") is None,
            repr(shrink))
    r.check("json: oldmax drop 100/3 %", abs(float(by_id["oldmax"]["contraction"]["drop_pct"]) - 100 / 3) < 1e-9)
    r.check("json: sad low_csat evidence",
            by_id["sad"]["low_csat"] == {"lowest": 1, "period": "2025-06", "responses": 2}, repr(by_id["sad"]))
    r.check("json: back gap_return evidence",
            by_id["back"]["gap_return"] == {"returned": "2025-05", "gap_months": 2}, repr(by_id["back"]))
    r.check("json: tiny flat_low_tier evidence",
            by_id["tiny"]["flat_low_tier"] == {"months_unchanged": 8, "tier_limit": Decimal("50.00")},
            repr(by_id["tiny"]))

    code, out, _ = r.run(["at-risk", "--format", "json", "--top", "3", rules])
    doc = r.json_of("at-risk --top 3", out.decode())
    r.check("--top 3: three rows, the count of all kept",
            doc and [c["customer_id"] for c in doc["customers"]] == ["shrink", "oldmax", "sad"]
            and doc["input"]["customers_at_risk"] == 8 and doc["settings"]["top"] == 3)

    code, out, _ = r.run(["at-risk", "--format", "json", "--as-of", "2025-07", "--contraction-pct", "40", rules])
    doc = r.json_of("at-risk --as-of", out.decode())
    shrink = {c["customer_id"]: c for c in doc["customers"]}.get("shrink") if doc else None
    # 2025-07: shrink 300 against 500 in 2025-05: exactly 40 % down; 16 customers active.
    r.check("--as-of 2025-07 --contraction-pct 40", doc and doc["input"]["active_customers"] == 16
            and shrink and shrink["revenue_at_risk"] == Decimal("300.00")
            and shrink["contraction"]["drop_pct"] == Decimal("40"), repr(shrink))


def test_order_independent(r, rules):
    with open(rules, encoding="utf-8") as f:
        header, *rows = f.read().splitlines()
    work = r.workdir("at-risk-shuffle")
    outputs = set()
    for seed in range(3):
        random.Random(seed).shuffle(rows)
        path = os.path.join(work, f"shuffled{seed}.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join([header] + rows) + "\n")
        for fmt in ("json", "csv", "table"):
            code, out, _ = r.run(["at-risk", "--format", fmt, "-"], stdin=path)
            outputs.add((fmt, out))
    # The same records as JSON Lines.
    jsonl = os.path.join(work, "rules.jsonl")
    with open(jsonl, "w", encoding="utf-8") as f:
        for row in csv.DictReader(io.StringIO("\n".join([header] + rows))):
            row = {k: v for k, v in row.items() if v != ""}
            f.write(json.dumps(row) + "\n")
    for fmt in ("json", "csv", "table"):
        code, out, _ = r.run(["at-risk", "--input-format", "jsonl", "--format", fmt, "-"], stdin=jsonl)
        outputs.add((fmt, out))
    code, original, _ = r.run(["at-risk", "--format", "json", "-"], stdin=rules)
    outputs.add(("json", original))
    r.check("shuffled rows and JSON Lines: byte-identical output", len(outputs) == 3,
            f"{len(outputs)} distinct outputs")


def test_csv_and_table(r, rules, examples):
    code, out, _ = r.run(["at-risk", "--format", "csv", rules])
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    r.check("csv: one row per customer at risk", [(x["customer_id"], x["revenue_at_risk"], x["reasons"].split(","))
                                                   for x in rows] == EXPECTED, repr(rows[:2]))
    r.check("csv: evidence columns", rows and rows[0]["contraction_previous_max"] == "500.00"
            and rows[0]["contraction_drop_pct"] == "52" and rows[0]["low_csat_lowest"] == "", repr(rows[:1]))
    # The example has a customer with two reasons: the reasons field is quoted, and both are listed.
    code, out, _ = r.run(["at-risk", "--format", "csv", os.path.join(examples, "activity.csv")])
    text = out.decode()
    r.check("csv: two reasons in one quoted field", '"low_csat,flat_low_tier"' in text, text[:400])

    code, out, err = r.run(["at-risk", rules])
    table = out.decode()
    r.check("table: exit 0", code == 0, repr(err))
    r.check("table: header", table.startswith("customer "), table[:100])
    r.check("table: fits 80 columns", all(len(line) <= 80 for line in table.splitlines()),
            repr([l for l in table.splitlines() if len(l) > 80]))
    r.check("table: total line", "8 of 14 customers active in 2025-08 at risk, 870.00 of monthly revenue" in table,
            table[-600:])
    r.check("table: evidence in words", "down 52.0% from 500.00 in 2025-05" in table
            and "back in 2025-05 after a 2-month gap" in table
            and "csat 1 in 2025-06 (2 low responses)" in table, table)

    work = r.workdir("at-risk-o")
    target = os.path.join(work, "risk.csv")
    code, out, _ = r.run(["at-risk", "--format", "csv", "-o", target, rules])
    r.check("-o: file written, stdout empty", code == 0 and out == b"" and os.path.exists(target))


def test_errors(r, rules, examples):
    for args, mention in [(["--as-of", "2025-13"], "--as-of"), (["--as-of", "2025-06-01"], "--as-of"),
                          (["--window", "0"], "--window"), (["--gap-window", "1"], "--gap-window"),
                          (["--contraction-pct", "0"], "--contraction-pct"), (["--csat-max", "6"], "--csat-max"),
                          (["--top", "-1"], "--top")]:
        r.expect_usage_error("at-risk " + " ".join(args), r.run(["at-risk"] + args + [rules]), mention)
    r.expect_error("at-risk on summary records", r.run(["at-risk", os.path.join(examples, "summary.csv")]), 65,
                   "at-risk needs activity records")
    r.expect_error("at-risk on a missing file", r.run(["at-risk", "/nonexistent/x.csv"]), 66)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--work", required=True)
    options = parser.parse_args()
    work = os.path.abspath(options.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = Runner(os.path.abspath(options.binary), work)
    rules = os.path.join(os.path.abspath(options.data), "at_risk", "rules.csv")
    examples = os.path.abspath(options.examples)
    guarded(r, test_json, r, rules)
    guarded(r, test_order_independent, r, rules)
    guarded(r, test_csv_and_table, r, rules, examples)
    guarded(r, test_errors, r, rules, examples)
    print(f"at-risk e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
