#!/usr/bin/env python3
"""End-to-end tests of `shard`, `merge` and `predict --from-state` against hostile and careless
input (issue 15, findings 1, 2, 7, 8, 9 and 10; docs/scale-out.md and docs/reliability.md):

- a JSON record nested 100,000 deep is refused with 65 (as compute refuses it), no crash, no file;
- links planted where the shards' temporary files used to be, and at a shard's name, are never
  followed: the files they point to stay as they were;
- shards carry each record's bytes unchanged (JSON numbers as written, CSV quoting and CRLF), and
  shard -> compute --emit-state per shard -> merge prints what one compute prints;
- no partial or temporary file remains after a failure (the open-file limit, with the errno text;
  a record past 64 MiB from /dev/zero, in bounded memory) or after SIGTERM, SIGINT or SIGHUP;
- shard reads records as compute does: a bare quote inside a field, header names in any case,
  --column customer_id=NAME, --id-column (and the old --by), a record of the wrong shape;
- merge and predict --from-state refuse what is no state after its first bytes (/dev/zero in
  bounded memory) and a state file larger than 1 GiB.

Expected values come from the test's own reading of the inputs (FNV-1a in Python, the input's
bytes), never from csm-metrics' output.

Usage: test_shard_hardening.py --binary PATH --root SOURCE_DIR --work DIR [--sanitized]
Prints one line per failure and `shard hardening: N passed, M failed`; exits 1 on a failure.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402 - the shared checks of the e2e tests

MIB = 1 << 20


def fnv1a64(text):
    h = 14695981039346656037
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    return h


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def entries(directory):
    """Everything in a directory (hidden names included), or [] when it does not exist."""
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


def shard_names(n, ext):
    return ["shard-%d-of-%d%s" % (i, n, ext) for i in range(n)]


def csv_shards_by_hand(data, n):
    """The expected shard files of a CSV input without quotes: the header, then each line whose
    first field hashes to the shard, bytes as they are."""
    lines = data.split(b"\n")
    header, rows = lines[0] + b"\n", [l + b"\n" for l in lines[1:] if l.strip()]
    shards = [header] * n
    for row in rows:
        cid = row.split(b",")[0].decode("utf-8")
        shards[fnv1a64(cid) % n] += row
    return shards


# ---- finding 1: nesting ------------------------------------------------------------------------
def test_deep_nesting(r):
    work = r.workdir("nesting")
    depth = 100000
    path = write(os.path.join(work, "deep.json"),
                 b'[{"customer_id": "c1", "period": "2024-01", "revenue": "1", "x": ' +
                 b"[" * depth + b"]" * depth + b"}]\n")
    out_dir = os.path.join(work, "out")
    result = r.run(["shard", "-n", "2", path, "-o", out_dir])
    r.expect_error("shard: nesting 100,000 deep", result, 65, r"deep\.json:1: ", "nesting deeper than 64")
    r.check("shard: nesting: no file left", entries(out_dir) == [], entries(out_dir))
    # The same refusal as compute's.
    r.expect_error("compute: nesting 100,000 deep", r.run(["compute", path]), 65, "nesting deeper than 64")


# ---- finding 2: planted links ------------------------------------------------------------------
def test_planted_links(r):
    work = r.workdir("links")
    data = b"customer_id,period,revenue\nc1,2024-01,10\nc2,2024-01,20\nc3,2024-02,30\nc4,2024-02,5\n"
    path = write(os.path.join(work, "in.csv"), data)
    out_dir = os.path.join(work, "out")
    os.makedirs(out_dir)
    victim = write(os.path.join(work, "victim.txt"), b"precious\n")
    victim2 = write(os.path.join(work, "victim2.txt"), b"also precious\n")
    # The temporary names of earlier versions were predictable from the pid: planted by the child
    # itself between fork and exec, where its pid is the one csm-metrics will have.
    planted = []

    def plant():
        pid = os.getpid()
        for i in range(2):
            link = os.path.join(out_dir, ".shard-%d-of-2.csv.partial-%d" % (i, pid))
            os.symlink(victim, link)
        os.symlink(os.path.join(work, "created-by-link"), os.path.join(out_dir, ".shard-1-of-2.csv.partial-%d" % (pid + 1)))

    os.symlink(victim2, os.path.join(out_dir, "shard-0-of-2.csv"))
    proc = subprocess.run([r.binary, "shard", "-q", "-n", "2", path, "-o", out_dir], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=plant, timeout=60)
    r.check("links: shard exit 0", proc.returncode == 0, proc.stderr[:300])
    r.check("links: the file a planted temporary link points to is untouched", read(victim) == b"precious\n",
            read(victim)[:100])
    r.check("links: the file a link at a shard's name points to is untouched",
            read(victim2) == b"also precious\n", read(victim2)[:100])
    r.check("links: no file created through a link", not os.path.exists(os.path.join(work, "created-by-link")))
    expected = csv_shards_by_hand(data, 2)
    for i, name in enumerate(shard_names(2, ".csv")):
        p = os.path.join(out_dir, name)
        r.check("links: %s is a regular file, not the link" % name, os.path.isfile(p) and not os.path.islink(p))
        r.check("links: %s holds its records" % name, read(p) == expected[i], read(p)[:200])
    del planted


# ---- finding 7: bytes unchanged ----------------------------------------------------------------
def test_bytes_unchanged(r):
    work = r.workdir("bytes")
    # A pretty-printed JSON array: numbers in forms a double would change, a string with escapes,
    # an element over several lines with CRLF. Every line break of an element is between tokens.
    elements = [
        b'{"customer_id": "big", "period": "2024-01", "revenue": 9223372036854.775807}',
        b'{\r\n  "customer_id": "exp",\r\n  "period": "2024-01",\r\n  "revenue": 1e2\r\n}',
        b'{"customer_id": "frac", "period": "2024-02",\n "revenue": 0.000001, "csat": 5}',
        b'{"customer_id": "esc\\u00e9\\"q", "period": "2024-02", "revenue": 12.50}',
        b'{"customer_id": "big", "period": "2024-02", "revenue": 9223372036854.775807}',
        b'{"customer_id": "zero", "period": "2024-03", "revenue": 0E0}',
    ]
    ids = ["big", "exp", "frac", 'esc\u00e9"q', "big", "zero"]
    data = b"[\n  " + b",\n  ".join(elements) + b"\n]\n"
    path = write(os.path.join(work, "in.json"), data)
    for n in (1, 2, 3):
        out_dir = os.path.join(work, "out-%d" % n)
        code, _, err = r.run(["shard", "-q", "-n", str(n), path, "-o", out_dir])
        if not r.check("bytes N=%d: shard exit 0" % n, code == 0, err[:300]):
            continue
        expected = [b""] * n
        for element, cid in zip(elements, ids):
            expected[fnv1a64(cid) % n] += element.replace(b"\r", b" ").replace(b"\n", b" ") + b"\n"
        files = [os.path.join(out_dir, name) for name in shard_names(n, ".jsonl")]
        for i, f in enumerate(files):
            r.check("bytes N=%d: shard %d holds each element's bytes (numbers as written)" % (n, i),
                    read(f) == expected[i], "%r vs %r" % (read(f)[:300], expected[i][:300]))
    # shard -> compute --emit-state per shard -> merge: what one compute over the input prints
    # (compute takes no exponent: the numbers here are in forms a double would still change).
    elements = [e.replace(b"1e2", b"100.000000").replace(b"0E0", b"0.0") for e in elements]
    data = b"[\n  " + b",\n  ".join(elements) + b"\n]\n"
    path = write(os.path.join(work, "plain.json"), data)
    for n in (1, 2, 3):
        out_dir = os.path.join(work, "plain-%d" % n)
        code, _, err = r.run(["shard", "-q", "-n", str(n), path, "-o", out_dir])
        if not r.check("pipeline N=%d: shard exit 0" % n, code == 0, err[:300]):
            continue
        files = [os.path.join(out_dir, name) for name in shard_names(n, ".jsonl")]
        states = []
        for i, f in enumerate(files):
            states.append(os.path.join(work, "s-%d-%d.state" % (n, i)))
            code, _, err = r.run(["compute", "-q", "--shard", "%d/%d" % (i, n), f, "--emit-state", states[-1]])
            r.check("bytes N=%d: state of shard %d" % (n, i), code == 0, err[:300])
        code, merged, err = r.run(["merge", "-f", "json"] + states)
        code2, whole, err2 = r.run(["compute", "-f", "json", path])
        if r.check("bytes N=%d: merge and compute exit 0" % n, code == 0 and code2 == 0, (err + err2)[:300]):
            m, w = json.loads(merged), json.loads(whole)
            m["input"]["sources"] = w["input"]["sources"] = []
            r.check("bytes N=%d: the merge equals one compute over the input" % n, m == w)
    # CSV: quoted fields, doubled quotes, a quoted line break, CRLF, a last line without a break.
    csv = (b'customer_id,period,revenue,note\r\n"c,1",2024-01,10.10,"say ""hi"""\r\n'
           b'c2,2024-01,007.50,"two\nlines"\r\nc3,2024-02,1,plain')
    path = write(os.path.join(work, "in.csv"), csv)
    out_dir = os.path.join(work, "csv-out")
    code, _, err = r.run(["shard", "-q", "-n", "3", path, "-o", out_dir])
    if r.check("bytes CSV: shard exit 0", code == 0, err[:300]):
        expected = [b"customer_id,period,revenue,note\r\n"] * 3
        for cid, record in (("c,1", b'"c,1",2024-01,10.10,"say ""hi"""\r\n'),
                            ("c2", b'c2,2024-01,007.50,"two\nlines"\r\n'), ("c3", b"c3,2024-02,1,plain\n")):
            expected[fnv1a64(cid) % 3] += record
        for i, name in enumerate(shard_names(3, ".csv")):
            got = read(os.path.join(out_dir, name))
            r.check("bytes CSV: shard %d as written" % i, got == expected[i], "%r vs %r" % (got, expected[i]))


