#!/usr/bin/env python3
"""Cross-check of `csm-metrics rfm` and `predict` against scipy_reference.py (an independent
implementation with scipy) on the CDNOW sample and on generated transactions, in several units,
with both purchase models, discounting and a holdout. Parameters must agree to 4 significant
digits; per-customer numbers (computed by the reference at csm-metrics' parameters) to 1e-7.

Usage: crosscheck.py --binary PATH --data DIR --tools DIR --work DIR
"""

import argparse
import datetime
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import scipy_reference as ref  # noqa: E402

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def close(a, b, rel, absolute=1e-12):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), absolute)


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"csm-metrics {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return json.loads(p.stdout)


def case(binary, path, end, unit, model="bgnbd", holdout=None, horizon=10, margin=0.3, d=0.01, penalizer=0.0):
    name = f"{os.path.basename(path)} --unit {unit} --model {model}"
    mbg = model == "mbgnbd"
    summary = ref.summarise(path, end, unit, holdout)
    # rfm: the summary itself, customer by customer.
    rfm = run(binary, ["rfm", path, "--end", end, "--unit", unit, "--format", "json"])
    check(len(rfm["customers"]) == len(summary), f"{name}: rfm customer count")
    for c in rfm["customers"]:
        x, tx, T, m, _ = summary[c["customer_id"]]
        ok = c["x"] == x and close(c["t_x"], tx, 1e-12) and close(c["T"], T, 1e-12)
        ok = ok and ((m is None and c["monetary"] is None) or (m is not None and close(c["monetary"], m, 1e-9)))
        check(ok, f"{name}: rfm customer {c['customer_id']}: {c} vs {summary[c['customer_id']]}")
    args = ["predict", path, "--end", end, "--unit", unit, "--model", model, "--format", "json",
            "--horizon", str(horizon), "--margin", str(margin), "--discount-rate", str(d), "-q"]
    if holdout:
        args += ["--holdout-end", holdout]
    if penalizer:
        args += ["--penalizer", str(penalizer)]
        name += f" --penalizer {penalizer}"
    out = run(binary, args)
    ids = sorted(summary)
    x = [summary[i][0] for i in ids]
    tx = [summary[i][1] for i in ids]
    T = [summary[i][2] for i in ids]
    params, ll = ref.fit_bgnbd(x, tx, T, mbg, penalizer)
    fit = out["model"][model]
    ours = [fit["r"], fit["alpha"], fit["a"], fit["b"]]
    for n, a, b in zip(["r", "alpha", "a", "b"], ours, params):
        check(close(a, b, 5e-5), f"{name}: {n} {a} vs scipy {b}")
    check(close(fit["log_likelihood"], ll, 1e-8 if penalizer else 1e-9, 1e-6), f"{name}: log-likelihood {fit['log_likelihood']} vs {ll}")
    rep = [(summary[i][0], summary[i][3]) for i in ids if summary[i][0] > 0 and summary[i][3] > 0]
    g, gll = ref.fit_gamma_gamma([r[0] for r in rep], [r[1] for r in rep], penalizer)
    gg = out["model"]["gamma_gamma"]
    for n, a, b in zip(["p", "q", "gamma"], [gg["p"], gg["q"], gg["gamma"]], g):
        check(close(a, b, 5e-5), f"{name}: {n} {a} vs scipy {b}")
    # With a penalty the unpenalised log-likelihood is off its maximum, so it moves to first
    # order with the last digits of the parameters.
    check(close(gg["log_likelihood"], gll, 1e-8 if penalizer else 1e-9, 1e-6), f"{name}: GG log-likelihood {gg['log_likelihood']} vs {gll}")
    # Standard errors: an independent numeric Hessian of the scipy likelihood at csm-metrics'
    # estimates (without a penalty they are the maximum; 1e-3: second differences of values).
    if not penalizer:
        xa, txa, Ta = map(np.asarray, (x, tx, T))
        se = ref.numeric_standard_errors(lambda th: ref.bgnbd_ll(th, xa, txa, Ta, mbg).sum(), ours)
        for n, s_ours, s_ref in zip(["r", "alpha", "a", "b"], [fit["standard_errors"][k] for k in ["r", "alpha", "a", "b"]], se):
            check(close(s_ours, s_ref, 1e-3), f"{name}: se({n}) {s_ours} vs numeric Hessian {s_ref}")
        xg, mg = np.asarray([r[0] for r in rep], float), np.asarray([r[1] for r in rep], float)
        gse = ref.numeric_standard_errors(lambda th: ref.gg_ll(th, xg, mg).sum(), [gg["p"], gg["q"], gg["gamma"]])
        for n, s_ref in zip(["p", "q", "gamma"], gse):
            check(close(gg["standard_errors"][n], s_ref, 1e-3), f"{name}: se({n}) {gg['standard_errors'][n]} vs numeric Hessian {s_ref}")
    # Per customer, at csm-metrics' own parameters.
    gp = [gg["p"], gg["q"], gg["gamma"]]
    check(len(out["customers"]) == len(ids), f"{name}: predict customer count")
    mae = 0.0
    hl = out["holdout"]["length"] if holdout else None
    for c in out["customers"]:
        xi, txi, Ti, mi, hx = summary[c["customer_id"]]
        want = {
            "p_alive": ref.p_alive(ours, xi, txi, Ti, mbg),
            "expected_purchases": ref.conditional(ours, horizon, xi, txi, Ti, mbg),
            "expected_spend": ref.expected_spend(gp, xi, mi or 0.0),
            "clv": ref.clv(ours, gp, xi, txi, Ti, mi or 0.0, horizon, margin, d, mbg),
        }
        if holdout:
            want["holdout_predicted"] = ref.conditional(ours, hl, xi, txi, Ti, mbg)
            check(c["holdout_actual"] == hx, f"{name}: {c['customer_id']} holdout_actual")
            mae += abs(want["holdout_predicted"] - hx)
        for k, v in want.items():
            check(close(c[k], v, 1e-7, 1e-10), f"{name}: {c['customer_id']} {k} {c[k]} vs {v}")
    if holdout:
        h = out["holdout"]
        check(close(h["mean_absolute_error"], mae / len(ids), 1e-7), f"{name}: holdout MAE")
        rmse = math.sqrt(sum((ref.conditional(ours, hl, *summary[i][:3], mbg) - summary[i][4]) ** 2 for i in ids) / len(ids))
        check(close(h["root_mean_squared_error"], rmse, 1e-7), f"{name}: holdout RMSE {h['root_mean_squared_error']} vs {rmse}")
        # The cumulative series per unit: every 5th point against the sum of the reference.
        for p in h["cumulative"][::5] + h["cumulative"][-1:]:
            want = sum(ref.conditional(ours, p["t"], *summary[i][:3], mbg) for i in ids)
            check(close(p["predicted"], want, 1e-7), f"{name}: cumulative predicted at t {p['t']}: {p['predicted']} vs {want}")
        # Weekly tracking: sum over customers of E[X(age)] at the end of each week.
        first = ref.first_purchases(path, end)
        for w in h["weekly"][::7] + h["weekly"][-1:]:
            day = datetime.date.fromisoformat(w["through"])
            want = sum(ref.unconditional(ours, (day - f).days / ref.DAYS[unit], mbg) for f in first.values() if f < day)
            check(close(w["predicted"], want, 1e-7), f"{name}: weekly predicted through {w['through']}: {w['predicted']} vs {want}")
        check(out["holdout"]["actual_purchases"] == sum(summary[i][4] for i in ids), f"{name}: holdout actual")
    print(f"{name}: {len(ids)} customers; r alpha a b {ours} (scipy {list(params)}); p q gamma {gp}")


