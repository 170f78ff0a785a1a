#!/usr/bin/env python3
"""End-to-end tests of output escaping (issue 15, findings 4, 5, 11 and 14's "(none)" and bidi).

Runs the real binary on hostile ids and segments made here (escape sequences, CR, LF, C1 and
bidirectional controls, spreadsheet formulas, a literal "(none)", a 100 KB id) and checks that:
- no table or stderr line carries a control character or a bidi control, and a segment holding
  a newline cannot forge a line of its own on stderr (finding 4);
- CSV text fields starting with = + - @ TAB CR get a leading ' (OWASP), numbers do not, and
  --csv-raw writes them as they are (finding 5);
- a table stays small with a 100 KB id: the id column is elided, CSV and JSON keep it whole
  (finding 11);
- the missing segment and a literal "(none)" differ in tables, CSV and --fail-if (finding 14);
- report's HTML/SVG has no raw U+202E.
Expected values are worked out by hand from the data below.

And every table fits 80 columns (issue 18) on inputs made to be wide.

Usage: test_output_safety.py --binary PATH --data DIR --examples DIR --work DIR
"""

import argparse
import csv
import io
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402

FORGED = "csm-metrics: all clear, no threshold crossed"
NL_SEGMENT = "x\n" + FORGED + "\n"
ESC_ID = "\x1b]0;pwned\x07"
FORMULA_ID = '=HYPERLINK("http://evil","x")'
FORMULA_SEGMENT = "=cmd|' /C calc'!A0"
RLO_SEGMENT = "\u202eevil"
BIDI_ID = "abc\u202efed\u2066"
LONG_ID = "L" * 100_000 + "\x1b[2J"
C1_ID = "\u009b31m"
SHORT = [f"c{i:03d}" for i in range(200)]

# (id, segment, revenue in 2025-01, 02, 03; None = no row)
CUSTOMERS = [
    (ESC_ID, NL_SEGMENT, ("100", "100", None)),        # churns in 03: 100 % of its group
    (FORMULA_ID, FORMULA_SEGMENT, ("100", "100", "50")),  # contraction of 50 % in 03
    ("+plus", "(none)", ("100", "100", "50")),
    ("@at", "", ("100", "100", "50")),
    ("-minus", RLO_SEGMENT, ("100", "100", "50")),
    (BIDI_ID, "pro", ("100", "100", "50")),
    ("\tTab", "pro", ("100", "100", "50")),
    ("\rCR", "pro", ("100", "100", "50")),
    (LONG_ID, "pro", ("100", "100", "50")),
    (C1_ID, "pro", ("100", "100", "50")),
] + [(c, "pro", ("100", "100", "100")) for c in SHORT]
AT_RISK = [c[0] for c in CUSTOMERS if c[2][2] == "50"]  # contraction: 50 is 50 % below 100
# Active in 2025-03: all 210 but the first (no row in March).

BIDI_BYTES = [chr(c).encode() for c in list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A)) + [0x200E, 0x200F, 0x061C]]


def write_activity(path):
    with open(path, "w", encoding="utf-8") as f:
        for cid, segment, revenues in CUSTOMERS:
            for month, revenue in zip(("2025-01", "2025-02", "2025-03"), revenues):
                if revenue is not None:
                    f.write(json.dumps({"customer_id": cid, "period": month, "revenue": revenue,
                                        "segment": segment}) + "\n")


def terminal_safe(r, name, data):
    """No control byte but LF, no C1 control, no bidi control, in bytes meant for a terminal."""
    bad = [b for b in data if (b < 0x20 and b != 0x0A) or b == 0x7F]
    r.check(f"{name}: no control bytes", not bad, repr(sorted(set(bad)))[:200])
    text = data.decode("utf-8", errors="replace")
    c1 = [c for c in text if 0x80 <= ord(c) <= 0x9F]
    r.check(f"{name}: no C1 controls", not c1, repr(c1[:5]))
    bidi = [b for b in BIDI_BYTES if b in data]
    r.check(f"{name}: no bidi controls", not bidi, repr(bidi))