# ---- finding 8: nothing left behind ------------------------------------------------------------
def test_nothing_left(r, sanitized, root):
    work = r.workdir("left")
    example = os.path.join(root, "examples", "activity.csv")
    # Past the open-file limit: refused with the errno text, nothing created.
    out_dir = os.path.join(work, "many")

    def limit_files():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    proc = subprocess.run([r.binary, "shard", "-n", "2000", example, "-o", out_dir], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit_files, timeout=60)
    r.expect_error("open-file limit", (proc.returncode, proc.stdout, proc.stderr), 74,
                   "Too many open files", "ulimit -n")
    r.check("open-file limit: no file left", entries(out_dir) == [], entries(out_dir)[:5])
    # The soft limit alone is raised: 2000 shards under a soft limit of 1024 work.
    out_dir = os.path.join(work, "raised")

    def soft_limit():
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard >= 2100:
        proc = subprocess.run([r.binary, "shard", "-q", "-n", "2000", example, "-o", out_dir],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              preexec_fn=soft_limit, timeout=120)
        r.check("soft open-file limit raised: exit 0", proc.returncode == 0, proc.stderr[:300])
        r.check("soft open-file limit raised: 2000 files", entries(out_dir) == sorted(shard_names(2000, ".csv")),
                len(entries(out_dir)))
    else:
        r.skip("soft open-file limit raised", "the hard limit is %d" % hard)
    shutil.rmtree(out_dir, ignore_errors=True)
    # A record that never ends: refused at 64 MiB, in bounded memory, nothing left.
    out_dir = os.path.join(work, "zero")
    code, out, err, rss, elapsed = r.run_bounded(["shard", "-n", "2", "/dev/zero", "-o", out_dir], 60,
                                                 None if sanitized else 512 * MIB)
    r.expect_error("shard /dev/zero", (code, out, err), 65, "/dev/zero:1: ", "longer than 64 MiB")
    r.check("shard /dev/zero: no file left", entries(out_dir) == [], entries(out_dir))
    # A signal while reading (stdin is a pipe kept open): nothing left, killed by that signal.
    header = b"customer_id,period,revenue\n"
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        out_dir = os.path.join(work, "signal-%d" % sig)
        proc = subprocess.Popen([r.binary, "shard", "-q", "-n", "50", "-o", out_dir], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL)
                                                    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)])
        proc.stdin.write(header + b"".join(b"c%d,2024-01,%d\n" % (i, i) for i in range(2000)))
        proc.stdin.flush()
        time.sleep(0.5)  # the shard files exist by now (they are opened with the header)
        proc.send_signal(sig)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        r.check("signal %d: killed by it" % sig, proc.returncode == -sig, proc.returncode)
        r.check("signal %d: no file left" % sig, entries(out_dir) == [], entries(out_dir)[:5])
    # A failed run after a good one leaves the good run's files as they were (and nothing else).
    out_dir = os.path.join(work, "again")
    code, _, err = r.run(["shard", "-q", "-n", "3", example, "-o", out_dir])
    before = {name: read(os.path.join(out_dir, name)) for name in entries(out_dir)}
    bad = write(os.path.join(work, "bad.csv"), read(example).split(b"\n")[0] + b"\nc1,2024-01,1,,,\nc2,2024-01\n")
    result = r.run(["shard", "-n", "3", example, bad, "-o", out_dir])
    r.expect_error("failed run", result, 65, r"bad\.csv:3: ", "expected 6 fields")
    after = {name: read(os.path.join(out_dir, name)) for name in entries(out_dir)}
    r.check("failed run: the earlier shards as they were, nothing else", before == after and len(before) == 3,
            sorted(after))
    # An error writing: the directory cannot be made (a file is in the way), with the errno text.
    blocker = write(os.path.join(work, "blocker"), b"x")
    result = r.run(["shard", "-n", "2", example, "-o", os.path.join(blocker, "sub")])
    r.expect_error("output directory under a file", result, 74, "blocker/sub", "Not a directory")


