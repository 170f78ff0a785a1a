#!/usr/bin/env python3
"""End-to-end tests of the scale-out options beyond the basic shard/emit/merge round trip
(docs/scale-out.md; Python 3 standard library only):

- `shard` of several CSV inputs whose columns come in another order (rewritten to the first
  header's order: the same rows as the inputs, checked with Python's csv module), with another
  set of columns (refused, exit 65), an unterminated quote (exit 65), and no shard file (nor a
  temporary one) left behind by a failed run;
- `compute --emit-state` refusals: summary records (detected and --kind summary), -o/-f/--explain,
  subscriptions without --until;
- subscription states: merge equals compute --until over the shard files, byte for byte;
- `merge --spend` and `merge --fail-if` equal compute --spend/--fail-if (output and exit status);
- `predict --from-state`: the merged rfm states fit to exactly predict's output (N = 1, 2, 3 and
  with an empty shard), and its refusals;
- partial merges say which shards are missing for all three kinds, with -q too, capped;
- merge applies compute's limits: more than 16384 --by groups (exit 2), no records (exit 65);
- the state reader: settings out of range, inconsistent counts, another csm-metrics version,
  mixed kinds, cohorts and rfm settings, truncated and corrupted cohorts and rfm states;
- the xargs -P recipe of docs/scale-out.md, run exactly as written there.

Usage: test_scale_out_extra.py --binary PATH --root DIR --work DIR
"""

import argparse
import csv
import io
import json
import os
import re
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


def fnv1a64(data):
    h = 14695981039346656037
    for byte in data:
        h = ((h ^ byte) * 1099511628211) % (1 << 64)
    return h


def run(binary, *args, cwd=None, env=None):
    p = subprocess.run([binary, *args], capture_output=True, cwd=cwd, env=env)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def ok(binary, *args, cwd=None):
    code, out, err = run(binary, *args, cwd=cwd)
    if code != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), code, err))
    return out


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


def reseal(body):
    """A state body (bytes, up to and without its `end` line) with a correct `end` line: an
    independent implementation of the trailer (line count and FNV-1a-64 in hex)."""
    return body + b"end %d %016x\n" % (body.count(b"\n"), fnv1a64(body))


def unsealed(path):
    with open(path, "rb") as f:
        text = f.read()
    return text[: text.rfind(b"end ")]


def states_of(binary, work, tag, source, n, command, extra):
    """Shard `source` into n files and write each shard's state with `command` (compute, cohorts,
    rfm). Returns (shard files, state files)."""
    out_dir = os.path.join(work, "%s-%d" % (tag, n))
    shutil.rmtree(out_dir, ignore_errors=True)
    ok(binary, "shard", "-q", "-n", str(n), source, "-o", out_dir)
    files = [os.path.join(out_dir, "shard-%d-of-%d.csv" % (i, n)) for i in range(n)]
    states = []
    for i, f in enumerate(files):
        states.append(os.path.join(out_dir, "%d.csmstate" % i))
        ok(binary, command, "-q", *extra, "--shard", "%d/%d" % (i, n), f, "--emit-state", states[-1])
    return files, states


def refused(binary, args, code_expected, needles, what, work, cwd=None):
    out_file = os.path.join(work, "refused.out")
    if os.path.exists(out_file):
        os.remove(out_file)
    code, out, err = run(binary, *args, cwd=cwd)
    check(code == code_expected, "%s: exit %d (got %d: %s)" % (what, code_expected, code, err.strip()))
    check(out == b"", "%s: nothing on stdout" % what)
    for needle in needles:
        check(needle in err, "%s: the message says %r: %s" % (what, needle, err.strip()))
    return err


# --- shard -----------------------------------------------------------------------------------

A = ("customer_id,period,revenue,segment\n"
     "a,2024-01,10,\"x, y\"\n"
     "b,2024-01,5,z\n"
     "a,2024-02,12,\"x, y\"\n")
# The same columns in another order, with a quoted id, a quoted field across two lines, CRLF.
B = ("segment,revenue,period,customer_id\r\n"
     "z,7,2024-02,\"c\"\r\n"
     "\"multi\nline\",3,2024-03,d\r\n"
     "z,8,2024-03,b\r\n")


def rows_as_dicts(paths):
    out = []
    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            out.extend(dict(r) for r in csv.DictReader(f))
    return sorted(out, key=lambda r: sorted(r.items()))


