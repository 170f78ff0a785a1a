#!/usr/bin/env python3
"""`churn-risk --signal` on invoice records (issue 21), end to end, on a hand-worked file.

tests/data/churn/invoice_signals.csv: a signal value on an invoice line is one observation in the
month of its service_start (summed with the other lines of that customer and month), for every
line type; the other months a subscription line covers have no observation; one_time and refund
lines outside the months the subscription lines span (b's July line) are not used.

Worked by hand (logins per customer and month; '' = not observed):
  a: Jan 10 (line 2); Feb 5 + 1 (line 3, refund line 5) = 6; Mar 7 (one_time line 4)
  b: Jan 3; Feb '' (line 7) + 2 (quarterly line 12) = 2; Mar 4; Apr 2.5; May 1e1 = 10; Jun 0
  d: Jan 4 (one_time, not active), Feb 6, Mar..Jun ''
logins_change_1m = 100 * (now - before) / before:
  a Feb -40, a Mar 16.6667; b Feb -33.3333, Mar 100, Apr -37.5, May 300, Jun -100; d Feb 50.
Without b's July line taken, the range ends in June: June's labels are not known yet.

Usage: test_churn_risk_invoice_signals.py --binary PATH --root DIR --work DIR
"""

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys

failures = []


def check(name, ok, detail=""):
    if not ok:
        failures.append(f"{name}: {detail}")
        print("FAIL:", name, detail)


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


EXPECTED_LEVEL = {
    ("a", "2024-01"): 10, ("a", "2024-02"): 6, ("a", "2024-03"): 7,
    ("b", "2024-01"): 3, ("b", "2024-02"): 2, ("b", "2024-03"): 4, ("b", "2024-04"): 2.5,
    ("b", "2024-05"): 10, ("b", "2024-06"): 0,
    ("d", "2024-02"): 6, ("d", "2024-03"): None, ("d", "2024-04"): None, ("d", "2024-05"): None,
    ("d", "2024-06"): None,
}
EXPECTED_CHANGE = {
    ("a", "2024-01"): None, ("a", "2024-02"): -40.0, ("a", "2024-03"): 100.0 / 6,
    ("b", "2024-01"): None, ("b", "2024-02"): -100.0 / 3, ("b", "2024-03"): 100.0,
    ("b", "2024-04"): -37.5, ("b", "2024-05"): 300.0, ("b", "2024-06"): -100.0,
    ("d", "2024-02"): 50.0, ("d", "2024-03"): None,
}


def close(got, want):
    if want is None:
        return got == ""
    return got != "" and abs(float(got) - want) <= 1e-4 * max(1.0, abs(want))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    b = a.binary
    os.makedirs(a.work, exist_ok=True)
    data = os.path.join(a.work, "invoices.csv")
    shutil.copyfile(os.path.join(a.root, "tests", "data", "churn", "invoice_signals.csv"), data)
    with open(data, encoding="utf-8") as f:
        lines = f.read().splitlines()

    # 1. The exported per-month signal values.
    feats = os.path.join(a.work, "features.csv")
    code, out, err = run(b, ["churn-risk", data, "--signal", "logins", "--backtest", "0",
                             "-f", "csv", "--features-csv", feats])
    check("runs", code == 0, err)
    rows = read_csv(feats) if code == 0 else []
    got = {(r["customer_id"], r["period"]): r for r in rows}
    check("the active customer-months", set(got) == set(EXPECTED_LEVEL), sorted(got))
    for key, want in EXPECTED_LEVEL.items():
        if key in got:
            check(f"logins {key}", close(got[key]["logins"], want), f"{got[key]['logins']!r} != {want}")
    for key, want in EXPECTED_CHANGE.items():
        if key in got:
            check(f"logins_change_1m {key}", close(got[key]["logins_change_1m"], want),
                  f"{got[key]['logins_change_1m']!r} != {want}")
    for key, r in got.items():
        if key[1] == "2024-06":
            check(f"June's label not known yet {key}", r["label"] == "", r["label"])
    check("a churns after March", got.get(("a", "2024-03"), {}).get("label") == "1", got.get(("a", "2024-03")))

    # 2. The signal changes no other feature (the zero-revenue rows of one_time and refund
    #    lines carry signals only).
    plain = os.path.join(a.work, "features-plain.csv")
    code, out_plain, err = run(b, ["churn-risk", data, "--backtest", "0", "-f", "csv",
                                   "--features-csv", plain])
    check("runs without --signal", code == 0, err)
    if code == 0 and rows:
        others = {(r["customer_id"], r["period"]): {k: v for k, v in r.items() if not k.startswith("logins")}
                  for r in rows}
        check("other features unchanged by --signal",
              others == {(r["customer_id"], r["period"]): r for r in read_csv(plain)}, "differ")

    # The rules (they read no signal) score the same backtest with and without --signal.
    def rules(args):
        c, o, e = run(b, ["churn-risk", data, *args, "--backtest", "3", "-f", "json"])
        if c != 0:
            return ("error", c, e)
        doc = json.loads(o)
        return ([s for s in doc["backtest"]["scorers"] if s["scorer"] == "rules"],
                sorted((x["customer_id"], x["revenue"]) for x in doc["customers"]))
    r1, r2 = rules(["--signal", "logins"]), rules([])
    check("rules and revenue unchanged by --signal", r1 == r2 and r1[0] != [], (r1, r2))

    # 3. Without --signal, the invoice outputs are those of the file without the column.
    outputs = {}
    for variant in ("with", "without"):
        text = lines if variant == "with" else [l.rsplit(",", 1)[0] for l in lines]
        with open(data, "w", encoding="utf-8") as f:
            f.write("\n".join(text) + "\n")
        outputs[variant] = [
            run(b, ["churn-risk", data, "--backtest", "0", "-f", "json"]),
            run(b, ["compute", data, "-f", "json"]),
        ]
    check("without --signal the column changes nothing", outputs["with"] == outputs["without"],
          "outputs differ")
    check("compute reads the file", outputs["with"][1][0] == 0, outputs["with"][1][2])

    # 4. A bad signal value: exit 65 with FILE:LINE: logins; --skip-invalid skips the line.
    bad = lines + ["b,2024-03-01,2024-04-01,5,,lots"]
    with open(data, "w", encoding="utf-8") as f:
        f.write("\n".join(bad) + "\n")
    code, out, err = run(b, ["churn-risk", data, "--signal", "logins", "--backtest", "0"])
    want = f"csm-metrics: error: {data}:{len(bad)}: logins: expected a number"
    check("bad signal exits 65", code == 65, (code, err))
    check("bad signal message", err.startswith(want), err)
    feats2 = os.path.join(a.work, "features-skip.csv")
    code, out, err = run(b, ["churn-risk", data, "--signal", "logins", "--backtest", "0", "-f", "csv",
                             "--skip-invalid", "--features-csv", feats2])
    check("--skip-invalid", code == 0 and read_csv(feats2) == rows, (code, err))

    # 5. Subscription records still refuse signals (usage error).
    sub = os.path.join(a.work, "subs.csv")
    with open(sub, "w", encoding="utf-8") as f:
        f.write("customer_id,start_date,end_date,mrr,logins\na,2024-01-01,,100,3\n")
    code, out, err = run(b, ["churn-risk", sub, "--signal", "logins"])
    check("subscription records refuse --signal", code == 2 and "--signal" in err, (code, err))

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
