#!/usr/bin/env python3
"""End-to-end tests of `csm-metrics report` through the real binary (Python 3 standard library).

- `-o` failures: a path that cannot be created (exit 74), a directory, /dev/full, stdout on
  /dev/full; an existing output file survives every failed run byte for byte and no temporary file
  is left beside it.
- --grain year: the notes name the grain's period ("no year has ..."), consistent with
  `compute --grain year --format json` of the same binary (no hard-coded quarter or year numbers).
- One month of data: the customers axis is ticked in whole customers.

Usage: test_report.py --binary PATH --data DIR --examples DIR --work DIR
"""

import argparse
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402


def test_output_failures(r, examples, data):
    activity = os.path.join(examples, "activity.csv")
    work = r.workdir("report-o")

    # A path whose directory cannot be written: under /proc nobody, not even root, creates files.
    for target, why in [("/proc/csm-metrics-report.html", "cannot create a temporary file"),
                        (os.path.join(work, "missing-dir", "report.html"), "No such file or directory")]:
        r.expect_error(f"-o {target}", r.run(["report", activity, "-o", target]), 74, re.escape(why))
        r.check(f"-o {target}: nothing created", not os.path.exists(target))
    # A regular file used as a directory.
    plain = os.path.join(work, "plain.txt")
    with open(plain, "w", encoding="utf-8") as f:
        f.write("x\n")
    r.expect_error("-o under a regular file", r.run(["report", activity, "-o", os.path.join(plain, "r.html")]), 74,
                   "Not a directory")
    # A directory without write permission (only meaningful when not root: root may write anyway).
    locked = os.path.join(work, "locked")
    os.makedirs(locked)
    os.chmod(locked, 0o555)
    try:
        if os.geteuid() != 0:
            r.expect_error("-o into a read-only directory", r.run(["report", activity, "-o",
                                                                  os.path.join(locked, "r.html")]), 74)
            r.check("read-only directory stays empty", os.listdir(locked) == [])
        else:
            r.skip("-o into a read-only directory", "running as root, which may write there anyway")
    finally:
        os.chmod(locked, 0o755)
    # A directory as the output.
    folder = os.path.join(work, "folder")
    os.makedirs(folder)
    for target in (folder, folder + "/"):
        r.expect_error(f"-o {target!r} (a directory)", r.run(["report", activity, "-o", target]), 74,
                       "is a directory")
        r.check(f"-o {target!r}: the directory is left empty", os.listdir(folder) == [])
    # A full device, as -o and as stdout.
    if os.path.exists("/dev/full"):
        r.expect_error("-o /dev/full", r.run(["report", activity, "-o", "/dev/full"]), 74,
                       "/dev/full: write failed")
        with open("/dev/full", "wb") as full:
            code, _, err = r.run(["report", activity], stdout=full)
        r.check("stdout on /dev/full: exit 74", code == 74, f"exit {code}, {err!r}")
        r.check_error_line("stdout on /dev/full", err, "<stdout>: write failed")
    else:
        r.skip("/dev/full", "no /dev/full on this system")

    # An existing page survives every failed run byte for byte, with no temporary file beside it.
    keep = os.path.join(work, "keep")
    os.makedirs(keep)
    page = os.path.join(keep, "report.html")
    code, _, err = r.run(["report", activity, "-o", page])
    r.check("the page to keep is written", code == 0 and os.path.exists(page), repr(err))
    with open(page, "rb") as f:
        before = f.read()
    bad = os.path.join(data, "e2e", "two_bad_rows.csv")
    failures = [
        ("invalid input", ["report", bad, "-o", page], 65),
        ("missing input", ["report", os.path.join(work, "no-such.csv"), "-o", page], 66),
        ("a bad option value", ["report", activity, "--grain", "week", "-o", page], 2),
        ("--until not a month", ["report", activity, "--until", "2025-13", "-o", page], 2),
        ("a missing --spend file", ["report", activity, "--spend", os.path.join(work, "no-spend.csv"), "-o", page], 66),
        ("a missing --by column", ["report", activity, "--by", "plan", "-o", page], 65),
        ("summary records with --by", ["report", os.path.join(examples, "summary.csv"), "--by", "segment", "-o", page], 2),
    ]
    for name, args, expected in failures:
        code, out, err = r.run(args)
        r.check(f"{name}: exit {expected}", code == expected, f"exit {code}, {err!r}")
        with open(page, "rb") as f:
            r.check(f"{name}: the existing page is unchanged byte for byte", f.read() == before)
        r.check(f"{name}: no temporary file left", os.listdir(keep) == ["report.html"], repr(os.listdir(keep)))


def test_grain_words(r, examples):
    activity = os.path.join(examples, "activity.csv")
    code, out, err = r.run(["report", activity, "--grain", "year"])
    r.check("--grain year: exit 0", code == 0, repr(err))
    page = out.decode()
    code, out, _ = r.run(["compute", "--grain", "year", "--format", "json", activity])
    periods = json.loads(out)["periods"]
    # What compute says decides what the page must say: a null churn rate in every year means the
    # churn chart is a note, and that note speaks of years.
    if all(p["churn_rate"] is None for p in periods):
        r.check("--grain year: the churn note speaks of years",
                "Not available: no year has customers at its start." in page, page[:200])
    else:
        r.check("--grain year: a churn chart", 'id="chart-churn"' in page)
    r.check("--grain year: no 'no month has' note", "no month has" not in page)
    r.check("--grain year: one column per year in the headline",
            all(f'<th scope="col" class="num">{p["period"]}</th>' in page for p in periods), repr(periods[:1]))


def test_one_month(r):
    work = r.workdir("report-one-month")
    one = os.path.join(work, "one.csv")
    with open(one, "w", encoding="utf-8") as f:
        f.write("customer_id,period,revenue\nsolo,2025-03,10\n")
    code, out, err = r.run(["report", one])
    r.check("one month: exit 0", code == 0, repr(err))
    page = out.decode()
    start = page.find('id="chart-customers"')
    bars = page[start:page.find("</svg>", start)]
    ticks = re.findall(r'<text class="tick"[^>]*text-anchor="end">([^<]*)</text>', bars)
    r.check("one month: whole-number ticks on the customers axis", ticks == ["0", "1"], repr(ticks))


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
    examples = os.path.abspath(options.examples)
    guarded(r, test_output_failures, r, examples, os.path.abspath(options.data))
    guarded(r, test_grain_words, r, examples)
    guarded(r, test_one_month, r)
    print(f"report e2e: {r.passed} passed, {r.failed} failed, {r.skipped} skipped")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
