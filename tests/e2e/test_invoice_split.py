#!/usr/bin/env python3
"""End-to-end tests: an invoice file read in shares by several threads gives what one thread gives
(issue 17's speed, docs/performance.md), Python 3 standard library only.

Invoice files of 32 MiB or more are read in shares when --currency names the base;
CSM_SPLIT_MIN_BYTES=1 makes these small files split as well. Every command below must print
byte-identical stdout and stderr, and exit the same, with -j 1, 2 and 3 and without the knob; a
bad line deep in the file must be reported at its own line (worked out from where it is put).

Usage: test_invoice_split.py --binary PATH --repo DIR --work DIR
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_support  # noqa: E402  (the scripts' shared command line)
from run_e2e import Runner, guarded  # noqa: E402  (the shared runner and its checks)

SPLIT = {"CSM_TODAY": "2024-05-10", "CSM_SPLIT_MIN_BYTES": "1"}
PLAIN = {"CSM_TODAY": "2024-05-10"}
BASE = ["--currency", "USD", "--fx", "fx.csv"]


def same_everywhere(r, work, name, args):
    """Runs args plainly with -j 1 and split with -j 1, 2, 3; all must agree. Returns the result."""
    one = r.run(args[:1] + ["-j", "1"] + args[1:], cwd=work, env=PLAIN)
    for j in (1, 2, 3):
        split = r.run(args[:1] + ["-j", str(j)] + args[1:], cwd=work, env=SPLIT)
        r.check(f"{name}: split -j {j} prints what one stream prints", split == one,
                f"one: {one[0]} {one[2][:300]!r}\n-j {j}: {split[0]} {split[2][:300]!r}")
    return one


def test_generated(r, work):
    # Monthly, quarterly and annual plans, prorations, trials, refunds, one-time fees, USD/EUR/GBP.
    subprocess.run([sys.executable, os.path.join(r.repo, "tools", "gen_invoices.py"), "--lines", "3000",
                    "--seed", "5", "--shuffle", "3", "-o", os.path.join(work, "inv.csv"),
                    "--fx-out", os.path.join(work, "fx.csv")], check=True)
    code, out, _ = same_everywhere(r, work, "compute json", ["compute", "-f", "json"] + BASE + ["inv.csv"])
    r.check("compute: exit 0 and periods", code == 0 and json.loads(out)["periods"], out[:200])
    lines = sum(1 for _ in open(os.path.join(work, "inv.csv"), encoding="utf-8")) - 1
    r.check("compute: every line counted once", json.loads(out)["input"]["records"] == lines,
            f"{json.loads(out)['input'].get('records')} != {lines}")
    same_everywhere(r, work, "compute quarter csv", ["compute", "--grain", "quarter", "-f", "csv"] + BASE + ["inv.csv"])
    same_everywhere(r, work, "compute --by segment", ["compute", "-f", "json", "--by", "segment"] + BASE + ["inv.csv"])
    same_everywhere(r, work, "cohorts", ["cohorts"] + BASE + ["inv.csv"])
    same_everywhere(r, work, "--until", ["compute", "-f", "json", "--until", "2024-06"] + BASE + ["inv.csv"])


def test_bad_lines(r, work):
    with open(os.path.join(work, "inv.csv"), encoding="utf-8") as f:
        rows = f.read().splitlines()
    header, body = rows[0], rows[1:]
    amount = header.split(",").index("amount")
    # Line numbers: the header is line 1, body[i] is line i + 2. Two bad amounts near the end
    # (in the last share of any -j up to 3).
    bad = [len(body) - 40, len(body) - 5]
    for i in bad:
        fields = body[i].split(",")
        fields[amount] = "12.3456789"  # 7 decimal places: refused
        body[i] = ",".join(fields)
    with open(os.path.join(work, "bad.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join([header] + body) + "\n")
    code, _, err = same_everywhere(r, work, "bad line", ["compute"] + BASE + ["bad.csv"])
    expected = f"bad.csv:{bad[0] + 2}: amount: expected a decimal with at most 6 decimal places"
    r.check("bad line: exit 65 at the first bad line", code == 65 and expected.encode() in err,
            f"{code} {err!r} (wanted {expected})")
    code, out, _ = same_everywhere(r, work, "skip-invalid", ["compute", "-f", "json", "--skip-invalid"] + BASE + ["bad.csv"])
    doc = json.loads(out) if code == 0 else {}
    r.check("skip-invalid: both lines skipped, the rest taken",
            doc.get("input", {}).get("skipped_records") == 2 and doc.get("input", {}).get("records") == len(body) - 2,
            repr(doc.get("input")))


def main():
    options = e2e_support.options(__doc__, "--repo")
    work = options.work
    r = Runner(options.binary, work)
    r.repo = os.path.abspath(options.repo)
    for test in (test_generated, test_bad_lines):
        guarded(r, test, r, work)
    print(f"invoice split e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
