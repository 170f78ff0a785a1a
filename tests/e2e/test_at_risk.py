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
    r.check("json: top-level members", list(doc) == ["tool", "version", "command", "kind", "settings", "input",
                                                     "customers", "warnings"], repr(list(doc)))
    # The envelope (docs/cli.md, "JSON output"): kind is the record kind, no longer "at_risk".
    r.check("json: command and kind", (doc["command"], doc["kind"]) == ("at-risk", "activity"),
            repr((doc["command"], doc["kind"])))
    r.check("json: settings", doc["settings"] == {"as_of": "2025-08", "contraction_window": 3, "contraction_pct": 20,
                                                   "csat_window": 3, "csat_max": 2, "gap_window": 6, "flat_months": 6,
                                                   "low_tier_pct": 25, "top": None},
            repr(doc["settings"]))
    r.check("json: input record kind", doc["input"].get("record_kind") == "activity", repr(doc["input"]))
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


def test_options(r, rules):
    """The options that replaced the shared --window, and --low-tier-pct (by hand: at_risk_test.cpp)."""
    def doc_of(name, args):
        code, out, err = r.run(["at-risk", "--format", "json"] + args + [rules])
        r.check(name + ": exit 0", code == 0, repr(err))
        return r.json_of(name, out.decode()) or {"settings": {}, "customers": [], "input": {}}

    def by_id(doc):
        return {c["customer_id"]: c for c in doc["customers"]}

    # --window W sets both windows; --contraction-window / --csat-window override it apart.
    doc = doc_of("--window 4", ["--window", "4"])
    r.check("--window 4 sets both windows", doc["settings"].get("contraction_window") == 4
            and doc["settings"].get("csat_window") == 4, repr(doc["settings"]))
    # 4 months: oldmax's 1000 in 2025-04 counts (80 % down); oldsad's csat 1 in 2025-05 counts.
    c = by_id(doc)
    r.check("--window 4: oldmax against 1000, oldsad's csat 1", c.get("oldmax", {}).get("contraction", {})
            .get("previous_max") == Decimal("1000.00") and c.get("oldsad", {}).get("low_csat", {}).get("lowest") == 1,
            repr({k: c.get(k) for k in ("oldmax", "oldsad")}))
    doc = doc_of("--contraction-window 4", ["--contraction-window", "4"])
    c = by_id(doc)
    r.check("--contraction-window 4 only: oldmax yes, oldsad not", doc["settings"].get("csat_window") == 3
            and c.get("oldmax", {}).get("contraction", {}).get("previous_max") == Decimal("1000.00")
            and "oldsad" not in c, repr(doc["settings"]))
    doc = doc_of("--window 4 --csat-window 1", ["--window", "4", "--csat-window", "1"])
    c = by_id(doc)
    r.check("--csat-window overrides --window", doc["settings"].get("contraction_window") == 4
            and doc["settings"].get("csat_window") == 1 and c.get("sad", {}).get("low_csat", {}).get("lowest") == 2
            and "oldsad" not in c, repr(doc["settings"]))
    # Active revenues ascending 20, 20, 30, 50, ...: the 20th percentile is rank ceil(2.8) = 3: 30.00.
    doc = doc_of("--low-tier-pct 20", ["--low-tier-pct", "20"])
    flat = [x["customer_id"] for x in doc["customers"] if x["flat_low_tier"]]
    r.check("--low-tier-pct 20: tier 30.00, tinychange and tiny", doc["input"].get("tier_limit") == Decimal("30.00")
            and flat == ["tinychange", "tiny"] and doc["settings"].get("low_tier_pct") == 20, repr((flat, doc["input"])))
    code, out, _ = r.run(["at-risk", "--low-tier-pct", "12.5", rules])
    table = out.decode()
    # The rules under the table name the percentile; the evidence lines give the limit (80 columns).
    r.check("table names the percentile", "(12.5th percentile)" in table and "<= 20.00\n" in table,
            table[-400:])
    code, out, _ = r.run(["at-risk", "--low-tier-pct", "1", rules])
    r.check("table: 1st percentile", "(1st percentile)" in out.decode(), out.decode()[-300:])
    # Exact percentages: 0.000001 is fine, 99.999999 too.
    for pct in ("0.000001", "99.999999"):
        code, _, err = r.run(["at-risk", "--contraction-pct", pct, rules])
        r.check(f"--contraction-pct {pct}: accepted", code == 0, repr(err))


