#!/usr/bin/env python3
"""Fit Pareto/NBD with scipy on a per-customer summary (the CSV that `csm-metrics rfm --format csv`
or `predict --customers-csv` writes: columns x, t_x, T), the way the Python libraries do it:
the likelihood of tests/predictive/pareto_bgbb_reference.py (Fader, Hardie & Lee 2005, two
scipy.special.hyp2f1 per customer and the switch at alpha = beta; written from the paper, not from
csm-metrics' C++, which integrates the drop-out part by quadrature), vectorised numpy over every
customer (no grouping of equal histories), scipy.optimize.minimize on the log-parameters from the
reference's start, with numerical gradients (as lifetimes' ParetoNBDFitter).

With --csm MODEL.json (the `predict --model pareto-nbd -f json` output on the same data) it also
evaluates this likelihood at csm-metrics' parameters and gives the relative differences of the
parameters and of the log-likelihoods: both programs' optima on one likelihood (issue 20,
"measured in bench/ beside scipy on the same likelihood").

Usage: scipy_pareto_fit.py SUMMARY.csv [--method L-BFGS-B|Nelder-Mead|BFGS] [--max-cpu SECONDS]
                           [--csm MODEL.json]
Prints JSON. Needs numpy and scipy (Debian: /usr/bin/python3 with python3-scipy).
"""

import argparse
import csv
import json
import math
import os
import sys
import time
import warnings

import numpy as np
from scipy import optimize

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "predictive"))
import pareto_bgbb_reference as ref  # noqa: E402

NAMES = ("r", "alpha", "s", "beta")


class Budget(Exception):
    pass


def read_summary(path):
    x, tx, T = [], [], []
    with open(path, newline="") as f:
        rows = csv.reader(f)
        head = next(rows)
        ix, itx, iT = head.index("x"), head.index("t_x"), head.index("T")
        for row in rows:
            x.append(float(row[ix]))
            tx.append(float(row[itx]))
            T.append(float(row[iT]))
    return np.asarray(x), np.asarray(tx), np.asarray(T)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("summary")
    ap.add_argument("--method", default="L-BFGS-B", choices=["L-BFGS-B", "Nelder-Mead", "BFGS"])
    ap.add_argument("--max-cpu", type=float, default=600.0, help="stop after this much CPU time")
    ap.add_argument("--csm", help="csm-metrics predict -f json output on the same data")
    args = ap.parse_args()

    r0, c0 = time.perf_counter(), time.process_time()
    x, tx, T = read_summary(args.summary)
    out = {"customers": int(len(x)), "method": args.method,
           "read_wall_s": round(time.perf_counter() - r0, 2), "read_cpu_s": round(time.process_time() - c0, 2)}
    state = {"evaluations": 0, "not_finite": 0}
    t0, c0 = time.perf_counter(), time.process_time()

    def nll(u):
        if time.process_time() - c0 > args.max_cpu:
            raise Budget()
        state["evaluations"] += 1
        ll = ref.pareto_ll(np.exp(u), x, tx, T)
        if not np.all(np.isfinite(ll)):
            state["not_finite"] += 1
            return 1e300
        return -ll.mean()

    scale = max(float(T.mean()), 1e-3)
    start = [math.log(0.5), math.log(scale / 4), math.log(0.5), math.log(scale / 4)]
    opts = {"L-BFGS-B": {"ftol": 1e-15, "gtol": 1e-9, "maxfun": 100000},
            "BFGS": {"gtol": 1e-8},
            "Nelder-Mead": {"xatol": 1e-9, "fatol": 1e-13, "maxiter": 20000, "maxfev": 40000}}[args.method]
    caught = []
    params = None
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            res = optimize.minimize(nll, start, method=args.method, options=opts)
            caught = sorted({str(m.message) for m in w})
        params = np.exp(res.x)
        out.update({"converged": bool(res.success), "message": str(res.message)})
    except Budget:
        out.update({"converged": False, "message": f"stopped after {args.max_cpu:.0f} s of CPU"})
    out.update({"evaluations": state["evaluations"], "evaluations_not_finite": state["not_finite"],
                "warnings": caught,
                "fit_wall_s": round(time.perf_counter() - t0, 2),
                "fit_cpu_s": round(time.process_time() - c0, 2)})
    if params is not None:
        out.update(dict(zip(NAMES, params.tolist())))
        out["log_likelihood"] = float(ref.pareto_ll(params, x, tx, T).sum())
    if args.csm:
        with open(args.csm) as f:
            fit = json.load(f)["model"]["pareto_nbd"]
        theirs = np.array([fit[k] for k in NAMES])
        cmp = {"csm": {k: fit[k] for k in NAMES}, "csm_log_likelihood": fit["log_likelihood"]}
        # This (independent) likelihood at csm-metrics' parameters: do the two implementations
        # agree on the likelihood itself, and whose optimum is higher?
        ll_at_csm = float(ref.pareto_ll(theirs, x, tx, T).sum())
        cmp["scipy_log_likelihood_at_csm_params"] = ll_at_csm
        cmp["rel_diff_log_likelihood_same_params"] = abs(ll_at_csm - fit["log_likelihood"]) / abs(ll_at_csm)
        if params is not None:
            cmp["rel_diff_params"] = {k: abs(a - b) / abs(b) for k, a, b in zip(NAMES, params, theirs)}
            cmp["log_likelihood_scipy_minus_csm"] = out["log_likelihood"] - ll_at_csm
        out["compare"] = cmp
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
