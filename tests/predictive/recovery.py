#!/usr/bin/env python3
"""Synthetic recovery: simulate customers from known BG/NBD (or MBG/NBD) and Gamma-Gamma
parameters with tools/gen_transactions.py (fixed seeds), fit them with `csm-metrics predict`, and
require every parameter within 3 of its reported standard errors of the truth, and -- judged
without the program's standard errors -- within 4 standard errors computed here independently:
the inverse of the observed information of the simulated data (scipy_reference's likelihood,
written from the papers, by second differences of its values) at the fitted parameters. (At the
true parameters the observed information need not be positive definite: the truth is not the
maximum of this sample's likelihood.)

Usage: recovery.py --binary PATH --tools DIR --work DIR
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scipy_reference as ref  # noqa: E402

TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "gamma": 15.0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    failures = 0
    for model, seed in (("bgnbd", 3), ("mbgnbd", 4)):
        path = os.path.join(a.work, f"recovery_{model}.csv")
        gen = [sys.executable, os.path.join(a.tools, "gen_transactions.py"), "--customers", "30000",
               "--seed", str(seed), "--shuffle", "--unit-days", "30.4375", "--cohort-days", "365",
               "--days", "1461", "-o", path]
        if model == "mbgnbd":
            gen.append("--mbgnbd")
        subprocess.run(gen, check=True)
        # Rates per month; first purchases in 2024, calibration to the end of 2025. Months rather
        # than weeks keep two purchases on one day (merged into one occasion) rare enough not to
        # bias the fit (with weekly rates about 1 % of purchases merge and alpha comes out ~7 %
        # high at 300,000 customers).
        p = subprocess.run([a.binary, "predict", path, "--end", "2025-12-31", "--unit", "month",
                            "--model", model, "--format", "json", "--top", "1", "-q"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"FAIL: {model}: exit {p.returncode}: {p.stderr}")
            failures += 1
            continue
        out = json.loads(p.stdout)
        fits = [(out["model"][model], ["r", "alpha", "a", "b"]),
                (out["model"]["gamma_gamma"], ["p", "q", "gamma"])]
        # The independent yardstick: the sampling standard errors from the reference likelihood.
        s = ref.summarise(path, "2025-12-31", "month")
        x, tx, T = (np.array([v[k] for v in s.values()], float) for k in range(3))
        rep = [(v[0], v[3]) for v in s.values() if v[0] > 0 and v[3] > 0]
        xg, mg = np.array([r[0] for r in rep], float), np.array([r[1] for r in rep], float)
        truth_bg = [out["model"][model][n] for n in ["r", "alpha", "a", "b"]]
        truth_gg = [out["model"]["gamma_gamma"][n] for n in ["p", "q", "gamma"]]
        se_bg = ref.numeric_standard_errors(lambda th: ref.bgnbd_ll(th, x, tx, T, model == "mbgnbd").sum(), truth_bg)
        se_gg = ref.numeric_standard_errors(lambda th: ref.gg_ll(th, xg, mg).sum(), truth_gg)
        independent = dict(zip(["r", "alpha", "a", "b", "p", "q", "gamma"], list(se_bg) + list(se_gg)))
        for fit, names in fits:
            for n in names:
                est, se = fit[n], fit["standard_errors"][n]
                z = (est - TRUTH[n]) / se
                zi = (est - TRUTH[n]) / independent[n]
                ok = abs(z) < 3 and abs(zi) < 4
                print(f"{'ok  ' if ok else 'FAIL'} {model} {n}: true {TRUTH[n]}, fitted {est:.4f} "
                      f"(se {se:.4f}, {z:+.2f} se; independent se {independent[n]:.4f}, "
                      f"{zi:+.2f}; relative error {(est - TRUTH[n]) / TRUTH[n]:+.3f})")
                failures += not ok
    print(f"recovery: {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