def stderr_lines_ok(r, name, err):
    terminal_safe(r, name + " stderr", err)
    lines = err.decode("utf-8", errors="replace").splitlines()
    r.check(f"{name}: no forged stderr line", FORGED not in lines and all(l.startswith("csm-metrics: ") for l in lines),
            repr(lines)[:500])
    r.check(f"{name}: stderr lines bounded", all(len(l) <= 400 for l in lines), repr([len(l) for l in lines]))


def csv_rows(out):
    return list(csv.reader(io.StringIO(out.decode("utf-8"), newline="")))


def test_compute(r, activity):
    code, out, err = r.run(["compute", "--by", "segment", activity])
    r.check("compute --by: exit 0", code == 0, f"{code} {err[:300]!r}")
    terminal_safe(r, "compute --by table", out)
    stderr_lines_ok(r, "compute --by", err)
    lines = out.decode().splitlines()
    r.check("compute --by: missing group heading", "segment = (none)" in lines, repr(lines[:40]))
    r.check("compute --by: literal (none) heading", 'segment = "(none)"' in lines, repr(lines[:40]))
    r.check("compute --by: no line starts like the forged one", not any(l.startswith(FORGED) for l in lines))
    r.check("compute --by: escaped newline in the heading", any(l.startswith("segment = x\\x0acsm-metrics: a") for l in lines))

    # --fail-if: only the newline group churns (1 of 1 in 2025-03); all customers 1 of 210.
    code, out, err = r.run(["compute", "--by", "segment", "--fail-if", "churn_rate > 50", activity])
    r.check("fail-if: exit 1", code == 1, f"{code} {err[:300]!r}")
    stderr_lines_ok(r, "fail-if", err)
    lines = err.decode().splitlines()
    crossed = [l for l in lines if l.startswith("csm-metrics: threshold crossed: ")]
    r.check("fail-if: one crossing", len(crossed) == 1, repr(lines))
    if crossed:
        r.check("fail-if: the group escaped and cut", re.fullmatch(
            r"csm-metrics: threshold crossed: churn_rate > 50 in 2025-03 \(group x\\x0acsm-metrics: a[^()]*\.\.\.[^()]*\\x0a\): 100",
            crossed[0]) is not None, crossed[0])
    code, out, err = r.run(["compute", "--by", "segment", "--fail-if", "churn_rate > 50", "--format", "json", activity])
    doc = json.loads(out)
    hit = [t for t in doc["thresholds"] if t["crossed"]]
    r.check("fail-if json: the group value whole", len(hit) == 1 and hit[0].get("group") == NL_SEGMENT, repr(hit))
    groups = {t.get("group", None) for t in doc["thresholds"] if "group" in t}
    r.check("fail-if json: missing group is \"\", literal stays (none)", "" in groups and "(none)" in groups, repr(groups))
    r.check("fail-if json: all customers have no group member", any("group" not in t for t in doc["thresholds"]))

    # CSV: the group column.
    code, out, err = r.run(["compute", "--by", "segment", "--format", "csv", activity])
    rows = csv_rows(out)
    firsts = {row[0] for row in rows[1:]}
    r.check("compute csv: all-customers rows empty", "" in firsts)
    r.check("compute csv: missing group (none), literal '(none)", "(none)" in firsts and "'(none)" in firsts, repr(firsts))
    r.check("compute csv: formula segment neutralised", "'" + FORMULA_SEGMENT in firsts and FORMULA_SEGMENT not in firsts,
            repr(firsts))
    r.check("compute csv: newline segment whole", NL_SEGMENT in firsts)
    r.check("compute csv: bidi segment whole (not a formula)", RLO_SEGMENT in firsts)
    code, raw, err = r.run(["compute", "--by", "segment", "--format", "csv", "--csv-raw", activity])
    raw_rows = csv_rows(raw)
    raw_firsts = {row[0] for row in raw_rows[1:]}
    r.check("compute --csv-raw: formula as it is", FORMULA_SEGMENT in raw_firsts, repr(raw_firsts))
    r.check("compute --csv-raw: literal (none) still told apart", "'(none)" in raw_firsts and "(none)" in raw_firsts)
    r.check("compute --csv-raw: numbers identical", [row[1:] for row in rows] == [row[1:] for row in raw_rows])


