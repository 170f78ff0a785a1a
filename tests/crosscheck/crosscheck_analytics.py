#!/usr/bin/env python3
"""Cross-check of `compute --by segment`, `compute --grain quarter|year` and `cohorts` against an
independent implementation written here from the definitions in docs/metrics.md (sections 10-12),
on data from tools/gen_activity.py (whose customers move between segments when they upgrade past
their tier or downgrade below it). Standard library only; nothing is shared with the C++ code.

The reference works on sets, the plain way: for each month the dict customer -> (revenue, group);
groups, quarters and cohorts are then read off those dicts by their definitions. A month compares
the dicts of two consecutive months; a quarter or year compares the dicts of the reference months
(the last month of the period before and of this one), with csat and acquisition cost summed over
its months. Every field is compared: counts, money, rates, csat, cac, the unit economics, clv and
each group's summary.

Usage: crosscheck_analytics.py --binary PATH --work DIR
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "tools"))
import gen_activity as gen  # noqa: E402

REL_TOL = 1e-9


def pct(num: Any, den: Any) -> Optional[Fraction]:
    return None if den == 0 else Fraction(100) * Fraction(num) / Fraction(den)


class Reference:
    def __init__(self, rows: list[gen.Row]) -> None:
        by_cm: dict[tuple[str, int], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.csat: dict[tuple[str, int], list[int]] = defaultdict(list)  # (row group, month)
        self.cost: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
        for r in rows:
            by_cm[(r.customer_id, r.month)][r.segment] += r.revenue
            if r.csat is not None:
                self.csat[(r.segment, r.month)].append(r.csat)
            if r.acquisition_cost is not None:
                self.cost[(r.segment, r.month)] += r.acquisition_cost
        self.first = min(r.month for r in rows)
        self.last = max(r.month for r in rows)
        self.groups = sorted({r.segment for r in rows}, key=lambda s: s.encode())
        # active[m]: customer -> (revenue, group) for revenue > 0
        self.active: dict[int, dict[str, tuple[Decimal, str]]] = defaultdict(dict)
        for (c, m), parts in by_cm.items():
            total = sum(parts.values(), Decimal(0))
            if total > 0:
                group = min(parts, key=lambda g: (-parts[g], g.encode()))
                self.active[m][c] = (total, group)

    def months(self) -> range:
        return range(self.first, self.last + 1)

    def compare(self, g: str, before: dict[str, tuple[Decimal, str]],
                now: dict[str, tuple[Decimal, str]], seen_before: set[str],
                months: list[int]) -> dict[str, Any]:
        """Group g between two snapshots; seen_before: customers active before the period."""
        S = [c for c, (_, gg) in before.items() if gg == g]
        E = [c for c, (_, gg) in now.items() if gg == g]
        C = [c for c in S if c not in now]
        out = [c for c in S if c in now and now[c][1] != g]
        inn = [c for c in E if c in before and before[c][1] != g]
        N = [c for c in E if c not in before and c not in seen_before]
        A = [c for c in E if c not in before and c in seen_before]
        both = [c for c in E if c in before]
        X = [c for c in both if now[c][0] > before[c][0]]
        K = [c for c in both if now[c][0] < before[c][0]]
        scores = [s for m in months for s in self.csat.get((g, m), [])]
        return {
            "customers_start": len(S), "churned_customers": len(C), "new_customers": len(N),
            "reactivated_customers": len(A), "customers_end": len(E),
            "expanded_customers": len(X), "contracted_customers": len(K),
            "mrr_start": sum((before[c][0] for c in S), Decimal(0)),
            "mrr_end": sum((now[c][0] for c in E), Decimal(0)),
            "new_mrr": sum((now[c][0] for c in N), Decimal(0)),
            "reactivation_mrr": sum((now[c][0] for c in A), Decimal(0)),
            "expansion_mrr": sum((now[c][0] - before[c][0] for c in X), Decimal(0)),
            "contraction_mrr": sum((before[c][0] - now[c][0] for c in K), Decimal(0)),
            "churned_mrr": sum((before[c][0] for c in C), Decimal(0)),
            "csat_responses": len(scores), "csat_satisfied": sum(1 for s in scores if s >= 4),
            "acquisition_cost": sum((self.cost.get((g, m), Decimal(0)) for m in months), Decimal(0)),
            "moved_in_customers": len(inn), "moved_out_customers": len(out),
            "moved_in_mrr": sum((before[c][0] for c in inn), Decimal(0)),
            "moved_out_mrr": sum((before[c][0] for c in out), Decimal(0)),
        }

    def periods(self, group: Optional[str], size: int) -> list[dict[str, Any]]:
        """Periods of `size` months (1: months), each its reference month against the one before."""
        g = "*" if group is None else group
        view = self.active
        if group is None:  # all customers: one group holding everyone
            view = {m: {c: (v, "*") for c, (v, _) in d.items()} for m, d in self.active.items()}
        csat, cost = self.csat, self.cost
        if group is None:
            self.csat = defaultdict(list)
            for (_, m), scores in csat.items():
                self.csat[("*", m)].extend(scores)
            self.cost = defaultdict(Decimal)
            for (_, m), v in cost.items():
                self.cost[("*", m)] += v
        try:
            out = []
            for number in range(self.first // size, self.last // size + 1):
                start, end = number * size, min((number + 1) * size - 1, self.last)
                before = view.get(start - 1, {}) if number > self.first // size else {}
                seen = {c for m in range(self.first, start) for c in view.get(m, {})}
                months = list(range(max(start, self.first), end + 1))
                p = self.compare(g, before, view.get(end, {}), seen, months)
                p.update(first=start, months=len(months))
                out.append(p)
            return out
        finally:
            self.csat, self.cost = csat, cost

    @staticmethod
    def rates(p: dict[str, Any], months: int) -> dict[str, Any]:
        S, C = p["customers_start"], p["churned_customers"]
        r = pct(S - C, S)
        E, N = p["customers_end"], p["new_customers"]
        arpu = None if E == 0 else Fraction(p["mrr_end"]) / E
        clv = None
        if arpu is not None and r is not None and r >= 0:
            monthly = (float(r) / 100) ** (1 / months)
            if 1 - monthly > 0:
                clv = float(arpu) / (1 - monthly)
        start = Fraction(p["mrr_start"])
        cac = None if N == 0 else Fraction(p["acquisition_cost"]) / N
        gains = Fraction(p["new_mrr"]) + Fraction(p["expansion_mrr"]) + Fraction(p["reactivation_mrr"])
        losses = Fraction(p["churned_mrr"]) + Fraction(p["contraction_mrr"])
        return {"churn_rate": pct(C, S), "retention_rate": r,
                "expansion_rate": pct(p["expanded_customers"], S),
                "grr": pct(start - Fraction(p["churned_mrr"]) - Fraction(p["contraction_mrr"]), start),
                "nrr": pct(start - Fraction(p["churned_mrr"]) - Fraction(p["contraction_mrr"])
                           + Fraction(p["expansion_mrr"]), start),
                "arpu": arpu, "clv": clv,
                "retained_customers": S - C,
                "csat": pct(p["csat_satisfied"], p["csat_responses"]),
                "cac": cac,
                "cac_payback_months": None if cac is None or not arpu else cac / arpu,
                "ltv_cac": None if clv is None or not cac else clv / float(cac),
                "quick_ratio": None if losses == 0 else gains / losses}

    @staticmethod
    def summary(monthly: list[dict[str, Any]]) -> dict[str, Any]:
        """The summary member: means of the monthly rates that are defined, totals."""
        def mean(key: str) -> Optional[float]:
            values = [float(v) for v in (Reference.rates(p, 1)[key] for p in monthly) if v is not None]
            return None if not values else sum(values) / len(values)
        churn = mean("churn_rate")
        return {"average_churn_rate": churn,
                "annualized_churn_rate": None if churn is None else 100 * (1 - (1 - churn / 100) ** 12),
                "average_grr": mean("grr"), "average_nrr": mean("nrr"),
                "total_new_customers": sum(p["new_customers"] for p in monthly),
                "total_churned_customers": sum(p["churned_customers"] for p in monthly),
                "total_new_mrr": sum((p["new_mrr"] for p in monthly), Decimal(0)),
                "total_churned_mrr": sum((p["churned_mrr"] for p in monthly), Decimal(0))}

    def cohorts(self, size: int, unbroken_only: bool,
                group: Optional[str] = None) -> list[dict[str, Any]]:
        """group: only the customers whose group in their first active month is `group`."""
        first_month: dict[str, int] = {}
        for m in self.months():
            for c in self.active.get(m, {}):
                first_month.setdefault(c, m)
        if group is not None:
            first_month = {c: f for c, f in first_month.items() if self.active[f][c][1] == group}
        # The first month a customer was inactive after joining.
        first_gap: dict[str, int] = {}
        for c, f in first_month.items():
            m = f
            while m <= self.last and c in self.active.get(m, {}):
                m += 1
            first_gap[c] = m
        last_period = self.last // size
        out = []
        for cohort in range(self.first // size, last_period + 1):
            members = [c for c, f in first_month.items() if f // size == cohort]
            if not members:
                continue
            ages = []
            for period in range(cohort, last_period + 1):
                ref = min((period + 1) * size - 1, self.last)
                act = [c for c in members if c in self.active.get(ref, {})
                       and (not unbroken_only or ref < first_gap[c])]
                ages.append((len(act), sum((self.active[ref][c][0] for c in act), Decimal(0))))
            out.append({"first": cohort * size, "customers": len(members), "ages": ages})
        return out


def label(first: int, size: int) -> str:
    year, month = first // 12, first % 12 + 1
    if size == 3:
        return f"{year:04d}-Q{(month - 1) // 3 + 1}"
    if size == 12:
        return f"{year:04d}"
    return f"{year:04d}-{month:02d}"


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.values = 0

    def same(self, where: str, got: Any, want: Any) -> None:
        self.values += 1
        if want is None or got is None:
            ok = want is None and got is None
        elif isinstance(want, Decimal):
            ok = Decimal(str(got)) == want
        elif isinstance(want, (Fraction, float)):
            w = float(want)
            ok = abs(float(got) - w) <= REL_TOL * max(1.0, abs(w))
        else:
            ok = got == want
        if not ok and len(self.problems) < 20:
            self.problems.append(f"{where}: got {got!r}, want {want!r}")


def run(binary: str, args: list[str]) -> Any:
    done = subprocess.run([binary, *args], capture_output=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"{binary} {' '.join(args)}: exit {done.returncode}: {done.stderr.decode()}")
    return json.loads(done.stdout, parse_float=Decimal)


EXACT = ("customers_start", "churned_customers", "new_customers", "reactivated_customers",
         "customers_end", "expanded_customers", "contracted_customers", "mrr_start", "mrr_end",
         "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
         "csat_responses", "csat_satisfied", "acquisition_cost")
MOVES = ("moved_in_customers", "moved_out_customers", "moved_in_mrr", "moved_out_mrr")


def check_periods(ck: Checker, where: str, got: list[Any], want: list[dict[str, Any]], size: int,
                  moves: bool) -> None:
    if len(got) != len(want):
        ck.problems.append(f"{where}: {len(got)} periods, want {len(want)}")
        return
    for g, w in zip(got, want):
        at = f"{where} {g['period']}"
        ck.same(at + " period", g["period"], label(w["first"], size))
        for k in EXACT + (MOVES if moves else ()):
            ck.same(f"{at} {k}", g[k], w[k])
        for k, v in Reference.rates(w, w.get("months", 1)).items():
            ck.same(f"{at} {k}", g[k], v)
        if size > 1:
            ck.same(f"{at} months", g["months"], w["months"])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--work", required=True)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    ck = Checker()
    for seed, customers, months, start in ((11, 1500, 26, "2022-11"), (12, 800, 14, "2024-02")):
        rows = gen.generate(gen.Options(customers=customers, months=months, start=start, seed=seed))
        path = os.path.join(args.work, f"analytics-{seed}.csv")
        gen.write_file(gen.shuffled(rows, seed), path)
        ref = Reference(rows)
        moved = 0
        for grain, size in (("month", 1), ("quarter", 3), ("year", 12)):
            doc = run(args.binary, ["compute", "--by", "segment", "--grain", grain, "-f", "json",
                                    "-j", "2", path])
            where = f"seed {seed} {grain}"
            ck.same(where + " group_by", doc.get("group_by"), "segment")
            check_periods(ck, where + " all", doc["periods"], ref.periods(None, size), size, False)
            check_summary(ck, where + " summary", doc["summary"], Reference.summary(ref.periods(None, 1)))
            names = [g["group"] for g in doc["groups"]]
            ck.same(where + " groups", names, ref.groups)
            for g in doc["groups"]:
                monthly = ref.periods(g["group"], 1)
                moved += sum(p["moved_in_customers"] for p in monthly)
                check_periods(ck, f"{where} group {g['group']}", g["periods"],
                              ref.periods(g["group"], size), size, True)
                check_summary(ck, f"{where} group {g['group']} summary", g["summary"],
                              Reference.summary(monthly))
        if moved == 0:
            ck.problems.append(f"seed {seed}: no customer moved between segments; the data tests nothing")
        for grain, size in (("month", 1), ("quarter", 3), ("year", 12)):
            for unbroken in (False, True):
                extra = ["--exclude-reactivated"] if unbroken else []
                doc = run(args.binary, ["cohorts", "--grain", grain, "-f", "json", "--by", "segment",
                                        *extra, path])
                ck.same(f"seed {seed} cohort groups", [g["group"] for g in doc["groups"]], ref.groups)
                for g in doc["groups"]:
                    check_cohorts(ck, f"seed {seed} cohorts {grain} group {g['group']}", g["cohorts"],
                                  ref.cohorts(size, unbroken, g["group"]), size)
                check_cohorts(ck, f"seed {seed} cohorts {grain}{' excl' if unbroken else ''}",
                              doc["cohorts"], ref.cohorts(size, unbroken), size)
                # Without --by the cohorts come from the other (ungrouped) walk: the same numbers.
                plain = run(args.binary, ["cohorts", "--grain", grain, "-f", "json", *extra, path])
                check_cohorts(ck, f"seed {seed} cohorts {grain} ungrouped", plain["cohorts"],
                              ref.cohorts(size, unbroken), size)
    for problem in ck.problems:
        print("MISMATCH", problem)
    print(f"crosscheck_analytics: {ck.values} values compared, {len(ck.problems)} problems")
    return 1 if ck.problems else 0


def check_summary(ck: Checker, where: str, got: dict[str, Any], want: dict[str, Any]) -> None:
    for k, v in want.items():
        ck.same(f"{where} {k}", got.get(k), v)


def check_cohorts(ck: Checker, where: str, got: list[Any], want: list[dict[str, Any]],
                  size: int) -> None:
    if len(got) != len(want):
        ck.problems.append(f"{where}: {len(got)} cohorts, want {len(want)}")
        return
    for g, w in zip(got, want):
        at = f"{where} {g['cohort']}"
        ck.same(at + " cohort", g["cohort"], label(w["first"], size))
        ck.same(at + " customers", g["customers"], w["customers"])
        ck.same(at + " revenue", g["revenue"], w["ages"][0][1])
        ck.same(at + " ages", len(g["ages"]), len(w["ages"]))
        for k, (ga, (active, revenue)) in enumerate(zip(g["ages"], w["ages"])):
            ck.same(f"{at} age {k} active", ga["active_customers"], active)
            ck.same(f"{at} age {k} revenue", ga["revenue"], revenue)
            ck.same(f"{at} age {k} logo", ga["logo_retention"], pct(active, w["customers"]))
            ck.same(f"{at} age {k} nrr", ga["revenue_retention"], pct(revenue, w["ages"][0][1]))


if __name__ == "__main__":
    sys.exit(main())
