#!/usr/bin/env python3
"""Cross-check subscription records, --spend and the unit economics against an independent Python
implementation (standard library only).

Generates random subscriptions here (seeded): several per customer, open and closed, some that
start and end in one month, some that end on a month's last day or first day, end == start, mrr 0,
acquisition costs, shuffled; and a spend file with months inside and outside the data. The
expansion into months is re-implemented from the documented rule, with real calendar dates (a
subscription is active in a month when start <= last day < end), not from the program's
"month(end) - 1" shortcut; reference_metrics.py then computes every field, including the unit
economics. csm-metrics must agree field by field (counts and money exactly, ratios within 1e-9),
and give byte-identical periods for the equivalent activity records.

Then the project's generator (tools/gen_activity.py --kind subscription: simulated customers who
change tier and segment, with trials whose cost rides on a subscription active on no month's last
day) gives subscription records whose `compute --by segment --grain month|quarter|year` and
`cohorts --by segment` are compared with crosscheck_analytics.py's reference on the months the
same rule expands them into.

Usage: crosscheck_subscriptions.py --binary path/to/csm-metrics --work scratch/dir
Prints one line per check and `crosscheck subscriptions: N passed, M failed`; exits 1 on failure.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "tools"))
import crosscheck as cc  # noqa: E402  (field comparison helpers)
import crosscheck_analytics as ca  # noqa: E402  (the set-based reference of groups, grains, cohorts)
import gen_activity as gen  # noqa: E402
import reference_metrics as ref  # noqa: E402

MAX_SHOWN = 15


def month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def last_day(index: int) -> datetime.date:
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def generate(seed: int, customers: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    base = datetime.date(2023, 1, 1)
    subs = []
    for c in range(customers):
        cid = f"cust-{seed}-{c:05d}" if rng.random() < 0.9 else f"Customer, \"{c}\" Ltd"
        first_cost = True
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            start = base + datetime.timedelta(days=rng.randrange(0, 700))
            kind = rng.random()
            if kind < 0.35:
                end = None
            elif kind < 0.45:  # starts and ends in its month (or end == start)
                end = start + datetime.timedelta(days=rng.randrange(0, 3))
                if end.month != start.month:
                    end = start
            elif kind < 0.55:  # ends on a month's last day
                end = last_day(month_index(start) + rng.randrange(0, 14))
            elif kind < 0.65:  # ends on a month's first day
                year, month = divmod(month_index(start) + rng.randrange(1, 14), 12)
                end = datetime.date(year, month + 1, 1)
            else:
                end = start + datetime.timedelta(days=rng.randrange(1, 500))
            mrr = Decimal(rng.choice((0, 9, 29, 49, 99, 199, 899, 1234))) + \
                Decimal(rng.randrange(0, 100)) / 100 if rng.random() > 0.03 else Decimal("0")
            cost = None
            if first_cost and rng.random() < 0.7:
                cost = Decimal(rng.randrange(0, 300000)) / 100
            first_cost = False
            segment = rng.choice(("", "starter", "growth", "scale"))
            subs.append({"customer_id": cid, "start_date": start, "end_date": end, "mrr": mrr,
                         "segment": segment, "acquisition_cost": cost})
    rng.shuffle(subs)
    return subs


def write_csv(subs: list[dict[str, Any]], path: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "start_date", "end_date", "mrr", "segment", "acquisition_cost"])
        for s in subs:
            w.writerow([s["customer_id"], s["start_date"].isoformat(),
                        s["end_date"].isoformat() if s["end_date"] else "", str(s["mrr"]),
                        s["segment"], "" if s["acquisition_cost"] is None else str(s["acquisition_cost"])])


def write_jsonl(subs: list[dict[str, Any]], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for s in subs:
            obj: dict[str, Any] = {"customer_id": s["customer_id"],
                                   "start_date": s["start_date"].isoformat(),
                                   "mrr": str(s["mrr"])}
            if s["end_date"] is not None:
                obj["end_date"] = s["end_date"].isoformat()
            elif len(s["customer_id"]) % 2:
                obj["end_date"] = None
            if s["acquisition_cost"] is not None:
                obj["acquisition_cost"] = float(s["acquisition_cost"]) if \
                    s["acquisition_cost"] == s["acquisition_cost"].to_integral() else \
                    str(s["acquisition_cost"])
            if s["segment"]:
                obj["segment"] = s["segment"]
            f.write(json.dumps(obj) + "\n")


def expand(subs: list[dict[str, Any]], until: Optional[int]) -> tuple[list[ref.Record], int, int]:
    """Activity records by the documented rule, and the range of months (first, last)."""
    kept = [s for s in subs if until is None or month_index(s["start_date"]) <= until]
    first = min(month_index(s["start_date"]) for s in kept)
    if until is not None:
        last = until
    else:
        last = max(max(month_index(s["start_date"]),
                       month_index(s["end_date"]) if s["end_date"] else 0) for s in kept)
    records = []
    for s in kept:
        # Every subscription makes its customer known and books its cost in its start month.
        records.append(ref.Record(s["customer_id"], month_index(s["start_date"]), Decimal(0),
                                  s["acquisition_cost"], None))
        for m in range(month_index(s["start_date"]), last + 1):
            day = last_day(m)
            if s["start_date"] <= day and (s["end_date"] is None or s["end_date"] > day):
                records.append(ref.Record(s["customer_id"], m, s["mrr"], None, None))
    return records, first, last


def write_activity(records: list[ref.Record], path: str) -> None:
    """The equivalent activity records: one row per customer and month, revenue summed."""
    revenue: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    cost: dict[tuple[str, int], Optional[Decimal]] = {}
    for r in records:
        revenue[(r.customer_id, r.month)] += r.revenue
        if r.acquisition_cost is not None:
            cost[(r.customer_id, r.month)] = cost.get((r.customer_id, r.month)) or Decimal(0)
            cost[(r.customer_id, r.month)] += r.acquisition_cost
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "period", "revenue", "acquisition_cost"])
        for (cid, m), amount in sorted(revenue.items()):
            c = cost.get((cid, m))
            w.writerow([cid, ref.month_name(m), str(amount), "" if c is None else str(c)])


def write_spend(seed: int, first: int, last: int, path: str) -> dict[int, Decimal]:
    rng = random.Random(seed * 7 + 1)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["period", "amount", "channel"])
        for m in range(first - 2, last + 3):
            for channel in ("ads", "events", "content"):
                if rng.random() < 0.6:
                    amount = Decimal(rng.randrange(0, 500000)) / 100
                    totals[m] += amount
                    day = f"-{rng.randrange(1, 28):02d}" if rng.random() < 0.2 else ""
                    w.writerow([ref.month_name(m) + day, str(amount), channel])
    return totals


def run(binary: str, args: list[str]) -> tuple[Optional[str], str]:
    done = subprocess.run([binary, "compute", "--format", "json", "-q", *args],
                          capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        return None, f"exit {done.returncode}: {done.stderr.decode('utf-8', 'replace')[:500]}"
    return done.stdout.decode("utf-8"), ""


def compare(doc: Any, want: dict[str, Any], customers: int, zero_mrr: int) -> list[str]:
    problems = []
    if doc.get("kind") != "subscription":
        problems.append(f"kind {doc.get('kind')!r}")
    if doc["input"]["customers"] != customers:
        problems.append(f"input.customers {doc['input']['customers']} vs {customers}")
    if doc["input"]["zero_revenue_records"] != zero_mrr:
        problems.append(f"input.zero_revenue_records {doc['input']['zero_revenue_records']} vs "
                        f"{zero_mrr}")
    got_periods, want_periods = doc["periods"], want["periods"]
    if [p["period"] for p in got_periods] != [p["period"] for p in want_periods]:
        return problems + [f"months {[p['period'] for p in got_periods][:3]}... vs "
                           f"{[p['period'] for p in want_periods][:3]}..."]
    for got, expected in zip(got_periods, want_periods):
        if tuple(got) != ref.PERIOD_FIELDS:
            problems.append(f"{expected['period']}: fields {list(got)}")
        for key in ref.PERIOD_FIELDS:
            problem = cc.compare_value(f"{expected['period']} {key}", cc.field_kind(key),
                                       got.get(key), expected[key])
            if problem:
                problems.append(problem)
    for key, value in want["summary"].items():
        problem = cc.compare_value(f"summary {key}", cc.field_kind(key), doc["summary"].get(key),
                                   value)
        if problem:
            problems.append(problem)
    return problems


class Results:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def report(self, name: str, problems: list[str]) -> None:
        if problems:
            self.failed += 1
            print(f"FAIL {name}")
            for p in problems[:MAX_SHOWN]:
                print(f"    {p}")
            if len(problems) > MAX_SHOWN:
                print(f"    ... and {len(problems) - MAX_SHOWN} more")
        else:
            self.passed += 1
            print(f"ok   {name}")


def check_seed(binary: str, work: str, seed: int, customers: int, results: Results) -> None:
    subs = generate(seed, customers)
    csv_path = os.path.join(work, f"subs-{seed}.csv")
    jsonl_path = os.path.join(work, f"subs-{seed}.jsonl")
    write_csv(subs, csv_path)
    write_jsonl(subs, jsonl_path)
    records, first, last = expand(subs, None)
    ids = {s["customer_id"] for s in subs}
    zero = sum(1 for s in subs if s["mrr"] == 0)
    spend_path = os.path.join(work, f"spend-{seed}.csv")
    spend = write_spend(seed, first, last, spend_path)
    until = last - 5

    cases = [
        ("csv", [csv_path], {}, None),
        ("jsonl --until", [jsonl_path, "--until", ref.month_name(until)], {}, until),
        ("csv --spend, margin 0.8, no reactivation in the quick ratio",
         [csv_path, "--spend", spend_path, "--gross-margin", "0.8",
          "--quick-ratio-without-reactivation"],
         {"gross_margin": Fraction(4, 5), "quick_ratio_reactivation": False,
          "spend_by_month": spend, "spend_mode": "replace"}, None),
        ("jsonl --spend-mode add", [jsonl_path, "--spend", spend_path, "--spend-mode", "add"],
         {"spend_by_month": spend, "spend_mode": "add"}, None),
    ]
    base_text = None
    for name, args, options, case_until in cases:
        text, error = run(binary, args)
        if text is None:
            results.report(f"seed {seed}: {name}", [error])
            continue
        if name == "csv":
            base_text = text
        recs, lo, hi = expand(subs, case_until)
        want = ref.compute(recs, range_months=(lo, hi), **options)
        kept_ids = {r.customer_id for r in recs}
        kept_zero = sum(1 for s in subs if s["mrr"] == 0)
        results.report(f"seed {seed}: {name} agrees with the reference",
                       compare(json.loads(text, parse_float=Decimal), want, len(kept_ids),
                               kept_zero))
    del ids, zero

    # The same data as activity records: byte-identical periods and summary.
    activity_path = os.path.join(work, f"activity-{seed}.csv")
    write_activity(records, activity_path)
    text, error = run(binary, [activity_path])
    if text is None or base_text is None:
        results.report(f"seed {seed}: equivalent activity records", [error or "no base run"])
        return
    problems = []
    for key in ("periods", "summary"):
        if cc.raw_member(text, key) != cc.raw_member(base_text, key):
            problems.append(f'"{key}" differs: ' +
                            cc.first_difference(cc.raw_member(text, key) or "",
                                                cc.raw_member(base_text, key) or ""))
    results.report(f"seed {seed}: equivalent activity records give identical periods", problems)


def expand_generated(subs: list[gen.Subscription]) -> tuple[list[Any], int, int]:
    """The rows of generated subscriptions by the documented rule, with their segments."""
    first = min(month_index(x.start) for x in subs)
    last = max(max(month_index(x.start), month_index(x.end) if x.end else 0) for x in subs)
    rows = []
    for x in subs:
        months = [m for m in range(month_index(x.start), last + 1)
                  if x.start <= last_day(m) and (x.end is None or x.end > last_day(m))]
        if not months:  # active on no month's last day: known, its cost booked, no revenue
            rows.append(gen.Row(x.customer_id, "", month_index(x.start), Decimal(0),
                                x.acquisition_cost, None, x.segment))
        for m in months:
            rows.append(gen.Row(x.customer_id, "", m, x.mrr,
                                x.acquisition_cost if m == month_index(x.start) else None, None,
                                x.segment))
    return rows, first, last


def check_generated(binary: str, work: str, seed: int, customers: int, results: Results) -> None:
    options = gen.Options(customers=customers, months=20, start="2023-03", seed=seed)
    subs = gen.subscriptions(gen.generate(options), options)
    path = os.path.join(work, f"generated-{seed}.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        gen.write_subscriptions(gen.shuffled(subs, seed), f)
    rows, first, last = expand_generated(subs)
    reference = ca.Reference(rows)
    reference.first, reference.last = first, last  # the subscriptions' range, rows or not
    ck = ca.Checker()
    moved = 0
    for grain, size in (("month", 1), ("quarter", 3), ("year", 12)):
        doc = ca.run(binary, ["compute", "--by", "segment", "--grain", grain, "-f", "json", "-q", path])
        where = f"generated seed {seed} {grain}"
        ca.check_periods(ck, where + " all", doc["periods"], reference.periods(None, size), size, False)
        ca.check_summary(ck, where + " summary", doc["summary"], ca.Reference.summary(reference.periods(None, 1)))
        ck.same(where + " groups", [g["group"] for g in doc["groups"]], reference.groups)
        for g in doc["groups"]:
            monthly = reference.periods(g["group"], 1)
            moved += sum(p["moved_in_customers"] for p in monthly)
            ca.check_periods(ck, f"{where} group {g['group']}", g["periods"],
                             reference.periods(g["group"], size), size, True)
            ca.check_summary(ck, f"{where} group {g['group']} summary", g["summary"],
                             ca.Reference.summary(monthly))
        for unbroken in (False, True):
            extra = ["--exclude-reactivated"] if unbroken else []
            doc = ca.run(binary, ["cohorts", "--grain", grain, "--by", "segment", "-f", "json", "-q",
                                  *extra, path])
            ca.check_cohorts(ck, f"{where} cohorts{' excl' if unbroken else ''}", doc["cohorts"],
                             reference.cohorts(size, unbroken), size)
            for g in doc["groups"]:
                ca.check_cohorts(ck, f"{where} cohorts group {g['group']}", g["cohorts"],
                                 reference.cohorts(size, unbroken, g["group"]), size)
    problems = list(ck.problems)
    if moved == 0:
        problems.append("no customer moved between segments: the data tests nothing")
    results.report(f"generated subscriptions, seed {seed}: --by segment, --grain and cohorts agree "
                   f"with the reference ({ck.values} values, {moved} moves)", problems)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--customers", type=int, default=1500)
    args = p.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    results = Results()
    for seed in (11, 12, 13):
        check_seed(os.path.abspath(args.binary), args.work, seed, args.customers, results)
    for seed in (21, 22):
        check_generated(os.path.abspath(args.binary), args.work, seed, args.customers // 2, results)
    print(f"crosscheck subscriptions: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