def test_at_risk(r, activity):
    code, out, err = r.run(["at-risk", activity])
    r.check("at-risk: exit 0", code == 0, f"{code} {err[:300]!r}")
    terminal_safe(r, "at-risk table", out)
    stderr_lines_ok(r, "at-risk", err)
    lines = out.decode().splitlines()
    r.check("at-risk table: small despite the 100 KB id", len(out) < 5000, str(len(out)))
    r.check("at-risk table: lines short", max(len(l) for l in lines) <= 120, str(max(len(l) for l in lines)))
    r.check("at-risk table: long id elided", any(l.startswith("LLLL") and "..." in l.split("  ")[0] for l in lines))
    r.check("at-risk table: escape shown", any(l.startswith("\\x0dCR") for l in lines), repr(lines[:12]))
    r.check("at-risk: 9 of 209 at risk", any(l.startswith(f"{len(AT_RISK)} of 209 customers active in 2025-03 at risk")
                                             for l in lines), repr(lines[-6:]))
    code, out, err = r.run(["at-risk", "--format", "csv", activity])
    rows = csv_rows(out)
    ids = [row[0] for row in rows[1:]]
    expected = {c: ("'" + c if c[0] in "=+-@\t\r" else c) for c in AT_RISK}
    r.check("at-risk csv: ids neutralised or whole", sorted(ids) == sorted(expected.values()), repr(ids)[:400])
    r.check("at-risk csv: numbers untouched", all(row[1] == "50.00" for row in rows[1:]), repr([row[1] for row in rows[1:]]))
    code, raw, err = r.run(["at-risk", "--format", "csv", "--csv-raw", activity])
    raw_ids = [row[0] for row in csv_rows(raw)[1:]]
    r.check("at-risk --csv-raw: ids as they are", sorted(raw_ids) == sorted(AT_RISK), repr(raw_ids)[:400])
    code, out, err = r.run(["at-risk", "--format", "json", activity])
    doc = json.loads(out)
    r.check("at-risk json: ids whole", sorted(c["customer_id"] for c in doc["customers"]) == sorted(AT_RISK))


def test_cohorts(r, activity):
    code, out, err = r.run(["cohorts", "--by", "segment", activity])
    r.check("cohorts --by: exit 0", code == 0, f"{code} {err[:300]!r}")
    terminal_safe(r, "cohorts table", out)
    stderr_lines_ok(r, "cohorts", err)
    lines = out.decode().splitlines()
    r.check("cohorts: (none) and \"(none)\"", "segment = (none)" in lines and 'segment = "(none)"' in lines)
    code, out, err = r.run(["cohorts", "--by", "segment", "--format", "csv", activity])
    firsts = {row[0] for row in csv_rows(out)[1:]}
    r.check("cohorts csv: groups", {"", "(none)", "'(none)", "'" + FORMULA_SEGMENT, "pro", NL_SEGMENT, RLO_SEGMENT} == firsts,
            repr(firsts))
    code, out, err = r.run(["cohorts", "--by", "segment", "--format", "csv", "--csv-raw", activity])
    firsts = {row[0] for row in csv_rows(out)[1:]}
    r.check("cohorts --csv-raw: formula as it is", FORMULA_SEGMENT in firsts)