def test_shard(binary, work):
    a = write(os.path.join(work, "a.csv"), A)
    b = write(os.path.join(work, "b.csv"), B)
    for n in (1, 2, 3):
        out_dir = os.path.join(work, "reorder-%d" % n)
        shutil.rmtree(out_dir, ignore_errors=True)
        ok(binary, "shard", "-q", "-n", str(n), a, b, "-o", out_dir)
        files = [os.path.join(out_dir, "shard-%d-of-%d.csv" % (i, n)) for i in range(n)]
        for path in files:
            with open(path, encoding="utf-8", newline="") as f:
                check(f.readline() == "customer_id,period,revenue,segment\n", "reorder N=%d: %s has a's header" % (n, path))
        # The rows are the union of both inputs' rows (by column name), each exactly once.
        check(rows_as_dicts(files) == rows_as_dicts([a, b]), "reorder N=%d: the shards hold the inputs' rows" % n)
        # And compute over the shards gives what compute over both inputs gives.
        whole = json.loads(ok(binary, "compute", "-q", "-f", "json", "--by", "segment", a, b))
        sharded = json.loads(ok(binary, "compute", "-q", "-f", "json", "--by", "segment", *files))
        whole["input"]["sources"] = sharded["input"]["sources"] = []
        check(whole == sharded, "reorder N=%d: the same metrics as the two inputs" % n)
    # Same order: records pass unchanged (bytes as they were).
    a2 = write(os.path.join(work, "a2.csv"), "customer_id,period,revenue,segment\ne,2024-02,1,\"q\"\n")
    out_dir = os.path.join(work, "same-order")
    shutil.rmtree(out_dir, ignore_errors=True)
    ok(binary, "shard", "-q", "-n", "1", a, a2, "-o", out_dir)
    with open(os.path.join(out_dir, "shard-0-of-1.csv"), encoding="utf-8", newline="") as f:
        check(f.read() == A + "e,2024-02,1,\"q\"\n", "same order: the records as they were, one header")

    # Another set of columns: refused, and no shard file (nor temporary file) is left.
    c = write(os.path.join(work, "c.csv"), "customer_id,period,mrr\nx,2024-01,1\n")
    out_dir = os.path.join(work, "refused-shards")
    shutil.rmtree(out_dir, ignore_errors=True)
    err = refused(binary, ["shard", "-n", "2", a, c, "-o", out_dir], 65, [c + ":1:", '"revenue"', '"mrr"'],
                  "shard: other columns", work)
    check(os.listdir(out_dir) == [], "shard: other columns: the directory is left empty (%s)" % os.listdir(out_dir))
    # An unterminated quote is an error, as in compute.
    q = write(os.path.join(work, "q.csv"), "customer_id,period,revenue\nx,2024-01,1\n\"y,2024-01,2\n")
    refused(binary, ["shard", "-n", "2", q, "-o", out_dir], 65, [q + ":3:", "unterminated quoted field"],
            "shard: unterminated quote", work)
    check(os.listdir(out_dir) == [], "shard: unterminated quote: nothing left in the directory")
    code, _, err = run(binary, "compute", "-q", q)
    check(code == 65 and "unterminated quoted field" in err, "compute says the same of it (%s)" % err.strip())
    # A failed run leaves the shard files of an earlier run as they were.
    ok(binary, "shard", "-q", "-n", "2", a, "-o", out_dir)
    before = {n: open(os.path.join(out_dir, n), "rb").read() for n in sorted(os.listdir(out_dir))}
    run(binary, "shard", "-n", "2", a, q, "-o", out_dir)
    after = {n: open(os.path.join(out_dir, n), "rb").read() for n in sorted(os.listdir(out_dir))}
    check(before == after, "shard: a failed run leaves the earlier shard files untouched")


# --- compute --emit-state refusals ------------------------------------------------------------

