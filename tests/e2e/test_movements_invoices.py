#!/usr/bin/env python3
"""End-to-end test of `csm-metrics movements` on invoice records (issues 16 and 17): the
hand-worked lines of examples/invoices.csv with examples/fx.csv, at month and quarter grain and
with --by segment, and their sums against compute's bridge. Python 3 standard library only.

The monthly amounts are those of the worked example in docs/metrics.md ("Invoice records"):
  acme     Jan 100.00; Feb 100 - 100.001667 + 150.0025 = 150.000833; Mar 150.00; from Apr none
  globex   1200 EUR at 1.0850 = 1302.00 USD over 12 months: 108.50 from Jan to Dec
  initech  90.00 in Feb, Mar, Apr (its period ends on May 31, exclusive)
  umbrella Jan a trial (0: not active); Feb 49.00; Mar not covered
so the movements by month are (docs/movements.md, "Invoice records"):
  2024-01 acme new 0 -> 100.00; globex new 0 -> 108.50
  2024-02 acme expansion 100.00 -> 150.000833; initech new 0 -> 90.00; umbrella new 0 -> 49.00
  2024-03 acme contraction 150.000833 -> 150.00; umbrella churn 49.00 -> 0
  2024-04 acme churn 150.00 -> 0
  2024-05 initech churn 90.00 -> 0
and by quarter (each quarter's last month against the one before):
  2024-Q1 acme new 150.00; globex new 108.50; initech new 90.00 (umbrella is not active in March)
  2024-Q2 acme churn 150.00; initech churn 90.00

Usage: test_movements_invoices.py --binary PATH --examples DIR
"""

import argparse
import csv
import io
import json
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded  # noqa: E402

MONTHS = [
    ("2024-01", "acme", "new", "0", "100"), ("2024-01", "globex", "new", "0", "108.50"),
    ("2024-02", "acme", "expansion", "100", "150.000833"), ("2024-02", "initech", "new", "0", "90"),
    ("2024-02", "umbrella", "new", "0", "49"),
    ("2024-03", "acme", "contraction", "150.000833", "150"), ("2024-03", "umbrella", "churn", "49", "0"),
    ("2024-04", "acme", "churn", "150", "0"),
    ("2024-05", "initech", "churn", "90", "0"),
]
QUARTERS = [
    ("2024-Q1", "acme", "new", "0", "150"), ("2024-Q1", "globex", "new", "0", "108.50"),
    ("2024-Q1", "initech", "new", "0", "90"),
    ("2024-Q2", "acme", "churn", "150", "0"), ("2024-Q2", "initech", "churn", "90", "0"),
]
GROUPS = {"acme": "pro", "globex": "enterprise", "initech": "pro", "umbrella": "starter"}


def lines_of(r, name, result):
    code, out, err = result
    r.check(name + ": exit 0", code == 0, f"exit {code} {err[:300]!r}")
    rows = list(csv.reader(io.StringIO(out.decode(), newline="")))
    r.check(name + ": header", rows[:1] == [["period", "customer_id", "movement", "mrr_before",
                                              "mrr_after", "mrr_change", "group"]], repr(rows[:1]))
    return [(p, c, m, Decimal(b), Decimal(a), Decimal(x), g) for p, c, m, b, a, x, g in rows[1:]]


def want(table, grouped):
    return [(p, c, m, Decimal(b), Decimal(a), Decimal(a) - Decimal(b), GROUPS[c] if grouped else "")
            for p, c, m, b, a in table]


def test_invoice_movements(r, examples):
    common = ["--currency", "USD", "--fx", os.path.join(examples, "fx.csv"), "-q",
              os.path.join(examples, "invoices.csv")]
    for grain, table in (("month", MONTHS), ("quarter", QUARTERS)):
        for grouped in (False, True):
            by = ["--by", "segment"] if grouped else []
            name = f"invoices {grain}{' --by segment' if grouped else ''}"
            got = lines_of(r, name, r.run(["movements", "-f", "csv", "--grain", grain, *by, *common]))
            r.check(name + ": the hand-worked lines", got == want(table, grouped), repr(got))
            # Their sums per period and type are compute's bridge.
            code, out, err = r.run(["compute", "-f", "json", "--grain", grain, *by, *common])
            doc = json.loads(out.decode()) if code == 0 else {"periods": []}
            for p in doc["periods"]:
                mine = [x for x in got if x[0] == p["period"]]
                def total(kind, field):
                    return sum((x[field] for x in mine if x[2] == kind), Decimal(0))
                found = {"new_mrr": total("new", 5), "expansion_mrr": total("expansion", 5),
                         "contraction_mrr": -total("contraction", 5), "churned_mrr": total("churn", 3),
                         "new_customers": sum(1 for x in mine if x[2] == "new"),
                         "churned_customers": sum(1 for x in mine if x[2] == "churn")}
                theirs = {k: (Decimal(str(p[k])) if k.endswith("_mrr") else p[k]) for k in found}
                r.check(f"{name} {p['period']}: sums = compute", found == theirs, f"{found} {theirs}")
    # --type and --customer filter the invoice lines as any other.
    got = lines_of(r, "invoices --type churn --customer acme",
                   r.run(["movements", "-f", "csv", "--type", "churn", "--customer", "acme", *common]))
    r.check("invoices --type churn --customer acme", got == want([MONTHS[7]], False), repr(got))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--examples", required=True)
    options = parser.parse_args()
    r = Runner(os.path.abspath(options.binary), os.getcwd())
    guarded(r, test_invoice_movements, r, os.path.abspath(options.examples))
    print(f"movements on invoices e2e: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
