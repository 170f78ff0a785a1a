#!/usr/bin/env python3
"""End-to-end tests of `predict --model pareto-nbd` and `--model bg-bb` (issue 20; Python 3
standard library only): the output members in every format, --from-state giving the same
Pareto/NBD output as the transactions, bad BG/BB summaries and options (exit 65 / 2 with one
line on stderr), and 80 small random data sets with Pareto/NBD: exit 0 with finite numbers or
65 with a one-line message, never NaN, Inf or a crash. The numbers themselves are checked in
tests/core/pareto_nbd_test.cpp and tests/predictive/pareto_bgbb_check.py.

Usage: test_predictive_models.py --binary PATH --data DIR --work DIR
"""

import argparse
import collections
import datetime
import json
import math
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Checks, run_text  # noqa: E402  (the shared tally and runner)

check = Checks()


def run(args):
    return run_text(BINARY, args)


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def finite_numbers(doc):
    if isinstance(doc, float):
        return math.isfinite(doc)
    if isinstance(doc, dict):
        return all(finite_numbers(v) for v in doc.values())
    if isinstance(doc, list):
        return all(finite_numbers(v) for v in doc)
    return True


def expect_error(name, args, code, pattern):
    rc, out, err = run(args)
    check(rc == code, f"{name}: exit {rc}, expected {code} ({err.strip()})")
    check(out == "", f"{name}: nothing on stdout")
    check(err.count("\n") == 1 and re.search(pattern, err) is not None,
          f"{name}: stderr {err.strip()!r} is not one line matching {pattern!r}")


def pareto_tests(cdnow):
    base = ["predict", cdnow, "--end", "1997-09-30", "--unit", "week", "--model", "pareto-nbd"]
    rc, out, err = run(base + ["-f", "json", "--holdout-end", "1998-06-30", "--discount-rate", "0.002"])
    check(rc == 0, f"pareto json: exit {rc} {err}")
    doc = json.loads(out)
    m = doc["model"].get("pareto_nbd", {})
    check(sorted(m) == sorted(["model", "r", "alpha", "s", "beta", "log_likelihood", "standard_errors",
                               "customers", "iterations", "starts", "converged", "limit"]),
          f"pareto json: model.pareto_nbd members {sorted(m)}")
    check(sorted(m.get("standard_errors", {})) == ["alpha", "beta", "r", "s"], "pareto json: standard_errors members")
    check("bgnbd" not in doc["model"] and "gamma_gamma" in doc["model"], "pareto json: one purchase model and Gamma-Gamma")
    check(finite_numbers(doc), "pareto json: finite numbers")
    check(len(doc["customers"]) == 2357 and all(0 <= c["p_alive"] <= 1 for c in doc["customers"]),
          "pareto json: 2357 customers with p_alive in [0, 1]")
    check(not any("p_alive is 1 for customers without repeat" in n for n in doc["notes"]),
          "pareto json: no BG/NBD note about x = 0")
    check(doc["holdout"]["actual_purchases"] == 1882, "pareto json: holdout actual purchases 1882")
    rc, out, _ = run(base + ["--top", "3", "--sort", "clv"])
    check(rc == 0 and out.startswith("Pareto/NBD on 2357 customers") and "\n  s 0.6062" in out
          and "beta 11.6687" in out, f"pareto table head: {out[:200]!r}")
    rc, out, _ = run(base + ["-f", "csv", "-q", "--customers-csv", os.path.join(WORK, "pc.csv")])
    check(rc == 0 and "pareto_nbd,s,0.6062" in out and "pareto_nbd,beta,11.668" in out,
          f"pareto model csv: {out[:300]!r}")
    # --from-state: the same output as over the transactions (CSV has no sources).
    state = os.path.join(WORK, "cdnow.csmstate")
    rc, _, err = run(["rfm", cdnow, "--end", "1997-09-30", "--unit", "week", "--shard", "0/1",
                      "--emit-state", state])
    check(rc == 0, f"rfm --emit-state: {err}")
    rc1, direct, _ = run(base + ["-f", "csv", "-q"])
    rc2, merged, err = run(["predict", "--from-state", state, "--model", "pareto-nbd", "-f", "csv", "-q"])
    check(rc1 == 0 and rc2 == 0 and direct == merged and len(direct) > 1000,
          f"pareto --from-state: same CSV as from transactions ({err.strip()})")