def test_emit_refusals(binary, work, examples):
    state = os.path.join(work, "never.csmstate")
    summary = os.path.join(examples, "summary.csv")
    activity = os.path.join(examples, "activity.csv")
    for args, what in (([summary], "summary records (detected)"),
                       (["--kind", "summary", summary], "--kind summary"),
                       (["--explain", activity], "--explain"),
                       (["-f", "json", activity], "-f"),
                       (["-o", os.path.join(work, "x.json"), activity], "-o"),
                       (["--spend", os.path.join(examples, "spend.csv"), activity], "--spend"),
                       (["--fail-if", "churn_rate > 5", activity], "--fail-if"),
                       ([os.path.join(examples, "subscriptions.csv")], "subscriptions without --until")):
        needles = {"summary records (detected)": ["summary records"], "--kind summary": ["summary records"],
                   "--explain": ["--explain", "check"], "-f": ["--format"], "-o": ["--output"],
                   "--spend": ["--spend", "merge"], "--fail-if": ["--fail-if", "merge"],
                   "subscriptions without --until": ["--until"]}[what]
        # Records of the wrong kind are bad data (65, the file named); the rest are usage errors.
        code = 65 if what == "summary records (detected)" else 2
        refused(binary, ["compute", *args, "--emit-state", state], code, needles, "emit-state: " + what, work)
        check(not os.path.exists(state), "emit-state: %s: no state written" % what)
    for command, args in (("cohorts", ["-f", "json"]), ("rfm", ["--end", "2025-12-31", "-o", "x"])):
        source = os.path.join(examples, "transactions.csv" if command == "rfm" else "activity.csv")
        refused(binary, [command, *args, source, "--emit-state", state], 2, ["--emit-state"],
                "%s --emit-state %s" % (command, args[-2]), work)


# --- subscriptions, --spend, --fail-if ----------------------------------------------------------

def test_subscriptions(binary, work, examples):
    source = os.path.join(examples, "subscriptions.csv")
    for n in (1, 2, 3, 6):
        files, states = states_of(binary, work, "subs", source, n, "compute", ["--until", "2025-12"])
        for fmt in ("json", "csv", "table"):
            one = ok(binary, "compute", "-q", "--until", "2025-12", "-f", fmt, *files)
            merged = ok(binary, "merge", "-f", fmt, *reversed(states))
            check(one == merged, "subscriptions N=%d %s: merge equals compute --until" % (n, fmt))
        merged = json.loads(ok(binary, "merge", "-f", "json", *states))
        check(merged["kind"] == "subscription", "subscriptions N=%d: the merged kind is subscription" % n)
    files3, states3 = states_of(binary, work, "subs", source, 3, "compute", ["--until", "2025-12"])
    other = os.path.join(work, "subs-until.csmstate")
    ok(binary, "compute", "-q", "--until", "2025-11", "--shard", "1/3", files3[1], "--emit-state", other)
    refused(binary, ["merge", states3[0], other, states3[2]], 65, [other, "--until 2025-11 here, 2025-12"],
            "subscriptions: another --until", work)
    # Activity and subscription states do not mix.
    act_files, act_states = states_of(binary, work, "act", os.path.join(examples, "activity.csv"), 3, "compute", [])
    refused(binary, ["merge", act_states[0], states3[1], act_states[2]], 65, [states3[1], "subscription"],
            "activity and subscription states", work)


def test_spend_and_fail_if(binary, work, examples):
    spend = os.path.join(examples, "spend.csv")
    for n in (1, 3):
        files, states = states_of(binary, work, "spend", os.path.join(examples, "activity.csv"), n, "compute", [])
        for mode in ("replace", "add"):
            for fmt in ("json", "csv"):
                code1, one, err1 = run(binary, "compute", "--spend", spend, "--spend-mode", mode, "-f", fmt, *files)
                code2, merged, err2 = run(binary, "merge", "--spend", spend, "--spend-mode", mode, "-f", fmt, *states)
                check(code1 == code2 == 0 and one == merged and err1 == err2,
                      "N=%d --spend-mode %s %s: merge equals compute (%s | %s)" % (n, mode, fmt, err1.strip(), err2.strip()))
        # --fail-if: the same exit status 1, the same lines on stderr, the same output.
        for scope in ("latest", "all"):
            args = ["--fail-if", "churn_rate > 1", "--fail-if", "summary.average_nrr < 200", "--fail-scope", scope,
                    "-f", "json"]
            code1, one, err1 = run(binary, "compute", *args, *files)
            code2, merged, err2 = run(binary, "merge", *args, *states)
            check(code1 == 1 and code2 == 1, "N=%d --fail-if --fail-scope %s: exit 1 from both (%d, %d)" % (n, scope, code1, code2))
            check(one == merged and err1 == err2 and "threshold crossed" in err2,
                  "N=%d --fail-if %s: the same output and stderr" % (n, scope))
        code, _, _ = run(binary, "merge", "--fail-if", "churn_rate > 99", *states)
        check(code == 0, "N=%d --fail-if not crossed: exit 0" % n)
    refused(binary, ["merge", "--fail-if", "churn_rat > 1", *states], 2, ["churn_rate"], "merge: a malformed --fail-if", work)


