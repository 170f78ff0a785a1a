#!/usr/bin/env python3
"""Coverage of `predict --interval LEVEL --interval-of purchases`: intervals for the purchases
actually made in the horizon, on simulated bases with known parameters.

Each repetition simulates, with numpy and written here (not the program's generator), a base of
customers over a calibration period AND the holdout that follows it, gives the program the
calibration only, and asks whether the holdout purchases the simulation made fall inside the
bounds the program printed:

- BG/NBD (r 0.5, alpha 5 per week, a 0.8, b 2.5) and Pareto/NBD (r 0.5, alpha 5, s 0.6,
  beta 12): first purchases over 13 weeks, 52 weeks of calibration, a holdout of 26 weeks
  (`--horizon 26`); purchases of one day are one occasion, as the program counts them. One
  continuous path per customer: Poisson purchases at rate lambda ~ Gamma(r, alpha), the drop-out
  after each repeat purchase with p ~ Beta(a, b) (BG/NBD) or at an exponential lifetime with rate
  mu ~ Gamma(s, beta) (Pareto/NBD).
- BG/BB (alpha 1.2, beta 0.75, gamma 0.66, delta 2.8): 4 to 8 calibration opportunities, 5 more
  in the holdout; before each opportunity a live customer drops out with probability theta and
  then transacts with probability p.

The total of a base is one independent trial per repetition: the count of covered repetitions
should be Binomial(reps, level); the test fails outside its central 99.8 %. Per customer the
realised counts are whole numbers, so an interval of whole purchases covers at least the level
(more where a customer's distribution is lumpy, e.g. mostly 0): the test fails when the share of
customers covered is below level - 0.03, and reports it.

Usage: purchase_interval_coverage.py --binary PATH --work DIR [--reps 20] [--customers 1000]
       [--models bgnbd,pareto-nbd,bg-bb] [--level 0.9] [--draws 200] [--table FILE.md]
"""

import csv
import json
import os
import subprocess
import sys
import time
from collections import Counter

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coverage_support import arguments, report  # noqa: E402  (the common options; the table printed and written)

CAL_DAYS = 52 * 7
ACQ_DAYS = 13 * 7
HOLDOUT_WEEKS = 26
BGNBD = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
PARETO = {"r": 0.5, "alpha": 5.0, "s": 0.6, "beta": 12.0}
BGBB = (1.2, 0.75, 0.66, 2.8)
BGBB_HORIZON = 5


def simulate_continuous(rng, n, model):
    """Per customer: sorted distinct purchase days in calibration, and the number of distinct
    purchase days in the holdout (CAL_DAYS, CAL_DAYS + 7 * HOLDOUT_WEEKS]."""
    t = BGNBD if model == "bgnbd" else PARETO
    lam = rng.gamma(t["r"], 1 / t["alpha"], n)
    if model == "bgnbd":
        drop = rng.beta(t["a"], t["b"], n)
    else:
        life = rng.exponential(1 / rng.gamma(t["s"], 1 / t["beta"], n))  # weeks
    first = rng.integers(0, ACQ_DAYS, n)
    end_all = (CAL_DAYS + 7 * HOLDOUT_WEEKS) / 7
    cal, hold = [], np.zeros(n, dtype=int)
    for i in range(n):
        now = first[i] / 7
        stop = end_all if model == "bgnbd" else min(end_all, now + life[i])
        days = [int(first[i])]
        while True:
            now += rng.exponential(1 / lam[i])
            if now > stop:
                break
            days.append(int(np.floor(now * 7)))
            if model == "bgnbd" and rng.random() < drop[i]:
                break
        distinct = sorted(set(days))
        cal.append([d for d in distinct if d <= CAL_DAYS])
        hold[i] = sum(1 for d in distinct if CAL_DAYS < d <= CAL_DAYS + 7 * HOLDOUT_WEEKS)
    return cal, hold


def write_transactions(rng, path, cal):
    """Amounts play no part in the purchase bounds; Gamma-Gamma ones (p 6, q 4, gamma 15) so
    that the spend model, which predict also fits, is identified."""
    nu = rng.gamma(4, 1 / 15, len(cal))
    base = np.datetime64("2020-01-01")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "date", "amount"])
        for i, days in enumerate(cal):
            for d in days:
                w.writerow([f"c{i:06d}", str(base + np.timedelta64(d, "D")), f"{rng.gamma(6, 1 / nu[i]):.2f}"])
    return str(base + np.timedelta64(CAL_DAYS, "D"))


