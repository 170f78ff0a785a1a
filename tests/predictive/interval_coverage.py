#!/usr/bin/env python3
"""Coverage of `predict --interval` on simulated bases with known parameters.

Each repetition simulates a base of BG/NBD customers with Gamma-Gamma spend (the generator is
written here, with numpy, independently of tools/gen_transactions.py and of the program), runs
`csm-metrics predict --interval LEVEL`, and asks whether the intervals cover the true values --
the same quantities computed here at the TRUE parameters from the simulated histories (formulas
of Fader, Hardie & Lee 2005 and Fader & Hardie 2013, scipy's hyp2f1):

- the total expected purchases of the base over the horizon, sum of E[Y(t) | x, t_x, T];
- the total clv (margin 1, no discounting): sum of E[M | x, m] * E[Y(t) | x, t_x, T];
- per customer P(alive), E[Y(t) | ...] and clv (their coverage is reported as the share over
  all customers of all repetitions; customers of one base share the same parameter error, so
  these shares are not independent trials and are only reported).

The totals give one independent trial per repetition: the count of covered repetitions is
Binomial(reps, level) if the intervals are right. The test fails when the count is outside the
central 99.8 % of that distribution (computed exactly with scipy.stats.binom).

Usage: interval_coverage.py --binary PATH --work DIR [--reps 30] [--customers 3000]
       [--level 0.9] [--draws 200] [--table FILE.md]
"""

import csv
import json
import os
import subprocess
import sys
import time

import numpy as np
from scipy import special, stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coverage_support import arguments, report  # noqa: E402  (the common options; the table printed and written)

TRUTH = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "gamma": 15.0}
CAL_DAYS = 52 * 7       # calibration: 52 weeks after the start
ACQ_DAYS = 13 * 7       # first purchases spread over the first 13 weeks
HORIZON = 26.0          # weeks


def simulate(rng, n):
    """Per customer: the list of (day, amount) purchase occasions up to the end of calibration,
    as BG/NBD (rate lambda ~ Gamma(r, alpha) per week, drop-out p ~ Beta(a, b) after each repeat
    purchase) with Gamma-Gamma amounts (nu ~ Gamma(q, gamma), amounts ~ Gamma(p, nu))."""
    t = TRUTH
    lam = rng.gamma(t["r"], 1 / t["alpha"], n)
    drop = rng.beta(t["a"], t["b"], n)
    nu = rng.gamma(t["q"], 1 / t["gamma"], n)
    first = rng.integers(0, ACQ_DAYS, n)
    customers = []
    for i in range(n):
        days = [int(first[i])]
        now = float(first[i]) / 7  # weeks
        end = CAL_DAYS / 7
        while True:
            now += rng.exponential(1 / lam[i])
            if now > end:
                break
            day = int(np.floor(now * 7))
            if day > CAL_DAYS:
                break
            days.append(day)
            if rng.random() < drop[i]:
                break
        amounts = rng.gamma(t["p"], 1 / nu[i], len(days))
        # Purchases of one day are one occasion, amounts added (as the program counts).
        occ = {}
        for d, a in zip(days, amounts):
            occ[d] = occ.get(d, 0.0) + round(float(a), 2)
        customers.append(sorted(occ.items()))
    return customers


def write_csv(path, customers):
    base = np.datetime64("2020-01-01")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "date", "amount"])
        for i, occ in enumerate(customers):
            for d, a in occ:
                w.writerow([f"c{i:06d}", str(base + np.timedelta64(d, "D")), f"{a:.2f}"])
    return str(base + np.timedelta64(CAL_DAYS, "D"))


def true_values(customers):
    """x, P(alive), E[Y(HORIZON)] and clv of every customer at the true parameters."""
    t = TRUTH
    r, al, a, b = t["r"], t["alpha"], t["a"], t["b"]
    x = np.array([len(o) - 1 for o in customers], dtype=float)
    tx = np.array([(o[-1][0] - o[0][0]) / 7 for o in customers])
    T = np.array([(CAL_DAYS - o[0][0]) / 7 for o in customers])
    m = np.array([np.mean([v for _, v in o[1:]]) if len(o) > 1 else 0.0 for o in customers])
    odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * ((al + T) / (al + tx)) ** (r + x), 0.0)
    palive = 1 / (1 + odds)
    z = HORIZON / (al + T + HORIZON)
    lead = (a + b + x - 1) / (a - 1) * (
        1 - ((al + T) / (al + T + HORIZON)) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z))
    expected = lead * palive
    p, q, g = t["p"], t["q"], t["gamma"]
    spend = np.where(x > 0, p * (g + x * m) / (p * x + q - 1), p * g / (q - 1))
    return palive, expected, spend * expected


def main():
    ap = arguments(reps=30, customers=3000)
    ap.add_argument("--level", type=float, default=0.9)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    covered = {"expected_purchases": 0, "clv": 0}
    per_customer = {"p_alive": [0, 0], "expected_purchases": [0, 0], "clv": [0, 0]}
    started = time.time()
    fitted = 0
    for rep in range(args.reps):
        customers = simulate(rng, args.customers)
        path = os.path.join(args.work, "base.csv")
        end = write_csv(path, customers)
        cmd = [args.binary, "predict", path, "--end", end, "--unit", "week", "--horizon", str(HORIZON),
               "--interval", str(args.level), "--draws", str(args.draws), "--seed", str(rep + 1),
               "-f", "json", "-q"]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"repetition {rep}: predict exited {run.returncode}: {run.stderr.strip()}")
            return 1
        out = json.loads(run.stdout)
        fitted += 1
        palive, expected, clv = true_values(customers)
        totals = out["interval"]["totals"]
        for name, truth in (("expected_purchases", expected.sum()), ("clv", clv.sum())):
            lo, hi = totals[name]["lower"], totals[name]["upper"]
            covered[name] += lo <= truth <= hi
        rows = out["customers"]  # ordered by customer_id = c000000, c000001, ...
        assert len(rows) == len(customers)
        for name, truth in (("p_alive", palive), ("expected_purchases", expected), ("clv", clv)):
            lo = np.array([c[name + "_lower"] for c in rows], dtype=float)
            hi = np.array([c[name + "_upper"] for c in rows], dtype=float)
            # P(alive) = 1 exactly (x = 0 under BG/NBD) is covered by [1, 1].
            inside = (lo - 1e-12 <= truth) & (truth <= hi + 1e-12)
            per_customer[name][0] += int(inside.sum())
            per_customer[name][1] += len(rows)
    reps = fitted
    lo_ok, hi_ok = stats.binom.ppf(0.001, reps, args.level), stats.binom.ppf(0.999, reps, args.level)
    failed = False
    lines = [f"{reps} simulated bases of {args.customers} customers, {args.draws} draws, "
             f"level {args.level} ({time.time() - started:.0f} s)", "",
             f"| quantity | covered | share | accepted counts (99.8 % of Binomial({reps}, {args.level})) |",
             "|---|---|---|---|"]
    for name, count in covered.items():
        ok = lo_ok <= count <= hi_ok
        failed = failed or not ok
        lines.append(f"| total {name} | {count} of {reps} | {count / reps:.3f} | "
                     f"{lo_ok:.0f} to {hi_ok:.0f}{'' if ok else ' FAILED'} |")
    for name, (inside, n) in per_customer.items():
        lines.append(f"| per customer {name} (not independent) | {inside} of {n} | {inside / n:.3f} | - |")
    report(lines, args.table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
