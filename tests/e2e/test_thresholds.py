#!/usr/bin/env python3
"""End-to-end tests of `compute --fail-if` (threshold alerts), Python 3 standard library only.

Runs the real binary on tests/data/e2e/small.csv, whose months are worked out by hand below, and
checks the exit status (0 / 1 / 2), the lines on stderr, the JSON member "thresholds" and that the
normal output is unchanged.

small.csv by hand (a, b, c are customers; revenue per month):
    a: 2025-01 100.00, 2025-02 100.10 + 0.20 = 100.30, 2025-03 100.30
    b: 2025-01 50.00, 2025-02 none, 2025-03 50
    c: 2025-02 80, 2025-03 60
    2025-01: S = 0 -> churn_rate null; csat: one 5 -> 100
    2025-02: S = 2 (a, b), C = 1 (b) -> churn_rate 50; csat: 4 and 2 -> 50
    2025-03: S = 2 (a, c), C = 0 -> churn_rate 0; mrr_end = 100.30 + 50 + 60 = 210.30; csat: 3 -> 0
    summary.average_churn_rate = (50 + 0) / 2 = 25

Usage: test_thresholds.py --binary PATH --data DIR --work DIR
"""

import argparse
import json
import os
import shutil
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402  (the shared runner and its checks)

CROSSED = "csm-metrics: threshold crossed: "


def test_exit_status(r, small):
    base = r.expect_ok("no --fail-if", r.run(["compute", small]))
    code, out, err = r.run(["compute", "--fail-if", "churn_rate > 5", small])
    r.check("latest churn 0 > 5: exit 0", code == 0, f"exit {code}, {err!r}")
    r.check("latest not crossed: stderr empty", err == b"", repr(err))
    r.check("latest not crossed: same table", out.decode() == base)

    code, out, err = r.run(["compute", "--fail-if", "churn_rate>5", "--fail-scope", "all", small])
    r.check("all: February's 50 > 5: exit 1", code == 1, f"exit {code}, {err!r}")
    r.check("exit 1 still prints the normal table", out.decode() == base)
    lines = err.decode().splitlines()
    r.check("crossing on stderr", CROSSED + "churn_rate > 5 in 2025-02: 50" in lines, repr(lines))
    r.check("null January noted", any(l.startswith("csm-metrics: note: ") and "churn_rate is null in 2025-01: no customers at start" in l
                                      for l in lines), repr(lines))
    r.check("only one crossing line", sum(l.startswith(CROSSED) for l in lines) == 1, repr(lines))

    # Several thresholds: one crosses (csat 0 < 50 in March), one does not.
    code, _, err = r.run(["compute", "--fail-if", "csat < 50", "--fail-if", "nrr < 1", small])
    r.check("csat 0 < 50: exit 1", code == 1, f"exit {code}")
    r.check("csat crossing line", err.decode() == CROSSED + "csat < 50 in 2025-03: 0\n", repr(err))

    # Money compares exactly: 100.30 + 50 + 60 = 210.30.
    code, _, err = r.run(["compute", "--fail-if", "mrr_end == 210.3", small])
    r.check("mrr_end == 210.3 exactly: exit 1", code == 1, f"exit {code}, {err!r}")
    r.check("money shown exactly", err.decode() == CROSSED + "mrr_end == 210.30 in 2025-03: 210.30\n",
            repr(err))
    code, _, _ = r.run(["compute", "--fail-if", "mrr_end > 210.30", small])
    r.check("mrr_end > 210.30: exit 0", code == 0)

    code, _, err = r.run(["compute", "--fail-if", "summary.average_churn_rate >= 25", small])
    r.check("summary average 25 >= 25: exit 1", code == 1, f"exit {code}, {err!r}")
    r.check("summary crossing line",
            err.decode() == CROSSED + "summary.average_churn_rate >= 25 over all months: 25\n", repr(err))

    # --quiet hides the notes, never the crossings.
    code, _, err = r.run(["compute", "-q", "--fail-if", "churn_rate > 5", "--fail-scope", "all", small])
    r.check("-q: crossing kept, note gone",
            code == 1 and err.decode() == CROSSED + "churn_rate > 5 in 2025-02: 50\n", repr(err))


