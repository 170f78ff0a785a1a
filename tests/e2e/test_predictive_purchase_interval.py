#!/usr/bin/env python3
"""End-to-end tests of `predict --interval LEVEL --interval-of purchases` (issue 20; Python 3
standard library only): the members and columns in JSON, CSV, the model CSV and the table; whole
bounds; the same bytes for any -j, any row order and through rfm states, other paths for another
seed; usage errors (exit 2); the same for --model bg-bb. Whether the bounds cover the purchases
made: tests/predictive/purchase_interval_coverage.py.

Usage: test_predictive_purchase_interval.py --binary PATH --data DIR --work DIR
"""

import csv
import io
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Checks, options, run_text  # noqa: E402  (the shared command line, tally and runner)

check = Checks()


def run(args):
    return run_text(BINARY, args)


def whole(v):
    return isinstance(v, (int, float)) and float(v) == int(v) and v >= 0


def main():
    global BINARY
    args = options(__doc__, "--data")
    BINARY = args.binary
    cdnow = f"{args.data}/cdnow/cdnow_transactions.csv"
    base = ["--end", "1997-09-30", "--unit", "week", "--horizon", "39", "-q"]
    purchases = ["--interval", "0.9", "--interval-of", "purchases"]

    for model in ("bgnbd", "mbgnbd", "pareto-nbd"):
        rc, out, err = run(["predict", cdnow] + base + ["--model", model, "-f", "json"] + purchases)
        check(rc == 0, f"{model}: exit {rc} ({err.strip()})")
        if rc != 0:
            continue
        doc = json.loads(out)
        tot = doc["interval"]["totals"]["purchases"]
        check(whole(tot["lower"]) and whole(tot["upper"]) and tot["lower"] < tot["estimate"] < tot["upper"],
              f"{model}: total purchases {tot}")
        check(isinstance(doc["interval"].get("purchases_method"), str), f"{model}: purchases_method")
        bad = [c["customer_id"] for c in doc["customers"]
               if not (whole(c["purchases_lower"]) and whole(c["purchases_upper"])
                       and c["purchases_lower"] <= c["purchases_upper"])]
        check(not bad, f"{model}: bounds not whole or not ordered for {bad[:5]}")
        # The expectation bounds are those of --interval alone.
        rc2, out2, _ = run(["predict", cdnow] + base + ["--model", model, "-f", "json", "--interval", "0.9"])
        plain = json.loads(out2)
        check(all(a["expected_purchases_lower"] == b["expected_purchases_lower"] and a["clv_upper"] == b["clv_upper"]
                  for a, b in zip(doc["customers"], plain["customers"])),
              f"{model}: the expectation bounds change with --interval-of purchases")
        check("purchases_lower" not in plain["customers"][0] and "purchases" not in plain["interval"]["totals"],
              f"{model}: purchase bounds written without --interval-of purchases")

    # CSV: the two columns after clv_upper; -j, row order and seed.
    rc, one, _ = run(["predict", cdnow] + base + ["-f", "csv", "-j", "1", "--model", "pareto-nbd"] + purchases)
    header = one.splitlines()[0].split(",")
    check(header[header.index("clv_upper") + 1:header.index("clv_upper") + 3] == ["purchases_lower", "purchases_upper"],
          f"CSV header {header}")
    rc, three, _ = run(["predict", cdnow] + base + ["-f", "csv", "-j", "3", "--model", "pareto-nbd"] + purchases)
    check(one == three, "-j 1 and -j 3 differ")
    lines = open(cdnow).read().splitlines()
    body = lines[1:]
    random.Random(5).shuffle(body)
    shuffled = os.path.join(args.work, "shuffled.csv")
    with open(shuffled, "w") as f:
        f.write("\n".join([lines[0]] + body) + "\n")
    rc, sh, _ = run(["predict", shuffled] + base + ["-f", "csv", "--model", "pareto-nbd"] + purchases)
    check(sh == one, "shuffled rows give other bytes")
    rc, other, _ = run(["predict", cdnow] + base + ["-f", "csv", "--seed", "2", "--model", "pareto-nbd"] + purchases)
    check(other != one, "--seed 2 gives the same bounds")
    # Through rfm states: the same bytes as from transactions.
    state = os.path.join(args.work, "cdnow.csmstate")
    rc, _, err = run(["rfm", cdnow, "--end", "1997-09-30", "--unit", "week", "--emit-state", state, "-q"])
    check(rc == 0, f"rfm --emit-state: exit {rc} ({err.strip()})")
    rc, st, err = run(["predict", "--from-state", state, "--horizon", "39", "-q", "-f", "csv", "--model",
                       "pareto-nbd"] + purchases)
    check(rc == 0 and st == one, f"--from-state differs from the transactions ({err.strip()})")
    # Model CSV rows and the table line.
    model_csv = os.path.join(args.work, "customers.csv")
    rc, mc, _ = run(["predict", cdnow] + base + ["-f", "csv", "--customers-csv", model_csv] + purchases)
    check("interval,purchases_total_lower," in mc and "interval,purchases_total_upper," in mc, "model CSV rows")
    rc, table, _ = run(["predict", cdnow] + base + purchases)
    check("purchases made in the horizon (simulated paths):" in table, "table line")

    # Usage errors.
    rc, _, err = run(["predict", cdnow] + base + ["--interval-of", "purchases"])
    check(rc == 2 and "--interval-of applies to --interval" in err, f"--interval-of alone: {rc} {err.strip()}")
    rc, _, err = run(["predict", cdnow] + base + ["--interval", "0.9", "--interval-of", "realised"])
    check(rc == 2 and "expected expectations" in err, f"--interval-of realised: {rc} {err.strip()}")

    # BG/BB.
    donations = f"{args.data}/predictive/donations.csv"
    rc, out, err = run(["predict", "--model", "bg-bb", donations, "-f", "json", "-q"] + purchases)
    check(rc == 0, f"bg-bb: exit {rc} ({err.strip()})")
    if rc == 0:
        doc = json.loads(out)
        tot = doc["interval"]["totals"]["transactions"]
        check(whole(tot["lower"]) and tot["lower"] < tot["estimate"] < tot["upper"], f"bg-bb total {tot}")
        bad = [r for r in doc["rows"]
               if not (whole(r["transactions_lower"]) and r["transactions_lower"] <= r["transactions_upper"] <= doc["horizon"])]
        check(not bad, f"bg-bb rows {bad[:3]}")
    rc, c1, _ = run(["predict", "--model", "bg-bb", donations, "-f", "csv", "-q", "-j", "1"] + purchases)
    rc, c3, _ = run(["predict", "--model", "bg-bb", donations, "-f", "csv", "-q", "-j", "3"] + purchases)
    check(c1 == c3 and "transactions_lower,transactions_upper,horizon" in c1.splitlines()[0], "bg-bb CSV, -j")

    print(f"{check.passed} checks passed, {len(check.failures)} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