def bgbb_tests(data):
    donations = os.path.join(data, "predictive", "donations.csv")
    rc, out, err = run(["predict", "--model", "bg-bb", donations, "-f", "json"])
    check(rc == 0, f"bg-bb json: exit {rc} {err}")
    doc = json.loads(out)
    m = doc["model"]["bg_bb"]
    check(all(k in m for k in ["alpha", "beta", "gamma", "delta", "log_likelihood", "standard_errors"]),
          f"bg-bb json: members {sorted(m)}")
    check(doc["horizon"] == 6 and len(doc["rows"]) == 22 and finite_numbers(doc), "bg-bb json: horizon 6 (largest n), 22 rows")
    check(abs(sum(r["n_custs"] for r in doc["rows"]) - 11104) < 1e-9, "bg-bb json: 11104 customers")
    # The expected total is the sum of the rows' expectations times their customers.
    total = sum(r["n_custs"] * r["expected_transactions"] for r in doc["rows"])
    check(abs(total - doc["expected_transactions_total"]) < 1e-6 * total, "bg-bb json: total = sum of rows")
    rc, out, _ = run(["predict", "--model", "bg-bb", donations, "-f", "csv", "--horizon", "5"])
    check(rc == 0 and out.startswith("frequency,recency,n,n_custs,p_alive,expected_transactions,horizon\n")
          and out.count("\n") == 23 and out.rstrip().endswith(",5"), f"bg-bb csv: {out[:120]!r}")
    rc, out, _ = run(["predict", "--model", "bg-bb", donations])
    check(rc == 0 and out.startswith("BG/BB on 11104 customers"), f"bg-bb table: {out[:80]!r}")
    bad = [
        ("missing column", "frequency,recency,n_custs\n1,1,3\n", r"bad\.csv:1: n: no column 'n'"),
        ("not a number", "frequency,recency,n,n_custs\n1,1,6,3\n1,x,6,2\n", r"bad\.csv:3: recency: 'x', expected a whole number"),
        ("negative", "frequency,recency,n,n_custs\n1,1,6,-3\n", r"bad\.csv:2: n_custs: '-3'"),
        ("x > t_x", "frequency,recency,n,n_custs\n3,2,6,3\n", r"bad\.csv:2: recency: frequency 3, recency 2, n 6"),
        ("t_x > n", "frequency,recency,n,n_custs\n1,7,6,3\n", r"bad\.csv:2: recency:"),
        ("fields", "frequency,recency,n,n_custs\n1,1,6\n", r"bad\.csv:2: 3 fields, expected 4"),
        ("no repeaters", "frequency,recency,n,n_custs\n0,0,6,30\n", r"no customer transacted"),
        ("empty", "", r"empty file"),
    ]
    for name, text, pattern in bad:
        path = write("bad.csv", text)
        expect_error(f"bg-bb {name}", ["predict", "--model", "bg-bb", path], 65, pattern)
    expect_error("bg-bb --top", ["predict", "--model", "bg-bb", donations, "--top", "3"], 2,
                 r"--top does not apply to --model bg-bb")
    expect_error("bg-bb --unit", ["predict", "--model", "bg-bb", donations, "--unit", "year"], 2,
                 r"--unit does not apply to --model bg-bb with a summary file")
    expect_error("bg-bb --horizon 2.5", ["predict", "--model", "bg-bb", donations, "--horizon", "2.5"], 2,
                 r"whole number")


