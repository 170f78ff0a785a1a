#!/usr/bin/env python3
"""Coverage of `predict --model bg-bb --interval` on simulated bases with known parameters.

Each repetition simulates a base of BG/BB customers (the generator is written here, with numpy:
p ~ Beta(alpha, beta) per customer, theta ~ Beta(gamma, delta); before each opportunity after the
first a live customer drops out with probability theta, and a live customer transacts with
probability p), writes its summary (frequency, recency, n, n_custs), runs `csm-metrics predict
--model bg-bb --interval LEVEL` for each level, and asks whether the intervals cover the true
values -- computed here at the TRUE parameters with the paper's closed forms
(pareto_bgbb_reference.py: equation 5 for the likelihood, 11 for P(alive), 13 for the expected
transactions, independent of the program's opportunity-by-opportunity sum):

- the total expected transactions of the base over the horizon (one independent trial per
  repetition: the count of covered repetitions is Binomial(reps, level) if the intervals are
  right; the test fails outside the central 99.8 % of that distribution, exactly by scipy);
- per row P(alive) and expected transactions (weighted by customers; one base's rows share the
  same parameter error, so these shares are reported, not tested).

Two levels (default 0.9 and 0.5) so that intervals too narrow fail at 0.9 and intervals too wide
fail at 0.5.

Usage: bgbb_interval_coverage.py --binary PATH --work DIR [--reps 60] [--customers 3000]
       [--levels 0.9,0.5] [--draws 200] [--table FILE.md]
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
import pareto_bgbb_reference as ref  # noqa: E402

TRUTH = (1.2, 0.75, 0.66, 2.8)  # alpha, beta, gamma, delta: near the donations fit
HORIZON = 5


def simulate(rng, customers):
    """Rows {(x, t_x, n): count}: n opportunities after the first transaction, 4 to 8."""
    a, b, g, d = TRUTH
    p = rng.beta(a, b, customers)
    theta = rng.beta(g, d, customers)
    n = rng.integers(4, 9, customers)
    t = np.arange(1, 9)
    # alive[i, t-1]: still alive at opportunity t (no drop-out before any of 1..t), within n.
    stays = rng.random((customers, 8)) >= theta[:, None]
    alive = np.cumprod(stays, axis=1).astype(bool) & (t[None, :] <= n[:, None])
    buys = alive & (rng.random((customers, 8)) < p[:, None])
    x = buys.sum(axis=1)
    tx = np.where(buys, t[None, :], 0).max(axis=1)
    rows = Counter(zip(x.tolist(), tx.tolist(), n.tolist()))
    return rows


def main():
    ap = arguments(reps=60, customers=3000)
    ap.add_argument("--levels", default="0.9,0.5")
    args = ap.parse_args()
    levels = [float(v) for v in args.levels.split(",")]
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    started = time.time()
    covered_total = {lv: 0 for lv in levels}
    per_row = {lv: {"p_alive": 0.0, "expected": 0.0} for lv in levels}
    weight = 0.0
    for rep in range(args.reps):
        rows = simulate(rng, args.customers)
        path = os.path.join(args.work, f"base{rep}.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["frequency", "recency", "n", "n_custs"])
            for (x, tx, n), c in sorted(rows.items()):
                w.writerow([x, tx, n, c])
        truth = {}
        total = 0.0
        for (x, tx, n), c in rows.items():
            pa = ref.bgbb_p_alive(TRUTH, x, tx, n)
            ex = ref.bgbb_expected(TRUTH, HORIZON, x, tx, n)
            truth[(x, tx, n)] = (pa, ex)
            total += c * ex
        weight += args.customers
        for lv in levels:
            out = subprocess.run([args.binary, "predict", "--model", "bg-bb", path, "--horizon",
                                  str(HORIZON), "--interval", str(lv), "--draws", str(args.draws),
                                  "--seed", str(rep + 1), "-f", "json", "-q"],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                # A fit refused on a simulated base is a failure of the test too: say so.
                print(f"repetition {rep}: predict failed: {out.stderr.strip()}")
                return 1
            doc = json.loads(out.stdout)
            t = doc["interval"]["totals"]["expected_transactions"]
            if t["lower"] <= total <= t["upper"]:
                covered_total[lv] += 1
            for r in doc["rows"]:
                pa, ex = truth[(r["frequency"], r["recency"], r["n"])]
                c = r["n_custs"]
                if r["p_alive_lower"] <= pa <= r["p_alive_upper"]:
                    per_row[lv]["p_alive"] += c
                if r["expected_transactions_lower"] <= ex <= r["expected_transactions_upper"]:
                    per_row[lv]["expected"] += c
    reps = args.reps
    lines = [f"{reps} simulated BG/BB bases of {args.customers} customers (alpha {TRUTH[0]}, beta "
             f"{TRUTH[1]}, gamma {TRUTH[2]}, delta {TRUTH[3]}; n 4 to 8; horizon {HORIZON}), "
             f"{args.draws} draws ({time.time() - started:.0f} s)",
             "",
             "| level | quantity | covered | share | accepted counts (99.8 % of Binomial) |",
             "|---|---|---|---|---|"]
    ok = True
    for lv in levels:
        lo, hi = stats.binom.ppf(0.001, reps, lv), stats.binom.ppf(0.999, reps, lv)
        c = covered_total[lv]
        good = lo <= c <= hi
        ok = ok and good
        lines.append(f"| {lv} | total expected_transactions | {c} of {reps} | {c / reps:.3f} | "
                     f"{int(lo)} to {int(hi)}{'' if good else ' FAILED'} |")
        for q in ("p_alive", "expected"):
            name = "p_alive" if q == "p_alive" else "expected_transactions"
            lines.append(f"| {lv} | per customer {name} (not independent) | "
                         f"{per_row[lv][q]:.0f} of {weight:.0f} | {per_row[lv][q] / weight:.3f} | - |")
    report(lines, args.table)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