def limit_case(binary, path):
    """A fit at a limit of the model (a, b -> infinity): the log-likelihood at least scipy's, and
    every customer's expected purchases at csm-metrics' parameters (a = 2.6e8, b = 1.8e10)
    against mpmath (scipy's hyp2f1 is not reliable that far out)."""
    import mpmath as mp
    mp.mp.dps = 40
    summary = ref.summarise(path, "2024-12-31", "week")
    ids = sorted(summary)
    out = run(binary, ["predict", path, "--end", "2024-12-31", "--format", "json", "-q"])
    fit = out["model"]["bgnbd"]
    params, ll = ref.fit_bgnbd([summary[i][0] for i in ids], [summary[i][1] for i in ids], [summary[i][2] for i in ids])
    # The ridge towards the limit is flat: from scipy's stopping point (a 2.6e5) to csm-metrics'
    # (a 2.6e8) the log-likelihood changes by about 1e-5 of a unit in all.
    check(fit["log_likelihood"] >= ll - 1e-4, f"limit: log-likelihood {fit['log_likelihood']} below scipy's {ll}")
    r, alpha, a, b = (mp.mpf(fit[k]) for k in ["r", "alpha", "a", "b"])
    t = mp.mpf(out["horizon"])
    for c in out["customers"]:
        x, tx, T = (mp.mpf(v) for v in summary[c["customer_id"]][:3])
        z = t / (alpha + T + t)
        lead = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * mp.hyp2f1(r + x, b + x, a + b + x - 1, z))
        alive = 1 if x == 0 else 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))
        want = float(lead * alive)
        check(close(c["expected_purchases"], want, 1e-8), f"limit: {c['customer_id']} {c['expected_purchases']} vs mpmath {want}")
    print(f"limit case: {len(ids)} customers, a {fit['a']:.4g} b {fit['b']:.4g}; scipy stops at a {params[2]:.4g} b {params[3]:.4g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    cdnow = os.path.join(a.data, "cdnow", "cdnow_transactions.csv")
    case(a.binary, cdnow, "1997-09-30", "week", horizon=39, holdout="1998-06-30")
    case(a.binary, cdnow, "1997-09-30", "day", model="mbgnbd", horizon=100.5, d=0.0)
    gen = os.path.join(a.work, "generated.csv")
    subprocess.run([sys.executable, os.path.join(a.tools, "gen_transactions.py"), "--customers", "3000",
                    "--seed", "11", "--shuffle", "-o", gen], check=True)
    case(a.binary, gen, "2024-09-30", "month", horizon=12, holdout="2025-03-31", d=0.02)
    case(a.binary, gen, "2024-09-30", "week", model="mbgnbd", horizon=26)
    # The L2 penalty, against scipy's penalised fit.
    case(a.binary, gen, "2024-09-30", "week", horizon=26, penalizer=0.01)
    case(a.binary, cdnow, "1997-09-30", "week", horizon=39, penalizer=0.001, holdout="1998-06-30")
    limit_case(a.binary, os.path.join(a.data, "predictive", "crash_100customers.csv"))
    print(f"crosscheck_predictive: {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