# --- predict --from-state ----------------------------------------------------------------------

def test_predict(binary, work, examples, data):
    # examples/transactions.csv: 400 customers; N = 1, 2, 3 on it; an empty shard: a small file
    # of 2 customers in 6 shards.
    source = os.path.join(examples, "transactions.csv")
    end = "2025-09-30"
    options = [["--horizon", "26"], ["--model", "mbgnbd", "--discount-rate", "0.01", "--sort", "clv", "--top", "25"]]
    for n in (1, 2, 3):
        files, states = states_of(binary, work, "pred", source, n, "rfm", ["--end", end])
        for extra in options:
            for fmt in ("json", "csv", "table"):
                whole = ok(binary, "predict", "-q", "--end", end, *extra, "-f", fmt, source)
                shards = ok(binary, "predict", "-q", "--end", end, *extra, "-f", fmt, *files)
                merged = ok(binary, "predict", "-q", "--from-state", *extra, "-f", fmt, *reversed(states))
                check(merged == shards, "predict --from-state N=%d %s %s: equals predict over the shards" % (n, " ".join(extra), fmt))
                if fmt == "json":
                    w, m = json.loads(whole), json.loads(merged)
                    w["input"]["sources"] = m["input"]["sources"] = []
                    check(w == m, "predict --from-state N=%d %s: JSON equals predict over the input (but sources)" % (n, " ".join(extra)))
                else:
                    check(merged == whole, "predict --from-state N=%d %s %s: equals predict over the input, byte for byte" % (n, " ".join(extra), fmt))
    # Empty shards: the first 20 customers of the example (enough for both fits) in 40 shards.
    with open(source) as f:
        lines = f.read().splitlines()
    firsts = []
    for line in lines[1:]:
        cid = line.split(",")[0]
        if cid not in firsts:
            firsts.append(cid)
    keep = set(firsts[:20])
    small = write(os.path.join(work, "small.csv"),
                  "\n".join([lines[0]] + [l for l in lines[1:] if l.split(",")[0] in keep]) + "\n")
    files, states = states_of(binary, work, "pred-empty", small, 40, "rfm", ["--end", end])
    empty = [f for f in files if open(f).read().count("\n") == 1]
    check(len(empty) >= 20, "40 shards of 20 customers: at least 20 are empty (%d)" % len(empty))
    for fmt in ("csv", "table"):
        check(ok(binary, "predict", "-q", "--end", end, "-f", fmt, small) ==
              ok(binary, "predict", "-q", "--from-state", "-f", fmt, *states),
              "predict --from-state with empty shards %s: equals predict over the input" % fmt)
    # Refusals.
    files, states = states_of(binary, work, "pred", source, 3, "rfm", ["--end", end])
    refused(binary, ["predict", "--from-state", "--holdout-end", "2025-12-31", *states], 2, ["--holdout-end", "transactions"],
            "predict --from-state --holdout-end", work)
    refused(binary, ["predict", "--from-state", "--end", "2025-08-31", *states], 2, ["--end 2025-08-31", "2025-09-30"],
            "predict --from-state: another --end", work)
    refused(binary, ["predict", "--from-state", "--unit", "day", *states], 2, ["--unit day", "week"],
            "predict --from-state: another --unit", work)
    refused(binary, ["predict", "--from-state", states[0], states[2]], 65, ["shard 1 of 3 missing"],
            "predict --from-state: a missing shard", work)
    code, out, err = run(binary, "predict", "-q", "--from-state", "--allow-partial", "-f", "json", states[0], states[2])
    check(code == 0 and "shard 1 of 3 missing" in err and any("shard 1 of 3 missing" in w for w in json.loads(out)["warnings"]),
          "predict --from-state --allow-partial: fits, and says so even with -q (%s)" % err.strip())
    _, act = states_of(binary, work, "pred-act", os.path.join(examples, "activity.csv"), 1, "compute", [])
    refused(binary, ["predict", "--from-state", act[0]], 65, [act[0], "an activity state"], "predict --from-state: an activity state", work)
    refused(binary, ["predict", source], 2, ["--end"], "predict without --end", work)


# --- partial merges, limits ----------------------------------------------------------------------

