#!/usr/bin/env python3
"""Check that another engine's monthly metrics equal csm-metrics' (bench/ cross-check).

Usage: compare_outputs.py REFERENCE.json OTHER.json [OTHER.json ...]

REFERENCE is `csm-metrics compute --format json` output; each OTHER is the output of one of
the bench engines ({"engine": NAME, "periods": [...]}, money as decimal text or numbers).
Counts and money must be exactly equal (money compared as decimals, so 12.5 == "12.500000"),
rates and ratios within 1e-9 relative, nulls must match. Prints one line per file and
exits 1 at the first file that differs (listing up to 10 differences).
Standard library only.
"""
import json
import math
import os
import sys
from decimal import Decimal

COUNTS = ("customers_start", "churned_customers", "retained_customers", "new_customers",
          "reactivated_customers", "customers_end", "expanded_customers", "contracted_customers",
          "csat_responses")
MONEY = ("mrr_start", "mrr_end", "new_mrr", "reactivation_mrr", "expansion_mrr",
         "contraction_mrr", "churned_mrr", "acquisition_cost")
RATES = ("churn_rate", "retention_rate", "expansion_rate", "grr", "nrr", "arpu", "csat", "cac")
REL_TOL = 1e-9


def load(path):
    with open(path, encoding="utf-8") as f:
        # parse_float=Decimal keeps csm-metrics' exact money text exact
        return json.load(f, parse_float=Decimal)


def differences(ref, other):
    out = []
    rp, op = ref["periods"], other["periods"]
    if [p["period"] for p in rp] != [p["period"] for p in op]:
        return ["periods differ: %s..%s (%d) vs %s..%s (%d)" % (
            rp[0]["period"] if rp else "-", rp[-1]["period"] if rp else "-", len(rp),
            op[0]["period"] if op else "-", op[-1]["period"] if op else "-", len(op))]
    for r, o in zip(rp, op):
        where = r["period"]
        for k in COUNTS + MONEY + RATES:
            if k not in o:
                out.append("%s: %s missing" % (where, k))
                continue
            a, b = r.get(k), o[k]
            if a is None or b is None:
                if a is not None or b is not None:
                    out.append("%s: %s: %r vs %r" % (where, k, a, b))
                continue
            if k in COUNTS:
                ok = int(a) == int(b) and Decimal(str(b)) == int(b)
            elif k in MONEY:
                ok = Decimal(str(a)) == Decimal(str(b))
            else:
                fa, fb = float(a), float(b)
                ok = math.isclose(fa, fb, rel_tol=REL_TOL, abs_tol=1e-12)
            if not ok:
                out.append("%s: %s: csm-metrics %s vs %s" % (where, k, a, b))
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    ref = load(argv[1])
    if not ref.get("periods"):
        print("%s: no periods" % argv[1], file=sys.stderr)
        return 1
    for path in argv[2:]:
        other = load(path)
        diffs = differences(ref, other)
        name = other.get("engine") or os.path.basename(path)
        if diffs:
            print("MISMATCH %s (%s) vs csm-metrics: %d difference(s)" % (name, path, len(diffs)))
            for d in diffs[:10]:
                print("  " + d)
            return 1
        print("ok  %-22s %d months equal csm-metrics (counts and money exact, rates 1e-9)"
              % (name, len(ref["periods"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