def test_transactions(r, data, work):
    # crash_100customers.csv with its first ten ids replaced by hostile ones.
    hostile = {"c0": ESC_ID, "c1": FORMULA_ID, "c2": "-minus", "c3": LONG_ID, "c4": BIDI_ID, "c5": C1_ID,
               "c6": "@at", "c7": "\tTab", "c8": "+plus", "c9": "\rCR"}
    path = os.path.join(work, "tx.jsonl")
    with open(os.path.join(data, "predictive", "crash_100customers.csv"), encoding="utf-8") as f, \
            open(path, "w", encoding="utf-8") as out:
        for row in csv.DictReader(f):
            out.write(json.dumps({"customer_id": hostile.get(row["customer_id"], row["customer_id"]),
                                  "date": row["date"], "amount": row["amount"]}) + "\n")
    for command in (["rfm", "--end", "2025-06-30", path], ["predict", "--end", "2025-06-30", path]):
        name = command[0]
        code, out, err = r.run(command)
        r.check(f"{name}: exit 0", code == 0, f"{code} {err[:300]!r}")
        terminal_safe(r, f"{name} table", out)
        stderr_lines_ok(r, name, err)
        r.check(f"{name}: table small despite the 100 KB id", len(out) < 40_000, str(len(out)))
        code, out, err = r.run(command + ["--format", "csv"])
        ids = {row[0] for row in csv_rows(out)[1:]}
        r.check(f"{name} csv: formula ids neutralised", {"'" + FORMULA_ID, "'-minus", "'@at", "'\tTab", "'+plus", "'\rCR"} <= ids,
                repr(sorted(ids))[:300])
        r.check(f"{name} csv: other ids whole", {ESC_ID, LONG_ID, BIDI_ID, C1_ID} <= ids)
        code, out, err = r.run(command + ["--format", "csv", "--csv-raw"])
        ids = {row[0] for row in csv_rows(out)[1:]}
        r.check(f"{name} --csv-raw: ids as they are", set(hostile.values()) <= ids)
    target = os.path.join(work, "customers.csv")
    code, out, err = r.run(["predict", "--end", "2025-06-30", "--customers-csv", target, path])
    with open(target, encoding="utf-8", newline="") as f:
        ids = {row[0] for row in list(csv.reader(f))[1:]}
    r.check("predict --customers-csv: neutralised", "'" + FORMULA_ID in ids and FORMULA_ID not in ids)


def test_overflow(r, work):
    path = os.path.join(work, "overflow.jsonl")
    cid = "\x1b]0;X\x07" + "A" * 100_000
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(2):
            f.write(json.dumps({"customer_id": cid, "period": "2025-01", "revenue": "9223372036854.775807"}) + "\n")
    for command in (["compute", path], ["at-risk", path]):
        code, out, err = r.run(command)
        r.check(f"overflow {command[0]}: exit 65", code == 65, f"{code} {err[:300]!r}")
        stderr_lines_ok(r, f"overflow {command[0]}", err)
        r.check(f"overflow {command[0]}: one short line", err.count(b"\n") == 1 and len(err) < 300, f"{len(err)} {err[:300]!r}")
        r.check(f"overflow {command[0]}: escaped id", b'\\x1b]0;X\\x07AAA' in err, repr(err[:300]))
    # The row that takes the month past the limit is named (FILE:LINE), whatever the thread count;
    # here line 5, after a row of another month and of another customer.
    named = os.path.join(work, "overflow-line.jsonl")
    with open(named, "w", encoding="utf-8") as f:
        for customer, period, revenue in (("a", "2025-01", "5"), ("big", "2025-01", "9223372036854.775807"),
                                          ("b", "2025-01", "1"), ("big", "2025-02", "1"),
                                          ("big", "2025-01", "0.000001"), ("big", "2025-01", "7")):
            f.write(json.dumps({"customer_id": customer, "period": period, "revenue": revenue}) + "\n")
    for command in (["compute", named], ["compute", "-j", "2", named], ["at-risk", named], ["report", named, "-o", "-"]):
        code, out, err = r.run(command)
        r.check(f"overflow line {' '.join(command[:-1])}: exit 65", code == 65, f"{code} {err[:300]!r}")
        r.check(f"overflow line {' '.join(command[:-1])}: names line 5", (named + ":5: revenue:").encode() in err, repr(err[:300]))
        r.check(f"overflow line {' '.join(command[:-1])}: nothing on stdout", out == b"", repr(out[:100]))
    code, out, err = r.run(["compute", "-"], stdin=named)
    r.check("overflow from stdin: exit 65, no line", code == 65 and b"<stdin>: revenue:" in err, f"{code} {err[:300]!r}")


def test_report(r, activity, work):
    target = os.path.join(work, "report.html")
    code, out, err = r.run(["report", "--by", "segment", activity, "-o", target])
    r.check("report: exit 0", code == 0, f"{code} {err[:300]!r}")
    with open(target, "rb") as f:
        page = f.read()
    bidi = [b for b in BIDI_BYTES if b in page]
    r.check("report: no raw bidi controls", not bidi, repr(bidi))
    r.check("report: U+202E shown as its code", b"\\u202eevil" in page)


