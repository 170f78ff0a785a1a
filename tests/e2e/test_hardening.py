#!/usr/bin/env python3
"""End-to-end tests of csm-metrics at its edges (Python 3 standard library only).

docs/reliability.md, "Limits" and "Output safety", says what each of these checks:
- limits: the longest CSV and JSON record (64 MiB, exactly), a customer_id as long as a record,
  JSON nesting (64 levels), the largest money value, the most months;
- memory: past the available memory (an address-space limit, RLIMIT_AS) the run ends with
  `out of memory`, exit 71, and no output file, whatever the limit; never a crash or an abort;
- output safety: SIGTERM (and SIGINT, SIGHUP) in the middle of `compute -o out.json` leaves
  out.json as it was or complete, never partial, and no temporary file (SIGKILL: old or complete
  too, and what a kill can leave, the next run removes); `| head -1` ends quietly
  (killed by SIGPIPE, status 141), also when the parent left SIGPIPE ignored.

Usage: test_hardening.py --binary PATH --work DIR [--sanitized]
Prints one line per failure and `hardening: N passed, M failed`; exits 1 if anything failed.
With --sanitized (an ASan build) the tests that need an address-space limit are skipped, and said.
"""

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402 - the shared checks of the e2e tests

MIB = 1 << 20
RECORD_LIMIT = 64 * MIB  # kMaxRecordBytes (CSV) and kMaxJsonRecordBytes (JSON)
JSON_DEPTH = 64  # kMaxJsonDepth, the record object included
MAX_MONEY = "9223372036854.775807"  # kMaxMoney: INT64_MAX micro-units
OUT_OF_MEMORY = "out of memory"
EXIT_OS_ERROR = 71
# Peak memory allowed for a run at a limit (a record of 64 MiB is held once in the read buffer,
# which grows by doubling to 128 MiB, plus the cells and the customer id).
LIMIT_RUN_MEMORY = 512 * MIB