def test_partial(binary, work, examples, data):
    act_files, act = states_of(binary, work, "part-a", os.path.join(examples, "activity.csv"), 3, "compute", [])
    coh_files, coh = states_of(binary, work, "part-c", os.path.join(examples, "activity.csv"), 3, "cohorts", [])
    _, rfm = states_of(binary, work, "part-r", os.path.join(data, "cdnow", "cdnow_transactions.csv"), 3, "rfm",
                       ["--end", "1997-09-30"])
    for kind, states in (("activity", act), ("cohorts", coh), ("rfm", rfm)):
        code, out, err = run(binary, "merge", "-q", "--allow-partial", "-f", "json", states[0], states[2])
        warnings = json.loads(out).get("warnings", [])
        check(code == 0 and "partial merge: shard 1 of 3 missing" in err,
              "%s --allow-partial -q: the warning is on stderr all the same (%s)" % (kind, err.strip()))
        check(any("partial merge: shard 1 of 3 missing" in w for w in warnings), "%s --allow-partial: in the JSON warnings" % kind)
        refused(binary, ["merge", states[0], states[2]], 65, ["shard 1 of 3 missing", "--allow-partial"],
                "%s: a missing shard" % kind, work)
    # The list of missing shards is capped: one state of 20 shards misses 19.
    source = os.path.join(examples, "activity.csv")
    out_dir = os.path.join(work, "twenty")
    shutil.rmtree(out_dir, ignore_errors=True)
    ok(binary, "shard", "-q", "-n", "20", source, "-o", out_dir)
    one = os.path.join(out_dir, "0.csmstate")
    ok(binary, "compute", "-q", "--shard", "0/20", os.path.join(out_dir, "shard-0-of-20.csv"), "--emit-state", one)
    code, _, err = run(binary, "merge", "--allow-partial", "-f", "json", one)
    check(code == 0 and "shards 1, 2, 3, 4, 5, 6, 7, 8 and 11 more of 20 missing" in err,
          "19 of 20 shards missing: 8 listed, 11 counted (%s)" % err.strip())


