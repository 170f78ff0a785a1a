#!/usr/bin/env python3
"""An independent implementation of the predictive models with scipy (Debian python3-scipy):
the transaction summary, the BG/NBD, MBG/NBD and Gamma-Gamma likelihoods fitted with
scipy.optimize, and the per-customer formulas with scipy.special.hyp2f1. Written from the papers
(Fader, Hardie & Lee 2005; Batislam et al. 2007; Fader & Hardie 2013), not from csm-metrics' code.
Used by crosscheck.py, recovery.py and bench/predictive/."""

import csv
import datetime
import math

import numpy as np
from scipy import optimize, special

DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


def summarise(path, end, unit, holdout_end=None):
    """{customer_id: (x, t_x, T, monetary or None, holdout_x)} for customers with a purchase <= end."""
    end_d = datetime.date.fromisoformat(end)
    hold_d = datetime.date.fromisoformat(holdout_end) if holdout_end else end_d
    per_day = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            d = datetime.date.fromisoformat(row["date"])
            if d > hold_d:
                continue
            days = per_day.setdefault(row["customer_id"], {})
            days[d] = days.get(d, 0) + float(row["amount"])
    out = {}
    u = DAYS[unit]
    for cid, days in per_day.items():
        cal = sorted(d for d in days if d <= end_d)
        if not cal:
            continue
        x = len(cal) - 1
        repeat = sum(days[d] for d in cal[1:])
        out[cid] = (x, (cal[-1] - cal[0]).days / u, (end_d - cal[0]).days / u,
                    repeat / x if x else None, sum(1 for d in days if d > end_d))
    return out


def first_purchases(path, end):
    """{customer_id: date of the first purchase} for customers with one on or before end."""
    end_d = datetime.date.fromisoformat(end)
    first = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            d = datetime.date.fromisoformat(row["date"])
            if d <= end_d and (row["customer_id"] not in first or d < first[row["customer_id"]]):
                first[row["customer_id"]] = d
    return first


def bgnbd_ll(params, x, tx, T, mbg=False):
    r, alpha, a, b = params
    s = 1.0 if mbg else 0.0
    ll1 = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
           + special.betaln(a, b + x + s) - special.betaln(a, b))
    t1 = -(r + x) * np.log(alpha + T)
    # B(a+1, b+x-1+s) / B(a, b+x+s) = a / (b+x-1+s)
    t2 = np.where((x > 0) | mbg, np.log(a) - np.log(np.maximum(b + x - 1 + s, 1e-300))
                  - (r + x) * np.log(alpha + tx), -np.inf)
    return ll1 + np.logaddexp(t1, t2)


def fit_bgnbd(x, tx, T, mbg=False, penalizer=0.0):
    """Maximum likelihood; with a penalizer C, of the mean log-likelihood minus C * sum(params^2)
    (the L2 penalty of lifetimes)."""
    x, tx, T = map(np.asarray, (x, tx, T))
    f = lambda u: -bgnbd_ll(np.exp(u), x, tx, T, mbg).mean() + penalizer * np.sum(np.exp(u) ** 2)
    best = None
    for start in ([0, 0, 0, 0], [math.log(0.5), math.log(max(T.mean(), 1e-3) / 4), 0, 0]):
        res = optimize.minimize(f, start, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000, "maxfev": 40000})
        res = optimize.minimize(f, res.x, method="BFGS", options={"gtol": 1e-9})
        if best is None or res.fun < best.fun:
            best = res
    return np.exp(best.x), bgnbd_ll(np.exp(best.x), x, tx, T, mbg).sum()


def gg_ll(params, x, m):
    p, q, g = params
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(g)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + m * x))


def fit_gamma_gamma(x, m, penalizer=0.0):
    x, m = np.asarray(x, float), np.asarray(m, float)
    f = lambda u: -gg_ll(np.exp(u), x, m).mean() + penalizer * np.sum(np.exp(u) ** 2)
    res = optimize.minimize(f, [0, 0, 0], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000, "maxfev": 40000})
    res = optimize.minimize(f, res.x, method="BFGS", options={"gtol": 1e-9})
    return np.exp(res.x), gg_ll(np.exp(res.x), x, m).sum()


def p_alive(params, x, tx, T, mbg=False):
    r, alpha, a, b = params
    if x == 0 and not mbg:
        return 1.0
    s = 1.0 if mbg else 0.0
    return 1.0 / (1.0 + a / (b + x - 1 + s) * ((alpha + T) / (alpha + tx)) ** (r + x))


def conditional(params, t, x, tx, T, mbg=False):
    """E[Y(t) | x, t_x, T] as in the papers (lifetimes' conditional_expected_number_of_purchases_up_to_time)."""
    r, alpha, a, b = params
    s = 1.0 if mbg else 0.0
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(r + x, b + x + s, a + b + x - 1 + s, z)
    first = (a + b + x - 1 + s) / (a - 1)
    second = 1 - hyp * ((alpha + T) / (alpha + T + t)) ** (r + x)
    return first * second * p_alive(params, x, tx, T, mbg)


def expected_spend(g, x, m):
    p, q, gamma = g
    if x == 0:
        return p * gamma / (q - 1)
    return p * (gamma + x * m) / (p * x + q - 1)


def clv(params, g, x, tx, T, m, horizon, margin, d, mbg=False):
    spend = expected_spend(g, x, m)
    total, before = 0.0, 0.0
    steps = math.ceil(horizon)
    for i in range(1, steps + 1):
        t = min(i, horizon)
        now = conditional(params, t, x, tx, T, mbg)
        total += (now - before) / (1 + d) ** t
        before = now
    return margin * spend * total


def numeric_standard_errors(total_ll, params):
    """sqrt(diag(H^-1)) of the negative total log-likelihood in the natural parameters, H by
    second differences of function values (no gradient: independent of csm-metrics' analytic
    one), with relative steps of 1e-4."""
    theta = np.asarray(params, float)
    k = len(theta)
    h = 1e-4 * theta
    H = np.zeros((k, k))
    f = lambda th: -total_ll(th)
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            H[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)) / (4 * h[i] * h[j])
    return np.sqrt(np.diag(np.linalg.inv(H)))


def unconditional(params, t, mbg=False):
    """E[X(t)] of a new customer: the conditional expectation at x = t_x = T = 0."""
    return conditional(params, t, 0, 0.0, 0.0, mbg) if t > 0 else 0.0