def write_file(path, *parts):
    """Writes parts (bytes, or (bytes, count) for a repetition) without building it in memory."""
    with open(path, "wb") as f:
        for part in parts:
            data, count = part if isinstance(part, tuple) else (part, 1)
            per_write = max(1, MIB // max(1, len(data)))
            while count > 0:
                f.write(data * min(count, per_write))
                count -= per_write
    return path


def bounded(r, args, sanitized, seconds=60, memory=LIMIT_RUN_MEMORY, cwd=None):
    """run_bounded without the memory limit under sanitizers."""
    return r.run_bounded(args, seconds, None if sanitized else memory, cwd=cwd)


# ---- limits ------------------------------------------------------------------------------------
def test_record_limits(r, sanitized):
    """A record of exactly 64 MiB (line break included) is read; one byte more is refused."""
    work = r.workdir("records")
    head = b"customer_id,period,revenue\n"
    tail = b",2025-01,10.00\n"
    for extra, verdict in ((0, "accepted"), (1, "refused")):
        # CSV: the whole line `ID,2025-01,10.00\n` is RECORD_LIMIT + extra bytes; the id is the rest.
        path = write_file(os.path.join(work, f"csv_{verdict}.csv"), head,
                          b"small,2025-01,1.00\n", (b"i", RECORD_LIMIT + extra - len(tail)), tail)
        code, out, err, rss, elapsed = bounded(r, ["compute", "--format", "json", path], sanitized)
        name = f"CSV record of 64 MiB{' + 1 byte' if extra else ''}"
        if extra == 0:
            text = r.expect_ok(name, (code, out, err))
            report = r.json_of(name, text) if text else None
            if report:
                # The long id is one customer beside "small": 2 active customers, 11.00 of mrr.
                r.check(name + ": 2 customers", report["periods"][0]["customers_end"] == 2,
                        report["periods"][0])
        else:
            r.expect_error(name, (code, out, err), 65,
                           re.escape(path) + r":3: record longer than 64 MiB")
        if not sanitized:
            r.check(f"{name}: peak RSS {rss >> 20} MB below {LIMIT_RUN_MEMORY >> 20} MB",
                    rss < LIMIT_RUN_MEMORY)
        os.unlink(path)

        # JSON Lines: the line `{"customer_id": "ID", ...}\n`; JSON array: the element `{...}`.
        start = b'{"customer_id": "'
        end = b'", "period": "2025-01", "revenue": 10}'
        small = b'{"customer_id": "small", "period": "2025-01", "revenue": 1}'
        for layout, ext, before, sep, after in (("JSON Lines", "jsonl", b"", b"\n", b"\n"),
                                                ("JSON array", "json", b"[", b",\n", b"]\n")):
            # A JSON record is its object, from '{' to '}'.
            size = RECORD_LIMIT + extra - len(start) - len(end)
            path = write_file(os.path.join(work, f"{verdict}.{ext}"), before, small, sep, start,
                              (b"j", size), end, after)
            code, out, err, rss, elapsed = bounded(r, ["compute", "--format", "json", path], sanitized)
            name = f"{layout} record of 64 MiB{' + 1 byte' if extra else ''}"
            if extra == 0:
                text = r.expect_ok(name, (code, out, err))
                report = r.json_of(name, text) if text else None
                if report:
                    r.check(name + ": 2 customers", report["periods"][0]["customers_end"] == 2)
            else:
                r.expect_error(name, (code, out, err), 65,
                               re.escape(path) + r":2: record longer than 64 MiB")
            if not sanitized:
                r.check(f"{name}: peak RSS {rss >> 20} MB below {LIMIT_RUN_MEMORY >> 20} MB",
                        rss < LIMIT_RUN_MEMORY)
            os.unlink(path)


def test_json_depth(r):
    """64 levels of nesting, the record object included, are skipped; 65 are refused."""
    work = r.workdir("depth")
    for depth, ok in ((JSON_DEPTH, True), (JSON_DEPTH + 1, False)):
        inner = depth - 1  # containers inside the record object
        line = (b'{"customer_id": "a", "period": "2025-01", "revenue": 1, "x": ' +
                b"[" * inner + b"]" * inner + b"}\n")
        path = write_file(os.path.join(work, f"depth_{depth}.jsonl"), line)
        result = r.run(["compute", "--format", "json", path])
        if ok:
            r.expect_ok(f"JSON nesting {depth} levels", result)
        else:
            r.expect_error(f"JSON nesting {depth} levels", result, 65,
                           re.escape(path) + r":1: nesting deeper than 64 levels")


def test_money_and_months(r):
    """The largest money value is read and printed exactly; one micro-unit more is refused. Two
    rows 0001-01 and 9999-12 give every month between: 9999 * 12 = 119 988 periods."""
    work = r.workdir("money")
    path = write_file(os.path.join(work, "max.csv"),
                      f"customer_id,period,revenue\na,2025-01,{MAX_MONEY}\n".encode())
    text = r.expect_ok("largest revenue", r.run(["compute", "--format", "csv", path]))
    r.check("largest revenue printed exactly", text is not None and MAX_MONEY in text,
            (text or "")[:300])
    path = write_file(os.path.join(work, "over.csv"),
                      b"customer_id,period,revenue\na,2025-01,9223372036854.775808\n")
    r.expect_error("revenue one micro-unit too large", r.run(["compute", path]), 65,
                   re.escape(path) + r':2: revenue: .*"9223372036854\.775808"')
    path = write_file(os.path.join(work, "wide.csv"),
                      b"customer_id,period,revenue\na,0001-01,1\nb,9999-12,2\n")
    # -q: two rows 9,999 years apart draw data-quality warnings (isolated, future), not the point here.
    text = r.expect_ok("months 0001-01 to 9999-12", r.run(["compute", "-q", "--format", "csv", path]))
    if text is not None:
        lines = text.splitlines()
        r.check("119 988 periods", len(lines) == 1 + 119988 and lines[1].startswith("0001-01,")
                and lines[-1].startswith("9999-12,"), f"{len(lines)} lines")


# ---- memory ------------------------------------------------------------------------------------
def many_customers(path, customers, layout="csv"):
    """Activity rows: `customers` distinct ids of 64 bytes, each in 2 of 12 months."""
    with open(path, "w") as f:
        if layout == "csv":
            f.write("customer_id,period,revenue\n")
        for i in range(customers):
            c = f"customer-{i:010d}-" + "x" * 45
            for m in (i % 12, (i + 5) % 12):
                p = f"2025-{m + 1:02d}"
                v = f"{i % 997}.{i % 100:02d}"
                if layout == "csv":
                    f.write(f"{c},{p},{v}\n")
                else:
                    f.write(f'{{"customer_id": "{c}", "period": "{p}", "revenue": {v}}}\n')
    return path


def test_out_of_memory(r, sanitized):
    """Past the memory there is: exit 71, one line, no output file, at any limit."""
    if sanitized:
        r.skip("out of memory", "sanitizer build: ASan cannot run under an address-space limit")
        return
    work = r.workdir("memory")
    # The smallest address space in which the program starts at all: below it the loader or a
    # library's static initialisation (libxgboost registers its parameters before main) fails,
    # which no program can report. The runs below start 4 MB above it, and never below 16 MB.
    floor = None
    for mb in range(8, 129):
        code, _, _, _, _ = r.run_bounded(["--version"], 30, mb * MIB)
        if code == 0:
            floor = mb * MIB
            break
    if not r.check("starts in an address space of 128 MB", floor is not None, "it did not"):
        return
    lowest = max(16 * MIB, floor + 4 * MIB)
    print(f"hardening: starts in {floor >> 20} MB of address space; the smallest limit tried is "
          f"{lowest >> 20} MB")
    inputs = [
        # Many customers: the customer index and the row log (mmap'd, grown by mremap) run out.
        ("many customers", many_customers(os.path.join(work, "many.csv"), 200000), []),
        # Three lines, 60 000 months: the months and the 35 MB of JSON run out.
        ("many months", write_file(os.path.join(work, "wide.csv"),
                                   b"customer_id,period,revenue\na,5000-01,1\nb,9999-12,2\n"), ["-q"]),
        # JSON Lines read by 4 threads (more than the cores here, on purpose).
        ("JSON Lines on 4 threads", many_customers(os.path.join(work, "many.jsonl"), 100000,
                                                   "jsonl"), ["-j", "4"]),
    ]
    for label, path, extra in inputs:
        target = os.path.join(work, "out.json")
        args = ["compute", "--format", "json"] + extra + ["-o", target, path]
        code, out, err, rss, _ = r.run_bounded(args, 120, None)
        if not r.check(f"{label}: unlimited run exit 0", code == 0, f"exit {code} {err[:300]!r}"):
            continue
        expected = open(target, "rb").read()
        os.unlink(target)
        # Address space is never smaller than the resident set: at half the peak RSS of the run
        # without a limit, the run cannot fit. At 4 times the peak (+256 MB for thread stacks and
        # malloc arenas) it must give the same result.
        print(f"hardening: {label}: peak RSS {rss >> 20} MB without a limit")
        limits = [lowest, rss // 4, rss // 2, (rss * 3) // 4]
        for limit in sorted(x for x in set(limits) if x >= lowest):
            failed_to_fit(r, f"{label} in {limit >> 20} MB", args, work, target, limit,
                          must_fail=limit <= rss // 2, expected=expected)
        failed_to_fit(r, f"{label} in {(4 * rss + 256 * MIB) >> 20} MB", args, work, target,
                      4 * rss + 256 * MIB, must_fail=False, expected=expected, must_succeed=True)
        # No thread can start: glibc gives each new thread a stack of RLIMIT_STACK bytes, and
        # 1 GiB does not fit in the address space. The run goes on in one thread, same result.
        failed_to_fit(r, f"{label}, no thread can start", args, work, target,
                      4 * rss + 256 * MIB, must_fail=False, expected=expected, must_succeed=True,
                      stack=1 << 30)


def failed_to_fit(r, name, args, work, target, limit, must_fail, expected, must_succeed=False,
                  stack=None):
    """One run under RLIMIT_AS = limit: either the whole result, or exit 71 and nothing written."""
    old = b"the previous result\n"
    with open(target, "wb") as f:
        f.write(old)
    code, out, err, _, _ = r.run_bounded(args, 120, limit, stack=stack)
    content = open(target, "rb").read()
    if code == 0 and not must_fail:
        r.check(name + ": complete result", content == expected and err == b"",
                f"{len(content)} bytes vs {len(expected)}, stderr {err[:200]!r}")
    elif must_succeed:
        r.check(name + ": exit 0", False, f"exit {code} {err[:300]!r}")
    else:
        r.expect_error(name, (code, out, err), EXIT_OS_ERROR, OUT_OF_MEMORY)
        r.check(name + ": old output file untouched", content == old, repr(content[:100]))
    left = [n for n in os.listdir(work) if n.startswith(".csm-metrics-")]
    r.check(name + ": no temporary file left", not left, f"found {left}")
    os.unlink(target)


# ---- output safety -----------------------------------------------------------------------------
def rows(first, count):
    return "".join(f"c{i},2025-{i % 12 + 1:02d},{i % 500}.25\n" for i in range(first, first + count))


def default_signals():
    """In the child: the default action for the signals the tests send. A shell's background job
    (and so perhaps this test) has SIGINT ignored, which the child would inherit and honour."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def communicate(proc, seconds=30):
    """proc.communicate(), but a child still running after `seconds` is killed (and reported)."""
    try:
        return proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return out, b"(still running after the signal) " + err


def open_fifo_for_writing(fifo, proc):
    """Opens the FIFO once the child has opened it for reading (not forever if it never does)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as e:  # ENXIO: no reader yet
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"csm-metrics did not open the FIFO (exit {proc.returncode})") from e
            time.sleep(0.01)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "w")


def test_signal_while_reading(r):
    """SIGTERM while the input (a FIFO fed by this test) is half read: out.json keeps its old
    content, no temporary file, killed by the signal (no clean-up code needed: nothing is open)."""
    work = r.workdir("fifo")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        fifo = os.path.join(work, "in.csv")
        target = os.path.join(work, "out.json")
        old = b"the result of yesterday\n"
        with open(target, "wb") as f:
            f.write(old)
        os.mkfifo(fifo)
        proc = subprocess.Popen([r.binary, "compute", "--format", "json", "-o", target, fifo],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, preexec_fn=default_signals)
        name = f"{signal.Signals(sig).name} while reading a FIFO"
        try:
            with open_fifo_for_writing(fifo, proc) as feed:
                # 2 MB, more than the 1 MiB first block: once write() returns, all but the last
                # pipe buffer (64 KiB) has been read, so the run is in the middle of its records.
                feed.write("customer_id,period,revenue\n")
                written = 0
                i = 0
                while written < 2 * MIB:
                    chunk = rows(i, 1000)
                    feed.write(chunk)
                    written += len(chunk)
                    i += 1000
                feed.flush()
                r.check(name + ": still running", proc.poll() is None, f"exit {proc.returncode}")
                proc.send_signal(sig)
                out, err = communicate(proc)
        except BrokenPipeError:
            out, err = communicate(proc)
        r.check(name + f": killed by {signal.Signals(sig).name}", proc.returncode == -sig,
                f"exit {proc.returncode} {err[:200]!r}")
        r.check(name + ": stdout empty", out == b"", repr(out[:100]))
        r.check(name + ": out.json unchanged", open(target, "rb").read() == old)
        os.unlink(fifo)
        r.no_temp_files(name, work, ["out.json"])


def test_signal_at_any_time(r):
    """SIGTERM at 10 moments of a run that writes 21 MB of JSON (36 000 months from 3 lines):
    out.json is always the old content or the whole new result, and no temporary file remains."""
    work = r.workdir("sigterm")
    path = write_file(os.path.join(work, "wide.csv"),
                      b"customer_id,period,revenue\na,7000-01,1\nb,9999-12,2\n")
    target = os.path.join(work, "out.json")
    args = [r.binary, "compute", "--format", "json", "-o", target, path]
    start = time.monotonic()
    done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    whole = time.monotonic() - start
    if not r.check("big output: exit 0", done.returncode == 0, repr(done.stderr[:300])):
        return
    expected = open(target, "rb").read()
    old = b"the result of yesterday\n"
    outcomes = {"old": 0, "new": 0}
    for k in range(10):
        with open(target, "wb") as f:
            f.write(old)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, preexec_fn=default_signals)
        time.sleep(whole * (0.05 + 0.16 * k))  # from 5 % to 149 % of a whole run
        proc.send_signal(signal.SIGTERM)
        out, err = communicate(proc, 300)
        content = open(target, "rb").read()
        name = f"SIGTERM at {5 + 16 * k} % of the run"
        r.check(name + ": killed or finished", proc.returncode in (0, -signal.SIGTERM),
                f"exit {proc.returncode} {err[:200]!r}")
        is_old, is_new = content == old, content == expected
        r.check(name + ": out.json old or complete, never partial", is_old or is_new,
                f"{len(content)} bytes of {len(expected)}")
        outcomes["old" if is_old else "new"] += 1
        r.no_temp_files(name, work, ["wide.csv", "out.json"])
    print(f"hardening: SIGTERM during a {whole:.2f} s run: out.json old {outcomes['old']} times, "
          f"complete {outcomes['new']} times, partial never")

    # SIGKILL cannot be blocked: the result is written to an unnamed file (O_TMPFILE) that gets a
    # name only for the instant between linkat and rename. A kill in that instant (seen once in
    # CI) may leave a complete copy named after the killed process, never anything else, and the
    # next run in the directory removes it. Where the file system has no O_TMPFILE a named
    # temporary file is used: a kill may leave it partial, and the next run removes it too.
    try:
        os.close(os.open(work, os.O_TMPFILE | os.O_WRONLY, 0o600))
        unnamed = True
    except (OSError, AttributeError):
        unnamed = False
    leftovers_seen = 0
    for k in range(5):
        with open(target, "wb") as f:
            f.write(old)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        time.sleep(whole * (0.6 + 0.1 * k))  # the later part of the run: writing the result
        proc.kill()
        communicate(proc)
        content = open(target, "rb").read()
        name = f"SIGKILL at {60 + 10 * k} % of the run"
        r.check(name + ": out.json old or complete, never partial", content in (old, expected),
                f"{len(content)} bytes of {len(expected)}")
        left = sorted(set(os.listdir(work)) - {"wide.csv", "out.json"})
        ours = re.compile(r"\.csm-metrics-.*-%d-[0-9A-Za-z]+$" % proc.pid)
        r.check(name + ": nothing left but a temporary file of the killed run",
                all(ours.match(n) for n in left), f"found {left}")
        if unnamed:
            r.check(name + ": a leftover is a complete copy",
                    all(open(os.path.join(work, n), "rb").read() == expected for n in left),
                    f"found {left}")
        leftovers_seen += len(left)
    host = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())
    # And a leftover of a dead process on this host, planted, so that removal is always tested.
    planted = os.path.join(work, f".csm-metrics-{host}-{proc.pid}-7")
    write_file(planted, expected[:1000])
    again = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    r.check("run after the SIGKILLs: exit 0", again.returncode == 0, repr(again.stderr[:300]))
    r.no_temp_files("run after the SIGKILLs (leftovers removed)", work, ["wide.csv", "out.json"])
    print(f"hardening: SIGKILL 5 times: a temporary file left {leftovers_seen} times "
          f"({'unnamed' if unnamed else 'named'} way), removed by the next run")


