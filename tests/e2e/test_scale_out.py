#!/usr/bin/env python3
"""End-to-end tests of scale-out (docs/scale-out.md): `shard`, `compute --emit-state --shard I/N`
and `merge` (Python 3 standard library only).

- merging the states of N customer shards prints exactly what one `compute` over the shard files
  prints (JSON, CSV and table; with --by and --grain; N = 1, 2, 3, 5, with empty shards and shards
  whose months end early), and the same numbers as a compute over the unsharded input;
- `shard` puts every row where 64-bit FNV-1a of its customer id mod N says (checked here with an
  independent implementation), repeats the CSV header, writes JSON Lines for JSON inputs;
- every refusal: a record of another shard, overlapping shards, different N, missing shards
  (and --allow-partial), different settings, truncated, corrupted and other-version states: exit
  65, a message naming the file, and no output.

Usage: test_scale_out.py --binary PATH --tools DIR --work DIR
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

FAILURES = []
PASSED = [0]


def check(condition, what):
    if condition:
        PASSED[0] += 1
    else:
        FAILURES.append(what)
        print("FAIL: " + what)


def fnv1a64(text):
    h = 14695981039346656037
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 1099511628211) % (1 << 64)
    return h


def run(binary, *args, cwd=None):
    p = subprocess.run([binary, *args], capture_output=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def ok(binary, *args, cwd=None):
    code, out, err = run(binary, *args, cwd=cwd)
    if code != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), code, err))
    return out


EDGE = (
    "customer_id,period,revenue,segment,csat,acquisition_cost\n"
    "a,2024-01,10,x,5,100\n"
    "a,2024-02,12,y,,\n"
    "b,2024-03,5,x,3,\n"
    "b,2024-06,5,x,,\n"
    "c,2024-01,7,y,4,50\n"
    "c,2024-02,0,y,,\n"
    "d,2024-02,3,x,,\n"
    "d,2024-03,4,y,2,\n"
)


def shard_and_states(binary, work, source, n, extra, tag):
    """Shards `source` into n files and emits each shard's state; returns (shard files, states)."""
    out_dir = os.path.join(work, "%s-%d" % (tag, n))
    shutil.rmtree(out_dir, ignore_errors=True)
    ok(binary, "shard", "-q", "-n", str(n), source, "-o", out_dir)
    ext = os.path.splitext(source)[1]
    ext = ".jsonl" if ext == ".json" else ext
    files = [os.path.join(out_dir, "shard-%d-of-%d%s" % (i, n, ext)) for i in range(n)]
    states = []
    for i, f in enumerate(files):
        state = os.path.join(out_dir, "%d.csmstate" % i)
        ok(binary, "compute", "-q", *extra, "--shard", "%d/%d" % (i, n), f, "--emit-state", state)
        states.append(state)
    return files, states


def without_data_warnings(doc):
    """compute's document without its data-quality warnings (docs/metrics.md, section 15): they
    come from the rows, and merge has only the states' sums (docs/scale-out.md)."""
    codes = [w["code"] + ": " for w in doc.pop("data_warnings", [])]
    doc["warnings"] = [w for w in doc["warnings"] if not any(w.startswith(c) for c in codes)]
    return doc


def test_identity(binary, work, source, tag, ns, option_sets):
    for n in ns:
        for extra in option_sets:
            files, states = shard_and_states(binary, work, source, n, extra, tag)
            for fmt in ("json", "csv", "table"):
                one = ok(binary, "compute", "-q", *extra, "-f", fmt, *files)
                merged = ok(binary, "merge", "-f", fmt, *reversed(states))  # any order
                if fmt == "json":  # data-quality warnings come from rows, which states do not keep
                    one = json.dumps(without_data_warnings(json.loads(one)))
                    merged = json.dumps(json.loads(merged))
                check(one == merged, "%s N=%d %s %s: merge equals one compute" % (tag, n, " ".join(extra), fmt))
            # The same numbers as the unsharded input (only the sources differ).
            whole = without_data_warnings(json.loads(ok(binary, "compute", "-q", *extra, "-f", "json", source)))
            merged = json.loads(ok(binary, "merge", "-f", "json", *states))
            whole["input"]["sources"] = merged["input"]["sources"] = []
            check(whole == merged, "%s N=%d %s: merge equals compute of the whole input" % (tag, n, " ".join(extra)))


def test_shard_files(binary, work, source, n):
    files, _ = shard_and_states(binary, work, source, n, [], "hash")
    with open(source, encoding="utf-8", newline="") as f:
        header = f.readline()
        rows = [r for r in csv.reader(f) if r]
    column = next(csv.reader([header])).index("customer_id")
    seen = 0
    for i, path in enumerate(files):
        with open(path, encoding="utf-8", newline="") as f:
            check(f.readline() == header, "shard %d repeats the header" % i)
            for row in csv.reader(f):
                if not row:
                    continue
                seen += 1
                cid = row[column]
                check(fnv1a64(cid) % n == i, "row of %r in shard %d: FNV-1a says %d" % (cid, i, fnv1a64(cid) % n))
    check(seen == len(rows), "every row is in one shard (%d of %d)" % (seen, len(rows)))


