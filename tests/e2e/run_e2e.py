#!/usr/bin/env python3
"""End-to-end tests of the csm-metrics binary (Python 3 standard library only).

Runs the real executable on files under tests/data and examples/ and checks stdout, stderr and the
exit code: the examples in every output format, stdin, several input files, -o, every exit code,
--skip-invalid, colour, and (--only bad) the bad-input corpus in tests/data/bad.

The bad-input corpus: every file NAME.ext in DATA/bad has a NAME.expect beside it:
    exit: 65                      the exit status
    args: --input-format json     (optional) options put before the file; {bad} is the corpus
                                  folder (files in its subfolders are no cases: --fx {bad}/x/r.csv)
    stderr: REGEX                 (optional, repeatable) re.search'ed in the one stderr line
    kind: transaction             (optional) activity (default), summary or transaction records
Each case runs through every subcommand that reads its kind of record (COMMANDS_BY_KIND: compute,
report, cohorts, at-risk, check and both --emit-state for activity records; rfm, predict and rfm
--emit-state for transactions), each with the same exit status and error line and an existing
output file left as it was.
A new case is a new file plus its .expect; nothing here needs to change.
A large case is not committed as a large file: NAME.ext.gen describes it and the test writes
NAME.ext into its work folder first (see generate_case); NAME.expect applies as for a file.
    text: "customer_id,period,revenue\n"     a Python string or bytes literal, written once
    repeat: 10485760 "x"                      a literal written COUNT times
Every run is bounded: CASE_SECONDS of wall time, and (except under sanitizers, --sanitized) an
address-space limit of CASE_MEMORY (RLIMIT_AS) with the child's peak RSS (wait4) below it.

Usage: run_e2e.py --binary PATH --data DIR --examples DIR --work DIR [--only all|e2e|bad]
                  [--sanitized]
Prints one line per failure and `e2e: N passed, M failed`; exits 1 if anything failed.
"""

import argparse
import ast
import csv
import io
import json
import os
import re
import resource
import select
import shlex
import shutil
import stat
import subprocess
import sys
import time
import traceback
from decimal import Decimal

# The period fields in contract order (docs: "Field order in each period object is exactly as listed").
PERIOD_FIELDS = [
    "period",
    "customers_start", "churned_customers", "retained_customers", "new_customers",
    "reactivated_customers", "customers_end", "expanded_customers", "contracted_customers",
    "churn_rate", "retention_rate", "expansion_rate",
    "mrr_start", "mrr_end", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr",
    "churned_mrr",
    "grr", "nrr", "arpu", "csat", "cac", "clv",
    "csat_responses", "csat_satisfied", "acquisition_cost",
    "cac_payback_months", "ltv_cac", "quick_ratio",
]
MONEY_FIELDS = ["mrr_start", "mrr_end", "new_mrr", "reactivation_mrr", "expansion_mrr",
                "contraction_mrr", "churned_mrr"]
ERROR_PREFIX = "csm-metrics: error: "
ANSI = re.compile(r"\x1b\[")
TIMEOUT = 60
# Bounds for each run of a bad-input case: generous (the largest case, a 10 MB field, takes well
# under a second and about 40 MB in a debug build) but far below what a runaway would reach.
CASE_SECONDS = 10
CASE_SECONDS_SANITIZED = 60  # ASan + UBSan make the debug build several times slower
CASE_MEMORY = 512 << 20  # bytes of address space (RLIMIT_AS) and of peak RSS
# The subcommands that read each kind of record: the first is run three ways (stdout, -o to a new
# file, -o over an old file), the others over an old file (OUT marks where the output path goes:
# after --emit-state, else -o OUT is added).
OUT = None
TRANSACTION_END = "2025-12-31"
COMMANDS_BY_KIND = {
    "activity": [["compute"], ["report"], ["cohorts"], ["at-risk"], ["check"],
                 ["compute", "--emit-state", OUT], ["cohorts", "--emit-state", OUT],
                 ["churn-risk", "--backtest", "0"]],
    "summary": [["compute"], ["report"], ["check"]],
    "invoice": [["compute"], ["report"], ["cohorts"], ["at-risk"], ["check"]],
    "transaction": [["rfm", "--end", TRANSACTION_END], ["predict", "--end", TRANSACTION_END],
                    ["rfm", "--end", TRANSACTION_END, "--emit-state", OUT]],
}


