#!/usr/bin/python3
"""The Python peer of `csm-metrics churn-risk` for the benchmark (issue 22): what a data scientist
would write with pandas, numpy, scikit-learn and python3-xgboost (Debian 12 packages; run it with
/usr/bin/python3) to do the same work as

    csm-metrics churn-risk FILE --signal logins --signal tickets --top 20   (default --backtest 3)

on activity records: read the rows, sum them per customer and month, compute the features of
docs/churn-risk.md for every customer-month (tenure, revenue and its 1/3/6-month changes, the
largest drop in 6 months, months inactive, reactivations, months since return, plan changes in 12
months, months at this revenue, the four CSAT features, per signal its value, 1- and 3-month
changes and 6-month trend, one column per segment), label churn within 1 month, sample 100,000
training customer-months, and train the same boosters (binary:logistic, hist, 80 rounds, depth 3,
eta 0.1, lambda 1, min_child_weight 1, max_bin 256, one thread), a second booster on the training
months before the last three for the Platt calibration, and the L2 logistic regression baseline;
then the same for each of the 3 backtest origins, with ROC AUC of the model and the baseline.
It prints the timings of each phase, the AUCs and the top of the list. The rules scorer of
churn-risk (at-risk's rules) is not reproduced, and the training sample is numpy's, not
csm-metrics' hash: the same amount of work, not the same bytes.

    /usr/bin/python3 bench/churn_risk_peer.py /tmp/cr/bench/L_signals.csv --signal logins --signal tickets
"""
import argparse
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

PARAMS = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 3, "eta": 0.1, "lambda": 1.0,
          "min_child_weight": 1.0, "max_bin": 256, "nthread": 1, "verbosity": 0}
ROUNDS = 80


def pct(now, then):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(then > 0, 100.0 * (now - then) / then, np.nan)


