#!/usr/bin/env python3
"""Cross-check invoice records (issue 17) against an independent Python reference written from
docs/metrics.md ("Invoice records"), not from the C++ code.

The data comes from tools/gen_invoices.py (fixed seeds): monthly, quarterly and annual plans,
mid-month and month-end starts, upgrades and downgrades at renewal and mid-period (proration
lines), cancellations, trials, refunds, one-time fees and three currencies with a weekly rate
file. The reference converts each line with fractions, finds whole-month periods by stepping the
calendar month by month, normalises other periods by days, expands the lines into months by
testing each month's last day against the period, and hands the rows to crosscheck_analytics.py's
set-based reference, which computes every field of `compute --by segment` at month, quarter and
year grain and the cohorts. The one-time and refund sums are checked too, and the output of
shuffled row orders (CSV and JSON Lines) must be byte-identical.

Usage: crosscheck_invoices.py --binary path/to/csm-metrics --work scratch/dir
Prints one line per check and `crosscheck invoices: N passed, M failed`; exits 1 on failure.
"""

from __future__ import annotations

import argparse
import random
import calendar
import csv
import datetime
import json
import os
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "tools"))
import crosscheck_analytics as ca  # noqa: E402
import gen_activity as gen  # noqa: E402  (its Row type, which the reference reads)
import gen_invoices as gi  # noqa: E402

MICRO = Decimal("0.000001")


def month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def last_day(index: int) -> datetime.date:
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def is_month_end(day: datetime.date) -> bool:
    return (day + datetime.timedelta(days=1)).day == 1


def shift(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or that month's last day when the day does not exist."""
    index = month_index(day) + months
    year, month = divmod(index, 12)
    length = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, day.day if day.day <= length else length)


def whole_months(start: datetime.date, end: datetime.date) -> int:
    """k when [start, end) is k whole months by the documented rule, else 0."""
    for k in range(1, 1300):
        candidate = shift(start, k)
        if candidate == end:
            return k
        if is_month_end(start) and month_index(end) - month_index(start) == k and is_month_end(end):
            return k
        if candidate > end:
            return 0
    return 0


def half_even(value: Fraction) -> Decimal:
    scaled = value * 1_000_000
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1):
        floor += 1
    return Decimal(floor) / Decimal(1_000_000)


def monthly(amount: Decimal, start: datetime.date, end: datetime.date) -> Decimal:
    k = whole_months(start, end)
    if k:
        return half_even(Fraction(amount) / k)
    month_days = (end - shift(end, -1)).days
    return half_even(Fraction(amount) * month_days / (end - start).days)


class Rates:
    def __init__(self, path: str) -> None:
        self.by: dict[str, list[tuple[datetime.date, Fraction]]] = {}
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                self.by.setdefault(row["currency"], []).append(
                    (datetime.date.fromisoformat(row["date"]), Fraction(row["rate"])))
        for v in self.by.values():
            v.sort()

    def rate(self, currency: str, day: datetime.date) -> Fraction:
        best = None
        for d, r in self.by[currency]:
            if d <= day:
                best = r
        assert best is not None, (currency, day)
        return best


def parse(path: str, rates: Rates, base: str) -> list[dict[str, Any]]:
    lines = []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            start = datetime.date.fromisoformat(row["service_start"])
            end = datetime.date.fromisoformat(row["service_end"]) if row["service_end"] else None
            amount = Decimal(row["amount"])
            if row["currency"] and row["currency"] != base:
                amount = half_even(Fraction(amount) * rates.rate(row["currency"], start))
            lines.append({"customer_id": row["customer_id"], "start": start, "end": end,
                          "amount": amount, "type": row["line_type"] or "subscription",
                          "segment": row["segment"],
                          "cost": Decimal(row["acquisition_cost"]) if row["acquisition_cost"] else None,
                          "csat": int(row["csat"]) if row["csat"] else None})
    return lines


def expand(lines: list[dict[str, Any]], until: Optional[int]) -> tuple[list[gen.Row], int, int]:
    rows: list[gen.Row] = []
    first: Optional[int] = None
    last: Optional[int] = None
    for x in lines:
        if x["type"] != "subscription":
            continue
        s = month_index(x["start"])
        if until is not None and s > until:
            continue
        per_month = monthly(x["amount"], x["start"], x["end"])
        covered = [m for m in range(s, month_index(x["end"]) + 1)
                   if x["start"] <= last_day(m) < x["end"] and (until is None or m <= until)]
        first = s if first is None else min(first, s)
        if not covered:
            rows.append(gen.Row(x["customer_id"], "", s, Decimal(0), x["cost"], x["csat"],
                                x["segment"]))
            last = s if last is None else max(last, s)
            continue
        last = covered[-1] if last is None else max(last, covered[-1])
        for m in covered:
            rows.append(gen.Row(x["customer_id"], "", m, per_month, x["cost"] if m == s else None,
                                x["csat"] if m == s else None, x["segment"]))
    assert first is not None and last is not None
    return rows, first, (until if until is not None else last)


