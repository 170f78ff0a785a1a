#!/usr/bin/env python3
"""End-to-end tests of `csm-metrics movements` on the hand-worked file of docs/movements.md.

tests/data/movements/tiny.csv (revenue per month; segment in brackets):
    a: Jan 100 (pro), Feb 120 (pro), Mar 120 (team), Apr 150 (team)
    b: Jan 50, Feb 50, Mar 40, Apr 40 (starter)
    c: Jan 20, -, Mar 25, - (starter)
    d: -, Feb 30, Mar 0.00 (a closing row: not active), - (starter)
By month (docs/metrics.md, section 2):
    2025-01: a, b, c new (100, 50, 20)
    2025-02: a expanded 100 -> 120; c churned (20); d new (30)
    2025-03: b contracted 50 -> 40; c reactivated (25); d churned (30); a moved pro -> team at 120
    2025-04: a expanded 120 -> 150; c churned (25)
By quarter (section 10: each customer at the period's last month, April for the partial Q2):
    2025-Q1 (March): a 120, b 40, c 25 are new; d joined and left inside Q1: no line
    2025-Q2 (April): a expanded 120 -> 150; c churned (25)
tests/data/movements/tiny_subscriptions.csv holds subscriptions active on the same month ends, so
it gives the same lines.

Usage: test_movements.py --binary PATH --data DIR --examples DIR --work DIR
"""

import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402  (the shared runner and its checks)

HEADER = "period,customer_id,movement,mrr_before,mrr_after,mrr_change,group\n"
MONTHS = """\
2025-01,a,new,0.00,100.00,100.00,
2025-01,b,new,0.00,50.00,50.00,
2025-01,c,new,0.00,20.00,20.00,
2025-02,a,expansion,100.00,120.00,20.00,
2025-02,c,churn,20.00,0.00,-20.00,
2025-02,d,new,0.00,30.00,30.00,
2025-03,b,contraction,50.00,40.00,-10.00,
2025-03,c,reactivation,0.00,25.00,25.00,
2025-03,d,churn,30.00,0.00,-30.00,
2025-04,a,expansion,120.00,150.00,30.00,
2025-04,c,churn,25.00,0.00,-25.00,
"""
MONTHS_BY_SEGMENT = """\
2025-01,a,new,0.00,100.00,100.00,pro
2025-01,b,new,0.00,50.00,50.00,starter
2025-01,c,new,0.00,20.00,20.00,starter
2025-02,a,expansion,100.00,120.00,20.00,pro
2025-02,c,churn,20.00,0.00,-20.00,starter
2025-02,d,new,0.00,30.00,30.00,starter
2025-03,a,moved_in,0.00,120.00,120.00,team
2025-03,a,moved_out,120.00,0.00,-120.00,pro
2025-03,b,contraction,50.00,40.00,-10.00,starter
2025-03,c,reactivation,0.00,25.00,25.00,starter
2025-03,d,churn,30.00,0.00,-30.00,starter
2025-04,a,expansion,120.00,150.00,30.00,team
2025-04,c,churn,25.00,0.00,-25.00,starter
"""
QUARTERS = """\
2025-Q1,a,new,0.00,120.00,120.00,
2025-Q1,b,new,0.00,40.00,40.00,
2025-Q1,c,new,0.00,25.00,25.00,
2025-Q2,a,expansion,120.00,150.00,30.00,
2025-Q2,c,churn,25.00,0.00,-25.00,
"""
YEAR = """\
2025,a,new,0.00,150.00,150.00,
2025,b,new,0.00,40.00,40.00,
"""