def simulate_bgbb(rng, n_customers):
    """{(x, t_x, n): [holdout transactions of each customer of that row]}."""
    a, b, g, d = BGBB
    p = rng.beta(a, b, n_customers)
    theta = rng.beta(g, d, n_customers)
    n = rng.integers(4, 9, n_customers)
    rows = {}
    for i in range(n_customers):
        alive, x, tx, later = True, 0, 0, 0
        for k in range(1, n[i] + BGBB_HORIZON + 1):
            if alive and rng.random() < theta[i]:
                alive = False
            if alive and rng.random() < p[i]:
                if k <= n[i]:
                    x, tx = x + 1, k
                else:
                    later += 1
        rows.setdefault((x, tx, int(n[i])), []).append(later)
    return rows


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def one_base(args, rng, model, rep):
    """(total covered?, customers covered, customers, width of the total's interval)."""
    common = ["--interval", str(args.level), "--interval-of", "purchases", "--draws", str(args.draws),
              "--seed", str(rep + 1), "-f", "json", "-q"]
    if model == "bg-bb":
        rows = simulate_bgbb(rng, args.customers)
        path = os.path.join(args.work, "bgbb.csv")
        with open(path, "w") as f:
            f.write("frequency,recency,n,n_custs\n")
            for (x, tx, n), later in sorted(rows.items()):
                f.write(f"{x},{tx},{n},{len(later)}\n")
        out = run([args.binary, "predict", "--model", "bg-bb", path, "--horizon", str(BGBB_HORIZON)] + common)
        inside = 0
        for r in out["rows"]:
            later = np.array(rows[(r["frequency"], r["recency"], r["n"])])
            inside += int(((r["transactions_lower"] <= later) & (later <= r["transactions_upper"])).sum())
        actual = sum(sum(v) for v in rows.values())
        tot = out["interval"]["totals"]["transactions"]
    else:
        cal, hold = simulate_continuous(rng, args.customers, model)
        path = os.path.join(args.work, "base.csv")
        end = write_transactions(rng, path, cal)
        out = run([args.binary, "predict", path, "--end", end, "--unit", "week", "--model", model,
                   "--horizon", str(HOLDOUT_WEEKS)] + common)
        rows = out["customers"]  # in customer_id order: c000000, c000001, ...
        lo = np.array([c["purchases_lower"] for c in rows], dtype=float)
        hi = np.array([c["purchases_upper"] for c in rows], dtype=float)
        inside = int(((lo <= hold) & (hold <= hi)).sum())
        actual = int(hold.sum())
        tot = out["interval"]["totals"]["purchases"]
    return tot["lower"] <= actual <= tot["upper"], inside, args.customers, tot["upper"] - tot["lower"]


def main():
    ap = arguments(reps=20, customers=1000)
    ap.add_argument("--models", default="bgnbd,pareto-nbd,bg-bb")
    ap.add_argument("--level", type=float, default=0.9)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    started = time.time()
    lo_ok, hi_ok = stats.binom.ppf(0.001, args.reps, args.level), stats.binom.ppf(0.999, args.reps, args.level)
    lines = [f"{args.reps} simulated bases of {args.customers} customers per model, {args.draws} draws, "
             f"level {args.level}, holdout purchases simulated with the calibration", "",
             f"| model | total covered | share | accepted counts (99.8 % of Binomial({args.reps}, {args.level})) "
             f"| per customer covered | share | mean width of the total's interval |",
             "|---|---|---|---|---|---|---|"]
    failed = False
    for model in args.models.split(","):
        rng = np.random.default_rng([args.seed, len(model)])
        covered = inside = n = 0
        width = 0.0
        for rep in range(args.reps):
            c, i, k, w = one_base(args, rng, model, rep)
            covered += c
            inside += i
            n += k
            width += w
        ok_total = lo_ok <= covered <= hi_ok
        ok_customers = inside / n >= args.level - 0.03
        failed = failed or not ok_total or not ok_customers
        lines.append(f"| {model} | {covered} of {args.reps}{'' if ok_total else ' FAILED'} | {covered / args.reps:.3f} "
                     f"| {lo_ok:.0f} to {hi_ok:.0f} | {inside} of {n}{'' if ok_customers else ' FAILED'} "
                     f"| {inside / n:.3f} | {width / args.reps:.1f} |")
    lines.append("")
    lines.append(f"({time.time() - started:.0f} s)")
    report(lines, args.table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
