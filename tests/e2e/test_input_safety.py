#!/usr/bin/env python3
"""End-to-end tests of issue 15's input-safety findings (Python 3 standard library only).

- 3: a mistyped year must not make `cohorts` or `report` use gigabytes: a range of more than
  1,200 months is refused with exit 65 at the row that stretches it, under an address-space limit
  and a time bound, on 1 and 2 threads; a wide range for `--by` with 16 groups too;
- 6: NaN and infinities in numeric options: exit 2, one `csm-metrics: error:` line;
- 12: an output that is one of the inputs (also through a hard or a symbolic link), two outputs
  naming one file, and empty output paths: exit 2, the input untouched;
- 13: rfm and predict refuse one day's purchases summed past the money limit (exit 65, naming the
  file and the customer), as compute refuses a month's revenue past it;
- 14: `--by` naming a column the records already read; `--help`/`--version` to /dev/full exit 74;
  `predict --horizon -1` names its bound in a few digits.

Every expected value here is worked out by hand in the comments, not taken from the program.
Usage: test_input_safety.py --binary PATH --examples DIR --work DIR [--sanitized]
"""

import argparse
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402 - the shared checks of the e2e tests

MIB = 1 << 20
MEMORY = 512 * MIB  # RLIMIT_AS of each bounded run (the dense matrix took 850 MB to 3.7 GB)
SECONDS = 20
MAX_MONEY = "9223372036854.775807"


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def bounded_error(r, name, args, sanitized, code, *patterns):
    got, out, err, rss, elapsed = r.run_bounded(args, SECONDS, None if sanitized else MEMORY)
    r.check(f"{name} within {SECONDS} s", got is not None, f"{elapsed:.1f} s")
    if not sanitized:
        r.check(f"{name} peak RSS below {MEMORY >> 20} MB", rss < MEMORY, f"{rss >> 20} MB")
    r.expect_error(name, (got, out, err), code, *patterns)


