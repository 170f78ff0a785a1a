#!/usr/bin/env python3
"""Sweep of `csm-metrics predict` over many small random data sets (fixed seed; Python 3 standard
library only): 3 to 100 customers with 1 to 10 purchases on random days of a year and amounts from
{0, 1, 5, 10, 20.5, 100}, in days, weeks and months, both purchase models, with and without
discounting, a holdout and a penalizer. Fits on such data often run off (a, b to 1e7 and more);
every run must end with exit 0 and finite numbers, or exit 65 and a one-line message -- never
another exit code (70 was the audit's crash in Boost's 2F1), never NaN or a null where a number
belongs.

Usage: test_predictive_sweep.py --binary PATH --work DIR [--runs N]
"""

import argparse
import collections
import datetime
import json
import math
import os
import random
import subprocess
import sys


def dataset(rnd, path):
    n = rnd.choice([3, 5, 10, 30, 100])
    lines = ["customer_id,date,amount"]
    for c in range(n):
        for _ in range(rnd.choice([1, 1, 2, 3, 5, 10])):
            d = datetime.date(2024, 1, 1) + datetime.timedelta(days=rnd.randrange(365))
            lines.append(f"c{c},{d},{rnd.choice([0, 1, 5, 10, 20.5, 100])}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def finite_numbers(doc):
    """Every number in the document is finite (json.loads accepts NaN and Infinity)."""
    if isinstance(doc, float):
        return math.isfinite(doc)
    if isinstance(doc, dict):
        return all(finite_numbers(v) for v in doc.values())
    if isinstance(doc, list):
        return all(finite_numbers(v) for v in doc)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--runs", type=int, default=300)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rnd = random.Random(20241231)
    outcomes = collections.Counter()
    failures = []
    path = os.path.join(a.work, "sweep.csv")
    for run in range(a.runs):
        dataset(rnd, path)
        args = [a.binary, "predict", path, "--end", "2024-12-31", "--unit",
                rnd.choice(["day", "week", "month"]), "--model", rnd.choice(["bgnbd", "mbgnbd"]),
                "-f", "json", "-q", "--discount-rate", rnd.choice(["0", "0.01"])]
        if rnd.random() < 0.5:
            args += ["--holdout-end", "2025-03-31"]
        if rnd.random() < 0.3:
            args += ["--penalizer", rnd.choice(["0.001", "0.01", "0.1"])]
        p = subprocess.run(args, capture_output=True, text=True)
        what = f"run {run}: {' '.join(args[1:])}"
        if p.returncode == 0:
            try:
                doc = json.loads(p.stdout)
            except ValueError as e:
                failures.append(f"{what}: stdout is no JSON ({e})")
                continue
            ok = finite_numbers(doc) and all(
                c["p_alive"] is not None and c["expected_purchases"] is not None
                and 0 <= c["p_alive"] <= 1 and c["expected_purchases"] >= 0
                for c in doc["customers"])
            model = doc["model"]["bgnbd" if "bgnbd" in doc["model"] else "mbgnbd"]
            ok = ok and model["converged"] and doc["model"]["gamma_gamma"]["converged"]
            if "holdout" in doc:
                ok = ok and all(w["predicted"] is not None for w in doc["holdout"]["weekly"])
            if not ok:
                failures.append(f"{what}: exit 0 with a non-finite, null or unconverged number")
            outcomes["0"] += 1
        elif p.returncode == 65:
            err = p.stderr.strip()
            if not err.startswith("csm-metrics: error: ") or "\n" in err or p.stdout:
                failures.append(f"{what}: exit 65 without a one-line message: {p.stderr!r}")
            if "NLopt" in err or "gradient norm" in err:
                failures.append(f"{what}: message in the optimiser's words: {err}")
            outcomes["65"] += 1
        else:
            failures.append(f"{what}: exit {p.returncode}: {p.stderr.strip()}")
            outcomes[str(p.returncode)] += 1
    for f in failures[:20]:
        print("FAIL:", f)
    print(f"outcomes: {dict(outcomes)}")
    # The sweep must exercise both outcomes, or it tests less than it claims.
    if outcomes["0"] < a.runs // 10 or outcomes["65"] < a.runs // 20:
        failures.append(f"too few runs of one outcome: {dict(outcomes)}")
        print("FAIL:", failures[-1])
    print(f"test_predictive_sweep: {a.runs - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