def test_subscriptions(r, examples):
    """at-risk on subscription records, worked by hand from examples/subscriptions.csv.

    A subscription counts in the months it is active on their last day (end_date exclusive), so:
      acme-corp 199 from 2025-01, + 49 from 2025-03: 248 from March
      birchwood-homes 199 in 01, 02 (ends 03-01), again from 05 (05-12): a 2-month gap
      cedar-analytics 899 + 150 in 02..04 (the 150 ends 05-01): 1049, then 899
      evergreen-legal 199 + 199 in 03..05 (one ends 06-01): 398, then 199 in June
      fjord-outdoor 49 from 04, harbor-pine 49 from 05, juniper-health 199 from 06
      Bluefin Labs 49 in 01..03, granite-peak-it 899 in 04, 05, delta-dental never active
    The range ends at the latest start or end month, 2025-06. Active in June: 248, 199, 899, 199,
    49, 49, 199 -> 7 of 10 customers; ascending 49, 49, 199, ...: tier limit rank ceil(7/4) = 2 -> 49.
      evergreen-legal: 199 <= 0.8 * 398 (the highest of 03..05, latest in 05) -> contraction 50 %
      cedar-analytics: 899 > 0.8 * 1049 = 839.2 -> no contraction (14.3 % down)
      birchwood-homes: back in 05 after 03, 04 -> gap_return
      no flat run of 6 months (fjord 3, harbor 2); no csat in subscription records
    Both at 199: sorted by customer_id.
    With --until 2025-12 the month is December: nobody contracts or returns in 07..12; fjord-outdoor
    (49 since 04: 9 months) and harbor-pine (49 since 05: 8) are flat at the tier limit 49.
    """
    subs = os.path.join(examples, "subscriptions.csv")
    code, out, err = r.run(["at-risk", "--format", "json", subs])
    r.check("subscriptions: exit 0", code == 0, repr(err))
    doc = r.json_of("subscriptions", out.decode())
    if doc is None:
        return
    inp = doc["input"]
    r.check("subscriptions: June, 7 of 10 active, tier 49.00", doc["settings"]["as_of"] == "2025-06"
            and inp["customers"] == 10 and inp["active_customers"] == 7 and inp["tier_limit"] == Decimal("49.00")
            and inp["records"] == 14 and inp["record_kind"] == "subscription", repr(inp))
    got = [(c["customer_id"], str(c["revenue_at_risk"]), c["reasons"]) for c in doc["customers"]]
    r.check("subscriptions: the list", got == [("birchwood-homes", "199.00", ["gap_return"]),
                                               ("evergreen-legal", "199.00", ["contraction"])], repr(got))
    c = {x["customer_id"]: x for x in doc["customers"]}
    r.check("subscriptions: evergreen-legal's evidence", c.get("evergreen-legal", {}).get("contraction") ==
            {"previous_max": Decimal("398.00"), "previous_max_period": "2025-05", "drop_pct": Decimal("50")},
            repr(c.get("evergreen-legal")))
    r.check("subscriptions: birchwood-homes' evidence", c.get("birchwood-homes", {}).get("gap_return") ==
            {"returned": "2025-05", "gap_months": 2}, repr(c.get("birchwood-homes")))
    # cedar-analytics at 10 %: 100 * 150 / 1049 = 14.299... % down.
    code, out, _ = r.run(["at-risk", "--format", "json", "--contraction-pct", "10", subs])
    doc10 = r.json_of("subscriptions --contraction-pct 10", out.decode()) or {"customers": []}
    cedar = {x["customer_id"]: x for x in doc10["customers"]}.get("cedar-analytics", {})
    r.check("subscriptions: cedar-analytics at --contraction-pct 10", cedar.get("revenue_at_risk") == Decimal("899.00")
            and abs(float(cedar["contraction"]["drop_pct"]) - 100 * 150 / 1049) < 1e-9, repr(cedar))

    code, out, err = r.run(["at-risk", "--format", "json", "--until", "2025-12", subs])
    doc = r.json_of("subscriptions --until", out.decode()) or {"customers": [], "settings": {}}
    got = [(x["customer_id"], x["reasons"], (x["flat_low_tier"] or {}).get("months_unchanged")) for x in doc["customers"]]
    r.check("subscriptions --until 2025-12: December, fjord-outdoor and harbor-pine flat",
            doc["settings"].get("as_of") == "2025-12" and got == [("fjord-outdoor", ["flat_low_tier"], 9),
                                                                 ("harbor-pine", ["flat_low_tier"], 8)], repr(got))
    # --as-of inside the --until range: the June list again.
    code, out, _ = r.run(["at-risk", "--format", "json", "--until", "2025-12", "--as-of", "2025-06", subs])
    doc = r.json_of("subscriptions --until --as-of", out.decode()) or {"customers": []}
    r.check("subscriptions --until 2025-12 --as-of 2025-06: the June list",
            [x["customer_id"] for x in doc["customers"]] == ["birchwood-homes", "evergreen-legal"], repr(doc["customers"]))
    # The same records as activity records of their months give the same list (compute's reading).
    code, out, _ = r.run(["at-risk", "--kind", "subscription", "--format", "csv", subs])
    code2, out2, _ = r.run(["at-risk", "--format", "csv", subs])
    r.check("--kind subscription: the same as detected", code == 0 and out == out2, repr(out[:200]))
    # Activity records (issue 16): --until leaves the later rows out, so June is the latest month,
    # the month --as-of 2025-06 evaluates: the same list.
    activity = os.path.join(examples, "activity.csv")
    code, out, _ = r.run(["at-risk", "--until", "2025-06", "--format", "csv", activity])
    code2, out2, _ = r.run(["at-risk", "--as-of", "2025-06", "--format", "csv", activity])
    r.check("--until 2025-06 lists what --as-of 2025-06 does", code == 0 and code2 == 0 and out == out2
            and len(out.splitlines()) > 1, repr(out[:200]) + repr(out2[:200]))
    r.expect_usage_error("--until not a month", r.run(["at-risk", "--until", "2025-6", subs]), "--until 2025-6")


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
                          (["--top", "-1"], "--top"), (["--csat-window", "0"], "--csat-window"),
                          (["--contraction-window", "0"], "--contraction-window")]:
        r.expect_usage_error("at-risk " + " ".join(args), r.run(["at-risk"] + args + [rules]), mention)
    # Percentages are read exactly, and the message says what is allowed.
    for args, pattern in [(["--contraction-pct", "100"], r"--contraction-pct \"100\": expected a percentage above 0 and below 100"),
                          (["--contraction-pct", "1e-9"], r"--contraction-pct \"1e-9\": expected a percentage above 0 and below 100 as a plain decimal"),
                          (["--contraction-pct", "0.0000001"], r"--contraction-pct \"0.0000001\": at most 6 decimal places"),
                          (["--contraction-pct", "-5"], r"--contraction-pct \"-5\": expected a percentage"),
                          (["--contraction-pct", "abc"], r"--contraction-pct \"abc\": expected a percentage"),
                          (["--low-tier-pct", "0"], r"--low-tier-pct \"0\": expected a percentage above 0, at most 100"),
                          (["--low-tier-pct", "100.5"], r"--low-tier-pct \"100.5\": expected a percentage above 0, at most 100")]:
        r.expect_error("at-risk " + " ".join(args), r.run(["at-risk"] + args + [rules]), 2, pattern)
    r.expect_error("at-risk on summary records", r.run(["at-risk", os.path.join(examples, "summary.csv")]), 65,
                   "at-risk needs records per customer")
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
    guarded(r, test_options, r, rules)
    guarded(r, test_subscriptions, r, examples)
    guarded(r, test_order_independent, r, rules)
    guarded(r, test_csv_and_table, r, rules, examples)
    guarded(r, test_errors, r, rules, examples)
    print(f"at-risk e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