def test_limits(binary, work):
    # 20 000 customers, each its own --by value: compute refuses (more than 16384 groups); so must
    # the merge of two shards of about 10 000 each (each fine on its own).
    path = os.path.join(work, "groups.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("customer_id,period,revenue,plan\n")
        for i in range(20000):
            f.write("c%05d,2024-01,1,p%05d\n" % (i, i))
    code, _, err_compute = run(binary, "compute", "-q", "--by", "plan", path)
    check(code == 2 and "more than 16384 distinct values" in err_compute, "compute: 20000 groups: exit 2 (%s)" % err_compute.strip())
    _, states = states_of(binary, work, "groups", path, 2, "compute", ["--by", "plan"])
    refused(binary, ["merge", "-f", "json", *states], 2, ["--by plan: more than 16384 distinct values"], "merge: 20000 groups", work)
    # All shards empty: compute says "no records" (exit 65); merge says the same.
    empty = write(os.path.join(work, "empty.csv"), "customer_id,period,revenue\n")
    code, _, err = run(binary, "compute", "-q", empty)
    check(code == 65 and "no records" in err, "compute of no records: exit 65 (%s)" % err.strip())
    for command, extra in (("compute", []), ("cohorts", [])):
        states = []
        for i in range(2):
            states.append(os.path.join(work, "empty-%s-%d.csmstate" % (command, i)))
            ok(binary, command, "-q", *extra, "--shard", "%d/2" % i, empty, "--emit-state", states[-1])
        refused(binary, ["merge", *states], 65, ["no records"], "%s: merge of empty states" % command, work)
    states = []
    tx = write(os.path.join(work, "empty-tx.csv"), "customer_id,date,amount\n")
    for i in range(2):
        states.append(os.path.join(work, "empty-rfm-%d.csmstate" % i))
        ok(binary, "rfm", "-q", "--end", "2024-01-31", "--shard", "%d/2" % i, tx, "--emit-state", states[-1])
    refused(binary, ["merge", *states], 65, ["no records"], "rfm: merge of empty states", work)


# --- the state reader --------------------------------------------------------------------------

def test_reader(binary, work, examples, data):
    source = os.path.join(examples, "activity.csv")
    files, states = states_of(binary, work, "read", source, 3, "compute", [])
    body = unsealed(states[1])
    bad = os.path.join(work, "bad.csmstate")

    def refused_state(new_body, needles, what, sealed=True):
        with open(bad, "wb") as f:
            f.write(reseal(new_body) if sealed else new_body)
        refused(binary, ["merge", states[0], bad, states[2]], 65, [bad] + needles, what, work)

    check(reseal(body) == open(states[1], "rb").read(), "the test's own trailer equals the program's")
    refused_state(body.replace(b"gross_margin 1\n", b"gross_margin 1.5\n"), ["gross_margin 1.5", "0..1"], "gross_margin 1.5")
    refused_state(body.replace(b"discount_rate 0\n", b"discount_rate -0.1\n"), ["discount_rate -0.1"], "discount_rate -0.1")
    refused_state(body.replace(b"csat_threshold 4\n", b"csat_threshold 7\n"), ["csat_threshold", "1..5"], "csat_threshold 7")
    # A month whose end count is not start - churned + new + reactivated.
    month = re.search(rb"^month (\S+) (\d+) (\d+) (\d+) (\d+) (\d+) ", body, re.M)
    fields = month.group(0).split(b" ")
    fields[6] = str(int(fields[6]) + 1).encode()
    refused_state(body.replace(month.group(0), b" ".join(fields), 1), ["inconsistent counts"], "a month's end count")
    # Another csm-metrics version: the message names both.
    version = re.search(rb"^tool =(\S+)$", body, re.M).group(1).decode()
    refused_state(body.replace(b"tool =" + version.encode(), b"tool =0.0.9"), ['"0.0.9"', "this is csm-metrics " + version],
                  "another csm-metrics version")
    # Another format version: refused before the checksum.
    refused_state(body.replace(b"csm-metrics state 2\n", b"csm-metrics state 1\n"), ['version "1"', "reads version 2"],
                  "another format version")
    # Settings that differ print exactly: 0.7 and 0.7000000000000001 are two values.
    gm_files, (a, _) = states_of(binary, work, "gm", source, 2, "compute", ["--gross-margin", "0.7"])
    b = os.path.join(work, "gm-b.csmstate")
    ok(binary, "compute", "-q", "--gross-margin", "0.7000000000000001", "--shard", "1/2", gm_files[1], "--emit-state", b)
    refused(binary, ["merge", a, b], 65, ["--gross-margin 0.7000000000000001 here, 0.7 in the first state"],
            "settings printed exactly", work)
    # merge --metric is for cohorts states, --fail-if and --spend for activity states.
    refused(binary, ["merge", "--metric", "revenue", *states], 2, ["--metric", "cohorts"], "merge --metric on activity states", work)
    _, coh = states_of(binary, work, "read-c", source, 3, "cohorts", [])
    refused(binary, ["merge", "--fail-if", "churn_rate > 1", *coh], 2, ["--fail-if"], "merge --fail-if on cohorts states", work)
    refused(binary, ["merge", "--spend", os.path.join(examples, "spend.csv"), *coh], 2, ["--spend"], "merge --spend on cohorts states", work)
    # Mixing kinds.
    refused(binary, ["merge", states[0], coh[1], states[2]], 65, [coh[1], "a cohorts state, not an activity state"],
            "an activity and a cohorts state", work)
    # Cohorts: --exclude-reactivated and --by must agree; truncated and corrupted states.
    other = os.path.join(work, "coh-other.csmstate")
    ok(binary, "cohorts", "-q", "--exclude-reactivated", "--shard", "1/3", os.path.join(work, "read-c-3", "shard-1-of-3.csv"), "--emit-state", other)
    refused(binary, ["merge", coh[0], other, coh[2]], 65, [other, "--exclude-reactivated on here, off"], "cohorts: --exclude-reactivated differs", work)
    ok(binary, "cohorts", "-q", "--by", "segment", "--shard", "1/3", os.path.join(work, "read-c-3", "shard-1-of-3.csv"), "--emit-state", other)
    refused(binary, ["merge", coh[0], other, coh[2]], 65, [other, '--by "segment" here, (none)'], "cohorts: --by differs", work)
    for kind, good, rest in (("cohorts", coh[1], [coh[0], coh[2]]), ("rfm", None, None)):
        if kind == "rfm":
            _, rfm = states_of(binary, work, "read-r", os.path.join(data, "cdnow", "cdnow_transactions.csv"), 3, "rfm",
                               ["--end", "1997-09-30"])
            good, rest = rfm[1], [rfm[0], rfm[2]]
        text = open(good, "rb").read()
        for what, damaged in (("truncated", text[: len(text) // 2]),
                              ("truncated at a line end", text[: text.rfind(b"\n", 0, len(text) - 1) + 1]),
                              ("corrupted", text.replace(b" 1 ", b" 2 ", 1))):
            with open(bad, "wb") as f:
                f.write(damaged)
            refused(binary, ["merge", rest[0], bad, rest[1]], 65, [bad, "truncated" if what != "corrupted" else "corrupted"],
                    "%s: %s state" % (kind, what), work)
        # --allow-partial merges what there is (the counts of the present shards only).
        code, out, err = run(binary, "merge", "--allow-partial", "-f", "json", *rest)
        check(code == 0 and "shard 1 of 3 missing" in err, "%s --allow-partial: merged (%s)" % (kind, err.strip()))
    # rfm: --unit must agree; a customer's numbers must follow from its dates.
    other = os.path.join(work, "rfm-unit.csmstate")
    ok(binary, "rfm", "-q", "--end", "1997-09-30", "--unit", "day", "--shard", "1/3",
       os.path.join(work, "read-r-3", "shard-1-of-3.csv"), "--emit-state", other)
    refused(binary, ["merge", rfm[0], other, rfm[2]], 65, [other, "--unit day here, week"], "rfm: --unit differs", work)
    body = unsealed(rfm[1])
    line = re.search(rb"^c =(\S+) (\S+) (\S+) (\d+) (\S+) (\S+) ", body, re.M)
    fields = line.group(0).split(b" ")
    fields[6] = b"1000"  # T
    with open(bad, "wb") as f:
        f.write(reseal(body.replace(line.group(0), b" ".join(fields), 1)))
    refused(binary, ["merge", rfm[0], bad, rfm[2]], 65, [bad, "t_x or T does not match"], "rfm: a customer's T", work)


# --- the xargs -P recipe, exactly as documented --------------------------------------------------

def test_xargs_recipe(binary, work, root):
    with open(os.path.join(root, "docs", "scale-out.md"), encoding="utf-8") as f:
        doc = f.read()
    match = re.search(r"<!-- tested: xargs -->\s*```sh\n(.*?)```", doc, re.S)
    check(match is not None, "docs/scale-out.md has the xargs recipe marked as tested")
    if match is None:
        return
    recipe = match.group(1)
    run_dir = os.path.join(work, "xargs")
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    subprocess.run([sys.executable, os.path.join(root, "tools", "gen_activity.py"), "--customers", "300",
                    "--months", "14", "--shuffle", "-o", os.path.join(run_dir, "big.csv")], check=True)
    env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(binary)) + os.pathsep + os.environ["PATH"])
    p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", recipe], cwd=run_dir, env=env, capture_output=True, text=True)
    check(p.returncode == 0, "the xargs recipe runs (%d: %s)" % (p.returncode, p.stderr[-1000:]))
    if p.returncode != 0:
        return
    merged = json.load(open(os.path.join(run_dir, "metrics.json"), encoding="utf-8"))
    whole = json.loads(ok(binary, "compute", "-q", "-f", "json", os.path.join(run_dir, "big.csv")))
    merged["input"]["sources"] = whole["input"]["sources"] = []
    check(merged == whole, "the xargs recipe gives the metrics of one compute over big.csv")


# --- the Hadoop streaming scripts, run as streaming runs them (without Hadoop) ---------------------

def test_hadoop_scripts(binary, work, root):
    import base64
    d = os.path.join(work, "hadoop")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "states"))
    a = write(os.path.join(d, "a.csv"), A)
    b = write(os.path.join(d, "b.csv"), B)
    env = dict(os.environ, CSM_SHARDS="5", CSM_BINARY=binary, CSM_CAT="cat", CSM_COMPUTE_OPTIONS="--by segment")
    scripts = os.path.join(root, "examples", "hadoop")
    # NLineInputFormat: "offset<TAB>path" lines; the shuffle: a stable sort by key.
    paths = "0\t%s\n27\t%s\n" % (a, b)
    mapped = subprocess.run([sys.executable, os.path.join(scripts, "mapper.py")], input=paths.encode(), env=env,
                            capture_output=True, check=True).stdout
    shuffled = subprocess.run(["sort", "-s", "-t", "\t", "-k1,1"], input=mapped, capture_output=True, check=True).stdout
    reduced = subprocess.run([sys.executable, os.path.join(scripts, "reducer.py")], input=shuffled, env=env,
                             capture_output=True, check=True).stdout.decode()
    states = []
    for line in reduced.splitlines():
        i, b64 = line.split("\t")
        states.append(os.path.join(d, "states", "part-%s.csmstate" % i))
        with open(states[-1], "wb") as f:
            f.write(base64.b64decode(b64))
    check(len(states) == 5, "hadoop scripts: one state per shard (%d)" % len(states))
    merged = json.loads(ok(binary, "merge", "-f", "json", *states))
    whole = json.loads(ok(binary, "compute", "-q", "-f", "json", "--by", "segment", a, b))
    merged["input"]["sources"] = whole["input"]["sources"] = []
    check(merged == whole, "hadoop scripts: the merged states give the metrics of one compute")