# ---- 3: the range of months of cohorts and report ------------------------------------------------
def test_cohort_range(r, examples, sanitized):
    work = r.workdir("range")
    # 1500-01 .. 1999-12: 500 years = 6,000 months > 1,200. Both ends are as far from the rest
    # (there is no rest): the earliest row, line 2, is named.
    two = write(os.path.join(work, "two.csv"), "customer_id,period,revenue\na,1500-01,1\nb,1999-12,1\n")
    for command in (["cohorts"], ["report", "-o", os.path.join(work, "r.html")],
                    ["cohorts", "--emit-state", os.path.join(work, "s.state")]):
        for threads in ("1", "2"):
            bounded_error(r, f"{command[0]} {command[1:]} 1500-01..1999-12 -j {threads}",
                          command + ["-j", threads, two], sanitized, 65,
                          re.escape(two) + r":2: period: 1500-01: .*6000 months .*1200")
    r.check("report wrote no page", not os.path.exists(os.path.join(work, "r.html")))
    r.check("cohorts wrote no state", not os.path.exists(os.path.join(work, "s.state")))

    # examples/activity.csv (357 rows, 2025-01..2025-12, line 1 the header) plus a row dated
    # 0202-01 on line 359: the range is 0202-01..2025-12, (2025 - 202) * 12 + 12 = 21,888 months;
    # the gap below (0202-01 to 2025-01) is far larger than the one above (none), so that row.
    typo = os.path.join(work, "typo.csv")
    with open(os.path.join(examples, "activity.csv"), encoding="utf-8") as f:
        text = f.read()
    lines = text.count("\n")
    write(typo, text + "zz-typo,0202-01,10.00,,,smb\n")
    for command in (["cohorts"], ["report", "-o", os.path.join(work, "t.html")]):
        bounded_error(r, f"{command[0]} activity + 0202-01", command + [typo], sanitized, 65,
                      re.escape(typo) + f":{lines + 1}: period: 0202-01: .*21888 months")
    # The same typo in the future (2925-03): the upper end is named.
    future = os.path.join(work, "future.csv")
    write(future, text + "zz-typo,2925-03,10.00,,,smb\n")
    bounded_error(r, "cohorts activity + 2925-03", ["cohorts", future], sanitized, 65,
                  re.escape(future) + f":{lines + 1}: period: 2925-03: ")
    # The same file read split across threads (a share boundary anywhere): the same line.
    got, out, err, rss, elapsed = r.run_bounded(["cohorts", "-j", "4", typo], SECONDS,
                                                None if sanitized else MEMORY)
    r.check("cohorts -j 4 names the same row", f"{typo}:{lines + 1}:".encode() in err, err[:300])

    # --by with 16 groups over 0001-01..9999-12: 119,988 months.
    rows = ["customer_id,period,revenue,segment"]
    for g in range(16):
        rows += [f"c{g}a,0001-01,10,g{g:02d}", f"c{g}b,9999-12,10,g{g:02d}"]
    wide = write(os.path.join(work, "wide16.csv"), "\n".join(rows) + "\n")
    for command in (["cohorts", "--by", "segment"], ["report", "--by", "segment", "-o", os.path.join(work, "w.html")],
                    ["compute", "--by", "segment", "--format", "json"], ["compute", "--by", "segment", "-j", "2"]):
        bounded_error(r, f"{' '.join(command[:3])} --by 16 groups 0001-01..9999-12", command + [wide], sanitized, 65,
                      re.escape(wide) + r":2: period: 0001-01: .*119988 months")
    # compute --by names the grouped series as what has the limit; without --by the span is served.
    got, out, err, rss, elapsed = r.run_bounded(["compute", "--by", "segment", wide], SECONDS, None if sanitized else MEMORY)
    r.check("compute --by: the message names the grouped series", b"more than the 1200 a grouped series (--by) covers" in err, err[:300])

    # Just inside the limit: 1,200 months (1926-01..2025-12) is served, with 2 cohorts of
    # 1,200 and 1 ages: the first cohort's last age is 1199.
    inside = write(os.path.join(work, "inside.csv"), "customer_id,period,revenue\na,1926-01,1\nb,2025-12,1\n")
    code, out, err, rss, elapsed = r.run_bounded(["cohorts", "--format", "csv", inside], SECONDS,
                                                 None if sanitized else MEMORY)
    r.check("1,200 months served", code == 0, err[:300])
    if code == 0:
        text = out.decode()
        r.check("1,200 months: age 1199 of cohort 1926-01",
                re.search(r"^1926-01,1199,", text, re.M) is not None, text[:300])
    # 1,201 months (1925-12..2025-12): refused.
    over = write(os.path.join(work, "over.csv"), "customer_id,period,revenue\na,1925-12,1\nb,2025-12,1\n")
    bounded_error(r, "1,201 months refused", ["cohorts", over], sanitized, 65,
                  re.escape(over) + r":2: period: 1925-12: .*1201 months")


# ---- 6: NaN and infinities in numeric options ----------------------------------------------------
def test_non_finite_options(r, examples):
    activity = os.path.join(examples, "activity.csv")
    transactions = os.path.join(examples, "transactions.csv")
    cases = []
    for value in ("nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e999"):
        for command in ("compute", "report"):
            cases += [[command, activity, "--gross-margin", value],
                      [command, activity, "--discount-rate", value]]
        for option in ("--margin", "--discount-rate", "--max-p-alive", "--horizon", "--penalizer"):
            cases.append(["predict", transactions, "--end", "2025-09-30", option, value])
        cases += [["calc", "clv", "--margin", "100", "--retention", value],
                  ["calc", "clv", "--margin", value, "--retention", "0.9"],
                  ["calc", "cac", "--spend", value, "--customers", "3"],
                  ["at-risk", activity, "--contraction-pct", value],
                  ["at-risk", activity, "--low-tier-pct", value]]
    for args in cases:
        code, out, err = r.run(args)
        name = " ".join(a if a != activity and a != transactions else os.path.basename(a) for a in args)
        r.expect_error(name, (code, out, err), 2)