def compare_tests(cdnow):
    """--model auto and --compare: each model's numbers are those of its own run, and the choice
    follows the documented rule."""
    base = ["predict", cdnow, "--end", "1997-09-30", "--unit", "week", "-f", "json", "-q"]
    single = {}
    for m, key in [("bgnbd", "bgnbd"), ("mbgnbd", "mbgnbd"), ("pareto-nbd", "pareto_nbd")]:
        rc, out, _ = run(base + ["--model", m, "--holdout-end", "1998-06-30"])
        doc = json.loads(out)
        single[key] = (doc["model"][key]["log_likelihood"], doc["holdout"]["mean_absolute_error"],
                       doc["holdout"]["predicted_purchases"])
    rc, out, err = run(base + ["--model", "auto"])
    doc = json.loads(out)
    models = {c["model"]: c for c in doc["comparison"]["models"]}
    check(sorted(models) == ["bgnbd", "mbgnbd", "pareto_nbd"], f"auto: three models {sorted(models)}")
    best = max(single, key=lambda k: single[k][0])
    check(models[best]["chosen"] and best in doc["model"], f"auto without holdout: the highest log-likelihood ({best}) is chosen")
    for k, (ll, _, _) in single.items():
        check(abs(models[k]["log_likelihood"] - ll) < 1e-9 * abs(ll), f"auto: {k} log-likelihood as in its own run")
        check(abs(models[k]["bic"] - (-2 * ll + 4 * math.log(2357))) < 1e-6, f"auto: {k} BIC")
    rc, out, err = run(base + ["--model", "auto", "--holdout-end", "1998-06-30"])
    doc = json.loads(out)
    models = {c["model"]: c for c in doc["comparison"]["models"]}
    best = min(single, key=lambda k: single[k][1])
    check(models[best]["chosen"] and best in doc["model"], f"auto with holdout: the lowest MAE ({best}) is chosen")
    for k, (_, mae, predicted) in single.items():
        check(abs(models[k]["holdout_mean_absolute_error"] - mae) < 1e-9 and
              abs(models[k]["holdout_predicted"] - predicted) < 1e-6 * predicted,
              f"auto: {k} holdout error and total as in its own run")
    rc, out, err = run(["predict", cdnow, "--end", "1997-09-30", "--unit", "week", "--compare", "--model", "bgnbd", "--top", "1"])
    check(rc == 0 and out.startswith("model        log-likelihood") and "BG/NBD" in out.split("rule:")[0]
          and "--model bgnbd was given" in out and "\nBG/NBD on 2357 customers" in out,
          f"--compare --model bgnbd: table then the BG/NBD output: {out[:400]!r}")


def sweep(runs):
    """Small random data sets, as tests/e2e/test_predictive_sweep.py does for BG/NBD."""
    rnd = random.Random(20)
    path = os.path.join(WORK, "sweep.csv")
    outcomes = collections.Counter()
    for i in range(runs):
        lines = ["customer_id,date,amount"]
        for c in range(rnd.choice([3, 5, 10, 30, 100])):
            for _ in range(rnd.choice([1, 1, 2, 3, 5, 10])):
                d = datetime.date(2024, 1, 1) + datetime.timedelta(days=rnd.randrange(365))
                lines.append(f"c{c},{d},{rnd.choice([1, 5, 10, 20.5, 100])}")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        args = ["predict", path, "--end", "2024-12-31", "--unit", rnd.choice(["day", "week", "month"]),
                "--model", "pareto-nbd", "-f", "json", "-q"]
        if rnd.random() < 0.3:
            args += ["--penalizer", rnd.choice(["0.001", "0.01", "0.1"])]
        rc, out, err = run(args)
        what = f"sweep {i}: {' '.join(args[1:])}"
        if rc == 0:
            doc = json.loads(out)
            ok = finite_numbers(doc) and all(
                c["p_alive"] is not None and 0 <= c["p_alive"] <= 1 and c["expected_purchases"] >= 0
                for c in doc["customers"])
            check(ok, f"{what}: finite numbers")
        else:
            check(rc == 65 and err.startswith("csm-metrics: error: ") and err.count("\n") == 1
                  and "NLopt" not in err and "nan" not in err.lower(),
                  f"{what}: exit {rc} with {err!r}")
        outcomes[rc] += 1
    print(f"pareto sweep outcomes: {dict(outcomes)}")
    check(outcomes[0] >= runs // 10, f"sweep: too few fits {dict(outcomes)}")


def main():
    global BINARY, WORK
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--runs", type=int, default=80)
    a = ap.parse_args()
    BINARY, WORK = a.binary, a.work
    os.makedirs(WORK, exist_ok=True)
    pareto_tests(os.path.join(a.data, "cdnow", "cdnow_transactions.csv"))
    bgbb_tests(a.data)
    compare_tests(os.path.join(a.data, "cdnow", "cdnow_transactions.csv"))
    sweep(a.runs)
    print(f"{check.passed} passed, {len(check.failures)} failed")
    sys.exit(1 if check.failures else 0)


if __name__ == "__main__":
    main()
