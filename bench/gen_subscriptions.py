#!/usr/bin/env python3
"""Fast generator of subscription records for the retention benchmark (numpy, seconds for 1 M).

tools/gen_activity.py simulates every customer month by month in Python and keeps every row in
memory: at 1 M customers over 60 months that is tens of millions of rows, several GB and most of
an hour. This writes CUSTOMERS subscriptions (one per customer) over MONTHS months from 2021-01:
sign-ups growing 2 % a month, a start day 1-28, lifetimes from a beta-discrete-Weibull
(theta ~ Beta(0.9, 3.0), S(t) = (1 - theta)^(t^1.1), the shape of the earlier survival-table
benchmark), the end on a day 1-28 of the first month not paid (open when past the data), MRR
log-normal around 80 in cents, three segments.

    /usr/bin/python3 bench/gen_subscriptions.py --customers 1000000 --months 60 --seed 19 -o subs.csv
"""
import argparse
import sys

import numpy as np


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--months", type=int, default=60)
    p.add_argument("--seed", type=int, default=19)
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    n, months = a.customers, a.months
    weights = 1.02 ** np.arange(months)
    start = np.sort(rng.choice(months, size=n, p=weights / weights.sum()))
    theta = rng.beta(0.9, 3.0, size=n)
    u = rng.random(n)
    with np.errstate(divide="ignore"):
        life = np.ceil((np.log(u) / np.log1p(-theta)) ** (1 / 1.1))
    life = np.where(np.isfinite(life), np.maximum(life, 1), 10**6).astype(np.int64)
    end = start + life  # the first month not active
    start_day = rng.integers(1, 29, size=n)
    end_day = rng.integers(1, 29, size=n)
    cents = np.round(np.exp(rng.normal(np.log(8000), 0.6, size=n))).astype(np.int64)
    segment = np.array(["starter", "pro", "enterprise"])[rng.choice(3, size=n, p=[0.6, 0.3, 0.1])]
    base = 2021 * 12
    with open(a.output, "w", encoding="utf-8") as f:
        f.write("customer_id,start_date,end_date,mrr,segment\n")
        for i in range(n):
            s = base + int(start[i])
            e = base + int(end[i])
            end_text = f"{e // 12:04d}-{e % 12 + 1:02d}-{end_day[i]:02d}" if end[i] < months else ""
            f.write(f"C{i + 1:07d},{s // 12:04d}-{s % 12 + 1:02d}-{start_day[i]:02d},{end_text},"
                    f"{cents[i] // 100}.{cents[i] % 100:02d},{segment[i]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