def test_sigpipe(r):
    """`compute | head -1` ends quietly: killed by SIGPIPE (141 in a shell), nothing on stderr."""
    work = r.workdir("sigpipe")
    # 12 000 months: 1 MB of table and more of CSV and JSON, far more than a pipe holds (64 KiB).
    path = write_file(os.path.join(work, "wide.csv"),
                      b"customer_id,period,revenue\na,9000-01,1\nb,9999-12,2\n")
    for ignored in (False, True):
        for fmt in ("csv", "table", "json"):
            name = f"--format {fmt} | head -1" + (" (SIGPIPE ignored by the parent)" if ignored else "")
            pre = (lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN)) if ignored else None
            proc = subprocess.Popen([r.binary, "compute", "-q", "--format", fmt, path],  # -q: no data warnings
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, preexec_fn=pre)
            first = proc.stdout.readline()
            proc.stdout.close()
            err = proc.stderr.read()
            proc.wait(timeout=120)
            proc.stderr.close()
            r.check(name + ": a first line", len(first) > 0)
            r.check(name + ": killed by SIGPIPE", proc.returncode == -signal.SIGPIPE,
                    f"exit {proc.returncode}")
            r.check(name + ": stderr empty", err == b"", repr(err[:300]))
    # The same through a shell, as a user types it: with pipefail the pipeline's status is 141.
    if shutil.which("bash") and shutil.which("head"):
        script = f'set -o pipefail; "{r.binary}" compute -q --format csv "{path}" | head -1 >/dev/null'
        done = subprocess.run(["bash", "-c", script], capture_output=True, timeout=120)
        r.check("bash: compute | head -1 status 141", done.returncode == 141,
                f"status {done.returncode}")
        r.check("bash: compute | head -1 stderr empty", done.stderr == b"", repr(done.stderr[:300]))
    else:
        r.skip("bash pipeline", "no bash or head here")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--work", required=True, help="scratch folder (emptied first)")
    parser.add_argument("--sanitized", action="store_true",
                        help="the binary is built with ASan/UBSan: no address-space limit")
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    if not os.access(binary, os.X_OK):
        print(f"hardening: cannot run {binary}")
        return 1
    work = os.path.abspath(options.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = Runner(binary, work)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for test, *args in ((test_record_limits, r, options.sanitized), (test_json_depth, r),
                        (test_money_and_months, r), (test_out_of_memory, r, options.sanitized),
                        (test_signal_while_reading, r), (test_signal_at_any_time, r),
                        (test_sigpipe, r)):
        start = time.monotonic()
        guarded(r, test, *args)
        print(f"hardening: {test.__name__} {time.monotonic() - start:.1f} s")
    shutil.rmtree(work, ignore_errors=True)
    note = f", {r.skipped} skipped" if r.skipped else ""
    print(f"hardening: {r.passed} passed, {r.failed} failed{note}")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