# ---- finding 9: one reader ---------------------------------------------------------------------
def test_one_reader(r):
    work = r.workdir("reader")
    n = 4
    # A bare quote inside a field is a character (RFC 4180 quotes only whole fields): the next
    # lines are records of their own. Customers chosen so that they fall in different shards.
    rows = [b'a1,2024-01,10,ab"c', b"a2,2024-01,20,x", b"a3,2024-01,30,y\"z", b"a4,2024-02,40,w",
            b"a5,2024-02,50,v"]
    data = b"customer_id,period,revenue,note\n" + b"\n".join(rows) + b"\n"
    path = write(os.path.join(work, "quote.csv"), data)
    out_dir = os.path.join(work, "quote")
    code, _, err = r.run(["shard", "-q", "-n", str(n), path, "-o", out_dir])
    if r.check("bare quote: shard exit 0", code == 0, err[:300]):
        expected = csv_shards_by_hand(data, n)
        got = [read(os.path.join(out_dir, name)) for name in shard_names(n, ".csv")]
        r.check("bare quote: each record in its customer's shard", got == expected, "%r vs %r" % (got, expected))
        # And compute over the shards equals compute over the input (same records).
        code, a, _ = r.run(["compute", "-q", "-f", "json", path])
        code2, b, _ = r.run(["compute", "-q", "-f", "json"] + [os.path.join(out_dir, x) for x in shard_names(n, ".csv")])
        if r.check("bare quote: compute exit 0", code == 0 and code2 == 0):
            ja, jb = json.loads(a), json.loads(b)
            ja["input"]["sources"] = jb["input"]["sources"] = []
            r.check("bare quote: compute over the shards equals compute over the input", ja == jb)
    # Header names in another case, in CSV and JSON keys, as compute matches them.
    ids = ["k%d" % i for i in range(12)]
    cases = {
        "upper.csv": b" Customer_ID ,Period,REVENUE\n" + b"".join(b"%s,2024-01,1\n" % i.encode() for i in ids),
        "keys.jsonl": b"".join(b'{"Customer_Id": "%s", "PERIOD": "2024-01", "Revenue": "1"}\n' % i.encode()
                               for i in ids),
    }
    for name, content in cases.items():
        path = write(os.path.join(work, name), content)
        out_dir = os.path.join(work, "case-" + name)
        code, _, err = r.run(["shard", "-q", "-n", "3", path, "-o", out_dir])
        if not r.check("header case %s: shard exit 0" % name, code == 0, err[:300]):
            continue
        ext = ".csv" if name.endswith(".csv") else ".jsonl"
        for i, shard_file in enumerate(shard_names(3, ext)):
            text = read(os.path.join(out_dir, shard_file)).decode()
            want = [x for x in ids if fnv1a64(x) % 3 == i]
            have = [x for x in ids if ('"%s"' % x if ext == ".jsonl" else "\n%s," % x) in text]
            r.check("header case %s: shard %d has its customers" % (name, i), have == want, (have, want))
        code, _, err = r.run(["compute", "-q", path])
        r.check("header case %s: compute reads it too" % name, code == 0, err[:300])
    # The id under another name: --column customer_id=NAME (as compute), --id-column, the old --by.
    content = b"account,period,revenue\n" + b"".join(b"%s,2024-01,2\n" % i.encode() for i in ids)
    path = write(os.path.join(work, "account.csv"), content)
    expected = csv_shards_by_hand(content, 3)
    for option in (["--column", "customer_id=account"], ["--column", "CUSTOMER_ID=Account"],
                   ["--id-column", "account"], ["--by", "account"]):
        out_dir = os.path.join(work, "col-" + "-".join(option).replace("=", "_"))
        code, _, err = r.run(["shard", "-q", "-n", "3"] + option + [path, "-o", out_dir])
        if r.check("%s: shard exit 0" % " ".join(option), code == 0, err[:300]):
            got = [read(os.path.join(out_dir, x)) for x in shard_names(3, ".csv")]
            r.check("%s: each record in its customer's shard" % " ".join(option), got == expected)
    for i, f in enumerate(shard_names(3, ".csv")):
        code, _, err = r.run(["compute", "-q", "--column", "customer_id=account", "--shard", "%d/3" % i,
                              os.path.join(work, "col---column-customer_id_account", f),
                              "--emit-state", os.path.join(work, "acc-%d.state" % i)])
        r.check("--column: compute --shard %d/3 accepts its shard" % i, code == 0, err[:300])
    code, out, _ = r.run(["shard", "--help"])
    r.check("--help shows --id-column and --column, not the old --by",
            b"--id-column" in out and b"--column" in out and b"--by" not in out, out[:2000])
    result = r.run(["shard", "-n", "2", "--column", "nonsense=x", path, "-o", os.path.join(work, "never")])
    r.expect_usage_error("--column of no record kind", result, "nonsense")
    result = r.run(["shard", "-n", "2", path, "-o", os.path.join(work, "never")])
    r.expect_error("no id column", result, 65, r"account\.csv:1: ", "customer_id", "--column customer_id=NAME")
    r.check("no id column: no directory made", not os.path.exists(os.path.join(work, "never")))
    # Records of the wrong shape: the message compute gives, file and line of the input.
    cases = [
        ("fields.csv", b"customer_id,period,revenue\nc1,2024-01,1\nc2,2024-01\n", r"fields\.csv:3: expected 3 fields"),
        ("blank_id.csv", b"customer_id,period,revenue\nc1,2024-01,1\n  ,2024-01,1\n",
         r"blank_id\.csv:3: customer_id: empty"),
        # A whole number is an id since issue 16; a fraction is not.
        ("number_id.jsonl", b'{"customer_id": "c1", "period": "2024-01", "revenue": "1"}\n'
                            b'{"customer_id": 17.5, "period": "2024-01", "revenue": "1"}\n',
         r"number_id\.jsonl:2: customer_id: expected a string, got a number 17\.5"),
        ("element.json", b'[{"customer_id": "c1", "period": "2024-01", "revenue": "1"},\n 42]\n',
         r"element\.json:2: expected an object, found a number"),
        ("unterminated.csv", b'customer_id,period,revenue\nc1,2024-01,"1\n', r"unterminated\.csv:2: unterminated"),
    ]
    for name, content, pattern in cases:
        path = write(os.path.join(work, name), content)
        out_dir = os.path.join(work, "bad-" + name)
        r.expect_error("shard " + name, r.run(["shard", "-n", "2", path, "-o", out_dir]), 65, pattern)
        r.check("shard %s: nothing left" % name, entries(out_dir) == [], entries(out_dir))
        r.expect_error("compute " + name, r.run(["compute", path]), 65, pattern)
    # The format is told from the content, as compute tells it (a JSON Lines file named .txt).
    path = write(os.path.join(work, "lines.txt"), cases and b"".join(
        b'{"customer_id": "%s", "period": "2024-01", "revenue": "1"}\n' % i.encode() for i in ids))
    out_dir = os.path.join(work, "txt")
    code, _, err = r.run(["shard", "-q", "-n", "2", path, "-o", out_dir])
    r.check("format from content: JSON Lines shards", code == 0 and entries(out_dir) == shard_names(2, ".jsonl"),
            (err[:300], entries(out_dir)))


