#!/usr/bin/env python3
"""End-to-end tests: the data-quality warnings of a file read in shares by several threads are
those of one thread (issue 16), Python 3 standard library only.

A file of 32 MiB or more is read in shares, one per thread; CSM_SPLIT_MIN_BYTES=1 makes these
small files split as well. Each expected warning below is worked out by hand from the rows
(comments next to them); the same command with -j 1, -j 2 and -j 3 must also print byte-identical
output and stderr.

Usage: test_data_quality_split.py --binary PATH --work DIR
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_support  # noqa: E402  (the scripts' shared command line)
from run_e2e import Runner, guarded  # noqa: E402  (the shared runner and its checks)

ENV = {"CSM_TODAY": "2024-05-10", "CSM_SPLIT_MIN_BYTES": "1"}


def write(work, name, lines):
    with open(os.path.join(work, name), "w", encoding="utf-8", newline="") as f:
        f.write("customer_id,period,revenue\n" + "".join(line + "\n" for line in lines))
    return name


def runs(r, work, args):
    """(-j 1 result, [(threads, result) for -j 2 and -j 3])."""
    def with_threads(j):
        return r.run(args[:1] + ["-j", str(j)] + args[1:], cwd=work, env=ENV)
    return with_threads(1), [(j, with_threads(j)) for j in (2, 3)]


def same_on_threads(r, name, one, more):
    for j, result in more:
        r.check(f"{name}: -j {j} prints what -j 1 prints (stdout, stderr, exit)", result == one,
                f"-j 1: {one[0]} {one[2][:400]!r}\n-j {j}: {result[0]} {result[2][:400]!r}")


def doc_of(r, name, result):
    code, out, err = result
    try:
        return json.loads(out.decode())
    except ValueError:
        r.check(name + ": JSON on stdout", False, repr(out[:300]) + repr(err))
        return {}


# dup.csv: c01..c10 in each month 2024-01..2024-04 at 10, in month order (lines 2-42, c01's
# January row twice), then three copies at the end:
#   line 2 c01,2024-01  line 3 c01,2024-01 (copy of line 2: both in the first share)
#   lines 4-12 c02..c10,2024-01; 13-22 2024-02; 23-32 2024-03; 33-42 2024-04
#   line 43 c10,2024-04 (copy of line 42: both in the last share)
#   line 44 c02,2024-01 (copy of line 4: first share and last share)
#   line 45 c03,2024-02 (copy of line 14: first or middle share and last share)
#   duplicate_rows: 4 rows, in 2024-01, 2024-02 and 2024-04; first at lines 3, 43, 44.
#   mrr_end: 2024-01 100 + 10 + 10 = 120; 2024-02 110; 2024-03 100; 2024-04 110.
#   Nothing else: no month without rows, 2024-04 has 11 rows against (12 + 11 + 10) / 3 = 11,
#   no day dates, nothing after 2024-05.
def dup_lines():
    lines = ["c01,2024-01,10"]
    for m in range(1, 5):
        lines += [f"c{c:02d},2024-{m:02d},10" for c in range(1, 11)]
    lines += ["c10,2024-04,10", "c02,2024-01,10", "c03,2024-02,10"]
    return lines


def test_duplicates_in_and_across_shares(r, work):
    dup = write(work, "dup.csv", dup_lines())
    one, more = runs(r, work, ["compute", "-f", "json", dup])
    same_on_threads(r, "dup", one, more)
    doc = doc_of(r, "dup", one)
    warnings = doc.get("data_warnings", [])
    r.check("dup: one warning, duplicate_rows", [w["code"] for w in warnings] == ["duplicate_rows"],
            repr(warnings))
    if warnings:
        r.check("dup: evidence", warnings[0]["evidence"] == {
            "periods": ["2024-01", "2024-02", "2024-04"], "counts": {"rows": 4},
            "locations": ["dup.csv:3", "dup.csv:43", "dup.csv:44"]}, repr(warnings[0]))
    r.check("dup: mrr_end 120 110 100 110", [p["mrr_end"] for p in doc.get("periods", [])]
            == [120, 110, 100, 110], repr([p["mrr_end"] for p in doc.get("periods", [])]))
    # --dedupe drops the 4 copies: every month 100, the same on any number of threads.
    one, more = runs(r, work, ["compute", "-f", "json", "--dedupe", dup])
    same_on_threads(r, "dup --dedupe", one, more)
    doc = doc_of(r, "dup --dedupe", one)
    r.check("dup --dedupe: 4 dropped, 40 used, every month 100, no warning",
            doc.get("input", {}).get("duplicate_records_dropped") == 4
            and doc["input"].get("records") == 40 and "data_warnings" not in doc
            and [p["mrr_end"] for p in doc["periods"]] == [100] * 4, repr(doc.get("input")))
    # The table's stderr names the warning the same way on every thread count.
    one, more = runs(r, work, ["compute", dup])
    same_on_threads(r, "dup table", one, more)
    r.check("dup table: warning on stderr", b"warning: duplicate_rows: 4 rows" in one[2], one[2][:300])


# Two overlapping exports, each read in shares:
#   f1.csv: a01..a12 in 2024-01 (lines 2-13), 2024-02 (14-25), 2024-03 (26-37), at 10.
#   f2.csv: a01..a12 in 2024-04 (lines 2-13), then 2024-03 at 11 (lines 14-25), then one row
#   a01,2026-01,10 (line 26, a mistyped year).
#   overlapping_sources: the 12 customer-months of 2024-03, inputs f1.csv and f2.csv, first at
#   f2.csv:14, 15, 16 (no exact copies: the revenues differ).
#   isolated_period: 2026-01, 1 row, 2026-01 - 2024-04 = 21 months apart, at f2.csv:26.
#   future_period: 2026-01 (after 2024-05-10), 1 row, at f2.csv:26.
#   mrr_end 2024-03: 12 * 10 + 12 * 11 = 252.
def test_overlapping_files(r, work):
    f1 = write(work, "f1.csv", [f"a{c:02d},2024-{m:02d},10" for m in (1, 2, 3) for c in range(1, 13)])
    f2 = write(work, "f2.csv", [f"a{c:02d},2024-04,10" for c in range(1, 13)]
               + [f"a{c:02d},2024-03,11" for c in range(1, 13)] + ["a01,2026-01,10"])
    one, more = runs(r, work, ["compute", "-f", "json", f1, f2])
    same_on_threads(r, "overlap", one, more)
    doc = doc_of(r, "overlap", one)
    by_code = {w["code"]: w for w in doc.get("data_warnings", [])}
    r.check("overlap: codes", [w["code"] for w in doc.get("data_warnings", [])]
            == ["isolated_period", "future_period", "overlapping_sources"], repr(list(by_code)))
    r.check("overlap: overlapping_sources evidence", by_code.get("overlapping_sources", {}).get("evidence") == {
        "periods": ["2024-03"], "counts": {"customer_months": 12, "inputs": 2},
        "locations": ["f2.csv:14", "f2.csv:15", "f2.csv:16"]}, repr(by_code.get("overlapping_sources")))
    r.check("overlap: isolated_period evidence", by_code.get("isolated_period", {}).get("evidence") == {
        "periods": ["2026-01"], "counts": {"rows": 1, "months_apart": 21}, "locations": ["f2.csv:26"]},
        repr(by_code.get("isolated_period")))
    r.check("overlap: future_period evidence", by_code.get("future_period", {}).get("evidence") == {
        "periods": ["2026-01"], "counts": {"rows": 1}, "locations": ["f2.csv:26"]},
        repr(by_code.get("future_period")))
    march = next((p for p in doc.get("periods", []) if p["period"] == "2024-03"), {})
    r.check("overlap: 2024-03 mrr_end 252", march.get("mrr_end") == 252, repr(march))
    # The same export twice, split: every row of the second copy is a copy and an overlap.
    one, more = runs(r, work, ["compute", "-f", "json", f1, f1])
    same_on_threads(r, "twice", one, more)
    doc = doc_of(r, "twice", one)
    by_code = {w["code"]: w for w in doc.get("data_warnings", [])}
    # (two inputs: the first and the second f1.csv, by their place in the command)
    r.check("twice: 36 copies from f1.csv:2, 36 customer-months", by_code.get("duplicate_rows", {}).get("evidence") == {
        "periods": ["2024-01", "2024-02", "2024-03"], "counts": {"rows": 36},
        "locations": ["f1.csv:2", "f1.csv:3", "f1.csv:4"]}
        and by_code.get("overlapping_sources", {}).get("evidence", {}).get("counts")
        == {"customer_months": 36, "inputs": 2}, repr(doc.get("data_warnings")))


def test_knob(r, work):
    name = write(work, "knob.csv", ["a,2024-01,10"])
    code, _, err = r.run(["compute", name], cwd=work, env={"CSM_SPLIT_MIN_BYTES": "lots"})
    r.check("CSM_SPLIT_MIN_BYTES=lots: usage error", code == 2 and b"CSM_SPLIT_MIN_BYTES" in err, f"{code} {err!r}")


def main():
    options = e2e_support.options(__doc__)
    work = options.work
    r = Runner(options.binary, work)
    for test in (test_duplicates_in_and_across_shares, test_overlapping_files, test_knob):
        guarded(r, test, r, work)
    print(f"data quality split e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
