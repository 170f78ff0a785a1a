#!/usr/bin/env python3
"""Cross-check of `csm-metrics movements` on data from tools/gen_activity.py (activity records and
subscription records) and tools/gen_invoices.py (invoice records), at every grain, with and
without --by segment, two ways:

1. Line for line against a reference classification written here from docs/metrics.md (sections
   2, 10 and 11) and docs/movements.md: for each period of the grain, the dict customer ->
   (revenue, group) at its reference month (its last month, or the data's last month) is compared
   with the one of the period before. Nothing is shared with the C++ code.
2. The lines' counts and sums per period and type against `compute --format json` of the same
   binary: new/reactivated/expanded/contracted/churned customers and their MRR, moved_in/out per
   group, and mrr_end - mrr_start = the sum of mrr_change.

Also: the CSV, JSON and table formats hold the same lines; the filters select what the reference
selects; shuffled rows, several files and -j 1 / -j 2 give the same bytes.

Usage: crosscheck_movements.py --binary PATH --work DIR
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime
import io
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from typing import Any, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "tools"))
import gen_activity as gen  # noqa: E402
import gen_invoices as gi  # noqa: E402
sys.path.insert(0, HERE)
import crosscheck_invoices as cinv  # noqa: E402  (its normalisation of invoice lines to months)

TYPES = ["new", "reactivation", "expansion", "contraction", "churn", "moved_in", "moved_out"]
SIZES = {"month": 1, "quarter": 3, "year": 12}
Snapshot = dict[str, tuple[Decimal, str]]  # customer -> (revenue > 0, group)


def label(first_month: int, grain: str) -> str:
    year, month = divmod(first_month, 12)
    if grain == "quarter":
        return f"{year:04d}-Q{month // 3 + 1}"
    if grain == "year":
        return f"{year:04d}"
    return f"{year:04d}-{month + 1:02d}"


class Reference:
    """Customers by month: revenue summed over a month's rows, the group of the rows with the most
    revenue (ties: the smallest name in byte order); active = revenue > 0."""

    def __init__(self, rows: list[tuple[str, int, Decimal, str]], first: int, last: int) -> None:
        parts: dict[tuple[str, int], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for customer, month, revenue, group in rows:
            parts[(customer, month)][group] += revenue
        self.first, self.last = first, last
        self.active: dict[int, Snapshot] = defaultdict(dict)
        self.first_active: dict[str, int] = {}
        for (customer, month), by_group in parts.items():
            total = sum(by_group.values(), Decimal(0))
            if total > 0:
                group = min(by_group, key=lambda g: (-by_group[g], g.encode()))
                self.active[month][customer] = (total, group)
                self.first_active[customer] = min(month, self.first_active.get(customer, month))

    def lines(self, grain: str, grouped: bool) -> list[tuple[str, str, str, Decimal, Decimal, str]]:
        """(period, customer, movement, before, after, group) in the documented order."""
        size = SIZES[grain]
        out = []
        before: Snapshot = {}
        for period in range(self.first // size, self.last // size + 1):
            start = period * size
            now = self.active.get(min(start + size - 1, self.last), {})
            found = []
            for c, (revenue, group) in now.items():
                if c in before:
                    old, old_group = before[c]
                    if grouped and group != old_group:
                        found.append((c, "moved_in", Decimal(0), old, group))
                        found.append((c, "moved_out", old, Decimal(0), old_group))
                    if revenue > old:
                        found.append((c, "expansion", old, revenue, group))
                    elif revenue < old:
                        found.append((c, "contraction", old, revenue, group))
                elif self.first_active[c] // size == period:
                    found.append((c, "new", Decimal(0), revenue, group))
                else:
                    found.append((c, "reactivation", Decimal(0), revenue, group))
            for c, (old, old_group) in before.items():
                if c not in now:
                    found.append((c, "churn", old, Decimal(0), old_group))
            found.sort(key=lambda f: (f[0].encode(), TYPES.index(f[1])))
            for c, kind, b, a, g in found:
                out.append((label(start, grain), c, kind, b, a, g if grouped else ""))
            before = now
        return out


def run(binary: str, args: list[str]) -> str:
    done = subprocess.run([binary, *args], capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"csm-metrics {' '.join(args)}: exit {done.returncode}: "
                         f"{done.stderr.decode(errors='replace')}")
    return done.stdout.decode()


def parse_csv(text: str) -> list[tuple[str, str, str, Decimal, Decimal, str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert header == ["period", "customer_id", "movement", "mrr_before", "mrr_after", "mrr_change",
                      "group"], header
    out = []
    for period, customer, kind, b, a, change, group in reader:
        if Decimal(a) - Decimal(b) != Decimal(change):
            raise AssertionError(f"{period} {customer} {kind}: change {change} != {a} - {b}")
        for money in (b, a, change):
            if len(money.split(".")[1]) < 2:
                raise AssertionError(f"money text {money!r} has fewer than 2 decimals")
        out.append((period, customer, kind, Decimal(b), Decimal(a), "" if group == "(none)" else group))
    return out


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checks = 0

    def same(self, where: str, got: Any, want: Any) -> None:
        self.checks += 1
        if got != want:
            if isinstance(got, list) and isinstance(want, list):
                for i, (g, w) in enumerate(zip(got, want)):
                    if g != w:
                        self.problems.append(f"{where}: line {i}: got {g}, want {w}")
                        return
                self.problems.append(f"{where}: {len(got)} lines, want {len(want)}")
            else:
                self.problems.append(f"{where}: got {got!r}, want {want!r}")


def check_against_compute(ck: Checker, where: str, lines: list[Any], doc: dict[str, Any],
                          grouped: bool) -> None:
    """Sums of the lines per period and type = compute's bridge, counts and moves."""
    def sums(selected: list[Any]) -> dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]]:
        out: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0), Decimal(0)])
        for period, _, kind, b, a, _ in selected:
            s = out[(period, kind)]
            s[0] += 1
            s[1] += b
            s[2] += a
            s[3] += a - b
        return {k: tuple(v) for k, v in out.items()}

    def compare(w: str, periods: list[dict[str, Any]], by_type: dict[Any, Any], moves: bool) -> None:
        known = {p["period"] for p in periods}
        stray = sorted({period for period, _ in by_type if period not in known})
        ck.same(w + " periods without compute's", stray, [])
        zero = (0, Decimal(0), Decimal(0), Decimal(0))
        for p in periods:
            t = {kind: by_type.get((p["period"], kind), zero) for kind in TYPES}
            got = {
                "new_customers": t["new"][0], "new_mrr": t["new"][3],
                "reactivated_customers": t["reactivation"][0], "reactivation_mrr": t["reactivation"][3],
                "expanded_customers": t["expansion"][0], "expansion_mrr": t["expansion"][3],
                "contracted_customers": t["contraction"][0], "contraction_mrr": -t["contraction"][3],
                "churned_customers": t["churn"][0], "churned_mrr": t["churn"][1],
            }
            if moves:
                got.update({"moved_in_customers": t["moved_in"][0], "moved_in_mrr": t["moved_in"][3],
                            "moved_out_customers": t["moved_out"][0], "moved_out_mrr": t["moved_out"][1]})
            want = {k: (Decimal(str(p[k])) if k.endswith("_mrr") else p[k]) for k in got}
            ck.same(f"{w} {p['period']}", got, want)
            net = sum((v[3] for v in t.values()), Decimal(0))
            ck.same(f"{w} {p['period']} mrr_end - mrr_start",
                    net, Decimal(str(p["mrr_end"])) - Decimal(str(p["mrr_start"])))

    compare(where + " all customers", doc["periods"], sums(lines), False)
    if grouped:
        for g in doc["groups"]:
            mine = [x for x in lines if x[5] == g["group"]]
            compare(f"{where} group {g['group'] or '(none)'}", g["periods"], sums(mine), True)