def test_csv(r, tiny, subs):
    r.check("months", r.expect_ok("months", r.run(["movements", "-f", "csv", tiny])) == HEADER + MONTHS)
    got = r.expect_ok("by segment", r.run(["movements", "-f", "csv", "--by", "segment", tiny]))
    r.check("months --by segment", got == HEADER + MONTHS_BY_SEGMENT, got)
    code, out, err = r.run(["movements", "-f", "csv", "--grain", "quarter", tiny])
    r.check("quarters", code == 0 and out.decode() == HEADER + QUARTERS, out.decode())
    code, out, _ = r.run(["movements", "-f", "csv", "--grain", "year", tiny])
    r.check("year", code == 0 and out.decode() == HEADER + YEAR, out.decode())
    got = r.expect_ok("subscriptions", r.run(["movements", "-f", "csv", subs]))
    r.check("subscriptions: the same lines", got == HEADER + MONTHS, got)
    got = r.expect_ok("subscriptions by segment", r.run(["movements", "-f", "csv", "--by", "segment", subs]))
    r.check("subscriptions --by segment: the same lines", got == HEADER + MONTHS_BY_SEGMENT, got)
    with open(tiny, "rb") as f:
        data = f.read()
    code, out, _ = r.run(["movements", "-f", "csv", "-"], stdin=tiny)
    r.check("stdin", code == 0 and out.decode() == HEADER + MONTHS, out.decode())
    # Several files are one stream; row order does not matter.
    lines = data.decode().splitlines()
    first = os.path.join(r.work, "first.csv")
    second = os.path.join(r.work, "second.csv")
    with open(first, "w") as f:
        f.write("\n".join([lines[0]] + lines[1:][::-2]) + "\n")
    with open(second, "w") as f:
        f.write("\n".join([lines[0]] + lines[1:][-2::-2]) + "\n")
    got = r.expect_ok("two files", r.run(["movements", "-f", "csv", "--by", "segment", second, first]))
    r.check("two files, rows reversed: the same lines", got == HEADER + MONTHS_BY_SEGMENT, got)


def test_filters(r, tiny):
    def lines(*args):
        return r.expect_ok(" ".join(args), r.run(["movements", "-f", "csv", *args, tiny]))

    want = [l for l in MONTHS_BY_SEGMENT.splitlines() if l.startswith("2025-03")]
    r.check("--period", lines("--by", "segment", "--period", "2025-03") == HEADER + "\n".join(want) + "\n")
    want = [l for l in MONTHS.splitlines() if ",churn," in l or ",new," in l]
    r.check("--type churn,new", lines("--type", "churn,new") == HEADER + "\n".join(want) + "\n")
    r.check("--type churn --type new", lines("--type", "churn", "--type", "NEW") == HEADER + "\n".join(want) + "\n")
    want = [l for l in MONTHS.splitlines() if l.split(",")[1] in ("c", "d")]
    r.check("--customer twice", lines("--customer", "c", "--customer", "d") == HEADER + "\n".join(want) + "\n")
    r.check("--grain quarter --period 2025-Q2 --type churn",
            lines("--grain", "quarter", "--period", "2025-q2", "--type", "churn") ==
            HEADER + "2025-Q2,c,churn,25.00,0.00,-25.00,\n")
    # A filter that matches nothing: an empty list and a note.
    code, out, err = r.run(["movements", "-f", "csv", "--customer", "zz", "--period", "2026-01", tiny])
    r.check("no match: exit 0, header only", code == 0 and out.decode() == HEADER, out.decode())
    r.check("no match: notes", b"--customer \"zz\": no movements" in err and
            b"--period 2026-01 is outside the data (2025-01 to 2025-04)" in err, err.decode())
    code, _, err = r.run(["movements", "-q", "--customer", "zz", tiny])
    r.check("-q: no notes", code == 0 and err == b"", err.decode())


def test_json(r, tiny):
    doc = json.loads(r.expect_ok("json", r.run(["movements", "-f", "json", "--by", "segment",
                                                "--period", "2025-03", tiny])))
    r.check("json envelope", list(doc) == ["tool", "version", "command", "kind", "settings", "input",
                                           "movements", "warnings"], list(doc))
    r.check("json command and kind", (doc["command"], doc["kind"]) == ("movements", "activity"))
    r.check("json settings", doc["settings"] == {"grain": "month", "group_by": "segment",
                                                 "periods": ["2025-03"], "types": [
                                                     "new", "reactivation", "expansion", "contraction",
                                                     "churn", "moved_in", "moved_out"],
                                                 "customers": []}, doc["settings"])
    r.check("json input", doc["input"] == {"sources": [tiny], "records": 12, "skipped_records": 0,
                                           "customers": 4, "first_period": "2025-01",
                                           "last_period": "2025-04", "months": 4}, doc["input"])
    r.check("json first line", doc["movements"][0] == {
        "period": "2025-03", "customer_id": "a", "movement": "moved_in", "mrr_before": 0,
        "mrr_after": 120, "mrr_change": 120, "group": "team"}, doc["movements"][0])
    r.check("json lines", len(doc["movements"]) == 5)
    text = r.expect_ok("json text", r.run(["movements", "-f", "json", "--type", "churn", tiny]))
    r.check("json money as written", '"mrr_before": 20.00, "mrr_after": 0.00, "mrr_change": -20.00, '
            '"group": null}' in text, text)
    doc = json.loads(r.expect_ok("json empty", r.run(["movements", "-f", "json", "--type", "moved_in",
                                                      "--by", "segment", "--period", "2025-04", tiny])))
    r.check("json: no lines", doc["movements"] == [])


