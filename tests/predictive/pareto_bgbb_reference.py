#!/usr/bin/env python3
"""Independent implementations, with scipy, of the Pareto/NBD likelihood (Fader, Hardie & Lee,
"A Note on Deriving the Pareto/NBD Model and Related Expressions", 2005: the classic form with
two Gauss hypergeometric functions and the switch at alpha = beta, scipy.special.hyp2f1) and of
the BG/BB likelihood (Fader, Hardie & Shang 2010, equation 5: the sum over the possible last
opportunities alive, scipy.special.betaln). Written from the papers, not from csm-metrics' code
(which integrates the drop-out part as one series of positive terms, and sums BG/BB in a
different order). Each fit ends with Newton steps on a central-difference Hessian, so that the
optimum is pinned down to far below 1e-6 relative. Used by pareto_bgbb_check.py and bench/."""

import math

import numpy as np
from scipy import optimize, special


def pareto_ll(params, x, tx, T):
    r, alpha, s, beta = params
    x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
    m = r + s + x
    if alpha >= beta:
        big, b2, z = alpha, s + 1, lambda t: (alpha - beta) / (alpha + t)
    else:
        big, b2, z = beta, r + x, lambda t: (beta - alpha) / (beta + t)
    # log of 2F1(m, b2; m+1; z(t)) / (big + t)^m at t_x and at T
    f1 = np.log(special.hyp2f1(m, b2, m + 1, z(tx))) - m * np.log(big + tx)
    f2 = np.log(special.hyp2f1(m, b2, m + 1, z(T))) - m * np.log(big + T)
    # log A0 = f1 + log(1 - exp(f2 - f1)); 0 when T = t_x
    with np.errstate(divide="ignore"):
        log_a0 = f1 + np.log(-np.expm1(np.minimum(f2 - f1, 0)))
    pre = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    drop = np.log(s) - np.log(m) + log_a0
    return pre + np.logaddexp(alive, drop)


def pareto_p_alive(params, x, tx, T):
    r, alpha, s, beta = params
    ll = pareto_ll(params, [x], [tx], [T])[0]
    pre = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta)
    return math.exp(pre - (r + x) * math.log(alpha + T) - s * math.log(beta + T) - ll)


def pareto_expected(params, t, x, tx, T):
    r, alpha, s, beta = params
    lead = (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * (1 - ((beta + T) / (beta + T + t)) ** (s - 1))
    return lead * pareto_p_alive(params, x, tx, T)


def bgbb_ll(params, x, tx, n):
    a, b, g, d = params
    x, tx, n = (np.asarray(v, float) for v in (x, tx, n))
    base = special.betaln(a, b) + special.betaln(g, d)
    out = np.empty(len(x))
    for k in range(len(x)):
        terms = [special.betaln(a + x[k], b + n[k] - x[k]) + special.betaln(g, d + n[k])]
        for i in range(int(n[k] - tx[k])):
            terms.append(special.betaln(a + x[k], b + tx[k] - x[k] + i) + special.betaln(g + 1, d + tx[k] + i))
        out[k] = special.logsumexp(terms) - base
    return out


def bgbb_p_alive(params, x, tx, n):
    a, b, g, d = params
    ll = bgbb_ll(params, [x], [tx], [n])[0]
    return math.exp(special.betaln(a + x, b + n - x) - special.betaln(a, b)
                    + special.betaln(g, d + n + 1) - special.betaln(g, d) - ll)


def bgbb_expected(params, future, x, tx, n):
    """E[X(n, n + n*) | x, t_x, n], Fader, Hardie & Shang (2010), equation 13."""
    a, b, g, d = params
    ll = bgbb_ll(params, [x], [tx], [n])[0]
    lead = math.exp(special.betaln(a + x + 1, b + n - x) - special.betaln(a, b) - ll)
    k = d / (g - 1) * math.exp(special.gammaln(g + d) - special.gammaln(1 + d))
    diff = math.exp(special.gammaln(1 + d + n) - special.gammaln(g + d + n)) - \
        math.exp(special.gammaln(1 + d + n + future) - special.gammaln(g + d + n + future))
    return lead * k * diff


def _newton_polish(f, u, steps=6, h=1e-4):
    """Newton steps on f (in log-parameters) with a central-difference gradient and Hessian."""
    u = np.array(u, float)
    k = len(u)
    for _ in range(steps):
        g = np.zeros(k)
        H = np.zeros((k, k))
        f0 = f(u)
        for i in range(k):
            ei = np.eye(k)[i] * h
            g[i] = (f(u + ei) - f(u - ei)) / (2 * h)
            H[i, i] = (f(u + ei) - 2 * f0 + f(u - ei)) / h ** 2
            for j in range(i):
                ej = np.eye(k)[j] * h
                H[i, j] = H[j, i] = (f(u + ei + ej) - f(u + ei - ej) - f(u - ei + ej) + f(u - ei - ej)) / (4 * h * h)
        step = np.linalg.solve(H, g)
        if not np.all(np.isfinite(step)) or f(u - step) > f0 + 1e-12 * abs(f0):
            break
        u = u - step
        if np.max(np.abs(step)) < 1e-10:
            break
    return u


def _fit(nll, starts):
    best = None
    for start in starts:
        res = optimize.minimize(nll, start, method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000})
        res = optimize.minimize(nll, res.x, method="BFGS", options={"gtol": 1e-10})
        if best is None or res.fun < best.fun:
            best = res
    u = _newton_polish(nll, best.x)
    return np.exp(u)


def fit_pareto(x, tx, T, w=None):
    x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
    w = np.ones(len(x)) if w is None else np.asarray(w, float)
    total = w.sum()
    nll = lambda u: -np.dot(w, pareto_ll(np.exp(u), x, tx, T)) / total
    scale = max(float(np.dot(w, T) / total), 1e-3)
    params = _fit(nll, [[math.log(0.5), math.log(scale / 4), math.log(0.5), math.log(scale / 4)]])
    return params, float(np.dot(w, pareto_ll(params, x, tx, T)))


def fit_bgbb(x, tx, n, w):
    x, tx, n, w = (np.asarray(v, float) for v in (x, tx, n, w))
    total = w.sum()
    nll = lambda u: -np.dot(w, bgbb_ll(np.exp(u), x, tx, n)) / total
    params = _fit(nll, [[0, 0, 0, 0]])
    return params, float(np.dot(w, bgbb_ll(params, x, tx, n)))