def test_json_member(r, small):
    code, out, _ = r.run(["compute", "--format", "json", small])
    plain = r.json_of("json without --fail-if", out.decode())
    r.check("no thresholds member without --fail-if", plain is not None and "thresholds" not in plain)

    code, out, err = r.run(["compute", "--format", "json", "--fail-scope", "all",
                            "--fail-if", "churn_rate > 5", "--fail-if", "summary.total_churned_mrr>=50", small])
    r.check("json: exit 1", code == 1, f"exit {code}, {err!r}")
    doc = r.json_of("json with --fail-if", out.decode())
    if doc is None:
        return
    keys = list(doc.keys())
    r.check("thresholds after periods, before warnings",
            keys.index("thresholds") == keys.index("periods") + 1 and keys[-1] == "warnings", repr(keys))
    checks = doc["thresholds"]
    fields = ["expression", "field", "op", "limit", "period", "value", "crossed", "note"]
    r.check("one object per check: 3 months + 1 summary", len(checks) == 4, repr(checks))
    r.check("members in documented order", all(list(c.keys()) == fields for c in checks), repr(checks))
    by_period = {c["period"]: c for c in checks}
    jan, feb, mar = by_period.get("2025-01"), by_period.get("2025-02"), by_period.get("2025-03")
    r.check("January null, not crossed, with a note",
            jan == {"expression": "churn_rate > 5", "field": "churn_rate", "op": ">", "limit": Decimal("5"),
                    "period": "2025-01", "value": None, "crossed": False, "note": "no customers at start"},
            repr(jan))
    r.check("February 50 crossed", feb and feb["value"] == Decimal("50") and feb["crossed"] is True
            and feb["note"] is None, repr(feb))
    r.check("March 0 not crossed", mar and mar["value"] == Decimal("0") and mar["crossed"] is False, repr(mar))
    total = by_period.get(None)
    # b churned in February with 50.00: total_churned_mrr = 50.00 >= 50.
    r.check("summary check: period null, exact money",
            total == {"expression": "summary.total_churned_mrr>=50", "field": "summary.total_churned_mrr",
                      "op": ">=", "limit": Decimal("50.00"), "period": None, "value": Decimal("50.00"),
                      "crossed": True, "note": None}, repr(total))
    r.check("null note also in warnings",
            any("churn_rate is null in 2025-01" in w for w in doc["warnings"]), repr(doc["warnings"]))
    r.check("periods unchanged by --fail-if", doc["periods"] == plain["periods"])

    # CSV does not change with --fail-if.
    _, csv_plain, _ = r.run(["compute", "--format", "csv", small])
    code, csv_alert, _ = r.run(["compute", "--format", "csv", "--fail-if", "csat < 50", small])
    r.check("csv unchanged, exit 1", code == 1 and csv_plain == csv_alert)


def test_output_file(r, small):
    work = r.workdir("thresholds-o")
    target = os.path.join(work, "m.json")
    code, out, err = r.run(["compute", "--format", "json", "-o", target, "--fail-if", "csat < 50", small])
    r.check("-o with a crossing: exit 1, file written", code == 1 and os.path.exists(target), repr(err))
    if os.path.exists(target):
        doc = json.load(open(target))
        r.check("-o file has the crossed check", doc["thresholds"][0]["crossed"] is True)