# --- the Spark code of docs/scale-out.md, against a stand-in for the RDD calls it uses ------------

SPARK_STANDIN = r"""
import glob, os, sys, types
pyspark = types.ModuleType("pyspark")
class SparkFiles:
    @staticmethod
    def getRootDirectory():
        return os.environ["SPARK_FILES"]
pyspark.SparkFiles = SparkFiles
sys.modules["pyspark"] = pyspark

class RDD:  # in-process, as the PySpark documentation describes each call
    def __init__(self, items=None, partitions=None):
        self.items, self.partitions = items, partitions
    def flatMap(self, f):
        return RDD([y for x in self.items for y in f(x)])
    def partitionBy(self, n, func):
        parts = [[] for _ in range(n)]
        for k, v in self.items:
            parts[func(k) % n].append((k, v))
        return RDD(partitions=parts)
    def mapPartitionsWithIndex(self, f):
        return RDD([y for i, part in enumerate(self.partitions) for y in f(i, iter(part))])
    def collect(self):
        return list(self.items)

class Context:
    def binaryFiles(self, pattern):
        files = sorted(glob.glob(os.environ["SPARK_INPUT"]))
        return RDD([(p, open(p, "rb").read()) for p in files])
sc = Context()
exec(compile(open(os.environ["SPARK_CODE"]).read(), "docs/scale-out.md (spark)", "exec"))
"""


