#!/usr/bin/env python3
"""Compare two rfm summaries (CSV: customer_id, first_purchase, x, t_x, T, monetary, unit): the
same customers, ids, dates and x exactly, t_x, T and monetary to 1e-9 relative.
Usage: compare_rfm.py CSM.csv OTHER.csv"""
import csv
import math
import sys


def rows(path):
    with open(path, newline="") as f:
        return {r["customer_id"]: r for r in csv.DictReader(f)}


a, b = rows(sys.argv[1]), rows(sys.argv[2])
bad = 0
if a.keys() != b.keys():
    print(f"customers differ: {len(a)} against {len(b)}")
    sys.exit(1)
for k, r in a.items():
    s = b[k]
    same = r["first_purchase"] == s["first_purchase"] and int(r["x"]) == int(s["x"])
    for f in ("t_x", "T", "monetary"):
        u, v = r[f], s[f]
        if (u == "") != (v == ""):
            same = False
        elif u and not math.isclose(float(u), float(v), rel_tol=1e-9, abs_tol=1e-12):
            same = False
    if not same:
        bad += 1
        if bad <= 3:
            print("differs:", r, s)
print(f"{len(a)} customers, {bad} differ")
sys.exit(1 if bad else 0)
