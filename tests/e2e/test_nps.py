#!/usr/bin/env python3
"""End-to-end tests of the nps column (issue 21): compute (JSON, CSV, table --all), --grain
quarter, --by, --fail-if, --emit-state/merge, report, bad answers and `calc nps`. Python 3
standard library only.

tests/data/nps/nps.csv by hand. NPS = 100 (promoters - detractors) / responses; promoters answer
9-10, passives 7-8, detractors 0-6; every answer counts (b answers twice in 2025-02, once on a
row with revenue 0); a blank cell is no answer.

    customer  segment  2025-01   2025-02        2025-03
    a         pro      10 (P)    9 (P)          blank
    b         pro      6 (D)     8 (Pa), 3 (D)  0 (D)
    c         basic    7 (Pa)    blank          10 (P)
    d         basic    -         9 (P)          7 (Pa)
    e         basic    5 (D)     -              -
    f         basic    1 (D)     -              -

    all     2025-01: N 5, P 1, Pa 1, D 3 -> 100 (1 - 3) / 5 = -40
            2025-02: N 4, P 2, Pa 1, D 1 -> 100 (2 - 1) / 4 = 25
            2025-03: N 3, P 1, Pa 1, D 1 -> 0
            2025-Q1: N 12, P 4, Pa 3, D 5 -> 100 (4 - 5) / 12 = -8.333... (answers summed; the mean
                     of the months would be -5)
    pro     2025-01: N 2, P 1, D 1 -> 0;  2025-02: N 3, P 1, Pa 1, D 1 -> 0;  2025-03: N 1, D 1 -> -100
            2025-Q1: N 6, P 2, Pa 1, D 3 -> 100 (2 - 3) / 6 = -16.666...
    basic   2025-01: N 3, Pa 1, D 2 -> -66.666...;  2025-02: N 1, P 1 -> 100;  2025-03: N 2, P 1, Pa 1 -> 50
            2025-Q1: N 6, P 2, Pa 2, D 2 -> 0

Usage: test_nps.py --binary PATH --data DIR --work DIR
"""

import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402  (the shared runner and its checks)

NPS_FIELDS = ["nps", "nps_responses", "nps_promoters", "nps_passives", "nps_detractors"]

# (nps, responses, promoters, passives, detractors), worked out above.
MONTHS = {"2025-01": (-40.0, 5, 1, 1, 3), "2025-02": (25.0, 4, 2, 1, 1), "2025-03": (0.0, 3, 1, 1, 1)}
QUARTER = (100 * (4 - 5) / 12, 12, 4, 3, 5)
GROUP_MONTHS = {
    "pro": {"2025-01": (0.0, 2, 1, 0, 1), "2025-02": (0.0, 3, 1, 1, 1), "2025-03": (-100.0, 1, 0, 0, 1)},
    "basic": {"2025-01": (100 * (0 - 2) / 3, 3, 0, 1, 2), "2025-02": (100.0, 1, 1, 0, 0),
              "2025-03": (50.0, 2, 1, 1, 0)},
}
GROUP_QUARTER = {"pro": (100 * (2 - 3) / 6, 6, 2, 1, 3), "basic": (0.0, 6, 2, 2, 2)}


def same(period, want):
    got = tuple(period.get(k) for k in NPS_FIELDS)
    return got[1:] == want[1:] and got[0] is not None and abs(got[0] - want[0]) < 1e-9


def compute_json(r, name, args):
    text = r.expect_ok(name, r.run(["compute", "--format", "json"] + args))
    return json.loads(text) if text else None


def test_monthly(r, data):
    doc = compute_json(r, "monthly", [data])
    if doc is None:
        return
    periods = {p["period"]: p for p in doc["periods"]}
    for month, want in MONTHS.items():
        r.check(f"monthly {month}", same(periods[month], want), repr(periods[month]))
    keys = list(doc["periods"][0])
    r.check("the NPS fields follow quick_ratio, in order", keys[keys.index("quick_ratio") + 1:] == NPS_FIELDS,
            repr(keys))
    # The same by --by segment, and the all-customers periods do not change.
    doc = compute_json(r, "--by segment", [data, "--by", "segment"])
    if doc is None:
        return
    r.check("--by: all customers unchanged", {p["period"]: p for p in doc["periods"]} == periods)
    for g in doc["groups"]:
        for p in g["periods"]:
            want = GROUP_MONTHS[g["group"]][p["period"]]
            r.check(f"--by {g['group']} {p['period']}", same(p, want), repr(p))
            r.check(f"--by {g['group']} {p['period']}: moves after the NPS fields",
                    list(p)[-4:] == ["moved_in_customers", "moved_out_customers", "moved_in_mrr", "moved_out_mrr"])


