#!/usr/bin/env python3
"""Simulate transaction records from known BG/NBD and Gamma-Gamma parameters (fixed seed).

Each customer makes a first purchase on a day drawn uniformly from the first --cohort-days days
after --start. While alive, purchases follow a Poisson process with rate lambda ~ Gamma(r, alpha)
per --unit; after each repeat purchase the customer drops out with probability
p ~ Beta(a, b) (BG/NBD; with --mbgnbd also right after the first purchase). Each purchase's
amount is Gamma(p_spend, nu) with nu ~ Gamma(q, gamma) per customer (Gamma-Gamma), rounded to
cents. Purchases are simulated up to --days after --start. Times are continuous; the date is the
day a purchase falls in, so two purchases on one day are one occasion (rare for rates well below
one per day).

Output: CSV customer_id,date,amount,quantity (--shuffle mixes the rows). Needs numpy (Debian
python3-numpy). Used by tests/predictive/recovery.py and bench/predictive/run_bench.sh.

Example: python3 tools/gen_transactions.py --customers 20000 --seed 1 -o /tmp/tx.csv
"""

import argparse
import datetime
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2024-01-01")
    ap.add_argument("--cohort-days", type=int, default=84, help="first purchases spread over these days")
    ap.add_argument("--days", type=int, default=546, help="simulate purchases up to this many days after --start")
    ap.add_argument("--unit-days", type=float, default=7.0, help="days in the unit of the rates (7: weekly)")
    ap.add_argument("--r", type=float, default=0.25)
    ap.add_argument("--alpha", type=float, default=4.0)
    ap.add_argument("--a", type=float, default=0.8)
    ap.add_argument("--b", type=float, default=2.5)
    ap.add_argument("--p", type=float, default=6.0, help="Gamma-Gamma p")
    ap.add_argument("--q", type=float, default=4.0, help="Gamma-Gamma q")
    ap.add_argument("--gamma", type=float, default=15.0, help="Gamma-Gamma gamma")
    ap.add_argument("--mbgnbd", action="store_true", help="drop out after the first purchase too")
    ap.add_argument("--shuffle", action="store_true")
    ap.add_argument("--transactions", type=int, default=0,
                    help="keep exactly this many transactions: the first ones in time, as if the "
                         "data ended then (0: all up to --days)")
    ap.add_argument("-o", "--output", default="-")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    n = args.customers
    lam = rng.gamma(args.r, 1.0 / args.alpha, n) / args.unit_days     # purchases per day
    drop = rng.beta(args.a, args.b, n)
    nu = rng.gamma(args.q, 1.0 / args.gamma, n)
    first = rng.integers(0, args.cohort_days, n).astype(np.float64) + rng.random(n)

    ids, times = [np.arange(n)], [first]
    t = first.copy()
    alive = np.ones(n, dtype=bool)
    if args.mbgnbd:
        alive &= rng.random(n) >= drop
    idx = np.nonzero(alive)[0]
    t = t[idx]
    while idx.size:
        t = t + rng.exponential(1.0, idx.size) / lam[idx]
        keep = t < args.days
        idx, t = idx[keep], t[keep]
        ids.append(idx)
        times.append(t)
        survive = rng.random(idx.size) >= drop[idx]
        idx, t = idx[survive], t[survive]
    cid = np.concatenate(ids)
    tt = np.concatenate(times)
    if args.transactions:
        if args.transactions > cid.size:
            sys.exit(f"gen_transactions: only {cid.size} transactions up to --days {args.days}")
        # The data end at the time of the N-th purchase: the model holds up to that moment.
        first_n = np.argsort(tt, kind="stable")[:args.transactions]
        cid, tt = cid[first_n], tt[first_n]
    amount = rng.gamma(args.p, 1.0, cid.size) / nu[cid]
    quantity = rng.integers(1, 4, cid.size)
    order = rng.permutation(cid.size) if args.shuffle else np.lexsort((tt, cid))
    start = datetime.date.fromisoformat(args.start).toordinal()
    day = np.floor(tt).astype(np.int64)
    dates = {d: datetime.date.fromordinal(start + int(d)).isoformat() for d in np.unique(day)}

    out = sys.stdout if args.output == "-" else open(args.output, "w", newline="")
    out.write("customer_id,date,amount,quantity\n")
    chunk = 200000
    for s in range(0, order.size, chunk):
        part = order[s:s + chunk]
        out.write("".join(
            f"c{c:07d},{dates[d]},{a:.2f},{q}\n"
            for c, d, a, q in zip(cid[part].tolist(), day[part].tolist(), amount[part].tolist(),
                                  quantity[part].tolist())))
    if out is not sys.stdout:
        out.close()
    print(f"gen_transactions: {np.unique(cid).size} customers, {cid.size} transactions, the last on "
          f"{datetime.date.fromordinal(start + int(day.max())).isoformat()}", file=sys.stderr)


if __name__ == "__main__":
    main()
