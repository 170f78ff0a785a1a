#!/usr/bin/env python3
"""End-to-end tests of the data-quality warnings, --since/--until, --strict, --dedupe and the
inputs real exports write (issue 16), Python 3 standard library only.

Every input is written here, small enough that each expected number below is worked out by hand
in the comment next to it. "Today" is fixed with CSM_TODAY so that future_period and
--until previous do not depend on the day the test runs.

Usage: test_data_quality.py --binary PATH --work DIR
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_support  # noqa: E402  (the scripts' shared command line)
from run_e2e import Runner, guarded  # noqa: E402  (the shared runner and its checks)


def write(work, name, text):
    with open(os.path.join(work, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return name


def run(r, work, args, today="2024-05-10"):
    return r.run(args, cwd=work, env={"CSM_TODAY": today})


def as_json(r, name, result):
    code, out, err = result
    try:
        return code, json.loads(out.decode()), err.decode()
    except ValueError:
        r.check(name + ": JSON on stdout", False, repr(out[:300]) + repr(err))
        return code, None, err.decode()


def codes(doc):
    return [w["code"] for w in doc.get("data_warnings", [])]


def warning(doc, code):
    return next(w for w in doc["data_warnings"] if w["code"] == code)


def period(doc, name):
    return next(p for p in doc["periods"] if p["period"] == name)


# A gap month and a partial last month (the first case, and the cron case):
#   2024-01: a b c d; 2024-02: no rows; 2024-03: a b c d; 2024-04: a b c d; 2024-05: a
#   gap_month: 2024-02 (1 month inside 2024-01..2024-05).
#   partial_last_month: 2024-05 has 1 row; the 3 months before have 4 + 0 + 4 = 8 rows, a mean of
#   2.67, half of it 1.33 > 1.
#   2024-02: S = 4, C = 4 -> churn 100; 2024-03: 4 reactivated.
GAP = ("customer_id,period,revenue\n"
       "a,2024-01,10\nb,2024-01,10\nc,2024-01,10\nd,2024-01,10\n"
       "a,2024-03,10\nb,2024-03,10\nc,2024-03,10\nd,2024-03,10\n"
       "a,2024-04,10\nb,2024-04,10\nc,2024-04,10\nd,2024-04,10\n"
       "a,2024-05,10\n")


def test_gap_and_until(r, work):
    gap = write(work, "gap.csv", GAP)
    code, doc, err = as_json(r, "gap", run(r, work, ["compute", "-f", "json", gap]))
    r.check("gap: exit 0 without --strict", code == 0, f"exit {code} {err}")
    r.check("gap: codes", codes(doc) == ["gap_month", "partial_last_month"], repr(codes(doc)))
    g = warning(doc, "gap_month")
    r.check("gap_month evidence", g["evidence"]["periods"] == ["2024-02"] and g["evidence"]["counts"] == {"months": 1},
            repr(g))
    r.check("gap_month says what to do", "--since/--until" in g["message"], g["message"])
    p = warning(doc, "partial_last_month")
    r.check("partial evidence", p["evidence"]["periods"] == ["2024-05"]
            and p["evidence"]["counts"] == {"rows": 1, "rows_3_months_before": 8}, repr(p))
    r.check("partial says --until previous", "--until previous" in p["message"], p["message"])
    r.check("gap: 2024-02 churn 100", period(doc, "2024-02")["churn_rate"] == 100)
    r.check("warnings on stderr with their codes",
            "csm-metrics: warning: gap_month: " in err and "csm-metrics: warning: partial_last_month: " in err, err)
    r.check("warnings member keeps strings", all(isinstance(w, str) for w in doc["warnings"])
            and any(w.startswith("gap_month: ") for w in doc["warnings"]), repr(doc["warnings"]))
    r.check("no range given: no outside count", "outside_range_records" not in doc["input"], repr(doc["input"]))

    # --strict: the same output, then exit 65.
    code2, out2, err2 = run(r, work, ["compute", "-f", "json", "--strict", gap])
    r.check("--strict: exit 65", code2 == 65, f"exit {code2}")
    r.check("--strict: output still written", json.loads(out2.decode()) == doc)
    r.check("--strict: says why", "--strict: 2 data-quality warnings (gap_month, partial_last_month)" in err2.decode(),
            err2.decode())

    # --until previous with today 2024-05-10 = 2024-04: May's row is left out (counted), the gap stays.
    code, doc, err = as_json(r, "until previous", run(r, work, ["compute", "-f", "json", "--until", "previous", gap]))
    r.check("until previous: codes", codes(doc) == ["gap_month"], repr(codes(doc)))
    r.check("until previous: months 2024-01..2024-04", [p["period"] for p in doc["periods"]]
            == ["2024-01", "2024-02", "2024-03", "2024-04"], repr([p["period"] for p in doc["periods"]]))
    r.check("until previous: 1 row outside, 12 used", doc["input"]["outside_range_records"] == 1
            and doc["input"]["records"] == 12, repr(doc["input"]))
    r.check("until previous: April mrr_end 40", period(doc, "2024-04")["mrr_end"] == 40, repr(period(doc, "2024-04")))
    code, _, _ = run(r, work, ["compute", "--until", "previous", "--strict", gap])
    r.check("until previous --strict: the gap still fails", code == 65, f"exit {code}")

    # --since 2024-03 --until previous: no trace of January (a, b, c, d are new in March), no warning.
    code, doc, err = as_json(r, "since", run(r, work, ["compute", "-f", "json", "--since", "2024-03",
                                                      "--until", "previous", "--strict", gap]))
    r.check("since+until: exit 0, no warnings", code == 0 and "data_warnings" not in doc, f"exit {code} {err}")
    r.check("since+until: 4 + 1 rows outside", doc["input"]["outside_range_records"] == 5, repr(doc["input"]))
    march = period(doc, "2024-03")
    r.check("since: March customers are new", march["new_customers"] == 4 and march["reactivated_customers"] == 0
            and march["customers_start"] == 0, repr(march))

    # The same range in every command that reads records.
    code, out, err = run(r, work, ["check", "--until", "previous", gap])
    r.check("check lists the warning", code == 0 and "gap_month: " in out.decode()
            and "partial_last_month" not in out.decode(), out.decode() + err.decode())
    code, doc, err = as_json(r, "cohorts", run(r, work, ["cohorts", "-f", "json", "--since", "2024-03", gap]))
    r.check("cohorts --since: one cohort of 4 in 2024-03", [c["cohort"] for c in doc["cohorts"]] == ["2024-03"]
            and doc["cohorts"][0]["customers"] == 4, repr(doc.get("cohorts")))
    # From 2024-03 on, May has only 2 months before it in the range: the row rule needs 3.
    r.check("cohorts --since: no warning", codes(doc) == [], repr(codes(doc)))
    code, doc, err = as_json(r, "at-risk", run(r, work, ["at-risk", "-f", "json", gap]))
    r.check("at-risk: warnings", codes(doc) == ["gap_month", "partial_last_month"], repr(codes(doc)))
    code, _, _ = run(r, work, ["at-risk", "--strict", gap])
    r.check("at-risk --strict: exit 65", code == 65)
    code, out, err = run(r, work, ["report", "--until", "previous", gap])
    r.check("report page shows the warning", code == 0 and b"gap_month: " in out, err.decode())
    code, _, err = run(r, work, ["compute", "--until", "2024-13", gap])
    r.check("--until 2024-13: usage error", code == 2 and "--until 2024-13" in err.decode(), err.decode())
    code, _, err = run(r, work, ["compute", "--since", "2024-04", "--until", "2024-03", gap])
    r.check("--since after --until: usage error", code == 2, err.decode())


# Duplicates across two files, with --by:
#   f1: a 2024-01 10 smb; b 2024-01 20 ent; a 2024-02 10 smb; b 2024-02 20 ent
#   f2: a 2024-02 15 smb (same customer-month, other revenue); b 2024-02 20 ent (an exact copy of
#       f1 line 5); a 2024-03 10; b 2024-03 20
#   duplicate_rows: 1 (f2.csv:3, 2024-02). overlapping_sources: (a, 2024-02) and (b, 2024-02),
#   first at f2.csv:2 and f2.csv:3, in 2 inputs.
#   February: a = 10 + 15 = 25, b = 20 + 20 = 40 -> mrr_end 65; smb 25, ent 40.
#   --dedupe drops f2.csv:3: b = 20 -> mrr_end 45, ent 20; the overlap of a stays (1 customer-month).
F1 = "customer_id,period,revenue,segment\na,2024-01,10,smb\nb,2024-01,20,ent\na,2024-02,10,smb\nb,2024-02,20,ent\n"
F2 = "customer_id,period,revenue,segment\na,2024-02,15,smb\nb,2024-02,20,ent\na,2024-03,10,smb\nb,2024-03,20,ent\n"


def group(doc, name):
    return next(g for g in doc["groups"] if g["group"] == name)


def test_duplicates_by(r, work):
    f1 = write(work, "f1.csv", F1)
    f2 = write(work, "f2.csv", F2)
    code, doc, err = as_json(r, "dup", run(r, work, ["compute", "-f", "json", "--by", "segment", f1, f2]))
    r.check("dup: codes", codes(doc) == ["duplicate_rows", "overlapping_sources"], repr(codes(doc)))
    d = warning(doc, "duplicate_rows")
    r.check("duplicate evidence", d["evidence"] == {"periods": ["2024-02"], "counts": {"rows": 1},
                                                     "locations": ["f2.csv:3"]}, repr(d))
    r.check("duplicate says --dedupe", "--dedupe" in d["message"], d["message"])
    o = warning(doc, "overlapping_sources")
    r.check("overlap evidence", o["evidence"] == {"periods": ["2024-02"], "counts": {"customer_months": 2, "inputs": 2},
                                                   "locations": ["f2.csv:2", "f2.csv:3"]}, repr(o))
    r.check("overlap names the files", "f1.csv, f2.csv" in o["message"], o["message"])
    r.check("dup: February mrr_end 65", period(doc, "2024-02")["mrr_end"] == 65)
    feb = lambda g: next(p for p in group(doc, g)["periods"] if p["period"] == "2024-02")  # noqa: E731
    r.check("dup: smb 25, ent 40", feb("smb")["mrr_end"] == 25 and feb("ent")["mrr_end"] == 40)

    code, doc, err = as_json(r, "dedupe", run(r, work, ["compute", "-f", "json", "--by", "segment", "--dedupe", f1, f2]))
    r.check("dedupe: 1 dropped, 7 used", doc["input"]["duplicate_records_dropped"] == 1
            and doc["input"]["records"] == 7, repr(doc["input"]))
    r.check("dedupe: codes", codes(doc) == ["overlapping_sources"], repr(codes(doc)))
    r.check("dedupe: 1 overlapping customer-month", warning(doc, "overlapping_sources")["evidence"]["counts"]
            == {"customer_months": 1, "inputs": 2})
    r.check("dedupe: February mrr_end 45", period(doc, "2024-02")["mrr_end"] == 45)
    feb = lambda g: next(p for p in group(doc, g)["periods"] if p["period"] == "2024-02")  # noqa: E731
    r.check("dedupe: ent 20", feb("ent")["mrr_end"] == 20 and feb("smb")["mrr_end"] == 25)

    # The same export twice: every row of the second copy is a duplicate and overlaps.
    code, doc, err = as_json(r, "twice", run(r, work, ["compute", "-f", "json", f1, f1]))
    r.check("same file twice: 4 duplicates, 4 overlaps", warning(doc, "duplicate_rows")["evidence"]["counts"]["rows"] == 4
            and warning(doc, "overlapping_sources")["evidence"]["counts"]["customer_months"] == 4, repr(doc.get("data_warnings")))
    code, doc, err = as_json(r, "twice dedupe", run(r, work, ["compute", "-f", "json", "--dedupe", f1, f1]))
    r.check("same file twice --dedupe: clean, January mrr_end 30", "data_warnings" not in doc
            and period(doc, "2024-01")["mrr_end"] == 30, repr(doc.get("data_warnings")))


# A mistyped year: a and b in every month of 2024, one row of a in 2204-01 (line 26).
#   isolated_period: 2204-01, 1 row, 2204-01 - 2024-12 = 2149 months apart, at typo.csv:26;
#   future_period too (after today). --until 2024-12 leaves it out: 12 months, no warning.
def test_isolated(r, work):
    rows = "".join(f"{c},2024-{m:02d},10\n" for m in range(1, 13) for c in "ab")
    typo = write(work, "typo.csv", "customer_id,period,revenue\n" + rows + "a,2204-01,10\n")
    code, doc, err = as_json(r, "typo", run(r, work, ["compute", "-f", "json", typo], today="2025-01-15"))
    r.check("typo: codes", codes(doc) == ["isolated_period", "future_period"], repr(codes(doc)))
    w = warning(doc, "isolated_period")
    r.check("isolated evidence", w["evidence"] == {"periods": ["2204-01"], "counts": {"rows": 1, "months_apart": 2149},
                                                    "locations": ["typo.csv:26"]}, repr(w))
    code, doc, err = as_json(r, "typo until", run(r, work, ["compute", "-f", "json", "--until", "2024-12", typo],
                                                  today="2025-01-15"))
    r.check("typo --until 2024-12: 12 months, clean", len(doc["periods"]) == 12 and "data_warnings" not in doc
            and doc["input"]["outside_range_records"] == 1, repr(doc.get("data_warnings")))
    # A file of 32 MiB or more is read in shares by several threads, which count rows only; the
    # isolated month makes a second read by one thread that names the line (1 + 100,000 * 12 + 1).
    months = [f",2024-{m:02d},100.00\n" for m in range(1, 13)]
    body = "".join(f"customer-{i:06d}{m}" for i in range(100000) for m in months)
    big = write(work, "typo_big.csv", "customer_id,period,revenue\n" + body + "a,2204-01,10\n")
    code, doc, err = as_json(r, "typo big", run(r, work, ["compute", "-f", "json", "-j", "2", big], today="2025-01-15"))
    r.check("big typo: codes", codes(doc) == ["isolated_period", "future_period"], repr(codes(doc)))
    w = warning(doc, "isolated_period")
    r.check("big typo: line named", w["evidence"]["locations"] == ["typo_big.csv:1200002"], repr(w))
    os.remove(os.path.join(work, big))


# A last month whose day dates stop early: March runs to the 14th while February ran to the 29th.
def test_partial_days_and_future(r, work):
    days = write(work, "days.csv", "customer_id,period,revenue\na,2024-01-05,10\nb,2024-01-31,10\n"
                 "a,2024-02-03,10\nb,2024-02-29,10\na,2024-03-02,10\nb,2024-03-14,10\n")
    code, doc, err = as_json(r, "days", run(r, work, ["compute", "-f", "json", days], today="2024-03-20"))
    r.check("days: partial only", codes(doc) == ["partial_last_month"], repr(codes(doc)))
    r.check("days: evidence", warning(doc, "partial_last_month")["evidence"]["counts"] == {"rows": 2, "latest_day": 14},
            repr(doc["data_warnings"]))
    # Today 2024-02-15: March is after today (2 rows); --until previous (2024-01) leaves 4 rows out.
    code, doc, err = as_json(r, "future", run(r, work, ["compute", "-f", "json", days], today="2024-02-15"))
    r.check("future: code", "future_period" in codes(doc), repr(codes(doc)))
    f = warning(doc, "future_period")
    r.check("future: evidence", f["evidence"]["periods"] == ["2024-03"] and f["evidence"]["counts"] == {"rows": 2}
            and f["evidence"]["locations"] == ["days.csv:6", "days.csv:7"], repr(f))
    code, doc, err = as_json(r, "future prev", run(r, work, ["compute", "-f", "json", "--until", "previous", days],
                                                  today="2024-02-15"))
    r.check("future --until previous: 2024-01 only", [p["period"] for p in doc["periods"]] == ["2024-01"]
            and doc["input"]["outside_range_records"] == 4, repr(doc["input"]))


# Inputs as exports write them. The same three customer-months each time:
#   a 2024-01 29.99, b 2024-01 10.00, a 2024-02 29.99 -> 2024-01 mrr_end 39.99, 2024-02 29.99.
def mrr_ends(doc):
    return [p["mrr_end"] for p in doc["periods"]]


def test_export_formats(r, work):
    expected = [39.99, 29.99]
    for name, text in (("semi.csv", "customer_id;period;revenue\na;2024-01;29.99\nb;2024-01;10\na;2024-02;29.99\n"),
                       ("pipe.csv", "customer_id|period|revenue\na|2024-01|29.99\nb|2024-01|10\na|2024-02|29.99\n"),
                       ("tabbed.csv", "customer_id\tperiod\trevenue\na\t2024-01\t29.99\nb\t2024-01\t10\na\t2024-02\t29.99\n"),
                       ("iso.csv", "customer_id,period,revenue\na,2024-01-15T10:00:00Z,29.99\n"
                                   "b,2024-01-31T23:30:00-05:00,10\na,2024-02-01T00:00:00.123+01:00,29.99\n")):
        path = write(work, name, text)
        code, doc, err = as_json(r, name, run(r, work, ["compute", "-f", "json", path]))
        r.check(f"{name}: read", code == 0 and doc is not None and mrr_ends(doc) == expected, f"exit {code} {err}")
    # A header with ';' and '|' but no ',': ambiguous, with a hint; --delimiter settles it.
    amb = write(work, "amb.csv", "customer_id;period;revenue;note|x\na;2024-01;5;y|z\n")
    code, _, err = run(r, work, ["compute", amb])
    r.check("ambiguous delimiter: exit 65 with a hint", code == 65 and "--delimiter" in err.decode(), err.decode())
    code, doc, err = as_json(r, "delimiter", run(r, work, ["compute", "-f", "json", "--delimiter", ";", amb]))
    r.check("--delimiter ';': read", code == 0, err)
    code, _, err = run(r, work, ["compute", "--delimiter", "x", amb])
    r.check("--delimiter x: usage error", code == 2, err.decode())
    # Subscription dates as timestamps: the calendar date as written (2024-01-31 despite -05:00).
    sub = write(work, "subs.csv", "customer_id,start_date,end_date,mrr\na,2024-01-31T23:30:00-05:00,2024-03-01T00:00:00Z,10\n")
    code, doc, err = as_json(r, "subs", run(r, work, ["compute", "-f", "json", sub]))
    r.check("subscription timestamps: active 2024-01 and 2024-02", code == 0
            and [p["customers_end"] for p in doc["periods"]][:2] == [1, 1], f"{err} {doc and doc['periods']}")

    # Subscriptions and --since 2024-02: b ended in 2023-06 (no trace, counted outside); a, active
    # 2024-01 and 2024-02, counts from 2024-02 on, new there; the range runs to a's end month
    # 2024-03 (the subscription convention), where a churns.
    sub2 = write(work, "subs2.csv", "customer_id,start_date,end_date,mrr\n"
                 "a,2024-01-31T23:30:00-05:00,2024-03-01T00:00:00Z,10\nb,2023-01-01,2023-06-01,5\n")
    code, doc, err = as_json(r, "subs since", run(r, work, ["compute", "-f", "json", "--since", "2024-02", sub2]))
    r.check("subscriptions --since: 2024-02 only, a new, b outside", code == 0
            and [p["period"] for p in doc["periods"]] == ["2024-02", "2024-03"]
            and doc["periods"][0]["new_customers"] == 1 and doc["periods"][1]["churned_customers"] == 1
            and doc["periods"][0]["mrr_end"] == 10 and doc["input"]["outside_range_records"] == 1,
            f"{err} {doc and (doc['periods'], doc['input'])}")

    # JSON from scripts: integer ids, float noise.
    noisy = write(work, "noisy.json", '[{"customer_id": 1, "period": "2024-01", "revenue": 29.990000000000002},'
                                      '{"customer_id": 2, "period": "2024-01", "revenue": 10},'
                                      '{"customer_id": 1, "period": "2024-02", "revenue": 29.99}]')
    code, _, err = run(r, work, ["compute", noisy])
    text = err.decode()
    r.check("float noise refused with a hint", code == 65 and "--round-money" in text and "record 1, byte 1" in text, text)
    code, doc, err = as_json(r, "round", run(r, work, ["compute", "-f", "json", "--round-money", noisy]))
    r.check("--round-money: integer ids, 1 amount rounded", code == 0 and mrr_ends(doc) == expected
            and doc["input"]["rounded_amounts"] == 1, f"{err} {doc and doc['input']}")
    # Half to even at the micro-unit: 0.0000005 -> 0, 0.0000015 -> 0.000002, 0.00000251 -> 0.000003.
    half = write(work, "half.jsonl", '{"customer_id": "a", "period": "2024-01", "revenue": 1.0000005}\n'
                                     '{"customer_id": "b", "period": "2024-01", "revenue": 1.0000015}\n'
                                     '{"customer_id": "c", "period": "2024-01", "revenue": 1.00000251}\n')
    code, doc, err = as_json(r, "half", run(r, work, ["compute", "-f", "json", "--round-money", half]))
    r.check("half to even: 3.000005", code == 0 and doc["periods"][0]["mrr_end"] == 3.000005
            and doc["input"]["rounded_amounts"] == 3, f"{err} {doc and doc['periods']}")
    # Minified JSON: every error is on line 1, so the record and byte are named: the 3rd record
    # starts at byte 100 ('[' + 2 records of 48 and 47 bytes with their commas... counted below).
    records = ['{"customer_id":"a","period":"2024-01","revenue":1}',
               '{"customer_id":"b","period":"2024-01","revenue":2}',
               '{"customer_id":"c","period":"2024-13","revenue":3}']
    mini = write(work, "mini.json", "[" + ",".join(records) + "]")
    third = 1 + len(records[0]) + 1 + len(records[1]) + 1
    code, _, err = run(r, work, ["compute", mini])
    r.check("minified: record and byte named", code == 65 and f"(record 3, byte {third})" in err.decode()
            and err.decode().startswith("csm-metrics: error: mini.json:1: period: "), err.decode())


def test_clean_data(r, examples, work):
    activity = os.path.join(examples, "activity.csv")
    code, doc, err = as_json(r, "clean", r.run(["compute", "-f", "json", "--strict", activity],
                                               env={"CSM_TODAY": "2026-01-15"}))
    r.check("clean example: exit 0, no data_warnings, stderr empty", code == 0 and "data_warnings" not in doc
            and err == "", f"exit {code} {err}")


def main():
    options = e2e_support.options(__doc__, "--examples")
    work = options.work
    r = Runner(options.binary, work)
    for test in (test_gap_and_until, test_duplicates_by, test_isolated, test_partial_days_and_future,
                 test_export_formats):
        guarded(r, test, r, work)
    guarded(r, test_clean_data, r, os.path.abspath(options.examples), work)
    print(f"data quality e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