def test_quarter(r, data):
    doc = compute_json(r, "quarter", [data, "--grain", "quarter", "--by", "segment"])
    if doc is None:
        return
    q = doc["periods"]
    r.check("quarter: one period, answers summed over the months", len(q) == 1 and same(q[0], QUARTER), repr(q))
    for g in doc["groups"]:
        r.check(f"quarter {g['group']}", same(g["periods"][0], GROUP_QUARTER[g["group"]]), repr(g["periods"]))


def test_csv_and_table(r, data):
    text = r.expect_ok("csv", r.run(["compute", "--format", "csv", data]))
    if text is None:
        return
    lines = text.splitlines()
    header = lines[0].split(",")
    r.check("csv header ends with the NPS fields", header[-5:] == NPS_FIELDS, repr(header))
    row = dict(zip(header, lines[1].split(",")))
    r.check("csv 2025-01", [row[k] for k in NPS_FIELDS] == ["-40", "5", "1", "1", "3"], repr(row))
    text = r.expect_ok("csv quarter", r.run(["compute", "--format", "csv", "--grain", "quarter", data]))
    if text:
        header = text.splitlines()[0].split(",")
        r.check("csv quarter: NPS fields before months", header[-6:] == NPS_FIELDS + ["months"], repr(header))
    table = r.expect_ok("table --all", r.run(["compute", "--all", data]))
    if table:
        head = table.splitlines()[0].split()
        r.check("table --all has the NPS columns", head[-5:] == NPS_FIELDS, repr(head))
        jan = table.splitlines()[1].split()
        r.check("table --all 2025-01: -40.0 from 5 answers", jan[-5:] == ["-40.0", "5", "1", "1", "3"], repr(jan))
    key = r.expect_ok("table", r.run(["compute", data]))
    if key:
        r.check("the key-column table has no NPS column", "nps" not in key.splitlines()[0], key.splitlines()[0])


def test_fail_if(r, data):
    code, _, err = r.run(["compute", "--fail-if", "nps < 0", data])
    r.check("fail-if nps < 0, latest (March 0): exit 0", code == 0, f"exit {code}, {err!r}")
    code, _, err = r.run(["compute", "--fail-if", "nps < 0", "--fail-scope", "all", data])
    lines = [l for l in err.decode().splitlines() if "threshold crossed" in l]
    r.check("fail-if nps < 0 over all months: January crosses", code == 1 and lines ==
            ["csm-metrics: threshold crossed: nps < 0 in 2025-01: -40"], repr(err))
    code, _, err = r.run(["compute", "--fail-if", "nps < 0", "--grain", "quarter", data])
    r.check("fail-if nps < 0 quarterly: Q1 -8.3 crosses", code == 1 and b"nps < 0 in 2025-Q1" in err, repr(err))
    code, out, err = r.run(["compute", "--fail-if", "nps < 0", "--by", "segment", "--format", "json", data])
    doc = json.loads(out) if out else {}
    crossed = [(c.get("group"), c["period"]) for c in doc.get("thresholds", []) if c["crossed"]]
    r.check("fail-if --by: pro's March -100 crosses, basic's 50 not", code == 1 and crossed == [("pro", "2025-03")],
            repr(doc.get("thresholds")))
    code, _, err = r.run(["compute", "--fail-if", "nps_responses < 4", data])
    r.check("fail-if on the response count: March's 3 < 4", code == 1 and b"nps_responses < 4 in 2025-03: 3" in err,
            repr(err))


