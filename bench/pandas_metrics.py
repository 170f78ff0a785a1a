#!/usr/bin/python3
"""pandas computing the first slice's monthly activity metrics, for bench/run_bench.sh.

Usage: /usr/bin/python3 pandas_metrics.py FILE.csv      (pandas from Debian: python3-pandas)

Prints {"engine": "pandas", "periods": [...]} as JSON, one object per month, money as exact
decimal text. Written the way a careful pandas user would: vectorised, no Python loop over
rows. Money is read as float64 and turned into integer micro-units with rint(x * 1e6), which
is exact for amounts with up to 6 decimals below about 9e9; every money sum is then an
int64 sum, so it is exact and independent of row order.
"""
import json
import sys

import numpy as np
import pandas as pd

CSAT_THRESHOLD = 4


def micro(series):
    """float64 amounts (NaN = empty) -> int64 micro-units."""
    return np.rint(series.fillna(0.0).to_numpy() * 1e6).astype(np.int64)


def money(v):
    v = int(v)
    sign = "-" if v < 0 else ""
    q, r = divmod(abs(v), 1_000_000)
    return "%s%d.%06d" % (sign, q, r)


def ratio(num, den, scale=1.0):
    return scale * float(num) / float(den) if den > 0 else None


def main(argv):
    if len(argv) != 2:
        print("usage: pandas_metrics.py FILE.csv", file=sys.stderr)
        return 2
    df = pd.read_csv(argv[1], usecols=["customer_id", "period", "revenue", "acquisition_cost", "csat"],
                     dtype={"customer_id": str, "period": str, "revenue": np.float64,
                            "acquisition_cost": np.float64, "csat": np.float64},
                     engine="c", keep_default_na=False, na_values=[""])

    # period -> month number, computed once per distinct period text (YYYY-MM or YYYY-MM-DD)
    pcodes, puniq = pd.factorize(df["period"], sort=False)
    pmonth = np.array([int(p[0:4]) * 12 + int(p[5:7]) - 1 for p in puniq], dtype=np.int64)
    m = pmonth[pcodes]
    lo, hi = int(m.min()), int(m.max())
    nmonths = hi - lo + 1
    m -= lo

    cust, _ = pd.factorize(df["customer_id"], sort=False)
    rev = micro(df["revenue"])
    acq = micro(df["acquisition_cost"])
    csat = df["csat"].to_numpy()
    del df

    # everything per month that is not about activity: spend and csat count on any row
    other = pd.DataFrame({"m": m, "acq": acq,
                          "resp": ~np.isnan(csat),
                          "sat": csat >= CSAT_THRESHOLD}).groupby("m").sum()
    other = other.reindex(range(nmonths), fill_value=0)

    # revenue summed per (customer, month); sorted by customer, then month
    key = cust.astype(np.int64) * nmonths + m
    cm = pd.Series(rev).groupby(key, sort=True).sum()
    del key, rev, acq, csat, cust, m
    keys = cm.index.to_numpy()
    crev = cm.to_numpy()
    active = crev > 0
    keys, crev = keys[active], crev[active]
    c_id, c_m = keys // nmonths, keys % nmonths

    # previous / next active month of the same customer
    same_prev = np.zeros(len(keys), dtype=bool)
    same_prev[1:] = c_id[1:] == c_id[:-1]
    pm = np.full(len(keys), -10, dtype=np.int64)
    pm[1:] = c_m[:-1]
    pm[~same_prev] = -10                     # never active before
    prev = np.zeros(len(keys), dtype=np.int64)
    prev[1:] = crev[:-1]
    prev[~same_prev] = 0
    same_next = np.zeros(len(keys), dtype=bool)
    same_next[:-1] = same_prev[1:]
    nm = np.full(len(keys), -10, dtype=np.int64)
    nm[:-1] = c_m[1:]
    nm[~same_next] = -10

    is_new = ~same_prev
    is_react = same_prev & (pm < c_m - 1)
    cont = same_prev & (pm == c_m - 1)
    is_exp = cont & (crev > prev)
    is_con = cont & (crev < prev)
    churn_next = (~same_next | (nm > c_m + 1)) & (c_m + 1 < nmonths)

    g = pd.DataFrame({
        "m": c_m,
        "e": np.ones(len(keys), dtype=np.int64), "mrr_end": crev,
        "n": is_new, "new_mrr": np.where(is_new, crev, 0),
        "a": is_react, "reactivation_mrr": np.where(is_react, crev, 0),
        "x": is_exp, "expansion_mrr": np.where(is_exp, crev - prev, 0),
        "k": is_con, "contraction_mrr": np.where(is_con, prev - crev, 0),
    }).groupby("m").sum().reindex(range(nmonths), fill_value=0)
    lost = pd.DataFrame({"m": c_m[churn_next] + 1, "c": np.ones(int(churn_next.sum()), dtype=np.int64),
                         "churned_mrr": crev[churn_next]}).groupby("m").sum().reindex(range(nmonths), fill_value=0)

    periods = []
    for i in range(nmonths):
        s = int(g["e"].iat[i - 1]) if i > 0 else 0
        mrr_start = int(g["mrr_end"].iat[i - 1]) if i > 0 else 0
        c, n, a = int(lost["c"].iat[i]), int(g["n"].iat[i]), int(g["a"].iat[i])
        e, x, k = int(g["e"].iat[i]), int(g["x"].iat[i]), int(g["k"].iat[i])
        mrr_end, churned = int(g["mrr_end"].iat[i]), int(lost["churned_mrr"].iat[i])
        expm, conm = int(g["expansion_mrr"].iat[i]), int(g["contraction_mrr"].iat[i])
        resp, sat, acq_m = int(other["resp"].iat[i]), int(other["sat"].iat[i]), int(other["acq"].iat[i])
        mm = lo + i
        periods.append({
            "period": "%04d-%02d" % (mm // 12, mm % 12 + 1),
            "customers_start": s, "churned_customers": c, "retained_customers": s - c,
            "new_customers": n, "reactivated_customers": a, "customers_end": e,
            "expanded_customers": x, "contracted_customers": k,
            "churn_rate": ratio(c, s, 100.0), "retention_rate": ratio(s - c, s, 100.0),
            "expansion_rate": ratio(x, s, 100.0),
            "mrr_start": money(mrr_start), "mrr_end": money(mrr_end),
            "new_mrr": money(g["new_mrr"].iat[i]), "reactivation_mrr": money(g["reactivation_mrr"].iat[i]),
            "expansion_mrr": money(expm), "contraction_mrr": money(conm), "churned_mrr": money(churned),
            "grr": ratio(mrr_start - churned - conm, mrr_start, 100.0),
            "nrr": ratio(mrr_start - churned - conm + expm, mrr_start, 100.0),
            "arpu": ratio(mrr_end / 1e6, e), "csat": ratio(sat, resp, 100.0),
            "cac": ratio(acq_m / 1e6, n), "csat_responses": resp, "acquisition_cost": money(acq_m),
        })
    json.dump({"engine": "pandas", "periods": periods}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