def test_usage_errors(r, small):
    cases = [
        ("churn_rat > 5", ["unknown field \"churn_rat\"", "did you mean churn_rate?", "    ^~~~~~~~~"]),
        ("churn_rate >> 5", ["expected a number", "at character 13", "                ^~~"]),
        ("churn_rate = 5", ["for equality write ==", "at character 12"]),
        ("churn_rate >", ["expected a number after \">\"", "at character 13"]),
        ("average_nrr < 100", ["did you mean summary.average_nrr?"]),
        ("mrr_end > 1.0000001", ["at most 6 decimal places"]),
    ]
    # An unknown field lists the valid names (period, summary and group fields).
    code, _, err = r.run(["compute", "--fail-if", "nope > 1", small])
    text = err.decode()
    r.check("unknown field: exit 2", code == 2, repr(text))
    for mention in ("period fields: customers_start,", "quick_ratio", "cac_payback_months", "ltv_cac",
                    "summary fields: summary.average_churn_rate,", "group fields (with --by): moved_in_customers,",
                    "moved_out_mrr", "docs/alerts.md"):
        r.check(f"unknown field lists {mention!r}", mention in text, repr(text))
    for expression, mentions in cases:
        code, out, err = r.run(["compute", "--fail-if", expression, small])
        text = err.decode()
        r.check(f"{expression!r}: exit 2", code == 2, f"exit {code}, {text!r}")
        r.check(f"{expression!r}: stdout empty", out == b"")
        r.check(f"{expression!r}: starts as an error", text.startswith("csm-metrics: error: --fail-if "), repr(text))
        for mention in mentions:
            r.check(f"{expression!r}: mentions {mention!r}", mention in text, repr(text))
    code, _, err = r.run(["compute", "--fail-scope", "some", "--fail-if", "nrr < 1", small])
    r.check("bad --fail-scope: exit 2", code == 2, repr(err))
    # A bad expression is found before any input is read: a missing file does not matter.
    code, _, err = r.run(["compute", "--fail-if", "nope > 1", "/nonexistent/file.csv"])
    r.check("bad expression before reading: exit 2", code == 2, repr(err))


def test_group_crossing(r, small):
    """--by: every group is checked too. examples/activity.csv, 2025-Q4 by hand (a customer-month's
    group is its segment; a customer is active with revenue > 0):
        all customers: 30 active in 2025-09 (S of the quarter); ember-games (mid-market) gone in
            October, redwood-accounting (mid-market) gone in November, nobody in December -> C = 2,
            churn 100 * 2 / 30 = 6.67 (not > 8)
        mid-market: S = 13 active mid-market customers in 2025-09, the same two churn -> C = 2,
            churn 100 * 2 / 13 = 15.38 (> 8: crossed)
        enterprise: S = 6, C = 0 -> 0; smb: S = 11, C = 0 -> 0
    """
    activity = os.path.join(os.path.dirname(small), "..", "..", "..", "examples", "activity.csv")
    args = ["compute", os.path.normpath(activity), "--by", "segment", "--grain", "quarter",
            "--fail-if", "churn_rate > 8"]
    code, _, err = r.run(args)
    r.check("--by: mid-market crosses: exit 1", code == 1, f"exit {code}, {err!r}")
    lines = [l for l in err.decode().splitlines() if l.startswith(CROSSED)]
    r.check("--by: one crossing line, for mid-market in 2025-Q4", len(lines) == 1
            and "(group mid-market)" in lines[0] and "2025-Q4" in lines[0]
            and "churn_rate > 8" in lines[0] and "15.38" in lines[0], repr(lines))
    code, out, err = r.run(args + ["--format", "json"])
    r.check("--by json: exit 1", code == 1, f"exit {code}")
    doc = r.json_of("--by json", out.decode())
    if doc is None:
        return
    checks = doc.get("thresholds", [])
    by_group = {c.get("group"): c for c in checks}
    r.check("--by json: one check for all customers and one per group (3 segments)", len(checks) == 4
            and set(by_group) == {None, "enterprise", "mid-market", "smb"}, repr(checks))
    mid = by_group.get("mid-market", {})
    r.check("--by json: mid-market 2025-Q4 crossed at 2/13", mid.get("period") == "2025-Q4" and mid.get("crossed") is True
            and abs(float(mid.get("value") or 0) - 100 * 2 / 13) < 0.01, repr(mid))
    everyone = by_group.get(None, {})
    r.check("--by json: all customers 2/30 not crossed", everyone.get("crossed") is False
            and abs(float(everyone.get("value") or 0) - 100 * 2 / 30) < 0.01, repr(everyone))
    r.check("--by json: only mid-market crossed", [c.get("group") for c in checks if c.get("crossed")] == ["mid-market"],
            repr(checks))