def run(binary: str, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *args], capture_output=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def check(binary: str, work: str, seed: int, customers: int, results: list[tuple[str, list[str]]]) -> None:
    lines = gi.generate(customers, seed, "2023-01", 24)
    path = os.path.join(work, f"inv-{seed}.csv")
    fx = os.path.join(work, f"fx-{seed}.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        gi.write(lines, f, "csv")
    gi.write_rates(fx, seed, "2023-01", 24)
    parsed = parse(path, Rates(fx), "USD")
    common = ["--currency", "USD", "--fx", fx, "-q"]
    kinds = {x["type"] for x in parsed}
    problems: list[str] = []
    if kinds != {"subscription", "one_time", "refund"}:
        problems.append(f"line types {kinds}")
    if not any(x["amount"] < 0 and x["type"] == "subscription" for x in parsed):
        problems.append("no proration credit: the data tests nothing")
    if not any(whole_months(x["start"], x["end"]) == 12 for x in parsed if x["end"]):
        problems.append("no annual plan")
    results.append((f"seed {seed}: the generated data has every case", problems))

    for until in (None, 2023 * 12 + 17):
        rows, first, last = expand(parsed, until)
        reference = ca.Reference(rows)
        reference.first, reference.last = first, last
        ck = ca.Checker()
        extra = [] if until is None else ["--until", f"{until // 12}-{until % 12 + 1:02d}"]
        for grain, size in (("month", 1), ("quarter", 3), ("year", 12)):
            where = f"seed {seed} {grain}{' until' if until else ''}"
            doc = ca.run(binary, ["compute", "--by", "segment", "--grain", grain, "-f", "json",
                                  *common, *extra, path])
            if doc.get("kind") != "invoice":
                ck.problems.append(f"{where}: kind {doc.get('kind')}")
            ca.check_periods(ck, where + " all", doc["periods"], reference.periods(None, size), size, False)
            ca.check_summary(ck, where + " summary", doc["summary"],
                             ca.Reference.summary(reference.periods(None, 1)))
            ck.same(where + " groups", [g["group"] for g in doc["groups"]], reference.groups)
            for g in doc["groups"]:
                ca.check_periods(ck, f"{where} group {g['group']}", g["periods"],
                                 reference.periods(g["group"], size), size, True)
            if until is None:
                inv = doc["invoices"]
                one = sum((x["amount"] for x in parsed if x["type"] == "one_time"), Decimal(0))
                ref_ = sum((x["amount"] for x in parsed if x["type"] == "refund"), Decimal(0))
                ck.same(where + " one_time_amount", Decimal(str(inv["one_time_amount"])), one)
                ck.same(where + " refund_amount", Decimal(str(inv["refund_amount"])), ref_)
                ck.same(where + " lines", inv["lines"], len(parsed))
                doc2 = ca.run(binary, ["cohorts", "--grain", grain, "--by", "segment", "-f", "json",
                                       *common, path])
                ca.check_cohorts(ck, f"{where} cohorts", doc2["cohorts"], reference.cohorts(size, False), size)
                for g in doc2["groups"]:
                    ca.check_cohorts(ck, f"{where} cohorts group {g['group']}", g["cohorts"],
                                     reference.cohorts(size, False, g["group"]), size)
        results.append((f"seed {seed}{' --until' if until else ''}: compute --by segment at every "
                        f"grain and cohorts agree with the reference ({ck.values} values)",
                        list(ck.problems)))

    # Row order: shuffled CSV and JSON Lines give the same bytes (but for the source names).
    problems = []
    for shuffle_seed, fmt in ((1, "csv"), (2, "jsonl"), (3, "csv")):
        other = os.path.join(work, f"inv-{seed}-shuffled-{shuffle_seed}.{fmt}")
        shuffled = list(lines)
        random.Random(f"shuffle:{shuffle_seed}").shuffle(shuffled)
        with open(other, "w", encoding="utf-8", newline="") as f:
            gi.write(shuffled, f, fmt)
        for grain in ("month", "quarter", "year"):
            a = run(binary, ["compute", "-f", "json", "--grain", grain, *common, "--by", "segment", path])
            b = run(binary, ["compute", "-f", "json", "--grain", grain, *common, "--by", "segment",
                             "-j", "2", other])
            if a.returncode != 0 or b.returncode != 0:
                problems.append(f"{grain}: exit {a.returncode}/{b.returncode} {b.stderr[:300]!r}")
                continue
            if a.stdout.replace(path.encode(), b"X") != b.stdout.replace(other.encode(), b"X"):
                problems.append(f"{grain}: shuffled {fmt} output differs")
    results.append((f"seed {seed}: shuffled CSV and JSON Lines give byte-identical output", problems))


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--customers", type=int, default=300)
    args = p.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    results: list[tuple[str, list[str]]] = []
    for seed in (5, 6):
        check(os.path.abspath(args.binary), args.work, seed, args.customers, results)
    failed = 0
    for name, problems in results:
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for line in problems[:15]:
                print(f"    {line}")
        else:
            print(f"ok   {name}")
    print(f"crosscheck invoices: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
