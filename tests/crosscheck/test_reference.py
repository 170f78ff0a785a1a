#!/usr/bin/env python3
"""Self-test of reference_metrics.py on a hand-built dataset, so the cross-check compares
csm-metrics with something known to be right. Every expected number below is worked out by hand
from the rows (the arithmetic is in the comments), not copied from any program's output."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import unittest
from decimal import Decimal as D
from fractions import Fraction
from fractions import Fraction as F

sys.dont_write_bytecode = True  # keep the source tree clean when run by ctest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_metrics as ref  # noqa: E402

# 5 customers over 4 months (2024-01 .. 2024-04); 2024-03 has no rows at all.
#   a: one row in Jan; two rows in Feb adding up exactly to Jan's amount (100.10 + 0.20 = 100.30,
#      so a is neither expanded nor contracted); reactivated in Apr (active Feb, not Mar).
#   "Bee, Inc.": contracts 200.00 -> 180.00 in Feb; no row after Feb.
#   c: two rows in Jan (50.00 + 25.50 = 75.50); a closing 0.00 row in Feb (churned);
#      reactivated in Apr.
#   d: a 0.00 trial row in Jan carrying the acquisition cost (not active, so not new in Jan);
#      new in Feb (a YYYY-MM-DD period); a 0.00 row in Apr (not active).
#   e: new in Apr with a 6-decimal amount.
CSV_TEXT = (
    "Customer_ID,period,revenue,acquisition_cost,csat,segment,note\r\n"
    "a,2024-01,100.30,50.00,5,starter,x\r\n"
    "\"Bee, Inc.\",2024-01,200.00,150.00,3,pro,\r\n"
    "c,2024-01,50.00,,,starter,\r\n"
    "c,2024-01-31,25.50,,4,starter,\"quoted \"\"note\"\"\"\r\n"
    "d,2024-01,0.00,30.00,,starter,\r\n"
    "a,2024-02,100.10,,4,starter,\r\n"
    "a,2024-02,0.20,,,starter,\r\n"
    "\"Bee, Inc.\",2024-02,180.00,,2,pro,\r\n"
    "c,2024-02,0.00,,1,starter,\r\n"
    "d,2024-02-15,40.00,,,starter,\r\n"
    "a,2024-04,120.00,,,starter,\r\n"
    "c,2024-04,80.00,,,starter,\r\n"
    "d,2024-04,0.00,,,starter,\r\n"
    "e,2024-04,60.000001,100.00,5,enterprise,\r\n"
)


def rows_of(text: str) -> list[ref.Record]:
    return list(ref.records_from_text(text, "csv", "hand.csv"))


class HandBuiltDataset(unittest.TestCase):
    def setUp(self) -> None:
        self.result = ref.compute(rows_of(CSV_TEXT))
        self.p = {p["period"]: p for p in self.result["periods"]}

    def test_input_statistics(self) -> None:
        # 5 rows in Jan + 5 in Feb + 0 in Mar + 4 in Apr = 14 records; ids a, Bee, c, d, e.
        self.assertEqual(self.result["input"], {"records": 14, "customers": 5,
                                                "first_period": "2024-01",
                                                "last_period": "2024-04", "months": 4})
        self.assertEqual(list(self.p), ["2024-01", "2024-02", "2024-03", "2024-04"])
        for period in self.result["periods"]:
            self.assertEqual(tuple(period), ref.PERIOD_FIELDS)

    def test_first_month(self) -> None:
        jan = self.p["2024-01"]
        # Active: a 100.30, Bee 200.00, c 75.50; d's 0.00 row does not count. Nothing before Jan.
        self.assertEqual([jan[k] for k in ("customers_start", "churned_customers",
                                           "retained_customers", "new_customers",
                                           "reactivated_customers", "customers_end",
                                           "expanded_customers", "contracted_customers")],
                         [0, 0, 0, 3, 0, 3, 0, 0])
        for k in ("churn_rate", "retention_rate", "expansion_rate", "grr", "nrr", "clv"):
            self.assertIsNone(jan[k], k)  # S = 0, mrr_start = 0, retention null
        self.assertEqual(jan["mrr_start"], D("0"))
        self.assertEqual(jan["mrr_end"], D("375.80"))   # 100.30 + 200.00 + 75.50
        self.assertEqual(jan["new_mrr"], D("375.80"))
        self.assertEqual(jan["churned_mrr"], D("0"))
        self.assertEqual(jan["arpu"], F(37580, 300))    # 375.80 / 3
        self.assertEqual((jan["csat_responses"], jan["csat_satisfied"]), (3, 2))  # 5, 3, 4
        self.assertEqual(jan["csat"], F(200, 3))        # 100 * 2 / 3
        self.assertEqual(jan["acquisition_cost"], D("230.00"))  # 50 + 150 + 30 (d's trial row)
        self.assertEqual(jan["cac"], F(23000, 300))     # 230.00 / 3

    def test_exact_equality_churn_and_contraction(self) -> None:
        feb = self.p["2024-02"]
        # Before: a 100.30, Bee 200.00, c 75.50. Now: a 100.10+0.20 = 100.30, Bee 180.00, d 40.00.
        self.assertEqual([feb[k] for k in ("customers_start", "churned_customers",
                                           "retained_customers", "new_customers",
                                           "reactivated_customers", "customers_end",
                                           "expanded_customers", "contracted_customers")],
                         [3, 1, 2, 1, 0, 3, 0, 1])
        self.assertEqual(feb["churn_rate"], F(100, 3))      # 100 * 1 / 3
        self.assertEqual(feb["retention_rate"], F(200, 3))  # 100 * (3 - 1 - 0) / 3
        self.assertEqual(feb["expansion_rate"], 0)
        self.assertEqual(feb["mrr_start"], D("375.80"))
        self.assertEqual(feb["mrr_end"], D("320.30"))       # 100.30 + 180.00 + 40.00
        self.assertEqual(feb["new_mrr"], D("40.00"))
        self.assertEqual(feb["expansion_mrr"], D("0"))
        self.assertEqual(feb["contraction_mrr"], D("20.00"))  # 200.00 - 180.00
        self.assertEqual(feb["churned_mrr"], D("75.50"))      # c's January revenue
        # grr = nrr = 100 * (375.80 - 75.50 - 20.00) / 375.80 = 100 * 280.30 / 375.80
        self.assertEqual(feb["grr"], F(28030, 37580) * 100)
        self.assertEqual(feb["nrr"], feb["grr"])
        self.assertEqual(feb["arpu"], F(32030, 300))          # 320.30 / 3
        self.assertEqual((feb["csat_responses"], feb["csat_satisfied"]), (3, 1))  # 4, 2, 1
        self.assertEqual(feb["acquisition_cost"], D("0"))
        self.assertEqual(feb["cac"], 0)                       # 0.00 / 1 new customer
        # clv = arpu / (1 - 2/3) = 106.7666... * 3 = 320.30
        self.assertEqual(feb["clv"], F(32030, 100))

    def test_month_without_rows(self) -> None:
        mar = self.p["2024-03"]
        # Everyone active in Feb (a, Bee, d) is churned; nobody is active.
        self.assertEqual([mar[k] for k in ("customers_start", "churned_customers",
                                           "retained_customers", "new_customers",
                                           "reactivated_customers", "customers_end")],
                         [3, 3, 0, 0, 0, 0])
        self.assertEqual(mar["churn_rate"], 100)
        self.assertEqual(mar["retention_rate"], 0)
        self.assertEqual(mar["mrr_start"], D("320.30"))
        self.assertEqual(mar["mrr_end"], D("0"))
        self.assertEqual(mar["churned_mrr"], D("320.30"))
        self.assertEqual((mar["grr"], mar["nrr"]), (0, 0))   # 100 * (320.30 - 320.30) / 320.30
        for k in ("arpu", "csat", "cac", "clv"):
            self.assertIsNone(mar[k], k)  # E = 0, no responses, N = 0, arpu null
        self.assertEqual((mar["csat_responses"], mar["csat_satisfied"]), (0, 0))
        self.assertEqual(mar["acquisition_cost"], D("0"))

    def test_reactivation_after_gap(self) -> None:
        apr = self.p["2024-04"]
        # a (active Feb) and c (active Jan) come back: reactivated; e is new; d's 0.00 row is not
        # activity. S = 0 because nobody was active in March.
        self.assertEqual([apr[k] for k in ("customers_start", "churned_customers",
                                           "new_customers", "reactivated_customers",
                                           "customers_end")],
                         [0, 0, 1, 2, 3])
        self.assertEqual(apr["mrr_end"], D("260.000001"))     # 120.00 + 80.00 + 60.000001
        self.assertEqual(apr["new_mrr"], D("60.000001"))
        self.assertEqual(apr["reactivation_mrr"], D("200.00"))
        self.assertIsNone(apr["retention_rate"])
        self.assertIsNone(apr["clv"])
        self.assertEqual(apr["csat"], 100)                    # one response, a 5
        self.assertEqual(apr["cac"], 100)                     # 100.00 / 1

    def test_summary(self) -> None:
        s = self.result["summary"]
        # Churn rates defined in Feb (100/3) and Mar (100): mean 200/3.
        self.assertEqual(s["average_churn_rate"], F(200, 3))
        # 100 * (1 - (1 - 2/3)^12) = 100 * (1 - 1/531441)
        self.assertEqual(s["annualized_churn_rate"], 100 * (1 - F(1, 531441)))
        # grr Feb 100 * 280.30 / 375.80, Mar 0: mean is half of Feb's.
        self.assertEqual(s["average_grr"], F(28030, 37580) * 50)
        self.assertEqual(s["average_nrr"], s["average_grr"])
        self.assertEqual(s["total_new_customers"], 5)              # 3 + 1 + 0 + 1
        self.assertEqual(s["total_churned_customers"], 4)          # 0 + 1 + 3 + 0
        self.assertEqual(s["total_new_mrr"], D("475.800001"))      # 375.80 + 40.00 + 60.000001
        self.assertEqual(s["total_churned_mrr"], D("395.80"))      # 75.50 + 320.30

    def test_options(self) -> None:
        result = ref.compute(rows_of(CSV_TEXT), csat_threshold=3, gross_margin=F(8, 10),
                             discount_rate=F(1, 10))
        p = {x["period"]: x for x in result["periods"]}
        self.assertEqual(p["2024-01"]["csat_satisfied"], 3)      # 5, 3, 4 are all >= 3
        self.assertEqual(p["2024-02"]["csat_satisfied"], 1)      # 4, 2, 1: only the 4
        # clv Feb = (320.30 / 3) * 0.8 / (1 + 0.1 - 2/3)
        self.assertEqual(p["2024-02"]["clv"], F(32030, 300) * F(8, 10) / (F(11, 10) - F(2, 3)))

    def test_order_and_format_do_not_matter(self) -> None:
        lines = CSV_TEXT.split("\r\n")
        header, body = lines[0], [line for line in lines[1:] if line]
        random.Random(5).shuffle(body)
        shuffled = ref.compute(rows_of("\n".join([header, *body]) + "\n"))
        self.assertEqual(shuffled, self.result)
        jsonl = "".join(json.dumps({"customer_id": r.customer_id, "PERIOD": ref.month_name(r.month),
                                    "revenue": str(r.revenue),
                                    "acquisition_cost": None if r.acquisition_cost is None
                                    else str(r.acquisition_cost), "csat": r.csat}) + "\n"
                        for r in rows_of(CSV_TEXT))
        self.assertEqual(ref.compute(list(ref.records_from_text(jsonl, "jsonl", "x"))),
                         self.result)

    def test_money_text(self) -> None:
        self.assertEqual(ref.money_text(D("100.3")), "100.30")
        self.assertEqual(ref.money_text(D("0")), "0.00")
        self.assertEqual(ref.money_text(D("0.0000010")), "0.000001")
        self.assertEqual(ref.money_text(D("260.000001")), "260.000001")
        self.assertEqual(ref.money_text(D("12.345000")), "12.345")

    def test_command_line(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "hand.csv")
            with open(path, "w", newline="", encoding="utf-8") as f:
                f.write(CSV_TEXT)
            run = subprocess.run([sys.executable, ref.__file__, path], capture_output=True,
                                 text=True, check=True)
        doc = json.loads(run.stdout)
        feb = doc["periods"][1]
        self.assertEqual(feb["period"], "2024-02")
        self.assertEqual(feb["churned_mrr"], 75.5)
        self.assertIn('"contraction_mrr": 20.00,', run.stdout)
        self.assertIn('"mrr_end": 260.000001,', run.stdout)
        self.assertIsNone(doc["periods"][2]["arpu"])

    def test_bad_input_is_refused(self) -> None:
        for bad in ("a,2024-01,-1.00,,,\r\n", "a,2024-13,1.00,,,\r\n", "a,2023-02-29,1,,,\r\n",
                    "a,2024-01,1.0000001,,,\r\n", "a,2024-01,1.00,,6,\r\n", "a,2024-01,NaN,,,\r\n"):
            with self.assertRaises(ref.DataError, msg=bad):
                rows_of("customer_id,period,revenue,acquisition_cost,csat,segment\r\n" + bad)


    def test_unit_economics_and_spend(self) -> None:
        """Issue 4's fields on a two-month case worked out by hand.

        Jan: a 100 (cost 300), b 50 -> N = 2, E = 2, arpu 75, cac 150, clv null (no retention).
        Feb: a 120 (expansion 20), b gone (churned 50), c 40 and d 10 new (new_mrr 50).
             S = 2, C = 1, R = 1, N = 2 (c, d), E = 3, retention 50 %, mrr_end 170, arpu 170/3.
             cost 60 -> cac 30; margin 1: payback = 30 / (170/3) = 90/170; clv = (170/3)/(1 - 0.5)
             = 340/3; ltv:cac = (340/3)/30 = 34/9; quick ratio = (50 + 20 + 0) / (50 + 0) = 1.4.
        """
        R = ref.Record
        records = [R("a", 24288, D("100"), D("300"), None), R("b", 24288, D("50"), None, None),
                   R("a", 24289, D("120"), None, None), R("c", 24289, D("40"), D("60"), None),
                   R("d", 24289, D("10"), None, None)]
        jan, feb = ref.compute(records)["periods"]
        self.assertEqual(jan["cac"], 150)
        self.assertEqual(jan["cac_payback_months"], 2)
        self.assertIsNone(jan["ltv_cac"])
        self.assertIsNone(jan["quick_ratio"])
        self.assertEqual(feb["cac_payback_months"], Fraction(90, 170))
        self.assertEqual(feb["ltv_cac"], Fraction(34, 9))
        self.assertEqual(feb["quick_ratio"], Fraction(7, 5))
        # Spend 90 in February replaces the records' costs (January becomes 0: cac 0, payback 0).
        jan, feb = ref.compute(records, spend_by_month={24289: D("90")})["periods"]
        self.assertEqual(jan["cac"], 0)
        self.assertEqual(jan["cac_payback_months"], 0)
        self.assertEqual(feb["cac"], 45)
        # ... or adds to them.
        jan, feb = ref.compute(records, spend_by_month={24289: D("90")}, spend_mode="add")["periods"]
        self.assertEqual(feb["acquisition_cost"], D("150"))
        # A range wider than the records (subscriptions that ended) adds empty months.
        periods = ref.compute(records, range_months=(24288, 24291))["periods"]
        self.assertEqual([p["period"] for p in periods], ["2024-01", "2024-02", "2024-03", "2024-04"])
        self.assertEqual(periods[2]["churned_customers"], 3)


if __name__ == "__main__":
    unittest.main(verbosity=1)
