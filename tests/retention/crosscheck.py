#!/usr/bin/env python3
"""`csm-metrics retention` against an independent implementation and known parameters.

1. Cross-check: on simulated cohorts, sBG and BdW fitted here with scipy (log B by
   scipy.special.betaln, Nelder-Mead then BFGS on the log-parameters, numerical derivatives) agree
   with the program's parameters and log-likelihood to 1e-6 relative.
2. Recovery: cohorts simulated from known parameters (sBG and BdW, each customer's churn
   probability drawn from the beta distribution) are fitted by the program, and every true
   parameter lies within 2.5 of its standard errors of the estimate (fixed seeds, so the check is
   deterministic; 2.5 standard errors keeps a correct program from failing by chance on some
   seed -- with 1 it would fail about a third of the time).
3. The published examples through the command line: Fader & Hardie (2007), 7 years fitted.
4. Bad input and notes; `forecast` on generated subscriptions (determinism, its parts, backtest).

Usage: crosscheck.py --binary PATH --data DIR --tools DIR --work DIR
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln

failures = []
passed = 0


def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
        print("FAIL:", what)


def simulate(rng, n, a, b, c, periods):
    """Survival counts 0..periods of n customers: theta ~ Beta(a, b); a customer is still there
    after t periods with probability (1 - theta)^(t^c)."""
    theta = rng.beta(a, b, size=n)
    u = rng.random(n)
    log_keep = np.log1p(-theta)
    counts = [n]
    for t in range(1, periods + 1):
        counts.append(int(np.sum(np.log(u) < (t ** c) * log_keep)))
    return counts


def log_likelihood(params, counts, bdw):
    a, b = params[0], params[1]
    c = params[2] if bdw else 1.0
    t = np.arange(len(counts), dtype=float)
    log_s = betaln(a, b + t ** c) - betaln(a, b)
    counts = np.asarray(counts, dtype=float)
    lost = counts[:-1] - counts[1:]
    # log(S(t-1) - S(t)) = log S(t-1) + log(1 - exp(log S(t) - log S(t-1)))
    log_p = log_s[:-1] + np.log(-np.expm1(log_s[1:] - log_s[:-1]))
    return float(np.sum(np.where(lost > 0, lost * log_p, 0.0)) + counts[-1] * log_s[-1])


def scipy_fit(counts, bdw):
    k = 3 if bdw else 2
    f = lambda u: -log_likelihood(np.exp(u), counts, bdw)
    best = None
    for x0 in ([0.0, 0.0, 0.0], [np.log(0.5), np.log(2.0), 0.2], [np.log(2.0), np.log(8.0), -0.2]):
        r = minimize(f, np.array(x0[:k]), method="Nelder-Mead",
                     options={"xatol": 1e-12, "fatol": 1e-13, "maxiter": 40000, "maxfev": 40000})
        r = minimize(f, r.x, method="BFGS", options={"gtol": 1e-9})
        if best is None or r.fun < best.fun:
            best = r
    return np.exp(best.x), -best.fun


def run_binary(args):
    p = subprocess.run([BINARY, "retention"] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def write_table(path, cohorts):
    with open(path, "w") as f:
        f.write("cohort,period,active\n")
        for name, counts in cohorts.items():
            for t, v in enumerate(counts):
                f.write(f"{name},{t},{v}\n")


def fits_of(path, model):
    rc, out, err = run_binary([path, "--model", model, "-f", "json"])
    check(rc == 0, f"{path} --model {model}: exit {rc} {err}")
    if rc != 0:
        return {}
    return {c["cohort"]: c for c in json.loads(out)["cohorts"]}


def names(bdw):
    return ["gamma", "delta", "c"] if bdw else ["alpha", "beta"]


def crosscheck():
    rng = np.random.default_rng(20260512)
    cohorts = {
        "sbg_a": simulate(rng, 20000, 0.8, 2.5, 1.0, 10),
        "sbg_b": simulate(rng, 5000, 3.0, 12.0, 1.0, 8),
        "bdw_a": simulate(rng, 20000, 0.6, 2.0, 1.4, 12),
        "bdw_b": simulate(rng, 8000, 1.5, 3.0, 0.7, 9),
    }
    path = os.path.join(WORK, "simulated.csv")
    write_table(path, cohorts)
    for model, bdw in (("sbg", False), ("bdw", True)):
        got = fits_of(path, model)
        for name, counts in cohorts.items():
            if name not in got or got[name]["model"] is None:
                check(False, f"crosscheck {model} {name}: no fit")
                continue
            m = got[name]["model"]
            params, ll = scipy_fit(counts, bdw)
            mine = [m[p] for p in names(bdw)]
            for p, want, have in zip(names(bdw), params, mine):
                check(abs(have - want) <= 1e-6 * abs(want),
                      f"crosscheck {model} {name} {p}: program {have!r}, scipy {want!r}")
            check(abs(m["log_likelihood"] - ll) <= 1e-6 * abs(ll),
                  f"crosscheck {model} {name} log-likelihood: program {m['log_likelihood']!r}, scipy {ll!r}")
            # The program's log-likelihood at its own parameters, computed here.
            here = log_likelihood(np.array(mine), counts, bdw)
            check(abs(m["log_likelihood"] - here) <= 1e-9 * abs(here),
                  f"crosscheck {model} {name}: log-likelihood at its parameters {here!r}")
            k = len(mine)
            check(abs(m["bic"] - (k * np.log(counts[0]) - 2 * m["log_likelihood"])) < 1e-6,
                  f"crosscheck {model} {name}: bic")


def recovery():
    truths = [("sbg", False, (0.7, 1.8, 1.0)), ("sbg", False, (2.0, 9.0, 1.0)),
              ("bdw", True, (0.5, 1.5, 1.3)), ("bdw", True, (1.2, 4.0, 0.8))]
    for seed in (1, 2, 3):
        rng = np.random.default_rng(seed)
        cohorts = {f"{model}{i}": simulate(rng, 30000, *truth, 12) for i, (model, _, truth) in enumerate(truths)}
        path = os.path.join(WORK, f"recovery{seed}.csv")
        write_table(path, cohorts)
        got = {"sbg": fits_of(path, "sbg"), "bdw": fits_of(path, "bdw")}
        for i, (model, bdw, truth) in enumerate(truths):
            name = f"{model}{i}"
            m = got[model].get(name, {}).get("model")
            if m is None:
                check(False, f"recovery seed {seed} {name}: no fit")
                continue
            for p, true in zip(names(bdw), truth):
                se = m["std_errors"][p]
                check(se is not None and abs(m[p] - true) <= 2.5 * se,
                      f"recovery seed {seed} {name} {p}: estimate {m[p]:.4f}, true {true}, se {se}")


def published():
    path = os.path.join(DATA, "retention", "survivors.csv")
    rc, out, err = run_binary([path, "--model", "sbg", "--fit-periods", "7", "--renewals", "7",
                               "--discount-rate", "0.1", "-f", "json"])
    check(rc == 0, f"published: exit {rc} {err}")
    doc = json.loads(out)
    by = {c["cohort"]: c for c in doc["cohorts"]}
    check(set(by) == {"regular", "high_end"}, f"published: cohorts {sorted(by)}")
    for c in doc["cohorts"]:
        check(list(c) == ["cohort", "customers", "model", "survival", "derl"], f"published: members {list(c)}")
        check(list(c["model"]) == ["name", "alpha", "beta", "log_likelihood", "bic", "std_errors"],
              f"published: model members {list(c['model'])}")
    reg, high = by["regular"], by["high_end"]
    check(round(reg["model"]["alpha"], 3) == 0.704 and round(reg["model"]["beta"], 3) == 1.182,
          f"published: regular {reg['model']}")
    check(round(high["model"]["alpha"], 3) == 0.668 and round(high["model"]["beta"], 3) == 3.806,
          f"published: high_end {high['model']}")
    for c, want in ((reg, [22.0, 20.4, 19.1, 18.0, 17.0]), (high, [46.0, 43.6, 41.4, 39.5, 37.8])):
        got = [round(100 * e["expected"], 1) for e in c["survival"][8:13]]
        check(got == want, f"published: {c['cohort']} years 8-12 {got}, expected {want}")
        check([e["period"] for e in c["survival"]] == list(range(13)), f"published: periods of {c['cohort']}")
    check(round(high["derl"], 2) == 7.53, f"published: DERL {high['derl']}")
    check(doc["holdout"] and doc["holdout"][0]["periods"] == 5, f"published: holdout {doc['holdout']}")


def errors():
    """Bad input: exit 65 with the file, line and field; usage errors exit 2."""
    cases = [
        ("increase.csv", "cohort,period,active\na,0,100\na,1,60\na,2,70\n", [], 65,
         "increase.csv:4: active: cohort a: 70 active at period 2, more than the 60 of period 1"),
        ("count.csv", "cohort,period,active\na,0,100\na,1,x\n", [], 65,
         'count.csv:3: active: expected a count of customers >= 0, found "x"'),
        ("gap.csv", "cohort,period,active\na,0,100\na,2,50\n", [], 65,
         "gap.csv:3: period: cohort a has period 2 but no period 1"),
        ("twice.csv", "cohort,period,active\na,0,100\na,0,90\n", [], 65,
         "twice.csv:3: period: cohort a has period 0 twice"),
        ("ok.csv", "cohort,period,active\na,0,100\na,1,50\na,2,40\n", ["--discount-rate", "0"], 2,
         "--discount-rate: expected a rate per period > 0"),
        ("ok.csv", "cohort,period,active\na,0,100\na,1,50\na,2,40\n", ["--model", "nope"], 2, "--model"),
    ]
    for name, text, extra, code, message in cases:
        path = os.path.join(WORK, name)
        with open(path, "w") as f:
            f.write(text)
        rc, out, err = run_binary([path] + extra)
        check(rc == code, f"errors {name} {extra}: exit {rc}, expected {code} ({err.strip()})")
        check(out == "", f"errors {name}: stdout {out[:80]!r}")
        check(message in err, f"errors {name}: stderr {err.strip()!r} lacks {message!r}")
    # A cohort too small and one too young get notes, not fits; the pooled fit is there.
    path = os.path.join(WORK, "notes.csv")
    with open(path, "w") as f:
        f.write("cohort,period,active\nbig,0,1000\nbig,1,700\nbig,2,560\nbig,3,480\n"
                "small,0,10\nsmall,1,7\nsmall,2,6\nyoung,0,500\nyoung,1,350\n")
    rc, out, err = run_binary([path, "--model", "sbg", "-f", "json"])
    check(rc == 0, f"notes: exit {rc} {err}")
    doc = json.loads(out)
    by = {c["cohort"]: c for c in doc["cohorts"]}
    check(by["big"]["model"] is not None and by["small"]["model"] is None and by["young"]["model"] is None,
          f"notes: models {[(c, by[c]['model'] is None) for c in by]}")
    check(doc["pooled"]["customers"] == 1510 and doc["pooled"]["model"] is not None, f"notes: pooled {doc['pooled']}")
    rc, out, err = run_binary([path, "--model", "sbg"])
    check("small: 10 customers, 2 periods observed\n  not fitted: too small: 10 customers (--min-customers 30)" in out,
          f"notes: table {out!r}")
    check("young: 500 customers, 1 period observed\n  not fitted: too young: 1 period to fit; sBG needs at least 2" in out,
          f"notes: table {out!r}")


def forecast_tests():
    """forecast on generated subscriptions: the same seed gives the same output, the parts add up,
    without new customers the customers only fall, and the backtest reports its members."""
    data = os.path.join(WORK, "subscriptions.csv")
    subprocess.run([sys.executable, os.path.join(TOOLS, "gen_activity.py"), "--customers", "1500", "--months", "24",
                    "--kind", "subscription", "--seed", "3", "--plain-ids", "-o", data], check=True)
    args = ["forecast", data, "--months", "6", "--backtest", "6", "--seed", "7", "-f", "json"]
    p1 = subprocess.run([BINARY] + args, capture_output=True, text=True)
    p2 = subprocess.run([BINARY] + args, capture_output=True, text=True)
    check(p1.returncode == 0, f"forecast: exit {p1.returncode} {p1.stderr}")
    check(p1.stdout == p2.stdout, "forecast: the same seed gives the same output")
    if p1.returncode != 0:
        return
    doc = json.loads(p1.stdout)
    check([m["month"] for m in doc["months"]] == [1, 2, 3, 4, 5, 6], "forecast: months")
    for m in doc["months"]:
        check(abs(m["customers"] - m["existing_customers"] - m["new_customers"]) < 1e-6, f"forecast: parts {m}")
        check(m["customers_low"] <= m["customers_high"] and m["mrr_low"] <= m["mrr_high"], f"forecast: interval {m}")
    b = doc["backtest"]
    check(b is not None and b["months"] == 6 and len(b["by_month"]) == 6, f"forecast: backtest {b}")
    check(0 <= b["coverage_customers"] <= 1 and b["mape_customers"] >= 0, f"forecast: backtest scores {b}")
    p3 = subprocess.run([BINARY, "forecast", data, "--months", "6", "--new-per-month", "0", "-f", "json"],
                        capture_output=True, text=True)
    months = json.loads(p3.stdout)["months"]
    check(all(m["new_customers"] == 0 for m in months), "forecast: --new-per-month 0")
    check(all(x["customers"] >= y["customers"] for x, y in zip(months, months[1:])),
          "forecast: without new customers the expected customers fall")
    p4 = subprocess.run([BINARY, "forecast", data, "--interval", "1.5"], capture_output=True, text=True)
    check(p4.returncode == 2 and "--interval" in p4.stderr, f"forecast: bad --interval {p4.returncode} {p4.stderr}")


def main():
    global BINARY, DATA, WORK
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--tools", required=True)
    args = parser.parse_args()
    global TOOLS
    BINARY, DATA, WORK, TOOLS = args.binary, args.data, args.work, args.tools
    os.makedirs(WORK, exist_ok=True)
    published()
    errors()
    crosscheck()
    recovery()
    forecast_tests()
    print(f"{passed} checks passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