class Runner:
    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    # ---- bookkeeping -------------------------------------------------------------------------
    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        return ok

    def skip(self, name, why):
        self.skipped += 1
        print(f"note: skipped {name}: {why}")

    def run(self, args, stdin=None, env=None, cwd=None, stdout=subprocess.PIPE):
        """Runs the binary; returns (exit code, stdout bytes, stderr bytes)."""
        full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CLICOLOR_FORCE")}
        full_env.update(env or {})
        stdin_arg = subprocess.DEVNULL
        if isinstance(stdin, str):
            stdin_arg = open(stdin, "rb")  # a real file on stdin, as `< FILE` gives
        try:
            proc = subprocess.run([self.binary] + args, stdin=stdin_arg, stdout=stdout,
                                  stderr=subprocess.PIPE, env=full_env, cwd=cwd, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, b"", b"(timed out)"
        finally:
            if stdin_arg is not subprocess.DEVNULL:
                stdin_arg.close()
        return proc.returncode, proc.stdout or b"", proc.stderr

    def run_bounded(self, args, seconds, memory, cwd=None, stack=None):
        """Runs the binary with a wall-time limit and, unless memory is None, RLIMIT_AS = memory
        (and RLIMIT_STACK = stack, the size of each new thread's stack, unless None).

        Returns (exit code or None on timeout, stdout, stderr, peak RSS in bytes, seconds).
        stdout and stderr go to files and the child is reaped with wait4, for its own ru_maxrss.
        """
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CLICOLOR_FORCE")}

        def limits():
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if memory is not None:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            if stack is not None:
                resource.setrlimit(resource.RLIMIT_STACK, (stack, stack))

        with open(os.path.join(self.work, ".stdout"), "w+b") as out, \
                open(os.path.join(self.work, ".stderr"), "w+b") as err:
            start = time.monotonic()
            proc = subprocess.Popen([self.binary] + args, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, env=env, cwd=cwd, preexec_fn=limits)
            code, usage = None, None
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid != 0:
                    code = os.waitstatus_to_exitcode(status)
                    break
                if time.monotonic() - start > seconds:
                    proc.kill()
                    _, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.002)
            elapsed = time.monotonic() - start
            proc.returncode = code if code is not None else -9  # reaped here; Popen must not wait
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        if code is None:
            stderr = b"(timed out) " + stderr
        return code, stdout, stderr, usage.ru_maxrss * 1024, elapsed

    def workdir(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    # ---- shared checks -----------------------------------------------------------------------
    def expect_ok(self, name, result):
        """Exit 0, nothing on stderr; returns stdout as text (or None)."""
        code, out, err = result
        if not self.check(name + " exit 0", code == 0, f"exit {code}, stderr {err[:300]!r}"):
            return None
        self.check(name + " stderr empty", err == b"", repr(err[:300]))
        return out.decode("utf-8")

    def expect_error(self, name, result, code, *patterns):
        """The failure contract: the exit code, nothing on stdout, one `csm-metrics: error:` line."""
        got, out, err = result
        if got is not None and got < 0:
            self.check(name, False, f"killed by signal {-got} (a crash); stderr {err[:300]!r}")
            return
        self.check(name + f" exit {code}", got == code, f"exit {got}, stderr {err[:300]!r}")
        self.check(name + " stdout empty", out == b"", repr(out[:200]))
        self.check_error_line(name, err, *patterns)

    def check_error_line(self, name, err, *patterns):
        try:
            text = err.decode("utf-8")
        except UnicodeDecodeError:
            self.check(name + " stderr is UTF-8", False, repr(err[:300]))
            return
        lines = text.split("\n")
        one_line = len(lines) == 2 and lines[1] == ""
        if not self.check(name + " stderr is one line", one_line, repr(text[:500])):
            return
        line = lines[0]
        self.check(name + " stderr prefix", line.startswith(ERROR_PREFIX), repr(line[:300]))
        self.check(name + " stderr readable", len(line) <= 1000 and not re.search(r"[\x00-\x1f\x7f]", line),
                   f"{len(line)} characters: {line[:300]!r}")
        for pattern in patterns:
            self.check(name + " stderr matches " + pattern, re.search(pattern, line) is not None,
                       repr(line[:500]))

    def expect_usage_error(self, name, result, mention):
        """Exit 2 for a usage error, nothing on stdout, a message naming the culprit."""
        code, out, err = result
        self.check(name + " exit 2", code == 2, f"exit {code}, stderr {err[:300]!r}")
        self.check(name + " stdout empty", out == b"", repr(out[:200]))
        self.check(name + " stderr names " + mention, mention.encode() in err, repr(err[:300]))

    def json_of(self, name, text):
        try:
            return json.loads(text, parse_float=Decimal)
        except (ValueError, TypeError) as e:
            self.check(name + " JSON parses", False, f"{e}: {text[:300]!r}")
            return None

    def no_temp_files(self, name, directory, allowed):
        left = sorted(set(os.listdir(directory)) - set(allowed))
        self.check(name + " no temporary file left", not left, f"found {left}")


# ---- helpers on results ----------------------------------------------------------------------
def periods_of(report):
    return report["periods"] if report else None


def count_records(path):
    """Data records in an example, counted independently of csm-metrics."""
    if path.endswith(".csv"):
        with open(path, newline="", encoding="utf-8-sig") as f:
            return sum(1 for _ in csv.DictReader(f))
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            return sum(1 for line in f if line.strip())
    with open(path, encoding="utf-8") as f:
        return len(json.load(f))


def close(a, b):
    return a is not None and abs(float(a) - b) <= 1e-9 * max(1.0, abs(b))


# ---- the cases -------------------------------------------------------------------------------
def test_examples(r, examples):
    kinds = {"activity.csv": "activity", "activity.json": "activity", "activity.jsonl": "activity",
             "summary.csv": "summary"}
    reports = {}
    for name, kind in kinds.items():
        path = os.path.join(examples, name)
        if not r.check(f"example {name} exists", os.path.isfile(path), path):
            continue
        table = r.expect_ok(f"{name} table", r.run(["compute", path]))
        if table is not None:
            r.check(f"{name} table has rows", len(table.splitlines()) > 3, repr(table[:200]))
            r.check(f"{name} table has no ANSI (not a terminal)", not ANSI.search(table))
            wide = [line for line in table.splitlines() if len(line) > 80]
            r.check(f"{name} table fits 80 columns", not wide, repr(wide[:2]))

        text = r.expect_ok(f"{name} json", r.run(["compute", "--format", "json", path]))
        report = r.json_of(f"{name} json", text) if text is not None else None
        if report is None:
            continue
        reports[name] = report
        r.check(f"{name} json tool", report.get("tool") == "csm-metrics", report.get("tool"))
        r.check(f"{name} json kind", report.get("kind") == kind, report.get("kind"))
        periods = report.get("periods") or []
        r.check(f"{name} json has periods", len(periods) > 0)
        r.check(f"{name} json months", report["input"].get("months") == len(periods),
                f'{report["input"].get("months")} vs {len(periods)}')
        r.check(f"{name} json records", report["input"].get("records") == count_records(path),
                f'{report["input"].get("records")} vs {count_records(path)}')
        r.check(f"{name} json sources", report["input"].get("sources") == [path],
                report["input"].get("sources"))
        order_ok = all(list(p.keys()) == PERIOD_FIELDS for p in periods)
        r.check(f"{name} json period field order", order_ok,
                list(periods[0].keys()) if periods else "")
        if kind == "summary":
            r.check(f"{name} json customers null", report["input"].get("customers", 0) is None)
        else:
            for p in periods:
                # E = R + N + A; R = S - C; the MRR bridge holds exactly.
                r.check(f"{name} {p['period']} E = R + N + A",
                        p["customers_end"] == p["retained_customers"] + p["new_customers"]
                        + p["reactivated_customers"])
                r.check(f"{name} {p['period']} R = S - C",
                        p["retained_customers"] == p["customers_start"] - p["churned_customers"])
                bridge = (p["mrr_start"] - p["churned_mrr"] - p["contraction_mrr"] + p["expansion_mrr"]
                          + p["new_mrr"] + p["reactivation_mrr"])
                r.check(f"{name} {p['period']} MRR bridge", bridge == p["mrr_end"],
                        f"{bridge} != {p['mrr_end']}")
        money_text = re.findall(r'"(?:%s)": (-?[0-9][0-9.eE+-]*)' % "|".join(MONEY_FIELDS), text)
        bad_money = [m for m in money_text if not re.fullmatch(r"[0-9]+\.[0-9]{2,6}", m)]
        r.check(f"{name} json money printed with 2..6 decimals", money_text and not bad_money,
                bad_money[:3])

        out = r.expect_ok(f"{name} csv", r.run(["compute", "--format", "csv", path]))
        if out is not None:
            rows = list(csv.reader(io.StringIO(out)))
            r.check(f"{name} csv header", rows and rows[0] == PERIOD_FIELDS, rows[0] if rows else "")
            r.check(f"{name} csv 1 header + N rows", len(rows) == 1 + len(periods),
                    f"{len(rows)} rows for {len(periods)} periods")
            r.check(f"{name} csv rows are periods",
                    [row[0] for row in rows[1:]] == [p["period"] for p in periods])

    # The JSON Lines example holds the same 357 records as the CSV example (examples/README.md).
    if "activity.csv" in reports and "activity.jsonl" in reports:
        r.check("activity.csv and activity.jsonl give the same periods",
                periods_of(reports["activity.csv"]) == periods_of(reports["activity.jsonl"]))
    return reports


def test_small_by_hand(r, data):
    """tests/data/e2e/small.csv, every figure worked out by hand.

    Rows: a 100.00 (Jan, cost 300, csat 5), b 50.00 (Jan, cost 200); a 100.10 + 0.20 (Feb, csat 4),
    c 80 (2025-02-14, cost 150, csat 2); b 50, a 100.30, c 60 (Mar, csat 3).
    Jan: active {a 100, b 50}: N=2, E=2, mrr_end 150.00, csat 1/1 = 100, cac 500/2 = 250.
    Feb: active {a 100.30, c 80}: S=2, C=1 (b), R=1, N=1 (c), E=2, X=1 (a +0.30), churn 50,
         mrr_start 150.00, mrr_end 180.30 = 150 - 50 + 0.30 + 80, grr 100*100/150 = 66.666...,
         nrr 100*100.30/150 = 66.8666..., arpu 180.30/2 = 90.15, csat 1 of 2 = 50, cac 150/1,
         clv 90.15/(1 - 0.5) = 180.3.
    Mar: active {a 100.30, b 50, c 60}: S=2, C=0, A=1 (b, active in Jan), N=0, E=3, K=1 (c -20),
         mrr_end 210.30 = 180.30 - 20 + 50, grr = nrr = 100*160.30/180.30 = 88.9073765945...,
         arpu 210.30/3 = 70.1, csat 0 of 1 = 0, cac null (N=0), clv null (1 + 0 - 1 = 0).
    """
    path = os.path.join(data, "e2e", "small.csv")
    text = r.expect_ok("small.csv json", r.run(["compute", "--format", "json", path]))
    report = r.json_of("small.csv", text) if text is not None else None
    if report is None:
        return
    periods = {p["period"]: p for p in report["periods"]}
    r.check("small.csv months", list(periods) == ["2025-01", "2025-02", "2025-03"], list(periods))
    r.check("small.csv records", report["input"]["records"] == 8)
    r.check("small.csv customers", report["input"]["customers"] == 3)
    expect = {
        "2025-01": {"customers_start": 0, "new_customers": 2, "customers_end": 2, "churn_rate": None,
                    "mrr_end": Decimal("150.00"), "new_mrr": Decimal("150.00"), "csat": 100.0,
                    "cac": 250.0, "arpu": 75.0, "grr": None},
        "2025-02": {"customers_start": 2, "churned_customers": 1, "retained_customers": 1,
                    "new_customers": 1, "reactivated_customers": 0, "customers_end": 2,
                    "expanded_customers": 1, "churn_rate": 50.0, "retention_rate": 50.0,
                    "mrr_start": Decimal("150.00"), "mrr_end": Decimal("180.30"),
                    "expansion_mrr": Decimal("0.30"), "churned_mrr": Decimal("50.00"),
                    "new_mrr": Decimal("80.00"), "grr": 200 / 3, "nrr": 100 * 100.30 / 150,
                    "arpu": 90.15, "csat": 50.0, "cac": 150.0, "clv": 180.3,
                    "csat_responses": 2, "csat_satisfied": 1},
        "2025-03": {"customers_start": 2, "churned_customers": 0, "new_customers": 0,
                    "reactivated_customers": 1, "customers_end": 3, "contracted_customers": 1,
                    "expanded_customers": 0, "mrr_end": Decimal("210.30"),
                    "contraction_mrr": Decimal("20.00"), "reactivation_mrr": Decimal("50.00"),
                    "grr": 100 * 160.30 / 180.30, "nrr": 100 * 160.30 / 180.30, "arpu": 70.1,
                    "csat": 0.0, "cac": None, "clv": None},
    }
    for month, fields in expect.items():
        got = periods.get(month, {})
        for field, want in fields.items():
            value = got.get(field, "absent")
            if isinstance(want, float):
                ok = value is not None and value != "absent" and close(value, want)
            else:  # None, counts and exact money
                ok = value == want
            r.check(f"small.csv {month} {field}", ok, f"got {value}, expected {want}")

    # Rows in reverse order give byte-identical JSON (same file name, run from another folder).
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    other = r.workdir("reversed")
    with open(os.path.join(other, "small.csv"), "w", encoding="utf-8") as f:
        f.writelines([lines[0]] + lines[:0:-1])
    forward = r.run(["compute", "--format", "json", "small.csv"], cwd=os.path.dirname(path))
    backward = r.run(["compute", "--format", "json", "small.csv"], cwd=other)
    r.check("small.csv reversed rows give identical JSON", forward[1] == backward[1] and forward[0] == 0)

    # The same records as TSV, and as CSV with a BOM and CRLF line ends, give the same periods.
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    variants = {
        "small.tsv": "".join("\t".join(row) + "\n" for row in rows).encode(),
        "small_bom_crlf.csv": b"\xef\xbb\xbf" + "".join(",".join(row) + "\r\n" for row in rows).encode(),
    }
    for name, content in variants.items():
        target = os.path.join(other, name)
        with open(target, "wb") as f:
            f.write(content)
        text = r.expect_ok(name, r.run(["compute", "--format", "json", target]))
        variant = r.json_of(name, text) if text is not None else None
        r.check(f"{name} gives the same periods as small.csv",
                variant is not None and variant["periods"] == report["periods"])


def test_stdin_and_several_files(r, examples):
    path = os.path.join(examples, "activity.csv")
    base = r.json_of("activity.csv json", r.run(["compute", "--format", "json", path])[1].decode())
    if base is None:
        return
    for label, args in (("'-'", ["-"]), ("no file", [])):
        text = r.expect_ok(f"stdin {label}", r.run(["compute", "--format", "json"] + args, stdin=path))
        report = r.json_of(f"stdin {label}", text) if text is not None else None
        r.check(f"stdin {label} gives the same periods", report is not None
                and report["periods"] == base["periods"])
        r.check(f"stdin {label} source", report is not None and report["input"]["sources"] == ["<stdin>"],
                report and report["input"]["sources"])
    # JSON Lines on stdin: the format comes from the content.
    jsonl = os.path.join(examples, "activity.jsonl")
    text = r.expect_ok("stdin jsonl", r.run(["compute", "--format", "json", "-"], stdin=jsonl))
    report = r.json_of("stdin jsonl", text) if text is not None else None
    r.check("stdin jsonl gives the same periods", report is not None and report["periods"] == base["periods"])

    # Several files: the CSV split in two, a header on each, read as one stream.
    work = r.workdir("split")
    with open(path, newline="", encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    half = len(body) // 2
    parts = [os.path.join(work, "part1.csv"), os.path.join(work, "part2.csv")]
    for part, chunk in zip(parts, (body[:half], body[half:])):
        with open(part, "w", encoding="utf-8", newline="") as f:
            f.writelines([header] + chunk)
    text = r.expect_ok("two files", r.run(["compute", "--format", "json"] + parts))
    report = r.json_of("two files", text) if text is not None else None
    if report is not None:
        r.check("two files give the same periods", report["periods"] == base["periods"])
        r.check("two files: records add up", report["input"]["records"] == base["input"]["records"])
        r.check("two files: both sources", report["input"]["sources"] == parts, report["input"]["sources"])
    # A file and stdin together.
    text = r.expect_ok("file and stdin", r.run(["compute", "--format", "json", parts[0], "-"], stdin=parts[1]))
    report = r.json_of("file and stdin", text) if text is not None else None
    r.check("file and stdin give the same periods", report is not None and report["periods"] == base["periods"])
    # An error in the second file names that file and its own line (line 3 of part2).
    bad = os.path.join(work, "bad2.csv")
    with open(bad, "w", encoding="utf-8") as f:
        f.write(header + body[half] + "zed,2025-03,-3.00,,,\n")
    r.expect_error("error in the second file", r.run(["compute", parts[0], bad]), 65,
                   re.escape(bad) + r':3: revenue: .*"-3\.00"')
    r.expect_error("error on stdin", r.run(["compute", "-"], stdin=bad), 65,
                   r'<stdin>:3: revenue: .*"-3\.00"')
    # One missing file among several: nothing is printed as if it were a result.
    missing = os.path.join(work, "no-such-file.csv")
    r.expect_error("second file missing", r.run(["compute", parts[0], missing]), 66, re.escape(missing))


def test_output_file(r, examples):
    path = os.path.join(examples, "activity.csv")
    work = r.workdir("output")
    expected = r.run(["compute", "--format", "json", path])[1]
    # Relative -o (no directory part) from the working directory.
    code, out, err = r.run(["compute", "--format", "json", "-o", "out.json", path], cwd=work)
    r.check("-o exit 0", code == 0, f"exit {code} {err[:300]!r}")
    r.check("-o nothing on stdout", out == b"", repr(out[:200]))
    r.check("-o nothing on stderr", err == b"", repr(err[:200]))
    target = os.path.join(work, "out.json")
    written = open(target, "rb").read() if os.path.exists(target) else None
    r.check("-o file equals the stdout output", written == expected)
    r.no_temp_files("-o", work, ["out.json"])
    # Replacing an existing file keeps its permissions.
    with open(target, "w") as f:
        f.write("old\n")
    os.chmod(target, 0o640)
    code, out, err = r.run(["compute", "--format", "csv", "--output", target, path])
    r.check("-o over an existing file exit 0", code == 0, f"exit {code} {err[:300]!r}")
    r.check("-o replaced the old content", open(target, "rb").read().startswith(b"period,"))
    r.check("-o kept the file mode", stat.S_IMODE(os.stat(target).st_mode) == 0o640,
            oct(stat.S_IMODE(os.stat(target).st_mode)))
    r.no_temp_files("-o over an existing file", work, ["out.json"])
    # A table written to a file has no colour codes.
    code, _, _ = r.run(["compute", "-o", target, path])
    r.check("-o table has no ANSI", code == 0 and not ANSI.search(open(target).read()))

    # Output errors: exit 74, the path named, nothing left behind.
    missing_dir = os.path.join(work, "no-such-dir", "out.json")
    r.expect_error("-o into a missing directory", r.run(["compute", "-o", missing_dir, path]), 74,
                   re.escape(missing_dir))
    r.check("-o missing directory not created", not os.path.exists(os.path.dirname(missing_dir)))
    r.expect_error("-o onto a directory", r.run(["compute", "-o", work, path]), 74, re.escape(work))
    r.no_temp_files("-o errors", work, ["out.json"])
    if os.path.exists("/dev/full"):
        with open("/dev/full", "wb") as full:
            code, _, err = r.run(["compute", path], stdout=full)
        r.check("stdout on a full disk exit 74", code == 74, f"exit {code}")
        r.check_error_line("stdout on a full disk", err, "stdout")
    else:
        r.skip("stdout on a full disk", "no /dev/full here")


def test_input_errors(r, data):
    work = r.workdir("input")
    missing = os.path.join(work, "missing.csv")
    r.expect_error("missing file", r.run(["compute", missing]), 66, re.escape(missing))
    r.expect_error("directory as input", r.run(["compute", work]), 66, re.escape(work) + ".*director")
    locked = os.path.join(work, "locked.csv")
    shutil.copy(os.path.join(data, "e2e", "small.csv"), locked)
    os.chmod(locked, 0)
    try:
        readable = True
        try:
            open(locked, "rb").close()
        except PermissionError:
            readable = False
        if readable:
            # root (as in CI) reads any file whatever its mode: nothing to test here.
            r.skip("unreadable file", "running as a user who can read mode-000 files (root?)")
        else:
            r.expect_error("unreadable file", r.run(["compute", locked]), 66,
                           re.escape(locked) + ".*(ermission|readable)")
    finally:
        os.chmod(locked, 0o644)


def test_usage(r, examples, reports):
    path = os.path.join(examples, "activity.csv")
    r.expect_usage_error("unknown flag", r.run(["compute", "--no-such-flag", path]), "--no-such-flag")
    r.expect_usage_error("--format xml", r.run(["compute", "--format", "xml", path]), "xml")
    r.expect_usage_error("unknown command", r.run(["frobnicate"]), "frobnicate")
    code, out, _ = r.run([])
    r.check("no command exit 2", code == 2 and out == b"", f"exit {code}")
    r.expect_usage_error("--csat-threshold 6", r.run(["compute", "--csat-threshold", "6", path]), "6")
    r.expect_usage_error("--column without =", r.run(["compute", "--column", "revenue", path]), "revenue")

    # --version: one line with the same version as the JSON output.
    code, out, err = r.run(["--version"])
    version = reports.get("activity.csv", {}).get("version")
    r.check("--version exit 0", code == 0, f"exit {code}")
    # "csm-metrics 0.1.0 (commit 0123abcd4567)": the commit as git names it, "unknown" outside git.
    match = re.fullmatch(rb"csm-metrics (\d+\.\d+\.\d+\S*) \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n", out)
    r.check("--version output", match is not None, out)
    r.check("--version matches the JSON version", version is not None and match is not None
            and match.group(1).decode() == version, f"{out!r} vs {version}")
    for args in (["--help"], ["compute", "--help"], ["calc", "--help"]):
        code, out, err = r.run(args)
        label = " ".join(args)
        r.check(f"{label} exit 0", code == 0, f"exit {code}")
        r.check(f"{label} on stdout", b"Usage" in out and err == b"", f"{out[:100]!r} {err[:100]!r}")

    # calc: a good call, and bad arguments -> 2 with a message naming the culprit.
    text = r.expect_ok("calc cac", r.run(["calc", "cac", "--spend", "1000", "--customers", "4"]))
    r.check("calc cac = 1000/4 = 250", text is not None and "250" in text, text)
    text = r.expect_ok("calc cac json", r.run(["calc", "cac", "--spend", "1000", "--customers", "4",
                                               "--format", "json"]))
    value = r.json_of("calc cac json", text) if text is not None else None
    r.check("calc cac json value 250", value is not None and close(value.get("value"), 250.0), value)
    r.expect_usage_error("calc cac zero customers",
                         r.run(["calc", "cac", "--spend", "10", "--customers", "0"]), "customers")
    r.expect_usage_error("calc cac negative spend",
                         r.run(["calc", "cac", "--spend", "-10", "--customers", "2"]), "spend")
    r.expect_usage_error("calc clv retention 1.5",
                         r.run(["calc", "clv", "--margin", "100", "--retention", "1.5"]), "retention")
    r.expect_usage_error("calc unknown metric", r.run(["calc", "nps"]), "nps")


def test_skip_invalid(r, data):
    """tests/data/e2e/two_bad_rows.csv: line 3 revenue -1, line 5 csat 9; 3 good rows remain.

    Jan: a 100.00, c 30.00 -> E=2, mrr_end 130.00. Feb: a's only row is skipped, so a churns:
    S=2, C=1, E=1 (c 30.00), churned_mrr 100.00, csat 1 response (4) -> 100.
    """
    path = os.path.join(data, "e2e", "two_bad_rows.csv")
    r.expect_error("two bad rows, strict", r.run(["compute", path]), 65,
                   re.escape(path) + r':3: revenue: .*"-1"')
    code, out, err = r.run(["compute", "--skip-invalid", "--format", "json", path])
    r.check("--skip-invalid exit 0", code == 0, f"exit {code} {err[:300]!r}")
    report = r.json_of("--skip-invalid", out.decode()) if code == 0 else None
    if report is not None:
        r.check("--skip-invalid skipped_records == 2", report["input"]["skipped_records"] == 2,
                report["input"]["skipped_records"])
        r.check("--skip-invalid records == 3", report["input"]["records"] == 3, report["input"]["records"])
        r.check("--skip-invalid warning in the output", len(report.get("warnings", [])) >= 1)
        p = {q["period"]: q for q in report["periods"]}
        r.check("--skip-invalid Jan", p["2025-01"]["customers_end"] == 2
                and p["2025-01"]["mrr_end"] == Decimal("130.00"))
        r.check("--skip-invalid Feb", p["2025-02"]["churned_customers"] == 1
                and p["2025-02"]["customers_end"] == 1 and p["2025-02"]["churned_mrr"] == Decimal("100.00")
                and p["2025-02"]["csat_responses"] == 1)
    text = err.decode("utf-8", "replace")
    r.check("--skip-invalid stderr names line 3", re.search(re.escape(path) + r":3: revenue", text), text)
    r.check("--skip-invalid stderr names line 5", re.search(re.escape(path) + r":5: csat", text), text)
    code, out, err = r.run(["compute", "--skip-invalid", "--quiet", "--format", "json", path])
    r.check("--skip-invalid --quiet: exit 0, stderr empty", code == 0 and err == b"", repr(err[:200]))


def run_on_terminal(r, args, env):
    """Runs with stdout on a pseudo-terminal; returns (exit code, output) or None if no pty here."""
    import pty
    try:
        master, slave = pty.openpty()
    except OSError:
        return None
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CLICOLOR_FORCE")}
    full_env.update(env)
    proc = subprocess.Popen([r.binary] + args, stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, env=full_env)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif proc.poll() is not None:
            break
    os.close(master)
    proc.wait(timeout=TIMEOUT)
    proc.stderr.close()
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_terminal_stdin(r):
    """No file and stdin a terminal: a usage error instead of waiting for typing."""
    import pty
    try:
        master, slave = pty.openpty()
    except OSError:
        r.skip("no file with stdin on a terminal", "no pseudo-terminal available")
        return
    proc = subprocess.run([r.binary, "compute"], stdin=slave, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=TIMEOUT)
    os.close(slave)
    os.close(master)
    r.check("no file, stdin a terminal: exit 2 with a hint",
            proc.returncode == 2 and proc.stdout == b"" and b"no input: give a file" in proc.stderr,
            repr((proc.returncode, proc.stderr[:200])))


def test_color(r, examples):
    path = os.path.join(examples, "activity.csv")
    code, out, _ = r.run(["compute", path])
    r.check("pipe: no ANSI", code == 0 and not ANSI.search(out.decode()))
    code, out, _ = r.run(["compute", path], env={"NO_COLOR": "1"})
    r.check("NO_COLOR=1: no ANSI", code == 0 and not ANSI.search(out.decode()))
    code, out, _ = r.run(["compute", "--color", "always", path])
    r.check("--color always: ANSI", code == 0 and ANSI.search(out.decode()) is not None)
    code, out, _ = r.run(["compute", "--color", "never", path])
    r.check("--color never: no ANSI", code == 0 and not ANSI.search(out.decode()))
    on_tty = run_on_terminal(r, ["compute", path], {})
    if on_tty is None:
        r.skip("colour on a terminal", "no pseudo-terminal available")
        return
    r.check("terminal: ANSI", on_tty[0] == 0 and ANSI.search(on_tty[1]) is not None, on_tty[1][:200])
    on_tty = run_on_terminal(r, ["compute", path], {"NO_COLOR": "1"})
    r.check("terminal with NO_COLOR=1: no ANSI", on_tty[0] == 0 and not ANSI.search(on_tty[1]))
    on_tty = run_on_terminal(r, ["compute", "--color", "never", path], {})
    r.check("terminal with --color never: no ANSI", on_tty[0] == 0 and not ANSI.search(on_tty[1]))


def read_expect(path):
    expect = {"exit": None, "args": [], "stderr": [], "kind": "activity"}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            key, sep, value = line.partition(":")
            value = value.strip()
            if not sep or key not in expect:
                raise ValueError(f"{path}:{number}: expected 'exit:', 'args:', 'stderr:' or 'kind:'")
            if key == "exit":
                expect["exit"] = int(value)
            elif key == "kind":
                if value not in COMMANDS_BY_KIND:
                    raise ValueError(f"{path}:{number}: kind is one of {', '.join(COMMANDS_BY_KIND)}")
                expect["kind"] = value
            elif key == "args":
                expect["args"] = shlex.split(value)
            else:
                expect["stderr"].append(value)
    if expect["exit"] is None:
        raise ValueError(f"{path}: no 'exit:' line")
    return expect


def generate_case(spec_path, target):
    """Writes the file a NAME.ext.gen spec describes to `target` (see the module docstring)."""
    with open(spec_path, encoding="utf-8") as spec, open(target, "wb") as out:
        for number, line in enumerate(spec, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition(":")
            count = 1
            if key == "repeat":
                count_text, _, value = value.strip().partition(" ")
                count = int(count_text)
            elif key != "text":
                raise ValueError(f"{spec_path}:{number}: expected 'text:' or 'repeat:'")
            literal = ast.literal_eval(value.strip())
            if isinstance(literal, str):
                literal = literal.encode("utf-8")
            if not isinstance(literal, bytes):
                raise ValueError(f"{spec_path}:{number}: expected a string or bytes literal")
            per_write = max(1, (1 << 20) // max(1, len(literal)))  # about 1 MB at a time
            while count > 0:
                out.write(literal * min(count, per_write))
                count -= per_write


def bad_cases(folder, generated):
    """(case name, path to run, stem of its .expect) for each case, generating the .gen ones."""
    cases = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".expect") or name.startswith("."):
            continue
        path = os.path.join(folder, name)
        if os.path.isdir(path):  # files the cases refer to ({bad}/DIR/FILE in args:)
            continue
        if name.endswith(".gen"):
            name = name[:-len(".gen")]
            target = os.path.join(generated, name)
            generate_case(path, target)
            path = target
        cases.append((name, path, name.rsplit(".", 1)[0]))
    return cases


def test_bad_inputs(r, data, sanitized):
    folder = os.path.join(data, "bad")
    generated = r.workdir("generated")
    seconds = CASE_SECONDS_SANITIZED if sanitized else CASE_SECONDS
    memory = None if sanitized else CASE_MEMORY
    if sanitized:
        r.skip("bad-input memory bound", "sanitizer build (ASan reserves terabytes of address "
               f"space, so RLIMIT_AS cannot apply); time bound {seconds} s")
    cases = bad_cases(folder, generated)
    r.check("bad-input corpus is not empty", len(cases) > 0, folder)
    slowest = (0.0, "")
    largest = (0, "")
    for name, path, stem in cases:
        expect_path = os.path.join(folder, stem + ".expect")
        if not r.check(f"{name} has {stem}.expect", os.path.isfile(expect_path)):
            continue
        try:
            expect = read_expect(expect_path)
        except ValueError as e:
            r.check(f"{name} expectation", False, str(e))
            continue
        commands = COMMANDS_BY_KIND[expect["kind"]]
        expect["args"] = [a.replace("{bad}", folder) for a in expect["args"]]
        args = commands[0] + expect["args"] + [path]

        def bounded(label, run_args):
            code, out, err, rss, elapsed = r.run_bounded(run_args, seconds, memory)
            nonlocal slowest, largest
            slowest = max(slowest, (elapsed, name))
            largest = max(largest, (rss, name))
            r.check(f"{name}{label} within {seconds} s", code is not None, f"{elapsed:.1f} s")
            if memory is not None:
                r.check(f"{name}{label} peak RSS below {memory >> 20} MB", rss < memory,
                        f"{rss >> 20} MB")
            return code, out, err

        first = bounded("", args)
        if expect["exit"] == 0:
            stdout = r.expect_ok(name, first)
            r.check(f"{name} prints a result", bool(stdout))
        else:
            # Every message names the file as it was given, and then the expected details.
            r.expect_error(name, first, expect["exit"], re.escape(path) + ":", *expect["stderr"])

        work = r.workdir(os.path.join("bad", stem))
        target = os.path.join(work, "out.txt")
        # With -o to a new file: a failed run creates nothing, not even a temporary file.
        code, out, err = bounded(" -o new", args[:1] + ["-o", target] + args[1:])
        r.check(f"{name} -o new exit {expect['exit']}", code == expect["exit"], f"exit {code} {err[:200]!r}")
        r.check(f"{name} -o new stdout empty", out == b"", repr(out[:200]))
        if expect["exit"] == 0:
            content = open(target, "rb").read() if os.path.exists(target) else None
            r.check(f"{name} -o new wrote the result", content == first[1])
            os.unlink(target)
        else:
            r.check(f"{name} -o new left no file", not os.path.exists(target))
        r.no_temp_files(f"{name} -o new", work, [])

        # The same run with -o over an existing file: a failed run leaves it untouched and leaves
        # no temporary file; a good run replaces it with what stdout showed.
        old = b"previous result, must survive a failed run\n"
        with open(target, "wb") as f:
            f.write(old)
        code, out, err = bounded(" -o", args[:1] + ["-o", target] + args[1:])
        r.check(f"{name} -o exit {expect['exit']}", code == expect["exit"], f"exit {code} {err[:200]!r}")
        r.check(f"{name} -o stdout empty", out == b"", repr(out[:200]))
        content = open(target, "rb").read()
        if expect["exit"] == 0:
            r.check(f"{name} -o wrote the result", content == first[1])
        else:
            r.check(f"{name} -o left the old file unchanged", content == old, repr(content[:200]))
            r.check(f"{name} -o same message", err == first[2], f"{err[:200]!r} vs {first[2][:200]!r}")
        r.no_temp_files(f"{name} -o", work, ["out.txt"])

        # Every other subcommand that reads such records: the same contract, over an old file.
        for command in commands[1:]:
            label = " ".join(c if c is not OUT else "FILE" for c in command)
            with open(target, "wb") as f:
                f.write(old)
            run_args = [target if c is OUT else c for c in command]
            if OUT not in command:
                run_args = run_args[:1] + ["-o", target] + run_args[1:]
            result = bounded(f" ({label})", run_args + expect["args"] + [path])
            # A shard without records has an empty state (docs/scale-out.md): --emit-state takes
            # an input that holds no records where the others refuse it.
            empty_shard = OUT in command and b"no records: expected at least one" in first[2]
            if empty_shard:
                r.check(f"{name} ({label}) exit 0 (an empty shard)", result[0] == 0,
                        f"exit {result[0]} {result[2][:200]!r}")
            elif expect["exit"] == 0:
                r.check(f"{name} ({label}) exit 0", result[0] == 0, f"exit {result[0]} {result[2][:200]!r}")
                r.check(f"{name} ({label}) wrote its output", open(target, "rb").read() != old)
            else:
                r.expect_error(f"{name} ({label})", result, expect["exit"], re.escape(path) + ":",
                               *expect["stderr"])
                content = open(target, "rb").read()
                r.check(f"{name} ({label}) left the old file unchanged", content == old, repr(content[:200]))
            r.no_temp_files(f"{name} ({label})", work, ["out.txt"])
    if os.path.isdir(generated):
        shutil.rmtree(generated, ignore_errors=True)
    print(f"bad inputs: {len(cases)} cases; slowest run {slowest[0]:.2f} s ({slowest[1]}), "
          f"largest peak RSS {largest[0] >> 20} MB ({largest[1]})"
          + (" (sanitizer build: memory not bounded)" if sanitized else ""))


def guarded(r, test, *args):
    """Runs one group; output the checks did not foresee (a KeyError, say) is a failure, not a crash."""
    try:
        return test(*args)
    except Exception:  # noqa: BLE001 - any surprise is reported as a failed check
        r.check(test.__name__, False, "unexpected exception:\n" + traceback.format_exc())
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data", required=True, help="tests/data")
    parser.add_argument("--examples", help="examples/ (needed unless --only bad)")
    parser.add_argument("--work", required=True, help="scratch folder (emptied first)")
    parser.add_argument("--only", choices=["all", "e2e", "bad"], default="all")
    parser.add_argument("--sanitized", action="store_true",
                        help="the binary is built with ASan/UBSan: no address-space limit")
    options = parser.parse_args()

    binary = os.path.abspath(options.binary)
    if not os.access(binary, os.X_OK):
        print(f"e2e: cannot run {binary}")
        return 1
    work = os.path.abspath(options.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = Runner(binary, work)
    data = os.path.abspath(options.data)

    if options.only in ("all", "e2e"):
        if not options.examples:
            parser.error("--examples is required unless --only bad")
        examples = os.path.abspath(options.examples)
        reports = guarded(r, test_examples, r, examples) or {}
        guarded(r, test_small_by_hand, r, data)
        guarded(r, test_stdin_and_several_files, r, examples)
        guarded(r, test_output_file, r, examples)
        guarded(r, test_input_errors, r, data)
        guarded(r, test_usage, r, examples, reports)
        guarded(r, test_skip_invalid, r, data)
        guarded(r, test_color, r, examples)
        guarded(r, test_terminal_stdin, r)
    if options.only in ("all", "bad"):
        guarded(r, test_bad_inputs, r, data, options.sanitized)

    note = f", {r.skipped} skipped" if r.skipped else ""
    print(f"e2e: {r.passed} passed, {r.failed} failed{note}")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
