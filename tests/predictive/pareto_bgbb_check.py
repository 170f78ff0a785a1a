#!/usr/bin/env python3
"""Pareto/NBD and BG/BB in `csm-metrics predict` against the published fits and against the
independent scipy implementation of pareto_bgbb_reference.py:

- CDNOW, 39 weeks to 1997-09-30 (Fader, Hardie & Lee 2005): r 0.553, alpha 10.578, s 0.606,
  beta 11.669, log-likelihood -9595.0, to 3 decimals; the scipy fit to 1e-6 relative;
  P(alive) and expected purchases of every customer at csm-metrics' parameters to 1e-8.
- Pareto/NBD bases simulated here with known parameters, one with alpha < beta and one with
  alpha = beta: parameters and log-likelihood against the scipy fit to 1e-6 relative.
- Donations (Fader, Hardie & Shang 2010): alpha 1.204, beta 0.750, gamma 0.657, delta 2.783,
  log-likelihood -33,225.6; scipy to 1e-6; P(alive) and expected transactions (the paper's
  closed form, equation 13) per row to 1e-9; and a simulated BG/BB base.

Usage: pareto_bgbb_check.py --binary PATH --data DIR --work DIR
"""

import argparse
import collections
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import pareto_bgbb_reference as pr  # noqa: E402
import scipy_reference as ref  # noqa: E402

failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"csm-metrics {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return json.loads(p.stdout)


def pareto_case(binary, path, end, name, published=None, per_customer=False):
    out = run(binary, ["predict", path, "--end", end, "--unit", "week", "--model", "pareto-nbd",
                       "--format", "json", "-q", "--horizon", "52"])
    m = out["model"]["pareto_nbd"]
    got = [m["r"], m["alpha"], m["s"], m["beta"]]
    summary = ref.summarise(path, end, "week")
    counts = collections.Counter((v[0], v[1], v[2]) for v in summary.values())
    keys = sorted(counts)
    x, tx, T, w = ([k[i] for k in keys] for i in range(3)) if False else (
        [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], [counts[k] for k in keys])
    want, want_ll = pr.fit_pareto(x, tx, T, w)
    print(f"{name}: csm-metrics {got} {m['log_likelihood']}; scipy {list(want)} {want_ll}")
    for label, g, s in zip(["r", "alpha", "s", "beta"], got, want):
        check(rel(g, s) < 1e-6, f"{name}: {label} {g} vs scipy {s} to 1e-6 relative")
    check(rel(m["log_likelihood"], want_ll) < 1e-6,
          f"{name}: log-likelihood {m['log_likelihood']} vs scipy {want_ll}")
    if published:
        for label, g, p in zip(["r", "alpha", "s", "beta"], got, published[:4]):
            check(round(g, 3) == p, f"{name}: {label} {g:.3f} is the published {p}")
        check(round(m["log_likelihood"], 1) == published[4],
              f"{name}: log-likelihood {m['log_likelihood']:.1f} is the published {published[4]}")
    if per_customer:
        worst_p = worst_e = 0.0
        for c in out["customers"]:
            pa = pr.pareto_p_alive(got, c["x"], c["t_x"], c["T"])
            e = pr.pareto_expected(got, 52, c["x"], c["t_x"], c["T"])
            worst_p = max(worst_p, rel(c["p_alive"], pa))
            worst_e = max(worst_e, rel(c["expected_purchases"], e))
        check(worst_p < 1e-8 and worst_e < 1e-8,
              f"{name}: every customer's p_alive and expected_purchases against scipy (worst {worst_p:.1e}, {worst_e:.1e})")


def simulate_pareto(path, n, r, alpha, s, beta, seed, weeks=52):
    """Transactions of n customers who first buy in the first 12 weeks of 2020, followed to
    `weeks` weeks; Pareto/NBD with rates per week, purchase times rounded to days."""
    rng = np.random.default_rng(seed)
    start = datetime.date(2020, 1, 1)
    with open(path, "w") as f:
        f.write("customer_id,date,amount\n")
        for i in range(n):
            first = int(rng.integers(0, 84))
            lam = rng.gamma(r, 1 / alpha)
            mu = rng.gamma(s, 1 / beta)
            life = rng.exponential(1 / mu) * 7
            t = first
            f.write(f"c{i},{start + datetime.timedelta(days=first)},{rng.gamma(6, 3):.2f}\n")
            while True:
                t += rng.exponential(1 / lam) * 7 if lam > 0 else 1e9
                if t > first + life or t >= weeks * 7:
                    break
                f.write(f"c{i},{start + datetime.timedelta(days=int(t))},{rng.gamma(6, 3):.2f}\n")
    return str(start + datetime.timedelta(days=weeks * 7 - 1))