def check_input(ck: Checker, binary: str, path: str, reference: Reference, extra: list[str]) -> int:
    """Every grain, with and without --by segment: lines against the reference and compute."""
    lines_seen = 0
    for grain in ("month", "quarter", "year"):
        for grouped in (False, True):
            by = ["--by", "segment"] if grouped else []
            where = f"{os.path.basename(path)} {grain}{' --by segment' if grouped else ''}"
            args = [*extra, "--grain", grain, *by, "-q", path]
            csv_text = run(binary, ["movements", "-f", "csv", *args])
            lines = parse_csv(csv_text)
            lines_seen += len(lines)
            ck.same(where + " lines", lines, reference.lines(grain, grouped))
            check_against_compute(ck, where, lines, json.loads(run(binary, ["compute", "-f", "json", *args])),
                                  grouped)
            # JSON holds the same lines, with the same money text
            doc = json.loads(run(binary, ["movements", "-f", "json", *args]), parse_float=Decimal)
            ck.same(where + " json envelope", [doc["tool"], doc["command"], doc["settings"]["grain"]],
                    ["csm-metrics", "movements", grain])
            from_json = [(m["period"], m["customer_id"], m["movement"], m["mrr_before"], m["mrr_after"],
                          m["group"] or "") for m in doc["movements"]]
            ck.same(where + " json = csv", from_json, lines)
            ck.same(where + " json change", [m["mrr_after"] - m["mrr_before"] for m in doc["movements"]],
                    [m["mrr_change"] for m in doc["movements"]])
            ck.same(where + " json group null without --by",
                    all((m["group"] is None) != grouped for m in doc["movements"]), True)
            ck.same(where + " -j 1 = -j 2", run(binary, ["movements", "-f", "csv", "-j", "1", *args]),
                    run(binary, ["movements", "-f", "csv", "-j", "2", *args]))
            table = run(binary, ["movements", *args])
            ck.same(where + " table within 80 columns",
                    [t for t in table.splitlines() if len(t) > 80][:1], [])
            ck.same(where + " table lines", sum(1 for t in table.splitlines()
                                                if t[:4].isdigit() and len(t) > 20), len(lines))
    return lines_seen


