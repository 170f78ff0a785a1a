#!/usr/bin/env python3
"""Checks the DuckDB peer of `movements` (bench/duckdb_movements.mjs) against csm-metrics:
the same lines (period, customer, movement, MRR before/after/change compared as exact decimals),
in the same order, and the same count and MRR change per period and movement type.

    python3 bench/compare_movements.py CSM.csv DUCKDB.csv
Exit 0 when equal, 1 with the first differences listed."""
import collections
import csv
import sys
from decimal import Decimal


def lines(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [(r["period"], r["customer_id"], r["movement"], Decimal(r["mrr_before"]), Decimal(r["mrr_after"]),
                 Decimal(r["mrr_change"])) for r in csv.DictReader(f)]


def per_type(rows):
    out = collections.defaultdict(lambda: [0, Decimal(0)])
    for period, _, movement, _, _, change in rows:
        out[(period, movement)][0] += 1
        out[(period, movement)][1] += change
    return {k: tuple(v) for k, v in out.items()}


def main() -> int:
    a, b = lines(sys.argv[1]), lines(sys.argv[2])
    ta, tb = per_type(a), per_type(b)
    bad = [k for k in sorted(set(ta) | set(tb)) if ta.get(k) != tb.get(k)]
    for k in bad[:10]:
        print(f"{k}: csm-metrics {ta.get(k)}, peer {tb.get(k)}")
    if a != b:
        diff = next(i for i in range(min(len(a), len(b)) + 1) if i >= min(len(a), len(b)) or a[i] != b[i])
        print(f"lines differ: {len(a)} against {len(b)}; first difference at line {diff + 2}")
        return 1
    if bad:
        return 1
    counts = collections.Counter(m for _, _, m, _, _, _ in a)
    print(f"equal: {len(a)} lines ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), "
          f"{len(ta)} period x type counts and sums")
    return 0


if __name__ == "__main__":
    sys.exit(main())