def bgbb_case(binary, path, name, published=None):
    out = run(binary, ["predict", "--model", "bg-bb", path, "--format", "json", "--horizon", "5"])
    m = out["model"]["bg_bb"]
    got = [m["alpha"], m["beta"], m["gamma"], m["delta"]]
    rows = [tuple(int(v) for v in line.strip().split(",")) for line in open(path).readlines()[1:] if line.strip()]
    x, tx, n, w = zip(*rows)
    want, want_ll = pr.fit_bgbb(x, tx, n, w)
    print(f"{name}: csm-metrics {got} {m['log_likelihood']}; scipy {list(want)} {want_ll}")
    for label, g, s in zip(["alpha", "beta", "gamma", "delta"], got, want):
        check(rel(g, s) < 1e-6, f"{name}: {label} {g} vs scipy {s} to 1e-6 relative")
    check(rel(m["log_likelihood"], want_ll) < 1e-6, f"{name}: log-likelihood {m['log_likelihood']} vs scipy {want_ll}")
    if published:
        for label, g, p in zip(["alpha", "beta", "gamma", "delta"], got, published[:4]):
            check(round(g, 3) == p, f"{name}: {label} {g:.3f} is the published {p}")
        check(round(m["log_likelihood"], 1) == published[4],
              f"{name}: log-likelihood {m['log_likelihood']:.1f} is the published {published[4]}")
    worst = 0.0
    for row in out["rows"]:
        pa = pr.bgbb_p_alive(got, row["frequency"], row["recency"], row["n"])
        e = pr.bgbb_expected(got, 5, row["frequency"], row["recency"], row["n"])
        worst = max(worst, rel(row["p_alive"], pa), rel(row["expected_transactions"], e))
    check(worst < 1e-9, f"{name}: P(alive) and expected transactions per row against scipy (worst {worst:.1e})")


def simulate_bgbb(path, customers, n, a, b, g, d, seed):
    rng = np.random.default_rng(seed)
    counts = collections.Counter()
    for _ in range(customers):
        p, theta = rng.beta(a, b), rng.beta(g, d)
        x = tx = 0
        for t in range(1, n + 1):
            if rng.random() < theta:
                break
            if rng.random() < p:
                x, tx = x + 1, t
        counts[(x, tx)] += 1
    with open(path, "w") as f:
        f.write("frequency,recency,n,n_custs\n")
        for (x, tx), c in sorted(counts.items()):
            f.write(f"{x},{tx},{n},{c}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    pareto_case(a.binary, os.path.join(a.data, "cdnow", "cdnow_transactions.csv"), "1997-09-30",
                "CDNOW Pareto/NBD", (0.553, 10.578, 0.606, 11.669, -9595.0), per_customer=True)
    for label, params, seed in [("alpha < beta", (0.7, 4.0, 0.6, 14.0), 1),
                                ("alpha = beta", (0.7, 8.0, 0.6, 8.0), 2),
                                ("alpha > beta", (1.2, 10.0, 1.5, 3.0), 3)]:
        path = os.path.join(a.work, f"pareto_{seed}.csv")
        end = simulate_pareto(path, 2000, *params, seed)
        pareto_case(a.binary, path, end, f"simulated Pareto/NBD, {label} {params}")
    bgbb_case(a.binary, os.path.join(a.data, "predictive", "donations.csv"), "donations BG/BB",
              (1.204, 0.750, 0.657, 2.783, -33225.6))
    path = os.path.join(a.work, "bgbb_sim.csv")
    simulate_bgbb(path, 5000, 8, 0.6, 1.5, 0.4, 3.0, 4)
    bgbb_case(a.binary, path, "simulated BG/BB (0.6, 1.5, 0.4, 3.0), n = 8")
    print(f"pareto_bgbb_check: {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
