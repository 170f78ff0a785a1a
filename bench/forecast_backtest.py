#!/usr/bin/env python3
"""Backtest of `csm-metrics forecast` on generated subscription data (issue 19).

For each dataset (tools/gen_activity.py --kind subscription with a seed, a number of customers
and of months) and each cut (the data up to `--until END`, several ends per dataset), runs
`forecast FILE --months K --backtest K -f json` and collects the MAPE of customers and MRR and
whether each month's actual value fell inside the interval. Prints one row per backtest and the
totals (months inside / months) as a Markdown table.

    python3 bench/forecast_backtest.py --binary build/ci/src/csm-metrics \
        --dataset 2000:24:5 --dataset 5000:36:9 --cuts 0,6 --backtest 6

--dataset CUSTOMERS:MONTHS:SEED (repeatable); --cuts: months cut off the end before the backtest
(0 = the whole data), comma-separated; the generated files go to --work (kept for reuse).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", default=os.path.join(ROOT, "build/ci/src/csm-metrics"))
    p.add_argument("--dataset", action="append", required=True, help="CUSTOMERS:MONTHS:SEED")
    p.add_argument("--cuts", default="0", help="months cut off the end, e.g. 0,6,12")
    p.add_argument("--backtest", type=int, default=6)
    p.add_argument("--interval", default="0.8")
    p.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "forecast-backtest"))
    p.add_argument("--extra", default="", help="more forecast options, space-separated")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rows = []
    tot = {"months": 0, "in_c": 0, "in_m": 0}
    mape_c, mape_m = [], []
    for spec in a.dataset:
        customers, months, seed = (int(x) for x in spec.split(":"))
        path = os.path.join(a.work, f"s{seed}-c{customers}-m{months}.csv")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(ROOT, "tools/gen_activity.py"), "--customers", str(customers),
                            "--months", str(months), "--kind", "subscription", "--seed", str(seed), "--plain-ids",
                            "-o", path], check=True)
        first = 2023 * 12  # gen_activity.py starts in 2023-01
        for cut in (int(x) for x in a.cuts.split(",")):
            if months - cut <= a.backtest + 6:
                continue
            cmd = [a.binary, "forecast", path, "--months", str(a.backtest), "--backtest", str(a.backtest),
                   "--interval", a.interval, "-f", "json", "--quiet"] + a.extra.split()
            if cut > 0:
                cmd += ["--until", month_text(first + months - 1 - cut)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            b = json.loads(out)["backtest"]
            n = len(b["by_month"])
            in_c = sum(1 for m in b["by_month"] if m["customers_low"] <= m["actual_customers"] <= m["customers_high"])
            in_m = sum(1 for m in b["by_month"] if m["mrr_low"] <= m["actual_mrr"] <= m["mrr_high"])
            # The MRR actuals relative to the interval: below (-), inside (.), above (+), month by month.
            marks = "".join("-" if m["actual_mrr"] < m["mrr_low"] else "+" if m["actual_mrr"] > m["mrr_high"] else "."
                            for m in b["by_month"])
            rows.append((spec, cut, b["mape_customers"], b["mape_mrr"], in_c, in_m, n, marks))
            tot["months"] += n
            tot["in_c"] += in_c
            tot["in_m"] += in_m
            mape_c.append(b["mape_customers"])
            mape_m.append(b["mape_mrr"])
    print("| dataset (customers:months:seed) | cut | MAPE customers % | MAPE MRR % | customers inside | MRR inside | MRR by month |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for spec, cut, mc, mm, ic, im, n, marks in rows:
        print(f"| {spec} | {cut} | {mc:.2f} | {mm:.2f} | {ic}/{n} | {im}/{n} | `{marks}` |")
    if rows:
        print(f"| **all {len(rows)} backtests** | | {sum(mape_c) / len(mape_c):.2f} (mean) | {sum(mape_m) / len(mape_m):.2f} (mean) "
              f"| {tot['in_c']}/{tot['months']} ({100 * tot['in_c'] / tot['months']:.0f} %) "
              f"| {tot['in_m']}/{tot['months']} ({100 * tot['in_m'] / tot['months']:.0f} %) | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