def test_group_fields(r, small):
    """moved_in_customers and the other group fields. tests/data/analytics/moves.csv --by plan, by
    hand: a is on pro in January and February and on "team, large" in March (120 there, 100 in
    February); nobody else changes plan. So in 2024-03 "team, large" has moved_in_customers 1 and
    moved_in_mrr 100.00 (a's February revenue), pro moved_out_customers 1 and moved_out_mrr 100.00;
    the groups "" and basic none; in January and February nobody moved.
    """
    moves = os.path.join(os.path.dirname(small), "..", "analytics", "moves.csv")
    args = ["compute", moves, "--by", "plan", "--fail-if", "moved_in_customers > 0",
            "--fail-if", "moved_out_mrr >= 100"]
    code, out, err = r.run(args + ["--format", "json"])
    lines = [l for l in err.decode().splitlines() if l.startswith(CROSSED)]
    r.check("group fields: exit 1", code == 1, f"exit {code}, {err!r}")
    r.check("group fields: two crossing lines", lines == [
        CROSSED + "moved_out_mrr >= 100.00 in 2024-03 (group pro): 100.00",
        CROSSED + "moved_in_customers > 0 in 2024-03 (group team, large): 1"], repr(lines))
    note = "csm-metrics: note: --fail-if moved_in_customers > 0: moved_in_customers is a field of groups only: " \
           "checked for each group, not for all customers"
    r.check("group fields: a note says all customers are not checked", note in err.decode().splitlines(),
            repr(err))
    doc = r.json_of("group fields json", out.decode())
    if doc is None:
        return
    r.check("group fields: the note is in the JSON warnings", note[len("csm-metrics: note: "):] in doc["warnings"],
            repr(doc["warnings"]))
    checks = doc.get("thresholds", [])
    # No check for all customers (they have no moves); 2 expressions x 4 groups.
    r.check("group fields: checks for the groups only", len(checks) == 8
            and all(c.get("group") is not None for c in checks), repr(checks))
    team = [c for c in checks if c.get("group") == "team, large" and c["field"] == "moved_in_customers"]
    r.check("group fields: team's check", team == [{"expression": "moved_in_customers > 0", "group": "team, large",
                                                    "field": "moved_in_customers", "op": ">", "limit": 0,
                                                    "period": "2024-03", "value": 1, "crossed": True, "note": None}],
            repr(team))
    code, _, err = r.run(args + ["--fail-scope", "all"])
    lines = [l for l in err.decode().splitlines() if l.startswith(CROSSED)]
    r.check("group fields --fail-scope all: still only March crosses", code == 1 and len(lines) == 2, repr(lines))
    # Without --by there are no groups: a usage error, before reading.
    code, out, err = r.run(["compute", "--fail-if", "moved_in_customers > 0", moves])
    text = err.decode()
    r.check("group field without --by: exit 2", code == 2 and out == b"", f"exit {code}, {text!r}")
    r.check("group field without --by: says why", "moved_in_customers is a field of groups only" in text
            and "--by COLUMN" in text, repr(text))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data", required=True, help="tests/data")
    parser.add_argument("--work", required=True, help="scratch folder (emptied first)")
    options = parser.parse_args()
    work = os.path.abspath(options.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = Runner(os.path.abspath(options.binary), work)
    small = os.path.join(os.path.abspath(options.data), "e2e", "small.csv")
    for test in (test_exit_status, test_json_member, test_output_file, test_usage_errors,
                 test_group_crossing, test_group_fields):
        guarded(r, test, r, small)
    print(f"thresholds e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