# ---- 12: outputs that are inputs, empty paths ------------------------------------------------------
def test_output_is_input(r, examples):
    work = r.workdir("same")
    original = open(os.path.join(examples, "activity.csv"), "rb").read()
    tx_original = open(os.path.join(examples, "transactions.csv"), "rb").read()
    data = os.path.join(work, "same.csv")
    tx = os.path.join(work, "tx.csv")
    hard = os.path.join(work, "hard.csv")
    soft = os.path.join(work, "soft.csv")

    def reset():
        for p in (data, tx, hard, soft):
            if os.path.lexists(p):
                os.unlink(p)
        open(data, "wb").write(original)
        open(tx, "wb").write(tx_original)
        os.link(data, hard)
        os.symlink(data, soft)

    reset()
    cases = [
        ("compute -o the input", ["compute", data, "-o", data]),
        ("compute -o a hard link to the input", ["compute", data, "-o", hard]),
        ("compute -o a symbolic link to the input", ["compute", data, "-o", soft]),
        ("compute -o the second input", ["compute", os.path.join(examples, "activity.csv"), data, "-o", data]),
        ("compute --emit-state the input", ["compute", data, "--emit-state", data]),
        ("compute --spend file as -o", ["compute", os.path.join(examples, "activity.csv"), "--spend", data, "-o", data]),
        ("report -o the input", ["report", data, "-o", data]),
        ("cohorts -o the input", ["cohorts", data, "-o", data]),
        ("cohorts --emit-state the input", ["cohorts", data, "--emit-state", soft]),
        ("at-risk -o the input", ["at-risk", data, "-o", hard]),
        ("check -o the input", ["check", data, "-o", data]),
        ("rfm -o the input", ["rfm", tx, "--end", "2025-09-30", "-o", tx]),
        ("rfm --emit-state the input", ["rfm", tx, "--end", "2025-09-30", "--emit-state", tx]),
        ("predict --customers-csv the input", ["predict", tx, "--end", "2025-09-30", "--customers-csv", tx]),
        ("predict -o the input", ["predict", tx, "--end", "2025-09-30", "-o", tx]),
    ]
    for name, args in cases:
        r.expect_usage_error(name, r.run(args), "input")
        r.check(name + ": input untouched", open(data, "rb").read() == original
                and open(tx, "rb").read() == tx_original and os.path.islink(soft))
        reset()
    # The input on standard input, -o the same file.
    r.expect_usage_error("compute < same.csv -o same.csv", r.run(["compute", "-o", data], stdin=data), "input")
    r.check("stdin input untouched", open(data, "rb").read() == original)
    # Two outputs naming one file (it does not exist yet).
    both = os.path.join(work, "both.csv")
    r.expect_usage_error("predict -o X --customers-csv X",
                         r.run(["predict", tx, "--end", "2025-09-30", "-o", both, "--customers-csv",
                                os.path.join(work, ".", "both.csv")]), "same file")
    r.check("no file made", not os.path.exists(both))
    # Empty paths are not standard output.
    for args in (["compute", data, "-o", ""], ["compute", data, "--emit-state", ""],
                 ["cohorts", data, "--emit-state", ""], ["report", data, "-o", ""],
                 ["rfm", tx, "--end", "2025-09-30", "--emit-state", ""],
                 ["predict", tx, "--end", "2025-09-30", "--customers-csv", ""]):
        r.expect_usage_error(" ".join(a or "''" for a in args[:1] + args[2:]), r.run(args), "empty path")
    # Devices stay allowed, and writing a copy elsewhere works.
    r.expect_ok("compute -o /dev/null", r.run(["compute", data, "-o", "/dev/null"]))
    r.expect_ok("compute -o another file", r.run(["compute", data, "-o", os.path.join(work, "out.txt")]))


