#!/usr/bin/env python3
"""End-to-end tests of `predict --model bg-bb --end DATE --unit U` on transactions (issue 20;
Python 3 standard library only): the periods of U are the opportunities. Each customer's
(frequency, recency, n) is computed here from the purchase dates, independently of the program
(calendar years, quarters and months with datetime; weeks ending on --end), on a hand-worked base
and on random bases; the rows the program fits must be those, and the same data given as a
summary file (frequency,recency,n,n_custs) must give the same parameters, log-likelihood and
predictions, to the last bit. Also the usage errors of the new options.

Usage: test_predictive_bgbb_transactions.py --binary PATH --work DIR
"""

import argparse
import collections
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


def period(day, unit, end):
    if unit == "year":
        return day.year
    if unit == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    if unit == "month":
        return day.year * 12 + day.month - 1
    if unit == "week":
        return -((end - day).days // 7)
    return day.toordinal()


def histories(purchases, unit, end):
    """(x, t_x, n) per customer from {customer: [dates]}: x = periods with a purchase after the
    first one, t_x = the last such period counted from the first, n = the period of `end` counted
    from the first. Purchases after `end` are left out, and customers without any before it."""
    out = {}
    for c, days in purchases.items():
        ps = sorted({period(d, unit, end) for d in days if d <= end})
        if not ps:
            continue
        x = len(ps) - 1
        out[c] = (x, ps[-1] - ps[0] if x else 0, period(end, unit, end) - ps[0])
    return out


def write_transactions(path, purchases):
    with open(path, "w") as f:
        f.write("customer_id,date,amount\n")
        rows = [(c, d) for c, days in purchases.items() for d in days]
        random.Random(5).shuffle(rows)  # any row order
        for c, d in rows:
            f.write(f"{c},{d.isoformat()},10\n")


def rows_of(doc):
    return sorted((r["frequency"], r["recency"], r["n"], r["n_custs"]) for r in doc["rows"])


def main():
    global BINARY
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    BINARY = args.binary
    os.makedirs(args.work, exist_ok=True)
    D = datetime.date

    # Hand-worked, yearly opportunities to the end of 2022:
    #   A buys 2019-03-01, 2020-05-01, 2020-06-01, 2022-01-01: first year 2019, later years with
    #     a purchase 2020 and 2022 -> x 2, t_x 3 (2022 - 2019), n 3;
    #   B buys 2021-02-02 only -> x 0, t_x 0, n 1;   C 2019-12-31 and 2020-01-01 -> x 1, t_x 1, n 3;
    #   E 2020-01-05 and 2020-11-30 (one year) -> x 0, t_x 0, n 2;   F 2022-07-01 -> x 0, n 0;
    #   G 2023-01-01 is after the end: left out.
    hand = {"A": [D(2019, 3, 1), D(2020, 5, 1), D(2020, 6, 1), D(2022, 1, 1)], "B": [D(2021, 2, 2)],
            "C": [D(2019, 12, 31), D(2020, 1, 1)], "E": [D(2020, 1, 5), D(2020, 11, 30)],
            "F": [D(2022, 7, 1)], "G": [D(2023, 1, 1)]}
    expected_hand = {"A": (2, 3, 3), "B": (0, 0, 1), "C": (1, 1, 3), "E": (0, 0, 2), "F": (0, 0, 0)}
    check(histories(hand, "year", D(2022, 12, 31)) == expected_hand, "the reference gives the hand-worked values")

    # Random bases: a customer starts on a random day and buys in later periods with some chance
    # until dropping out.
    rng = random.Random(20261207)
    purchases = dict(hand)
    for i in range(400):
        day = D(2016, 1, 1) + datetime.timedelta(days=rng.randrange(0, 7 * 365))
        days = [day]
        p, drop = rng.uniform(0.2, 0.9), rng.uniform(0.05, 0.4)
        while True:
            day += datetime.timedelta(days=rng.randrange(20, 500))
            if day > D(2023, 6, 30) or rng.random() < drop:
                break
            if rng.random() < p:
                days.append(day)
        purchases[f"r{i:03d}"] = days
    path = os.path.join(args.work, "tx.csv")
    write_transactions(path, purchases)

    # Weekly, these customers' chance to buy in a week hardly varies: the plain fit runs off (a
    # limit it refuses), a small penalty keeps it finite -- the same for both paths.
    cases = [("year", "2022-12-31", []), ("quarter", "2022-09-30", []), ("month", "2022-11-30", []),
             ("week", "2022-10-05", ["--penalizer", "0.001"])]
    for unit, end, extra in cases:
        end_date = D.fromisoformat(end)
        h = histories(purchases, unit, end_date)
        counts = collections.Counter(h.values())
        want = sorted((x, t, n, float(k)) for (x, t, n), k in counts.items())
        rc, out, err = run(["predict", "--model", "bg-bb", path, "--end", end, "--unit", unit, "-f", "json", "-q"] + extra)
        check(rc == 0, f"{unit}: exit {rc} ({err.strip()})")
        if rc != 0:
            continue
        doc = json.loads(out)
        check(rows_of(doc) == want, f"{unit}: rows {rows_of(doc)[:6]} ... expected {want[:6]} ...")
        check(doc["horizon"] == max(n for _, _, n in h.values()), f"{unit}: horizon {doc['horizon']}")
        # The same data as a summary file: the same fit and predictions, bit for bit.
        summary = os.path.join(args.work, f"summary-{unit}.csv")
        with open(summary, "w") as f:
            f.write("frequency,recency,n,n_custs\n")
            for x, t, n, k in want:
                f.write(f"{x},{t},{n},{int(k)}\n")
        rc, out2, err2 = run(["predict", "--model", "bg-bb", summary, "-f", "json", "-q"] + extra)
        check(rc == 0, f"{unit} summary: exit {rc} ({err2.strip()})")
        if rc != 0:
            continue
        doc2 = json.loads(out2)
        for key in ("alpha", "beta", "gamma", "delta", "log_likelihood"):
            check(doc["model"]["bg_bb"][key] == doc2["model"]["bg_bb"][key],
                  f"{unit}: {key} {doc['model']['bg_bb'][key]} vs summary {doc2['model']['bg_bb'][key]}")
        check(doc["rows"] == doc2["rows"] and doc["expected_transactions_total"] == doc2["expected_transactions_total"],
              f"{unit}: predictions equal to the summary path's")

    # Usage errors (exit 2, one line).
    for extra, pattern in ((["--end", "2022-12-30", "--unit", "year"], "not the last day of a year"),
                           (["--end", "2022-12-31"], "give --unit"),
                           (["--unit", "year"], "--unit does not apply to --model bg-bb with a summary file")):
        rc, out, err = run(["predict", "--model", "bg-bb", path] + extra)
        check(rc == 2 and pattern in err and err.count("\n") == 1, f"bg-bb {extra}: exit {rc}, {err.strip()}")
    rc, out, err = run(["predict", path, "--end", "2022-12-31", "--unit", "year"])
    check(rc == 2 and "--unit year applies to --model bg-bb" in err, f"predict --unit year: exit {rc}, {err.strip()}")
    rc, out, err = run(["rfm", path, "--end", "2022-12-31", "--unit", "quarter"])
    check(rc == 2 and "--unit quarter applies to predict --model bg-bb" in err, f"rfm --unit quarter: exit {rc}, {err.strip()}")

    print(f"{check.passed} checks passed, {len(check.failures)} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