def widest(data):
    return max((len(l) for l in data.decode("utf-8").splitlines()), default=0)


def test_80_columns(r, data, examples, work, activity):
    """Every table fits 80 columns (issue 18), on inputs made to be wide."""
    # 3,000 customers paying 3,700.00 a month: mrr_end 11,100,000.00 (13 characters) made the
    # compute table 82 columns wide; the money columns become compact (11.1M) instead.
    wide = os.path.join(work, "wide.csv")
    with open(wide, "w", encoding="utf-8") as f:
        f.write("customer_id,period,revenue,segment\n")
        for i in range(3000):
            for month in ("2025-01", "2025-02"):
                f.write(f"customer-{i:05d},{month},3700.00,{'enterprise' if i % 2 else 'smb'}\n")
    code, out, err = r.run(["compute", wide])
    r.check("80: compute wide exit 0", code == 0, f"{code} {err[:300]!r}")
    r.check("80: compute wide table", widest(out) <= 80, str(widest(out)))
    r.check("80: compute mrr compact", "11.1M" in out.decode(), out.decode()[:400])
    code, out, err = r.run(["compute", "--by", "segment", wide])
    r.check("80: compute --by wide table", widest(out) <= 80, str(widest(out)))
    lines = out.decode().splitlines()
    r.check("80: --by summary labelled", any(l.startswith("all customers:") for l in lines), repr(lines[-8:]))
    code, out, err = r.run(["compute", "--by", "segment", activity])
    r.check("80: compute --by hostile", widest(out) <= 80, str(widest(out)))
    code, out, err = r.run(["cohorts", "--by", "segment", activity])
    r.check("80: cohorts --by hostile", widest(out) <= 80, str(widest(out)))
    # at-risk examples/activity.csv was 88 columns wide.
    code, out, err = r.run(["at-risk", os.path.join(examples, "activity.csv")])
    r.check("80: at-risk examples/activity.csv", code == 0 and widest(out) <= 80, f"{code} {widest(out)}")
    r.check("80: at-risk names kept whole", b"saltmarsh-brewing " in out and b"Harbor & Pine, LLC " in out)
    code, out, err = r.run(["at-risk", activity])
    r.check("80: at-risk hostile", widest(out) <= 80, str(widest(out)))
    # predict: the notes (up to 247 characters) go to stderr, -q silences them; warnings wrap.
    tx = os.path.join(data, "predictive", "crash_100customers.csv")
    code, out, err = r.run(["predict", "--end", "2025-06-30", tx])
    r.check("80: predict exit 0", code == 0, f"{code} {err[:300]!r}")
    r.check("80: predict table", widest(out) <= 80, str(widest(out)))
    r.check("80: predict notes on stderr", b"note: " not in out and b"csm-metrics: note: BG/NBD: p_alive is 1" in err,
            repr(err[:300]))
    r.check("80: predict warning in the table, wrapped", b"warning: BG/NBD converged to a limit" in out)
    code, out, err = r.run(["predict", "--end", "2025-06-30", "-q", tx])
    r.check("80: predict -q: stderr empty", code == 0 and err == b"", repr(err[:300]))
    code, out, err = r.run(["predict", "--end", "2025-06-30", os.path.join(work, "tx.jsonl")])
    r.check("80: predict hostile ids", widest(out) <= 80, str(widest(out)))
    code, out, err = r.run(["rfm", "--end", "2025-06-30", os.path.join(work, "tx.jsonl")])
    r.check("80: rfm hostile ids", widest(out) <= 80, str(widest(out)))


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
    activity = os.path.join(work, "hostile.jsonl")
    write_activity(activity)
    guarded(r, test_compute, r, activity)
    guarded(r, test_at_risk, r, activity)
    guarded(r, test_cohorts, r, activity)
    guarded(r, test_transactions, r, os.path.abspath(options.data), work)
    guarded(r, test_overflow, r, work)
    guarded(r, test_report, r, activity, work)
    guarded(r, test_80_columns, r, os.path.abspath(options.data), os.path.abspath(options.examples), work, activity)
    print(f"output safety e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