# ---- finding 10: merge and predict --from-state ------------------------------------------------
def test_state_reading(r, sanitized):
    work = r.workdir("states")
    for args in (["merge", "/dev/zero"], ["predict", "--from-state", "/dev/zero"]):
        name = " ".join(args)
        code, out, err, rss, elapsed = r.run_bounded(args, 20, None if sanitized else 256 * MIB)
        r.expect_error(name, (code, out, err), 65, "/dev/zero:1: not a csm-metrics state")
        r.check(name + ": refused at once", elapsed < 10, "%.1f s" % elapsed)
    # A right first line, then more than a state may hold (a sparse file: no disk used).
    big = os.path.join(work, "big.state")
    with open(big, "wb") as f:
        f.write(b"csm-metrics state 2\nkind activity\n")
        f.truncate((1 << 30) + 1)
    for args in (["merge", big], ["predict", "--from-state", big]):
        name = " ".join(args[:-1]) + " of a state over 1 GiB"
        code, out, err, rss, elapsed = r.run_bounded(args, 20, None if sanitized else 256 * MIB)
        r.expect_error(name, (code, out, err), 65, r"big\.state: larger than 1024 MiB")
    # A first line that is no state, on a pipe that never ends: refused after its first bytes.
    proc = subprocess.Popen([r.binary, "merge", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        proc.stdin.write(b"customer_id,period,revenue\n" + b"x" * 100)
        proc.stdin.flush()
        _, err = proc.communicate(timeout=20)
        r.check("merge of a pipe: refused before its end", proc.returncode == 65 and b"not a csm-metrics state" in err,
                (proc.returncode, err[:300]))
    except (subprocess.TimeoutExpired, BrokenPipeError):
        proc.kill()
        proc.communicate()
        r.check("merge of a pipe: refused before its end", False, "it waited for the end of the input")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--sanitized", action="store_true")
    options = parser.parse_args()
    shutil.rmtree(options.work, ignore_errors=True)
    os.makedirs(options.work)
    r = Runner(os.path.abspath(options.binary), options.work)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for test, *args in ((test_deep_nesting, r), (test_planted_links, r), (test_bytes_unchanged, r),
                        (test_nothing_left, r, options.sanitized, options.root), (test_one_reader, r),
                        (test_state_reading, r, options.sanitized)):
        guarded(r, test, *args)
    print("shard hardening: %d passed, %d failed" % (r.passed, r.failed))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