def check_filters(ck: Checker, binary: str, path: str, reference: Reference) -> None:
    want = reference.lines("quarter", True)
    periods = sorted({x[0] for x in want})[1:3]
    customers = sorted({x[1] for x in want if x[2] == "moved_in"})[:3] + ["nobody-such"]
    args = ["movements", "-f", "csv", "-q", "--grain", "quarter", "--by", "segment", path]
    got = parse_csv(run(binary, [*args, "--period", periods[0], "--period", periods[1]]))
    ck.same("filter --period", got, [x for x in want if x[0] in periods])
    got = parse_csv(run(binary, [*args, "--type", "churn,moved_in", "--type", "new"]))
    ck.same("filter --type", got, [x for x in want if x[2] in ("churn", "moved_in", "new")])
    got = parse_csv(run(binary, [*args, *[a for c in customers for a in ("--customer", c)]]))
    ck.same("filter --customer", got, [x for x in want if x[1] in customers])
    ck.same("filter --customer finds movers", len(got) > 0, True)
    got = parse_csv(run(binary, [*args, "--customer", customers[0], "--type", "expansion,contraction",
                                 "--period", periods[1]]))
    ck.same("filters together", got, [x for x in want if x[1] == customers[0] and x[0] == periods[1]
                                      and x[2] in ("expansion", "contraction")])