def test_table(r, tiny, examples):
    out = r.expect_ok("table", r.run(["movements", "--by", "segment", tiny]))
    rows = out.splitlines()
    r.check("table header", rows[0].split() == ["period", "customer", "movement", "before", "after",
                                                "change", "group"], rows[0])
    r.check("table line", rows[7].split() == ["2025-03", "a", "moved_in", "0.00", "120.00", "+120.00", "team"],
            rows[7])
    r.check("table totals", "\nmovement" + "lines".rjust(14) + "change".rjust(9) + "\n" in out and
            "\ncontraction" + "1".rjust(11) + "-10.00".rjust(9) + "\n" in out and
            "\nall" + "13".rjust(19) + "+190.00".rjust(9) + "\n" in out, out)
    out = r.expect_ok("table examples", r.run(["movements", "--by", "segment",
                                               os.path.join(examples, "activity.csv")]))
    r.check("table fits 80 columns", max(len(l) for l in out.splitlines()) <= 80)
    # Long ids are cut in the table only.
    long_id = os.path.join(r.work, "long.csv")
    with open(long_id, "w") as f:
        f.write("customer_id,period,revenue\n" + "x" * 90 + ",2025-01,12345678.50\n")
    out = r.expect_ok("long id", r.run(["movements", long_id]))
    r.check("long id: 80 columns", max(len(l) for l in out.splitlines()) <= 80, out)
    r.check("long id: cut with ~", "~" in out and "12,345,678.50" in out, out)
    out = r.expect_ok("long id csv", r.run(["movements", "-f", "csv", long_id]))
    r.check("long id: whole in CSV", "x" * 90 + ",new," in out)


def test_output_and_errors(r, tiny, examples):
    path = os.path.join(r.work, "out.csv")
    code, out, err = r.run(["movements", "-f", "csv", "-o", path, tiny])
    with open(path) as f:
        r.check("-o writes the file", code == 0 and out == b"" and f.read() == HEADER + MONTHS)
    r.expect_error("summary records", r.run(["movements", os.path.join(examples, "summary.csv")]), 65,
                   "summary records", "one row per customer")
    r.expect_error("bad --period", r.run(["movements", "--period", "2025-3", tiny]), 2, "--period 2025-3")
    r.expect_error("month --period with --grain quarter",
                   r.run(["movements", "--grain", "quarter", "--period", "2025-03", tiny]), 2, "YYYY-Qn")
    r.expect_error("bad --type", r.run(["movements", "--type", "churn,lost", tiny]), 2, '"lost"')
    r.expect_error("moved_in without --by", r.run(["movements", "--type", "moved_in", tiny]), 2, "--by")
    bad = os.path.join(r.work, "bad.csv")
    with open(bad, "w") as f:
        f.write("customer_id,period,revenue\na,2025-01,10\nb,2025-13,5\n")
    r.expect_error("bad record", r.run(["movements", bad]), 65, "bad.csv:3")
    got = r.expect_ok("--skip-invalid", r.run(["movements", "-q", "-f", "csv", "--skip-invalid", bad]))
    r.check("--skip-invalid", got == HEADER + "2025-01,a,new,0.00,10.00,10.00,\n", got)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data", required=True, help="tests/data")
    parser.add_argument("--examples", required=True, help="examples/")
    parser.add_argument("--work", required=True, help="scratch folder (emptied first)")
    options = parser.parse_args()
    work = os.path.abspath(options.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = Runner(os.path.abspath(options.binary), work)
    data = os.path.join(os.path.abspath(options.data), "movements")
    tiny = os.path.join(data, "tiny.csv")
    subs = os.path.join(data, "tiny_subscriptions.csv")
    examples = os.path.abspath(options.examples)
    guarded(r, test_csv, r, tiny, subs)
    guarded(r, test_filters, r, tiny)
    guarded(r, test_json, r, tiny)
    guarded(r, test_table, r, tiny, examples)
    guarded(r, test_output_and_errors, r, tiny, examples)
    print(f"movements e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
