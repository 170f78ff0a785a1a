#!/usr/bin/env python3
"""End-to-end test of `compute --emit-state` / `merge` on invoice records (issue 17; docs/scale-out.md,
"Invoice records").

Generated invoice lines (tools/gen_invoices.py: monthly, quarterly and annual plans, trials,
upgrades, refunds, one-time fees, three currencies) are split by customer (`shard -n N`) and, inside
each customer shard, by rows (the shard's rows cut into two files read together); each shard's state
is emitted and the states merged. The merged JSON must be byte for byte the JSON of one `compute` over
the same files in the same order (the `invoices` member and the `input` counts included), and equal
to a `compute` of the unsplit file apart from `input.sources`. The counts of the `invoices` member are
checked against a count of the generated lines made here. Refusals: states of different base
currencies, a version-2 invoice state (no one-time and refund sums), a state whose sums disagree.

Usage: test_invoice_merge.py --binary PATH --tools DIR --work DIR
Prints one line per failure and `e2e invoice merge: N passed, M failed`.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from decimal import Decimal


class Runner:
    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}: {str(detail)[:800]}")

    def run(self, args):
        done = subprocess.run([self.binary, *args], capture_output=True, timeout=120, input=b"")
        return done.returncode, done.stdout, done.stderr.decode("utf-8")


def fnv1a64(data):
    h = 14695981039346656037
    for b in data:
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    return h


def reseal(text):
    """A state with its `end` line recomputed (line count and FNV-1a-64 of the bytes before it)."""
    body = text[: text.rstrip(b"\n").rfind(b"\n") + 1]
    return body + b"end %d %016x\n" % (body.count(b"\n"), fnv1a64(body))


def split_rows(path, parts):
    """The CSV's rows cut into `parts` files of consecutive rows, each with the header."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    out = []
    size = (len(body) + parts - 1) // parts if body else 1
    for k in range(parts):
        name = f"{path[:-4]}-rows{k}.csv"
        with open(name, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(body[k * size:(k + 1) * size])
        out.append(name)
    return out


def expected_counts(path):
    """The line counts of the invoices member, counted here from the generated file."""
    kinds = Counter()
    trials = 0
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kind = row["line_type"] or "subscription"
            kinds[kind] += 1
            if kind == "subscription" and Decimal(row["amount"]) == 0:
                trials += 1
    return {"lines": sum(kinds.values()), "subscription_lines": kinds["subscription"],
            "one_time_lines": kinds["one_time"], "refund_lines": kinds["refund"], "trial_lines": trials}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--tools", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    r = Runner(a.binary, a.work)
    data = os.path.join(a.work, "invoices.csv")
    rates = os.path.join(a.work, "rates.csv")
    subprocess.run([sys.executable, os.path.join(a.tools, "gen_invoices.py"), "--customers", "80",
                    "--seed", "17", "--start", "2023-01", "--months", "18", "--shuffle", "3",
                    "-o", data, "--fx-out", rates], check=True)
    money = ["--currency", "USD", "--fx", rates, "--until", "2024-09"]
    want = expected_counts(data)
    r.check("generated data has every line type", all(want[k] > 0 for k in want), want)

    for options in ([], ["--grain", "quarter", "--by", "segment"]):
        label = " ".join(options) or "month"
        code, whole, err = r.run(["compute", "-q", "-f", "json", *money, *options, data])
        r.check(f"{label}: compute on the whole file", code == 0, err)
        whole_doc = json.loads(whole) if code == 0 else None
        if whole_doc:
            inv = whole_doc["invoices"]
            for key, n in want.items():
                r.check(f"{label}: invoices.{key} as counted here", inv[key] == n, (key, inv[key], n))
            r.check(f"{label}: records = lines", whole_doc["input"]["records"] == want["lines"],
                    whole_doc["input"])
        for n in (2, 3):
            shards = os.path.join(a.work, f"shards{n}-{len(options)}")
            code, _, err = r.run(["shard", "-n", str(n), "-o", shards, data])
            r.check(f"{label}: shard -n {n}", code == 0, err)
            states, files = [], []
            for i in range(n):
                parts = split_rows(os.path.join(shards, f"shard-{i}-of-{n}.csv"), 2)
                files += parts
                st = os.path.join(shards, f"part-{i}.csmstate")
                code, _, err = r.run(["compute", "-q", *money, *options, "--shard", f"{i}/{n}", *parts,
                                      "--emit-state", st])
                r.check(f"{label} {n} shards: emit-state {i}", code == 0, err)
                states.append(st)
            # The states in reverse order: merge orders them by shard.
            for fmt in ("json", "csv"):
                code, merged, err = r.run(["merge", "-q", "-f", fmt, *reversed(states)])
                r.check(f"{label} {n} shards: merge -f {fmt}", code == 0, err)
                code, same, err = r.run(["compute", "-q", "-f", fmt, *money, *options, *files])
                r.check(f"{label} {n} shards: compute -f {fmt} on the split files", code == 0, err)
                r.check(f"{label} {n} shards: merge -f {fmt} is byte for byte compute", merged == same,
                        (merged[:300], same[:300]))
                if fmt == "json" and whole_doc and merged:
                    doc = json.loads(merged)
                    doc["input"]["sources"] = whole_doc["input"]["sources"]
                    r.check(f"{label} {n} shards: merge equals compute of the unsplit file but sources",
                            doc == whole_doc)
                    r.check(f"{label} {n} shards: the invoices member is merged",
                            doc.get("invoices") == whole_doc["invoices"])

    # States to tamper with: one invoice state of a two-shard split.
    shards = os.path.join(a.work, "shards2-0")
    with open(os.path.join(shards, "part-0.csmstate"), "rb") as f:
        state = f.read()
    r.check("an invoice state is format version 3", state.startswith(b"csm-metrics state 3\n"), state[:40])
    r.check("an invoice state has its invoices line", b"\ninvoices =USD " in state)

    def refused(name, text, words):
        path = os.path.join(a.work, "tampered.csmstate")
        with open(path, "wb") as f:
            f.write(text)
        code, _, err = r.run(["merge", "-q", "-f", "json", path, os.path.join(shards, "part-1.csmstate")])
        r.check(name, code == 65 and all(w in err for w in words) and err.count("\n") == 1, (code, err))

    refused("a version-2 invoice state is refused",
            reseal(state.replace(b"csm-metrics state 3\n", b"csm-metrics state 2\n", 1)),
            ["invoice state of format version 2", "run compute --emit-state again"])
    refused("format version 4 is refused", reseal(state.replace(b"state 3\n", b"state 4\n", 1)),
            ['version "4"', "reads version 2"])
    lines = state.split(b"\n")
    inv = next(i for i, line in enumerate(lines) if line.startswith(b"invoices "))
    fields = lines[inv].split(b" ")
    fields[2] = str(int(fields[2]) + 1).encode()  # one line more than the records read
    tampered = b"\n".join(lines[:inv] + [b" ".join(fields)] + lines[inv + 1:])
    refused("an invoices line that disagrees with the records is refused", reseal(tampered),
            ["'invoices' line: inconsistent counts"])
    nonrec = next((i for i, line in enumerate(lines) if line.startswith(b"nonrec ")), None)
    if nonrec is not None:
        fields = lines[nonrec].split(b" ")
        fields[2] = str(int(fields[2]) + 1).encode()
        tampered = b"\n".join(lines[:nonrec] + [b" ".join(fields)] + lines[nonrec + 1:])
        refused("nonrec sums that disagree are refused", reseal(tampered), ["do not add up"])
    refused("another base currency is refused", reseal(state.replace(b"\ninvoices =USD ", b"\ninvoices =EUR ", 1)),
            ["currency", "EUR", "USD", "--currency"])
    # Activity and subscription states stay format version 2 (byte-identical to earlier builds).
    code, out, err = r.run(["compute", "-q", "--until", "2024-06", "--emit-state", "-",
                            os.path.join(a.tools, "..", "examples", "subscriptions.csv")])
    r.check("a subscription state is still version 2", code == 0 and out.startswith(b"csm-metrics state 2\n"),
            (err, out[:40]))
    # A row split that separates a customer's lines cannot be merged: both halves are shard 0 of 1.
    halves = split_rows(data, 2)
    half_states = []
    for k, half in enumerate(halves):
        st = os.path.join(a.work, f"half-{k}.csmstate")
        code, _, err = r.run(["compute", "-q", *money, half, "--emit-state", st])
        r.check(f"row half {k}: emit-state", code == 0, err)
        half_states.append(st)
    code, _, err = r.run(["merge", "-q", *half_states])
    r.check("row halves without --shard are refused", code == 65 and "overlapping states" in err, err)

    print(f"e2e invoice merge: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
