#!/usr/bin/env python3
"""Writes the small data sets of tests/data/predictive/runoff_*.csv (Python 3 standard library
only), each a case where a Pareto/NBD or BG/BB fit runs off towards a limit of its model; read by
tests/e2e/test_predictive_runoff.py, which checks the words said of each limit.

- runoff_bgbb_*.csv: BG/BB summaries (frequency, recency, n, n_custs) over n opportunities: the
  expected count of customers with each (x, t_x) under a transaction chance p and a drop-out
  chance theta drawn from the given mixtures (a Beta density on a midpoint grid, or one value).
- runoff_pareto_*.csv: transactions of a few customers who buy at one rate (gaps exponential with
  `rate` a day) and never drop out, over 2024, amounts 5 to 49, from a seeded generator.

Usage: make_runoff_data.py DIR
"""

import datetime
import itertools
import os
import random
import sys


def beta_grid(a, b, m=40):
    """A Beta(a, b) density on m midpoints, as (value, weight) with weights summing to 1."""
    points = [(i + 0.5) / m for i in range(m)]
    weights = [x ** (a - 1) * (1 - x) ** (b - 1) for x in points]
    total = sum(weights)
    return [(x, w / total) for x, w in zip(points, weights)]


def path_probability(p, theta, x, t_x, n):
    """P(one given 0/1 path with x transactions, the last at t_x) when the customer transacts
    with chance p at each opportunity while alive and dies before each later one with chance theta."""
    total = 0.0
    for alive in range(t_x, n + 1):  # alive at the first `alive` opportunities
        path = p ** x * (1 - p) ** (alive - x)
        total += path * (1 - theta) ** alive * (theta if alive < n else 1)
    return total


def bgbb_summary(n, customers, p_mixture, theta_mixture):
    counts = {}
    for path in itertools.product([0, 1], repeat=n):
        x = sum(path)
        t_x = max([i + 1 for i, s in enumerate(path) if s], default=0)
        chance = sum(wp * wt * path_probability(p, theta, x, t_x, n)
                     for p, wp in p_mixture for theta, wt in theta_mixture)
        counts[(x, t_x)] = counts.get((x, t_x), 0) + chance
    lines = ["frequency,recency,n,n_custs"]
    for (x, t_x), chance in sorted(counts.items()):
        count = round(chance * customers)
        if count:
            lines.append(f"{x},{t_x},{n},{count}")
    return "\n".join(lines) + "\n"


def pareto_transactions(customers, seed, rate):
    rng = random.Random(seed)
    start = datetime.date(2024, 1, 1)
    lines = ["customer_id,date,amount"]
    for i in range(customers):
        day = rng.randrange(0, 120)
        lines.append(f"c{i},{start + datetime.timedelta(days=day)},{rng.randrange(5, 50)}")
        while True:
            day += max(1, round(rng.expovariate(rate)))
            if day > 365:
                break
            lines.append(f"c{i},{start + datetime.timedelta(days=day)},{rng.randrange(5, 50)}")
    return "\n".join(lines) + "\n"


FILES = {
    # p = 0.3 for everyone, no drop-out: alpha, beta -> infinity and gamma/(gamma+delta) -> 0.
    "runoff_bgbb_same_chance.csv": lambda: bgbb_summary(6, 100000, [(0.3, 1.0)], [(0.0, 1.0)]),
    # the same over 8 opportunities and 1000 customers: refused, both run-offs named.
    "runoff_bgbb_refused.csv": lambda: bgbb_summary(8, 1000, [(0.3, 1.0)], [(0.0, 1.0)]),
    # theta = 0.15 for everyone, p from Beta(2, 3): gamma, delta -> infinity.
    "runoff_bgbb_same_dropout.csv": lambda: bgbb_summary(8, 10000, beta_grid(2, 3), [(0.15, 1.0)]),
    # p = 0.3 for everyone, theta from Beta(1, 4): refused with beta alone run off.
    "runoff_bgbb_beta_alone.csv": lambda: bgbb_summary(6, 100000, [(0.3, 1.0)], beta_grid(1, 4)),
    # p from Beta(2, 3), no drop-out: refused with delta alone run off.
    "runoff_bgbb_delta_alone.csv": lambda: bgbb_summary(6, 1000, beta_grid(2, 3), [(0.0, 1.0)]),
    # one purchase rate, no drop-out: r, alpha -> infinity and s/beta -> 0.
    "runoff_pareto_same_rate.csv": lambda: pareto_transactions(5, 1, 0.02),
    # three such customers: refused, both run-offs named.
    "runoff_pareto_refused.csv": lambda: pareto_transactions(3, 2, 0.2),
}


def main():
    folder = sys.argv[1]
    for name, make in FILES.items():
        with open(os.path.join(folder, name), "w", newline="") as f:
            f.write(make())


if __name__ == "__main__":
    main()