def test_no_answers(r, work):
    """An nps column without answers: the fields, null nps, 0 responses; without the column none."""
    path = os.path.join(work, "blank.csv")
    with open(path, "w") as f:
        f.write("customer_id,period,revenue,nps\nx,2025-01,10,\ny,2025-02,20, \n")
    doc = compute_json(r, "blank nps column", [path])
    if doc:
        r.check("blank column: nps null, counts 0", all(
            [p[k] for k in NPS_FIELDS] == [None, 0, 0, 0, 0] for p in doc["periods"]), repr(doc["periods"]))
    code, _, err = r.run(["compute", "--fail-if", "nps < 0", "--fail-scope", "all", path])
    r.check("fail-if on a null nps: exit 0 with a note", code == 0 and b"no nps answers" in err, repr(err))
    path = os.path.join(work, "none.csv")
    with open(path, "w") as f:
        f.write("customer_id,period,revenue\nx,2025-01,10\n")
    doc = compute_json(r, "no nps column", [path])
    if doc:
        r.check("no column: no NPS field", not any(k.startswith("nps") for k in doc["periods"][0]), repr(doc))
    code, _, err = r.run(["compute", "--fail-if", "nps < 0", path])
    r.check("fail-if nps without the column: exit 0, noted", code == 0 and b"the input has no nps column" in err,
            repr(err))


def test_json_input_and_state(r, data, work):
    rows = []
    with open(data) as f:
        header = f.readline().strip().split(",")
        for line in f:
            row = dict(zip(header, line.strip().split(",")))
            row["revenue"] = row["revenue"]
            row["nps"] = int(row["nps"]) if row["nps"] else None  # numbers and null, as JSON exports write them
            rows.append(row)
    path = os.path.join(work, "nps.json")
    with open(path, "w") as f:
        json.dump(rows, f)
    a = compute_json(r, "csv", [data, "--by", "segment"])
    b = compute_json(r, "json input", [path, "--by", "segment"])
    if a and b:
        r.check("JSON input (numbers, null): the same periods", a["periods"] == b["periods"] and a["groups"] == b["groups"])
    # Two customer shards (csm-metrics shard) through --emit-state and merge give one run's output.
    shards = os.path.join(work, "shards")
    r.expect_ok("shard", r.run(["shard", data, "-n", "2", "-o", shards, "-q"]))
    states = []
    for i in range(2):
        part = os.path.join(shards, f"shard-{i}-of-2.csv")
        state = os.path.join(work, f"part{i}.state")
        r.expect_ok(f"emit-state {i}", r.run(["compute", part, "--by", "segment", "--grain", "quarter",
                                              "--shard", f"{i}/2", "--emit-state", state]))
        states.append(state)
    whole = r.expect_ok("whole quarter", r.run(["compute", data, "--by", "segment", "--grain", "quarter",
                                                "--format", "json"]))
    merged = r.expect_ok("merge", r.run(["merge"] + states + ["--format", "json"]))
    if whole and merged:
        w, m = json.loads(whole), json.loads(merged)
        r.check("merge of two shards: the same periods and groups",
                w["periods"] == m["periods"] and w["groups"] == m["groups"], repr(m["periods"]))
        r.check("merge: NPS of Q1", same(m["periods"][0], QUARTER), repr(m["periods"]))


def test_report(r, data, work):
    out = os.path.join(work, "report.html")
    r.expect_ok("report", r.run(["report", data, "-o", out]))
    if os.path.exists(out):
        html = open(out, encoding="utf-8").read()
        r.check("report: an NPS chart", 'id="chart-nps"' in html)
        r.check("report: an NPS headline row with March's 0", '<th scope="row">NPS</th><td class="num">0</td>'
                '<td class="num">25</td>' in html, html[html.find(">NPS<") - 50:html.find(">NPS<") + 200])
    plain = os.path.join(work, "plain.csv")
    with open(plain, "w") as f:
        f.write("customer_id,period,revenue\nx,2025-01,10\n")
    out = os.path.join(work, "plain.html")
    r.expect_ok("report without nps", r.run(["report", plain, "-o", out]))
    if os.path.exists(out):
        html = open(out, encoding="utf-8").read()
        r.check("report without an nps column: no NPS", "chart-nps" not in html and ">NPS<" not in html)


