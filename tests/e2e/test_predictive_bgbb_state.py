#!/usr/bin/env python3
"""End-to-end tests of BG/BB through rfm states (issue 20; Python 3 standard library only):
`rfm --emit-state FILE --periods U` on customer shards, then `predict --from-state --model bg-bb`
must give exactly what `predict --model bg-bb --end --unit U` gives on the whole transaction file
(that path is checked against an independent computation of (frequency, recency, n) in
test_predictive_bgbb_transactions.py): the same CSV to the last byte, the same JSON but for the
sources, also with --interval. `merge` and `predict --from-state` of the other models are
unchanged by the period lines. And the errors: states without periods, shards with different
periods, --unit against the states, --periods without --emit-state or with an --end that is
not the end of a period.

Usage: test_predictive_bgbb_state.py --binary PATH --work DIR
"""

import argparse
import datetime
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Checks, run_text  # noqa: E402  (the shared tally and runner)

check = Checks()


def run(args):
    return run_text(BINARY, args)


def write_transactions(path, rng):
    """Yearly givers: 600 customers from 2015 to 2022, each year a donation with their own
    chance while they have not lapsed (a few also give twice in a year)."""
    with open(path, "w") as f:
        f.write("customer_id,date,amount\n")
        for i in range(600):
            start = rng.randint(2015, 2022)
            p = rng.random()
            lapse = rng.random() * 0.4
            days = [datetime.date(start, rng.randint(1, 12), rng.randint(1, 28))]
            for year in range(start + 1, 2024):
                if rng.random() < lapse:
                    break
                if rng.random() < p:
                    days.append(datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)))
                    if rng.random() < 0.1:
                        days.append(datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)))
            for d in days:
                f.write(f"c{i:04d},{d.isoformat()},{rng.randint(5, 100)}.00\n")


def main():
    global BINARY
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    BINARY = args.binary
    work = args.work
    os.makedirs(work, exist_ok=True)
    tx = os.path.join(work, "gifts.csv")
    write_transactions(tx, random.Random(20))
    shards = os.path.join(work, "shards")
    os.makedirs(shards, exist_ok=True)
    rc, out, err = run(["shard", "-n", "3", tx, "-o", shards])
    check(rc == 0, f"shard: exit {rc} ({err.strip()})")
    end = "2022-12-31"  # the purchases of 2023 are after --end
    states = []
    for unit, rfm_unit in (("year", "week"), ("quarter", "month")):
        # (Quarters of yearly givers: the fit needs a small penalty and converges to a limit of
        # the model, without a covariance: no --interval there.)
        states = []
        for i in range(3):
            state = os.path.join(work, f"{unit}-{i}.csmstate")
            rc, out, err = run(["rfm", os.path.join(shards, f"shard-{i}-of-3.csv"), "--end", end, "--unit",
                                rfm_unit, "--shard", f"{i}/3", "--periods", unit, "--emit-state", state])
            check(rc == 0, f"rfm --emit-state --periods {unit}: exit {rc} ({err.strip()})")
            states.append(state)
        pen = ["--penalizer", "0.01"] if unit == "quarter" else []
        direct = ["predict", "--model", "bg-bb", tx, "--end", end, "--unit", unit, "-q"] + pen
        merged = ["predict", "--from-state", "--model", "bg-bb"] + states + ["-q"] + pen
        a, b = run(direct + ["-f", "csv"]), run(merged + ["-f", "csv"])
        check(a[0] == 0 and b[0] == 0 and a[1] == b[1] and a[1].count("\n") > 5,
              f"--periods {unit}: the CSV from the states equals the one from the transactions ({b[2].strip()})")
        for extra in ([], ["--interval", "0.9", "--draws", "60"]) if unit == "year" else ([],):
            ja = json.loads(run(direct + ["-f", "json"] + extra)[1])
            jb = json.loads(run(merged + ["-f", "json"] + extra)[1])
            ja["input"].pop("sources")
            jb["input"].pop("sources")
            check(ja == jb, f"--periods {unit} {extra}: the JSON from the states equals the one from the transactions")
        # The rfm summary of the states is unchanged by the period lines.
        rc, m, err = run(["merge"] + states + ["-f", "csv"])
        rc2, r, err2 = run(["rfm", tx, "--end", end, "--unit", rfm_unit, "-f", "csv"])
        check(rc == 0 and m == r, f"merge of --periods states: the rfm summary ({err.strip()})")
        a = run(["predict", tx, "--end", end, "--unit", rfm_unit, "-f", "csv", "-q"])
        b = run(["predict", "--from-state"] + states + ["-f", "csv", "-q"])
        check(a[0] == 0 and a[1] == b[1], "predict --from-state (BG/NBD) of --periods states: unchanged")

    # Errors.
    plain = os.path.join(work, "plain.csmstate")
    rc, out, err = run(["rfm", tx, "--end", end, "--unit", "week", "--emit-state", plain])
    rc, out, err = run(["predict", "--from-state", "--model", "bg-bb", plain])
    check(rc == 65 and "--periods" in err and err.count("\n") == 1, f"states without periods: exit {rc}, {err.strip()}")
    year0 = os.path.join(work, "year-0-month.csmstate")
    run(["rfm", os.path.join(shards, "shard-0-of-3.csv"), "--end", end, "--unit", "month", "--shard", "0/3",
         "--periods", "year", "--emit-state", year0])
    rc, out, err = run(["predict", "--from-state", "--model", "bg-bb", year0] + states[1:])
    check(rc == 65 and "--periods" in err, f"shards with different periods: exit {rc}, {err.strip()}")
    rc, out, err = run(["predict", "--from-state", "--model", "bg-bb", "--unit", "year"] + states)
    check(rc == 2 and "quarter" in err, f"--unit against the states: exit {rc}, {err.strip()}")
    rc, out, err = run(["rfm", tx, "--end", end, "--periods", "year"])
    check(rc == 2 and "--emit-state" in err, f"--periods without --emit-state: exit {rc}, {err.strip()}")
    rc, out, err = run(["rfm", tx, "--end", "2022-12-30", "--periods", "year", "--emit-state", plain])
    check(rc == 2 and "last day" in err, f"--periods year with --end not a year's end: exit {rc}, {err.strip()}")
    print(f"{check.passed} checks passed, {len(check.failures)} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
