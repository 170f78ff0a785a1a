#!/usr/bin/env python3
"""Fit BG/NBD and Gamma-Gamma with scipy on the per-customer summary that `csm-metrics rfm
--format csv` wrote, the way lifetimes does (vectorised numpy over all customers, scipy.optimize
on the log-parameters), and print the parameters and the fit time as JSON. The likelihoods are
tests/predictive/scipy_reference.py's. Needs python3-scipy.

Usage: scipy_fit.py RFM.csv
"""

import csv
import json
import os
import sys
import time

import numpy as np
from scipy import optimize

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "predictive"))
import scipy_reference as ref  # noqa: E402


def main():
    x, tx, T, m = [], [], [], []
    with open(sys.argv[1], newline="") as f:
        for row in csv.DictReader(f):
            x.append(float(row["x"]))
            tx.append(float(row["t_x"]))
            T.append(float(row["T"]))
            m.append(float(row["monetary"]) if row["monetary"] else 0.0)
    x, tx, T, m = map(np.asarray, (x, tx, T, m))
    t0, c0 = time.perf_counter(), time.process_time()
    f = lambda u: -ref.bgnbd_ll(np.exp(u), x, tx, T).mean()
    res = optimize.minimize(f, np.zeros(4), method="BFGS", options={"gtol": 1e-8})
    t1, c1 = time.perf_counter(), time.process_time()
    rep = (x > 0) & (m > 0)
    g = lambda u: -ref.gg_ll(np.exp(u), x[rep], m[rep]).mean()
    res_g = optimize.minimize(g, np.zeros(3), method="BFGS", options={"gtol": 1e-8})
    t2, c2 = time.perf_counter(), time.process_time()
    print(json.dumps({
        "bgnbd": dict(zip(["r", "alpha", "a", "b"], np.exp(res.x).tolist()),
                      log_likelihood=-res.fun * len(x), evaluations=int(res.nfev), seconds=t1 - t0,
                      cpu_seconds=c1 - c0),
        "gamma_gamma": dict(zip(["p", "q", "gamma"], np.exp(res_g.x).tolist()),
                            evaluations=int(res_g.nfev), seconds=t2 - t1, cpu_seconds=c2 - c1),
    }, indent=2))


if __name__ == "__main__":
    main()