def test_bad(r, work):
    for value, shown in (("7.5", '"7.5"'), ("11", '"11"'), ("-1", '"-1"'), ("nine", '"nine"'), ("07", '"07"')):
        path = os.path.join(work, "bad.csv")
        with open(path, "w") as f:
            f.write(f"customer_id,period,revenue,nps\nx,2025-01,10,9\ny,2025-01,10,{value}\n")
        r.expect_error(f"nps {value}", r.run(["compute", path]), 65, r"bad\.csv:3: nps: expected a whole number 0\.\.10",
                       shown)
    path = os.path.join(work, "bad.json")
    with open(path, "w") as f:
        f.write('[{"customer_id": "x", "period": "2025-01", "revenue": 10, "nps": true}]')
    r.expect_error("nps true (JSON)", r.run(["compute", path]), 65, r"nps: expected a whole number 0\.\.10")
    code, out, err = r.run(["compute", "--skip-invalid", "--format", "json", os.path.join(work, "bad.csv")])
    doc = json.loads(out) if code == 0 else None
    r.check("--skip-invalid: the bad answer's row is skipped, the other counts",
            doc is not None and doc["input"]["skipped_records"] == 1 and doc["periods"][0]["nps_responses"] == 1,
            f"exit {code}, {err!r}")


def test_calc(r):
    out = r.expect_ok("calc nps", r.run(["calc", "nps", "--promoters", "4", "--passives", "3", "--detractors", "5"]))
    r.check("calc nps text", out == "nps = -8.3 (33.3% promoters - 41.7% detractors, 12 responses)\n", repr(out))
    out = r.expect_ok("calc nps json", r.run(["calc", "nps", "--promoters", "4", "--responses", "12",
                                              "--detractors", "5", "--format", "json"]))
    doc = json.loads(out) if out else {}
    r.check("calc nps json", doc.get("passives") == 3 and abs(doc.get("value", 0) - (-100 / 12)) < 1e-12, repr(doc))
    r.expect_usage_error("calc nps, no answers", r.run(["calc", "nps", "--promoters", "0", "--passives", "0",
                                                        "--detractors", "0"]), "no answers")
    r.expect_usage_error("calc nps, parts above responses", r.run(
        ["calc", "nps", "--promoters", "8", "--detractors", "5", "--responses", "12"]), "cannot exceed")
    r.expect_usage_error("calc nps, neither --passives nor --responses", r.run(
        ["calc", "nps", "--promoters", "8", "--detractors", "5"]), "--passives")
    r.expect_usage_error("calc nps, both", r.run(
        ["calc", "nps", "--promoters", "8", "--detractors", "5", "--passives", "1", "--responses", "14"]), "--passives")


def test_reference(r, work):
    """A second implementation on random data: 150 customers over 14 months (2024-11..2025-12),
    0-3 rows per customer and month, each with a random segment and a random answer or none
    (blank), in random row order. The reference counts the answers per (row segment, month) and
    per period of each grain, and compares every NPS field of compute --by segment."""
    import random
    rnd = random.Random(21)
    rows = []
    for c in range(150):
        for m in range(14):
            for _ in range(rnd.choice([0, 0, 1, 1, 2, 3])):
                year, month = (2024, 11 + m) if m < 2 else (2025, m - 1)
                answer = rnd.choice([None] + list(range(11)))
                rows.append((f"c{c}", f"{year}-{month:02d}", f"{rnd.randint(0, 3) * 10}.{len(rows):06d}",  # never two equal rows
                             rnd.choice(["x", "y", "z"]), "" if answer is None else str(answer)))
    rnd.shuffle(rows)
    path = os.path.join(work, "random.csv")
    with open(path, "w") as f:
        f.write("customer_id,period,revenue,segment,nps\n")
        f.writelines(",".join(row) + "\n" for row in rows)

    def label(period, grain):
        year, month = int(period[:4]), int(period[5:7])
        return {"month": period, "quarter": f"{year}-Q{(month - 1) // 3 + 1}", "year": str(year)}[grain]

    for grain in ("month", "quarter", "year"):
        want = {}  # (group or None, label) -> [promoters, passives, detractors]
        for _, period, _, segment, answer in rows:
            for group in (None, segment):
                counts = want.setdefault((group, label(period, grain)), [0, 0, 0])
                if answer:
                    a = int(answer)
                    counts[0 if a >= 9 else 1 if a >= 7 else 2] += 1
        doc = compute_json(r, f"random {grain}", [path, "--by", "segment", "--grain", grain])
        if doc is None:
            return
        got = {(None, p["period"]): p for p in doc["periods"]}
        for g in doc["groups"]:
            got.update({(g["group"], p["period"]): p for p in g["periods"]})
        bad = []
        for key, p in got.items():
            pro, pas, det = want.get(key, [0, 0, 0])
            n = pro + pas + det
            expect = [None if n == 0 else 100 * (pro - det) / n, n, pro, pas, det]
            value = [p[k] for k in NPS_FIELDS]
            if value[1:] != expect[1:] or (expect[0] is None) != (value[0] is None) or (
                    expect[0] is not None and abs(value[0] - expect[0]) > 1e-9):
                bad.append((key, value, expect))
        r.check(f"random {grain}: every NPS field of {len(got)} periods as the reference", not bad and set(want) <= set(got),
                repr(bad[:3]))