class History:
    """Dense customer x month matrices of the summed rows, and the features at any month."""

    def __init__(self, df: pd.DataFrame, signals: list[str]):
        codes, self.customers = pd.factorize(df["customer_id"], sort=False)
        month = df["period"].str.slice(0, 4).astype(np.int32) * 12 + df["period"].str.slice(5, 7).astype(np.int32) - 1
        first = int(month.min())
        self.first_month = first
        m = (month - first).to_numpy()
        self.n, self.months = len(self.customers), int(m.max()) + 1
        flat = codes.astype(np.int64) * self.months + m
        size = self.n * self.months
        shape = (self.n, self.months)
        self.rev = np.bincount(flat, weights=df["revenue"].fillna(0).to_numpy(), minlength=size).reshape(shape)
        self.active = self.rev > 0
        csat = df["csat"].to_numpy(dtype=float)
        has = ~np.isnan(csat)
        self.csat_sum = np.bincount(flat[has], weights=csat[has], minlength=size).reshape(shape)
        self.csat_n = np.bincount(flat[has], minlength=size).reshape(shape).astype(float)
        low = np.full(size, np.inf)
        np.minimum.at(low, flat[has], csat[has])
        self.csat_low = low.reshape(shape)
        self.sig, self.sig_n = {}, {}
        for s in signals:
            v = df[s].to_numpy(dtype=float)
            ok = ~np.isnan(v)
            self.sig[s] = np.bincount(flat[ok], weights=v[ok], minlength=size).reshape(shape)
            self.sig_n[s] = np.bincount(flat[ok], minlength=size).reshape(shape) > 0
        seg_codes, seg_names = pd.factorize(df["segment"].fillna(""), sort=True)
        seg = np.full(size, np.iinfo(np.int32).max, dtype=np.int32)
        np.minimum.at(seg, flat, seg_codes.astype(np.int32))
        self.seg = seg.reshape(shape)
        counts = np.bincount(seg_codes[seg_codes >= 0], minlength=len(seg_names))
        self.seg_top = [int(i) for i in np.argsort(-counts, kind="stable")[:16]]
        self.seg_names = list(seg_names)
        # Running histories over the months (per customer), computed once.
        idx = np.arange(self.months)
        self.first_active = np.where(self.active.any(axis=1), self.active.argmax(axis=1), self.months)
        after_first = idx[None, :] >= self.first_active[:, None]
        self.inactive_cum = np.cumsum(~self.active & after_first, axis=1)
        prev_active = np.zeros_like(self.active)
        prev_active[:, 1:] = self.active[:, :-1]
        returns = self.active & ~prev_active & (idx[None, :] > self.first_active[:, None])
        self.returns_cum = np.cumsum(returns, axis=1)
        last_return = np.where(returns, idx[None, :], -1)
        self.last_return = np.maximum.accumulate(last_return, axis=1)
        run = np.ones(shape, dtype=np.int32)
        for t in range(1, self.months):
            run[:, t] = np.where(self.rev[:, t] == self.rev[:, t - 1], run[:, t - 1] + 1, 1)
        self.run = run
        change = np.zeros(shape, dtype=np.int32)
        change[:, 1:] = (self.active[:, 1:] & self.active[:, :-1] & (self.rev[:, 1:] != self.rev[:, :-1]))
        self.change_cum = np.cumsum(change, axis=1)
        self.csat_n_cum = np.cumsum(self.csat_n, axis=1)
        last_csat = np.where(self.csat_n > 0, idx[None, :], -1)
        self.last_csat = np.maximum.accumulate(last_csat, axis=1)
        self.signals = signals

    def col(self, a, c, m):
        return a[c, m] if m >= 0 else np.full(len(c), 0.0)

    def features(self, c: np.ndarray, m: int) -> np.ndarray:
        """The features of customers c at month index m."""
        rev = self.rev[c, m]
        out = [m - self.first_active[c] + 1, rev]
        for k in (1, 3, 6):
            out.append(pct(rev, self.rev[c, m - k]) if m - k >= 0 else np.full(len(c), np.nan))
        drop = np.zeros(len(c))
        for j in range(max(1, m - 5), m + 1):
            before, now = self.rev[c, j - 1], self.rev[c, j]
            with np.errstate(divide="ignore", invalid="ignore"):
                fall = np.where((before > 0) & (now < before), 100.0 * (before - now) / before, 0.0)
            drop = np.maximum(drop, fall)
        out.append(drop)
        out.append(self.inactive_cum[c, m])
        out.append(self.returns_cum[c, m])
        lr = self.last_return[c, m]
        out.append(np.where(lr >= 0, m - lr, np.nan))
        out.append(self.change_cum[c, m] - (self.change_cum[c, m - 12] if m - 12 >= 0 else 0))
        out.append(self.run[c, m])
        lc = self.last_csat[c, m]
        safe = np.maximum(lc, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append(np.where(lc >= 0, self.csat_sum[c, safe] / self.csat_n[c, safe], np.nan))
        lo = np.min(self.csat_low[c, max(0, m - 5):m + 1], axis=1)
        out.append(np.where(np.isfinite(lo), lo, np.nan))
        out.append(self.csat_n_cum[c, m])
        out.append(np.where(lc >= 0, m - lc, np.nan))
        for s in self.signals:
            v, ok = self.sig[s], self.sig_n[s]
            now = np.where(ok[c, m], v[c, m], np.nan)
            out.append(now)
            if m >= 1:
                then = np.where(ok[c, m - 1], v[c, m - 1], np.nan)
                with np.errstate(divide="ignore", invalid="ignore"):
                    out.append(np.where(then != 0, 100.0 * (now - then) / then, np.nan))
            else:
                out.append(np.full(len(c), np.nan))
            w = slice(max(0, m - 3), m)
            n3 = ok[c, w].sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                mean3 = np.where(n3 > 0, (v[c, w] * ok[c, w]).sum(axis=1) / n3, np.nan)
                out.append(np.where(mean3 != 0, 100.0 * (now - mean3) / mean3, np.nan))
            w6 = slice(max(0, m - 5), m + 1)
            x = np.arange(w6.start, m + 1, dtype=float)[None, :]
            o6 = ok[c, w6]
            y = v[c, w6]
            n6 = o6.sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                mx = (x * o6).sum(axis=1) / n6
                my = (y * o6).sum(axis=1) / n6
                sxy = (o6 * (x - mx[:, None]) * (y - my[:, None])).sum(axis=1)
                sxx = (o6 * (x - mx[:, None]) ** 2).sum(axis=1)
                out.append(np.where((n6 >= 3) & (my != 0) & (sxx > 0), 100.0 * sxy / sxx / my, np.nan))
        seg = self.seg[c, m]
        for s in self.seg_top:
            out.append((seg == s).astype(float))
        return np.column_stack(out).astype(np.float32)


def train_rows(h: History, as_of: int, sample: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer-months up to as_of - 1 with a known outcome (churn in the next month), sampled."""
    cands = [np.nonzero(h.active[:, m])[0] for m in range(as_of)]
    total = sum(len(c) for c in cands)
    keep = min(1.0, sample / max(total, 1))
    xs, ys, ms = [], [], []
    for m, c in enumerate(cands):
        c = c[rng.random(len(c)) < keep]
        if len(c) == 0:
            continue
        xs.append(h.features(c, m))
        ys.append(~h.active[c, m + 1])
        ms.append(np.full(len(c), m))
    return np.vstack(xs), np.concatenate(ys).astype(np.float32), np.concatenate(ms)


def fit_all(h: History, as_of: int, rng):
    """The booster, its Platt calibration (a second booster on the months before the last 3) and
    the logistic baseline, trained on what is known at as_of (a month index)."""
    x, y, m = train_rows(h, as_of, 100_000, rng)
    booster = xgb.train(PARAMS, xgb.DMatrix(x, label=y, missing=np.nan), ROUNDS)
    early = m < as_of - 3
    platt = None
    if early.any() and (~early).any():
        b2 = xgb.train(PARAMS, xgb.DMatrix(x[early], label=y[early], missing=np.nan), ROUNDS)
        p = np.clip(b2.predict(xgb.DMatrix(x[~early], missing=np.nan)), 1e-9, 1 - 1e-9)
        if y[~early].sum() >= 5 and (1 - y[~early]).sum() >= 5:
            platt = LogisticRegression(C=1e9).fit(np.log(p / (1 - p))[:, None], y[~early])
    mean = np.nanmean(x, axis=0)
    sd = np.nanstd(x, axis=0)
    sd[~(sd > 0)] = 1
    z = lambda a: np.clip(np.nan_to_num((a - mean) / sd, nan=0.0), -5, 5)  # noqa: E731
    baseline = LogisticRegression(C=1.0, max_iter=200).fit(z(x), y)
    return booster, platt, baseline, z, len(y)


def score(h: History, models, m: int):
    booster, platt, baseline, z, _ = models
    c = np.nonzero(h.active[:, m])[0]
    x = h.features(c, m)
    p = np.clip(booster.predict(xgb.DMatrix(x, missing=np.nan, nthread=2)), 1e-9, 1 - 1e-9)
    if platt is not None:
        p = platt.predict_proba(np.log(p / (1 - p))[:, None])[:, 1]
    return c, p, baseline.predict_proba(z(x))[:, 1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--signal", action="append", default=[])
    ap.add_argument("--backtest", type=int, default=3)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t0 = time.perf_counter()
    dtypes = {"customer_id": str, "period": str, "revenue": float, "acquisition_cost": float, "csat": float,
              "segment": str}
    dtypes.update({s: float for s in a.signal})
    df = pd.read_csv(a.file, dtype=dtypes, usecols=list(dtypes))
    t1 = time.perf_counter()
    h = History(df, a.signal)
    del df
    t2 = time.perf_counter()
    rng = np.random.default_rng(a.seed)
    as_of = h.months - 1
    models = fit_all(h, as_of, rng)
    c, p, _ = score(h, models, as_of)
    t3 = time.perf_counter()
    aucs = []
    for o in range(as_of - 1 - a.backtest + 1, as_of):
        mo = fit_all(h, o, rng)
        co, po, bo = score(h, mo, o)
        churned = ~h.active[co, o + 1]
        aucs.append((o, roc_auc_score(churned, po), roc_auc_score(churned, bo), len(co), int(churned.sum())))
    t4 = time.perf_counter()
    month = h.first_month + as_of
    print(f"Churn risk as of {month // 12:04d}-{month % 12 + 1:02d}: {len(c):,} active customers scored; "
          f"model trained on {models[4]:,} customer-months")
    for o, am, ab, n, k in aucs:
        mo = h.first_month + o
        print(f"  backtest {mo // 12:04d}-{mo % 12 + 1:02d}: {n:,} scored, {k:,} churned, ROC AUC model {am:.3f}, "
              f"baseline {ab:.3f}")
    order = np.argsort(-p, kind="stable")[:a.top]
    for i in order:
        print(f"  {h.customers[c[i]]} {p[i]:.4f}")
    print(f"timings: read {t1 - t0:.2f} s, histories {t2 - t1:.2f} s, features + training + scoring {t3 - t2:.2f} s, "
          f"backtest {t4 - t3:.2f} s, total {t4 - t0:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