# ---- 13: one day's purchases past the money limit ------------------------------------------------
def test_rfm_money_limit(r):
    work = r.workdir("money")
    # Customer b buys twice on 2024-03-01: 9,223,372,036,854.775807 + 0.000001 = one micro-unit past
    # the limit; a and c stay well inside.
    path = write(os.path.join(work, "tx.csv"),
                 "customer_id,date,amount\n"
                 "a,2024-01-01,10\na,2024-02-01,20\n"
                 f"b,2024-01-05,1\nb,2024-03-01,{MAX_MONEY}\nb,2024-03-01,0.000001\n"
                 "c,2024-01-01,5\n")
    for args in (["rfm", path, "--end", "2024-12-31"], ["rfm", path, "--end", "2024-12-31", "-j", "2"],
                 ["predict", path, "--end", "2024-12-31"],
                 ["rfm", path, "--end", "2024-12-31", "--emit-state", os.path.join(work, "s.state")]):
        r.expect_error(" ".join(args[:1] + args[2:]), r.run(args), 65,
                       re.escape(path) + r': amount: customer "b", 2024-03-01: .*' + re.escape("9223372036854.775807"))
    r.check("no state written", not os.path.exists(os.path.join(work, "s.state")))
    # Exactly at the limit: served, monetary (x = 1 repeat occasion) is the limit itself, printed
    # as a double (9223372036854.775...).
    at = write(os.path.join(work, "at.csv"),
               "customer_id,date,amount\n"
               f"b,2024-01-05,1\nb,2024-03-01,9223372036854.775806\nb,2024-03-01,0.000001\n")
    text = r.expect_ok("rfm at the limit", r.run(["rfm", at, "--end", "2024-12-31", "--format", "csv"]))
    r.check("rfm at the limit: monetary", text is not None and ",9223372036854.77" in text, (text or "")[:300])


# ---- 14: smaller findings ------------------------------------------------------------------------
def test_smaller(r, examples):
    activity = os.path.join(examples, "activity.csv")
    for column in ("revenue", "customer_id", "period", "Revenue", "csat", "acquisition_cost"):
        for command in ("compute", "cohorts", "report"):
            code, out, err = r.run([command, activity, "--by", column, "-o", "/dev/null"])
            r.expect_usage_error(f"{command} --by {column}", (code, out, err), "--by")
            r.check(f"{command} --by {column}: no 'missing required column'",
                    b"missing required column" not in err, err[:300])
    # --column revenue=MRR frees the name 'revenue': not refused for that reason.
    code, out, err = r.run(["compute", activity, "--column", "revenue=csat", "--by", "revenue"])
    r.check("--by a renamed-away column is not refused as read", b"that column is read as" not in err, err[:300])
    # --by of the input column of a rename is refused.
    code, out, err = r.run(["compute", activity, "--column", "revenue=csat", "--by", "csat"])
    r.expect_usage_error("--by the input column of a rename", (code, out, err), "--by")

    if os.path.exists("/dev/full"):
        for args in (["--help"], ["--version"], ["compute", "--help"], ["calc", "--help"]):
            with open("/dev/full", "wb") as full:
                import subprocess
                proc = subprocess.run([r.binary] + args, stdout=full, stderr=subprocess.PIPE, timeout=30)
            r.check(f"{' '.join(args)} > /dev/full exit 74", proc.returncode == 74,
                    f"exit {proc.returncode} {proc.stderr[:200]!r}")
            r.check_error_line(f"{' '.join(args)} > /dev/full", proc.stderr)
    else:
        r.skip("/dev/full", "no /dev/full here")
    r.expect_ok("--help to a pipe", r.run(["--help"]))

    transactions = os.path.join(examples, "transactions.csv")
    for value, bound in (("-1", "above 0"), ("0", "above 0"), ("1e300", "at most 100000")):
        code, out, err = r.run(["predict", transactions, "--end", "2025-09-30", "--horizon", value])
        r.expect_error(f"predict --horizon {value}", (code, out, err), 2, re.escape(bound))
        r.check(f"predict --horizon {value}: no long number", re.search(rb"[0-9]{12}", err) is None, err[:300])
    # A usage error is one line, not CLI11's two.
    r.expect_error("--margin 2", r.run(["predict", transactions, "--end", "2025-09-30", "--margin", "2"]), 2,
                   r"--margin: expected a number from 0 to 1 or a percentage from 0% to 100%, got \"2\"")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--sanitized", action="store_true")
    options = parser.parse_args()
    work = os.path.abspath(options.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = Runner(os.path.abspath(options.binary), work)
    examples = os.path.abspath(options.examples)
    for test, *args in ((test_cohort_range, r, examples, options.sanitized),
                        (test_non_finite_options, r, examples), (test_output_is_input, r, examples),
                        (test_rfm_money_limit, r), (test_smaller, r, examples)):
        start = time.monotonic()
        guarded(r, test, *args)
        print(f"input safety: {test.__name__} {time.monotonic() - start:.1f} s")
    shutil.rmtree(work, ignore_errors=True)
    print(f"input safety: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