def month_of(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def last_day(month: int) -> datetime.date:
    year, m0 = divmod(month, 12)
    return datetime.date(year, m0 + 1, calendar.monthrange(year, m0 + 1)[1])


def expand(subs: list[Any]) -> tuple[list[tuple[str, int, Decimal, str]], int, int]:
    """Subscriptions as customer-months by the documented rule: active on the month's last day."""
    first = min(month_of(s.start) for s in subs)
    last = max(max(month_of(s.start), month_of(s.end) if s.end else 0) for s in subs)
    rows = []
    for s in subs:
        for m in range(month_of(s.start), last + 1):
            if s.start <= last_day(m) and (s.end is None or s.end > last_day(m)):
                rows.append((s.customer_id, m, s.mrr, s.segment))
    return rows, first, last


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--customers", type=int, default=400)
    args = p.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    ck = Checker()
    counts: dict[str, int] = {}

    # Activity records: shuffled, some day dates, a customer-month split over rows and segments.
    options = gen.Options(customers=args.customers, months=26, start="2023-02", seed=5, day_dates=0.2)
    rows = gen.generate(options)
    activity = os.path.join(args.work, "activity.csv")
    gen.write_file(gen.shuffled(rows, 5), activity)
    reference = Reference([(r.customer_id, r.month, r.revenue, r.segment) for r in rows],
                          min(r.month for r in rows), max(r.month for r in rows))
    counts["activity"] = check_input(ck, args.binary, activity, reference, [])
    kinds = {x[2] for x in reference.lines("month", True)}
    ck.same("the data has every movement", sorted(kinds, key=TYPES.index), TYPES)
    check_filters(ck, args.binary, activity, reference)

    # The same rows in two JSON Lines files, sorted: the same bytes as the shuffled CSV.
    halves = [os.path.join(args.work, f"half{k}.jsonl") for k in (1, 2)]
    for k, half in enumerate(halves):
        with open(half, "w", encoding="utf-8") as f:
            gen.write_rows(rows[k::2], f, "jsonl")
    for grain in ("month", "year"):
        one = run(args.binary, ["movements", "-f", "csv", "--by", "segment", "--grain", grain, "-q", activity])
        two = run(args.binary, ["movements", "-f", "csv", "--by", "segment", "--grain", grain, "-q", *halves])
        ck.same(f"two JSON Lines files = one shuffled CSV ({grain})", two, one)

    # Subscription records (start and end dates, open subscriptions, segment changes).
    options = gen.Options(customers=args.customers, months=22, start="2023-03", seed=8)
    subs = gen.subscriptions(gen.generate(options), options)
    subscriptions = os.path.join(args.work, "subscriptions.csv")
    with open(subscriptions, "w", newline="", encoding="utf-8") as f:
        gen.write_subscriptions(gen.shuffled(subs, 8), f)
    sub_rows, first, last = expand(subs)
    counts["subscription"] = check_input(ck, args.binary, subscriptions, Reference(sub_rows, first, last), [])

    # Invoice records (issue 17): tools/gen_invoices.py lines (monthly, quarterly and annual plans,
    # prorations, trials, refunds, one-time fees, three currencies), normalised to customer-months
    # by crosscheck_invoices.py's reference (written from docs/metrics.md, not from the C++).
    lines = gi.generate(max(args.customers // 2, 50), 4, "2023-01", 24)
    invoices = os.path.join(args.work, "invoices.csv")
    fx = os.path.join(args.work, "fx.csv")
    with open(invoices, "w", encoding="utf-8", newline="") as f:
        gi.write(lines, f, "csv")
    gi.write_rates(fx, 4, "2023-01", 24)
    inv_rows, first, last = cinv.expand(cinv.parse(invoices, cinv.Rates(fx), "USD"), None)
    counts["invoice"] = check_input(ck, args.binary, invoices,
                                    Reference([(r.customer_id, r.month, r.revenue, r.segment) for r in inv_rows],
                                              first, last),
                                    ["--currency", "USD", "--fx", fx])

    for problem in ck.problems[:20]:
        print("FAIL", problem)
    print(f"{ck.checks} checks, {len(ck.problems)} problems; lines checked: {counts}")
    return 1 if ck.problems else 0


if __name__ == "__main__":
    sys.exit(main())