def test_spark_code(binary, work, root):
    with open(os.path.join(root, "docs", "scale-out.md"), encoding="utf-8") as f:
        doc = f.read()
    match = re.search(r"<!-- tested with a stand-in for Spark: spark -->\s*```python\n(.*?)```", doc, re.S)
    check(match is not None, "docs/scale-out.md has the Spark code marked as tested")
    if match is None:
        return
    d = os.path.join(work, "spark")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "input"))
    os.makedirs(os.path.join(d, "files"))
    os.makedirs(os.path.join(d, "driver"))
    shutil.copy(binary, os.path.join(d, "files", "csm-metrics"))
    a = write(os.path.join(d, "input", "a.csv"), A)
    b = write(os.path.join(d, "input", "b.csv"), B)
    code = write(os.path.join(d, "spark_code.py"), match.group(1))
    env = dict(os.environ, SPARK_FILES=os.path.join(d, "files"), SPARK_INPUT=os.path.join(d, "input", "*.csv"),
               SPARK_CODE=code)
    p = subprocess.run([sys.executable, "-c", SPARK_STANDIN], cwd=os.path.join(d, "driver"), env=env,
                       capture_output=True, text=True)
    check(p.returncode == 0, "the Spark code runs (%d: %s)" % (p.returncode, p.stderr[-1500:]))
    states = sorted(os.path.join(d, "driver", n) for n in os.listdir(os.path.join(d, "driver")))
    check(len(states) == 100, "the Spark code writes one state per shard (%d)" % len(states))
    if p.returncode != 0 or not states:
        return
    merged = json.loads(ok(binary, "merge", "-f", "json", *states))
    whole = json.loads(ok(binary, "compute", "-q", "-f", "json", a, b))
    merged["input"]["sources"] = whole["input"]["sources"] = []
    check(merged == whole, "the Spark code's states merge to the metrics of one compute")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    work = os.path.abspath(args.work)
    root = os.path.abspath(args.root)
    examples = os.path.join(root, "examples")
    data = os.path.join(root, "tests", "data")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    test_shard(binary, work)
    test_emit_refusals(binary, work, examples)
    test_subscriptions(binary, work, examples)
    test_spend_and_fail_if(binary, work, examples)
    test_predict(binary, work, examples, data)
    test_partial(binary, work, examples, data)
    test_limits(binary, work)
    test_reader(binary, work, examples, data)
    test_xargs_recipe(binary, work, root)
    test_hadoop_scripts(binary, work, root)
    test_spark_code(binary, work, root)
    print("scale_out_extra: %d passed, %d failed" % (PASSED[0], len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
