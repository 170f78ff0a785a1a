#!/usr/bin/env python3
"""End-to-end tests of `predict --interval` (issue 20; Python 3 standard library only): the
members and columns in JSON, CSV and the table, the same bytes for any -j and a given --seed,
other draws for another seed, bounds around the estimates, the outputs without --interval
unchanged by --draws/--seed being refused, usage errors (exit 2) and fits without a covariance
(exit 65); the same for --model bg-bb. Whether the intervals cover the truth is tests/predictive/interval_coverage.py.

Usage: test_predictive_interval.py --binary PATH --data DIR --work DIR
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Checks, options, run_text  # noqa: E402  (the shared command line, tally and runner)

check = Checks()


def run(args):
    return run_text(BINARY, args)


MEMBERS = ["p_alive_lower", "p_alive_upper", "expected_purchases_lower", "expected_purchases_upper",
           "clv_lower", "clv_upper"]


def main():
    global BINARY
    args = options(__doc__, "--data")
    BINARY = args.binary
    cdnow = f"{args.data}/cdnow/cdnow_transactions.csv"
    base = [cdnow, "--end", "1997-09-30", "--unit", "week", "--horizon", "39", "-q"]

    for model in ("bgnbd", "mbgnbd", "pareto-nbd"):
        rc, out, err = run(["predict"] + base + ["--model", model, "--interval", "0.9", "-f", "json"])
        check(rc == 0, f"{model}: exit {rc} ({err.strip()})")
        if rc != 0:
            continue
        doc = json.loads(out)
        iv = doc["interval"]
        check(iv["level"] == 0.9 and iv["draws"] == 200 and iv["seed"] == 1, f"{model}: settings {iv}")
        totals = iv["totals"]
        for name in ("expected_purchases", "clv"):
            t = totals[name]
            check(t["lower"] < t["estimate"] < t["upper"], f"{model}: total {name} {t}")
        est = sum(c["expected_purchases"] for c in doc["customers"])
        check(math.isclose(totals["expected_purchases"]["estimate"], est, rel_tol=1e-12),
              f"{model}: total expected purchases {totals['expected_purchases']['estimate']} vs {est}")
        inside = 0
        for c in doc["customers"]:
            check(all(m in c for m in MEMBERS), f"{model}: members of {c['customer_id']}")
            if not all(m in c for m in MEMBERS):
                break
            ok = (0 <= c["p_alive_lower"] <= c["p_alive_upper"] <= 1 and
                  0 <= c["expected_purchases_lower"] <= c["expected_purchases_upper"] and
                  0 <= c["clv_lower"] <= c["clv_upper"])
            check(ok, f"{model}: ordered bounds of {c['customer_id']}: {c}")
            if not ok:
                break
            inside += (c["expected_purchases_lower"] <= c["expected_purchases"] <= c["expected_purchases_upper"])
        # The estimate is a draw's central value, not a bound: nearly every customer's is inside.
        check(inside >= 0.95 * len(doc["customers"]), f"{model}: {inside} estimates inside their interval")
        if model == "bgnbd":
            # x = 0 under BG/NBD: P(alive) is 1 at every draw.
            zero = [c for c in doc["customers"] if c["x"] == 0]
            check(all(c["p_alive_lower"] == 1 and c["p_alive_upper"] == 1 for c in zero),
                  "bgnbd: x = 0 has P(alive) bounds [1, 1]")
            # A wider level gives a wider interval (the same draws: the same seed).
            rc, out80, _ = run(["predict"] + base + ["--interval", "0.5", "-f", "json"])
            t50 = json.loads(out80)["interval"]["totals"]["clv"]
            t90 = totals["clv"]
            check(t90["lower"] < t50["lower"] < t50["upper"] < t90["upper"], f"50% inside 90%: {t50} {t90}")

    # The same bytes for any thread count, another seed other draws.
    outs = [run(["predict"] + base + ["--interval", "0.8", "--draws", "50", "--seed", "7", "-f", "csv",
                                      "-j", j])[1] for j in ("1", "2", "3")]
    check(outs[0] == outs[1] == outs[2] and outs[0], "-j 1, 2, 3 give the same CSV")
    other = run(["predict"] + base + ["--interval", "0.8", "--draws", "50", "--seed", "8", "-f", "csv"])[1]
    check(other != outs[0], "--seed 8 gives other bounds than --seed 7")
    header = outs[0].splitlines()[0].split(",")
    check(header[-8:] == MEMBERS + ["unit", "horizon"], f"CSV header {header}")
    check(len(set(len(l.split(",")) for l in outs[0].splitlines())) == 1, "CSV rows as wide as the header")

    # Without --interval the CSV has no interval columns.
    rc, plain, _ = run(["predict"] + base + ["-f", "csv"])
    check("p_alive_lower" not in plain.splitlines()[0], "no interval columns without --interval")

    # The table: the totals lines.
    rc, table, _ = run(["predict"] + base + ["--interval", "0.9", "--top", "3"])
    check(rc == 0 and "90% intervals (200 parameter draws, seed 1; for the expectations)" in table,
          f"table: {table[:600]}")
    # --customers-csv with -f csv: the model CSV has the interval rows.
    rc, model_csv, _ = run(["predict"] + base + ["--interval", "0.9", "--customers-csv",
                                                 f"{args.work}/customers.csv", "-f", "csv"])
    check(rc == 0 and "interval,clv_total_upper," in model_csv, f"model csv: {model_csv}")
    with open(f"{args.work}/customers.csv") as f:
        check(f.readline().strip().split(",")[-8:-2] == MEMBERS, "--customers-csv has the columns")

    # --from-state (the rfm state of the same data): the same intervals.
    state = f"{args.work}/cdnow.state"
    rc, _, err = run(["rfm", cdnow, "--end", "1997-09-30", "--unit", "week", "--emit-state", state, "-q"])
    check(rc == 0, f"rfm --emit-state: exit {rc} ({err.strip()})")
    with_args = ["--interval", "0.9", "--draws", "40", "-f", "json", "-q"]
    a = json.loads(run(["predict", "--from-state", state, "--horizon", "39"] + with_args)[1])
    b = json.loads(run(["predict"] + base + with_args)[1])
    check(a["interval"] == b["interval"] and a["customers"] == b["customers"], "--from-state: the same intervals")

    # Usage errors (exit 2) and fits without a covariance (exit 65).
    for extra, pattern in ((["--draws", "10"], "--draws applies to --interval"),
                           (["--seed", "3"], "--seed applies to --interval"),
                           (["--interval", "1"], "--interval"),
                           (["--interval", "0"], "--interval"),
                           (["--interval", "0.9", "--draws", "1"], "--draws")):
        rc, out, err = run(["predict"] + base + extra)
        check(rc == 2 and pattern in err and err.count("\n") == 1, f"{extra}: exit {rc}, {err.strip()}")

    # BG/BB: bounds per row and of the total; deterministic for -j and --seed; the CSV columns;
    # without --interval the CSV as before.
    donations = f"{args.data}/predictive/donations.csv"
    bb = ["predict", "--model", "bg-bb", donations, "--interval", "0.9", "--draws", "100"]
    rc, out1, err = run(bb + ["-f", "json", "-j", "1"])
    check(rc == 0, f"bg-bb --interval: exit {rc}, {err.strip()}")
    doc = json.loads(out1)
    iv = doc["interval"]
    check(iv["level"] == 0.9 and iv["draws"] == 100 and iv["seed"] == 1, "bg-bb interval settings")
    t = iv["totals"]["expected_transactions"]
    check(t["estimate"] == doc["expected_transactions_total"] and t["lower"] < t["estimate"] < t["upper"],
          f"bg-bb total inside its bounds: {t}")
    check(iv["totals"]["customers"] == 11104, "bg-bb interval customers")
    ok = all(0 <= r["p_alive_lower"] <= r["p_alive_upper"] <= 1 and
             0 <= r["expected_transactions_lower"] <= r["expected_transactions_upper"] for r in doc["rows"])
    check(ok and len(doc["rows"]) == 22, "bg-bb row bounds ordered")
    inside = sum(r["p_alive_lower"] <= r["p_alive"] <= r["p_alive_upper"] and
                 r["expected_transactions_lower"] <= r["expected_transactions"] <= r["expected_transactions_upper"]
                 for r in doc["rows"])
    check(inside == 22, f"bg-bb estimates inside their intervals: {inside} of 22")
    rc, out2, err = run(bb + ["-f", "json", "-j", "2"])
    check(out2 == out1, "bg-bb --interval: the same bytes with -j 1 and -j 2")
    rc, out3, err = run(bb + ["-f", "json", "--seed", "2"])
    check(out3 != out1, "bg-bb --interval: another seed, other draws")
    rc, csv_out, err = run(bb + ["-f", "csv"])
    check(csv_out.splitlines()[0] == "frequency,recency,n,n_custs,p_alive,expected_transactions,p_alive_lower,"
          "p_alive_upper,expected_transactions_lower,expected_transactions_upper,horizon", "bg-bb CSV header")
    rc, plain, err = run(["predict", "--model", "bg-bb", donations, "-f", "csv"])
    check(plain.splitlines()[0] == "frequency,recency,n,n_custs,p_alive,expected_transactions,horizon",
          "bg-bb CSV without --interval as before")
    rc, table, err = run(bb)
    check(rc == 0 and "90% interval (100 parameter draws, seed 1; for the expectation)" in table,
          "bg-bb table: the interval line")
    # From transactions (months as opportunities): the same path.
    rc, out, err = run(["predict", "--model", "bg-bb", cdnow, "--end", "1997-09-30", "--unit", "month",
                        "--interval", "0.8", "--draws", "50", "-f", "json", "-q"])
    check(rc == 0 and "interval" in json.loads(out), f"bg-bb from transactions --interval: exit {rc}, {err.strip()}")
    rc, out, err = run(["predict", f"{args.data}/predictive/no_dropout.csv", "--end", "2024-12-31",
                        "--interval", "0.9", "-q"])
    check(rc == 65 and "no covariance" in err and err.count("\n") == 1,
          f"limit fit with --interval: exit {rc}, {err.strip()}")

    print(f"{check.passed} checks passed, {len(check.failures)} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