def refused(binary, args, names, what, work):
    out_file = os.path.join(work, "refused.json")
    if os.path.exists(out_file):
        os.remove(out_file)
    code, out, err = run(binary, *args, "-o", out_file)
    check(code == 65, "%s: exit 65 (got %d, %s)" % (what, code, err.strip()))
    check(out == b"" and not os.path.exists(out_file), "%s: no output" % what)
    for name in names:
        check(name in err, "%s: the message names %r: %s" % (what, name, err.strip()))


def test_refusals(binary, work, source):
    files, states = shard_and_states(binary, work, source, 3, [], "refuse")
    # A record of another shard, found while reading.
    code, out, err = run(binary, "compute", "-q", "--shard", "1/3", files[0], "--emit-state", os.path.join(work, "x.st"))
    check(code == 65 and files[0] + ":2:" in err and "not to shard 1/3" in err,
          "wrong shard: exit 65 naming file:line and the shard (%d, %s)" % (code, err.strip()))
    check(not os.path.exists(os.path.join(work, "x.st")), "wrong shard: no state written")
    refused(binary, ["merge", states[0], states[1], states[1]], [states[1], "same shard"], "overlapping", work)
    refused(binary, ["merge", states[0], states[1]], ["shard 2 of 3 missing"], "missing shard", work)
    # --allow-partial merges and names the missing shard.
    code, out, err = run(binary, "merge", "--allow-partial", "-f", "json", states[0], states[2])
    check(code == 0 and "shard 1 of 3 missing" in err and "shard 1 of 3 missing" in json.loads(out)["warnings"][0],
          "--allow-partial: merged, with a warning naming shard 1 (%d, %s)" % (code, err.strip()))
    # A state of 2 shards (the whole input is shard 0 of 1 when there is no --shard).
    whole = os.path.join(work, "whole.st")
    ok(binary, "compute", "-q", source, "--emit-state", whole)
    refused(binary, ["merge", states[0], whole], [whole, "a different number of shards"], "different N", work)
    for option, value in (("--csat-threshold", "3"), ("--gross-margin", "0.5"), ("--discount-rate", "0.01"),
                          ("--by", "segment"), ("--grain", "quarter"), ("--quick-ratio-without-reactivation", None)):
        path = os.path.join(work, "setting.st")
        args = [option] + ([value] if value else [])
        ok(binary, "compute", "-q", *args, "--shard", "1/3", files[1], "--emit-state", path)
        refused(binary, ["merge", states[0], path, states[2]], [path, option], "setting " + option, work)
    with open(states[1], "rb") as f:
        text = f.read()
    bad = os.path.join(work, "bad.st")
    cases = {
        "truncated": text[: len(text) // 2],
        "truncated at a line end": text[: text.rfind(b"\n", 0, len(text) - 1) + 1],
        "corrupted": text.replace(b"month ", b"month  ", 1),
        "a changed digit": text[:400] + (b"9" if text[400:401] != b"9" else b"8") + text[401:],
        "other version": b"csm-metrics state 999" + text[text.index(b"\n"):],
        "not a state": b"customer_id,period,revenue\n",
        "empty": b"",
    }
    for what, data in cases.items():
        with open(bad, "wb") as f:
            f.write(data)
        refused(binary, ["merge", states[0], bad, states[2]], [bad], what, work)


def test_several_inputs(binary, work, source):
    """Two CSV files sharded together: one header per shard, the same metrics as the whole."""
    with open(source, encoding="utf-8") as f:
        header = f.readline()
        rows = f.readlines()
    halves = []
    for k, part in enumerate((rows[: len(rows) // 2], rows[len(rows) // 2:])):
        path = os.path.join(work, "half-%d.csv" % k)
        with open(path, "w", encoding="utf-8") as f:
            f.write(header + "".join(part))
        halves.append(path)
    out_dir = os.path.join(work, "two-inputs")
    shutil.rmtree(out_dir, ignore_errors=True)
    ok(binary, "shard", "-q", "-n", "2", *halves, "-o", out_dir)
    files = [os.path.join(out_dir, "shard-%d-of-2.csv" % i) for i in range(2)]
    for path in files:
        with open(path, encoding="utf-8") as f:
            check(f.read().count(header) == 1, "two inputs: %s has one header" % path)
    whole = json.loads(ok(binary, "compute", "-q", "-f", "json", source))
    sharded = json.loads(ok(binary, "compute", "-q", "-f", "json", *files))
    whole["input"]["sources"] = sharded["input"]["sources"] = []
    check(whole == sharded, "two inputs sharded: the same metrics as the whole")


def test_cohorts(binary, work, source, tag):
    """cohorts --emit-state per shard (month tables), merged and rolled up: the same table."""
    for n in (1, 2, 3):
        out_dir = os.path.join(work, "cohorts-%s-%d" % (tag, n))
        shutil.rmtree(out_dir, ignore_errors=True)
        ok(binary, "shard", "-q", "-n", str(n), source, "-o", out_dir)
        files = [os.path.join(out_dir, "shard-%d-of-%d.csv" % (i, n)) for i in range(n)]
        for extra in ([], ["--grain", "quarter"], ["--by", "segment", "--grain", "year", "--exclude-reactivated"]):
            states = []
            for i, f in enumerate(files):
                state = os.path.join(out_dir, "%d.csmstate" % i)
                ok(binary, "cohorts", "-q", *extra, "--shard", "%d/%d" % (i, n), f, "--emit-state", state)
                states.append(state)
            for fmt in ("json", "csv", "table"):
                one = ok(binary, "cohorts", "-q", *extra, "-f", fmt, *files)
                merged = ok(binary, "merge", "-f", fmt, *reversed(states))
                if fmt == "json":  # data-quality warnings come from rows, which states do not keep
                    one = json.dumps(without_data_warnings(json.loads(one)))
                    merged = json.dumps(json.loads(merged))
                check(one == merged, "cohorts %s N=%d %s %s: merge equals one cohorts" % (tag, n, " ".join(extra), fmt))
    if n == 3:
        other = os.path.join(work, "cohorts-other.csmstate")
        ok(binary, "cohorts", "-q", "--shard", "1/3", files[1], "--emit-state", other)
        refused(binary, ["merge", states[0], other, states[2]], [other, "--grain"], "cohorts: different --grain", work)
        refused(binary, ["merge", states[0], states[2]], ["shard 1 of 3 missing"], "cohorts: missing shard", work)


def test_rfm(binary, work, source):
    """rfm --emit-state per shard, merged: the same rfm output as one rfm over the shard files."""
    for n in (1, 2, 3):
        out_dir = os.path.join(work, "rfm-%d" % n)
        shutil.rmtree(out_dir, ignore_errors=True)
        ok(binary, "shard", "-q", "-n", str(n), source, "-o", out_dir)
        files = [os.path.join(out_dir, "shard-%d-of-%d.csv" % (i, n)) for i in range(n)]
        states = []
        for i, f in enumerate(files):
            state = os.path.join(out_dir, "%d.csmstate" % i)
            ok(binary, "rfm", "-q", "--end", "1997-09-30", "--unit", "week", "--shard", "%d/%d" % (i, n), f,
               "--emit-state", state)
            states.append(state)
        for fmt in ("json", "csv", "table"):
            one = ok(binary, "rfm", "-q", "--end", "1997-09-30", "--unit", "week", "-f", fmt, *files)
            merged = ok(binary, "merge", "-f", fmt, *reversed(states))
            check(one == merged, "rfm N=%d %s: merge equals one rfm" % (n, fmt))
    other = os.path.join(work, "rfm-other.csmstate")
    ok(binary, "rfm", "-q", "--end", "1997-10-31", "--shard", "1/3", files[1], "--emit-state", other)
    refused(binary, ["merge", states[0], other, states[2]], [other, "--end"], "rfm: different --end", work)
    refused(binary, ["merge", states[0], states[0], states[2]], [states[0], "same shard"], "rfm: overlapping", work)
    refused(binary, ["merge", states[0], states[2]], ["shard 1 of 3 missing"], "rfm: missing shard", work)
    code, _, err = run(binary, "rfm", "-q", "--end", "1997-09-30", "--shard", "0/3", files[1], "--emit-state", other)
    check(code == 65 and "not to shard 0/3" in err, "rfm: a record of another shard is refused (%s)" % err.strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--tools", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    edge = os.path.join(work, "edge.csv")
    with open(edge, "w", encoding="utf-8") as f:
        f.write(EDGE)
    gen = os.path.join(work, "gen.csv")
    subprocess.run([sys.executable, os.path.join(args.tools, "gen_activity.py"), "--customers", "300",
                    "--months", "15", "--shuffle", "--extra-columns", "-o", gen], check=True)
    for fmt in ("jsonl", "json"):
        subprocess.run([sys.executable, os.path.join(args.tools, "gen_activity.py"), "--customers", "80",
                        "--months", "9", "--format", fmt, "-o", os.path.join(work, "gen." + fmt)], check=True)
    # The edge file: with N = 2 the shards' months differ (one ends in 2024-02), with N = 3
    # shard 2 is empty (a header only).
    test_identity(binary, work, edge, "edge", [1, 2, 3, 5], [[], ["--by", "segment"], ["--grain", "quarter"]])
    test_identity(binary, work, gen, "gen", [1, 2, 3], [[], ["--by", "segment", "--grain", "quarter"],
                                                      ["--csat-threshold", "3", "--gross-margin", "0.7"]])
    test_identity(binary, work, os.path.join(work, "gen.jsonl"), "jsonl", [3], [[]])
    test_identity(binary, work, os.path.join(work, "gen.json"), "json", [2], [[]])
    test_shard_files(binary, work, gen, 4)
    test_shard_files(binary, work, edge, 3)
    test_refusals(binary, work, gen)
    test_several_inputs(binary, work, gen)
    test_cohorts(binary, work, edge, "edge")
    test_cohorts(binary, work, gen, "gen")
    test_rfm(binary, work, os.path.join(args.data, "cdnow", "cdnow_transactions.csv"))
    print("scale_out: %d passed, %d failed" % (PASSED[0], len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