def test_invoices(r, work):
    """Invoice records: an answer counts in the month of its line's service_start. By hand:
    a's line covers the ends of January and February, its 9 counts in 2024-01; c's line covers no
    month's end (a zero row in 2024-01), its 10 still counts there; b's 3 counts in 2024-02.
    2024-01: 2 promoters of 2 -> 100; 2024-02: 1 detractor of 1 -> -100."""
    path = os.path.join(work, "invoices.csv")
    with open(path, "w") as f:
        f.write("customer_id,service_start,service_end,amount,nps\n"
                "a,2024-01-15,2024-03-15,200.00,9\n"
                "b,2024-02-01,2024-03-01,50.00,3\n"
                "c,2024-01-10,2024-01-20,10.00,10\n")
    doc = compute_json(r, "invoices", [path])
    if doc:
        got = {p["period"]: [p[k] for k in NPS_FIELDS] for p in doc["periods"]}
        r.check("invoices: NPS in the month of service_start",
                got.get("2024-01") == [100, 2, 2, 0, 0] and got.get("2024-02") == [-100, 1, 0, 0, 1], repr(got))


def test_churn_features(r, work):
    """churn-risk's NPS features (docs/churn-risk.md) against a reference: for each exported
    customer-month t, nps_latest = the mean of the answers of the latest month <= t with answers,
    nps_lowest_6m = the lowest answer in t-5..t, nps_count = the answers up to t (blank: none)."""
    import csv
    import random
    rnd = random.Random(7)
    answers = {}  # (customer, month number) -> [answers]
    lines = ["customer_id,period,revenue,nps"]
    for c in range(120):
        start, stop = rnd.randint(0, 6), rnd.randint(7, 14)
        for m in range(start, stop):
            for _ in range(rnd.choice([1, 1, 2])):
                a = rnd.choice([None, None, None] + list(range(11)))
                if a is not None:
                    answers.setdefault((f"k{c}", m), []).append(a)
                lines.append(f"k{c},{2024 + m // 12}-{m % 12 + 1:02d},{10 + c % 7}.00,{'' if a is None else a}")
    path = os.path.join(work, "churn.csv")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    features = os.path.join(work, "features.csv")
    code, _, err = r.run(["churn-risk", path, "--features-csv", features])
    if not r.check("churn-risk on an nps file: exit 0", code == 0, repr(err[-300:])):
        return
    with open(features, newline="") as f:
        rows = list(csv.DictReader(f))
    bad = []
    for row in rows:
        t = (int(row["period"][:4]) - 2024) * 12 + int(row["period"][5:7]) - 1
        mine = {m: a for (c, m), a in answers.items() if c == row["customer_id"] and m <= t}
        latest = sum(mine[max(mine)]) / len(mine[max(mine)]) if mine else None
        window = [x for m, a in mine.items() if m >= t - 5 for x in a]
        want = [latest, min(window) if window else None, sum(len(a) for a in mine.values())]
        got = [float(row[k]) if row[k] else None for k in ("nps_latest", "nps_lowest_6m", "nps_count")]
        if got[1:] != want[1:] or (got[0] is None) != (want[0] is None) or (
                got[0] is not None and abs(got[0] - want[0]) > 1e-6):
            bad.append((row["customer_id"], row["period"], got, want))
    r.check(f"churn-risk NPS features of {len(rows)} customer-months as the reference", rows and not bad,
            repr(bad[:3]))


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
    data = os.path.join(os.path.abspath(options.data), "nps", "nps.csv")
    for test in (test_monthly, test_quarter, test_csv_and_table, test_fail_if):
        guarded(r, test, r, data)
    guarded(r, test_no_answers, r, work)
    guarded(r, test_json_input_and_state, r, data, work)
    guarded(r, test_report, r, data, work)
    guarded(r, test_bad, r, work)
    guarded(r, test_calc, r)
    guarded(r, test_reference, r, work)
    guarded(r, test_invoices, r, work)
    guarded(r, test_churn_features, r, work)
    print(f"nps e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
