#!/usr/bin/env python3
"""Generate realistic, reproducible customer activity records for csm-metrics.

Each customer is simulated month by month as a small state machine (trialling, paying, paused,
gone) so that the output contains what real exports contain: sign-ups growing over time, churn
(sometimes with a closing 0.00 row), win-backs after a gap, seat and tier changes that move
customers between segments, recurring add-ons billed as a second row in the same month, invoices
split in two rows, metered usage with 6 decimals, survey answers, acquisition spend on sign-up or
trial rows, and a few customer ids that need RFC 4180 quoting.

With --kind subscription the same simulated customers are written as subscription records
instead (customer_id, start_date, end_date, mrr, segment, acquisition_cost): each run of months at
one price in one segment is one subscription, starting on a day of its first month and ending
(exclusive) on a day of the month after its last, or open when it runs to the last month; a
month's acquisition cost rides on the subscription that starts in it, or on a subscription that
starts and ends inside that month (active on no month's last day: mrr counted nowhere). Tier
changes that move a customer to another segment start a subscription in the new segment.

The same arguments always give the same bytes (random.Random seeded from --seed). Standard library
only, so the test suite can run it on a fresh machine. Also importable: generate() returns rows and
write_rows() writes them, which is how tests/crosscheck/crosscheck.py uses it; subscriptions()
and write_subscriptions() do the same for subscription records.

Examples:
  tools/gen_activity.py --customers 3000 --months 24 --seed 7 -o activity.csv
  tools/gen_activity.py --customers 500 --format jsonl --shuffle --day-dates 0.3 -o a.jsonl
  tools/gen_activity.py --customers 500 --kind subscription --shuffle -o subscriptions.csv
"""

from __future__ import annotations

import argparse
import calendar
import csv
import dataclasses
import datetime
import io
import json
import random
import sys
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Optional, TextIO

CENT = Decimal("0.01")

# Price list per segment: monthly price per seat of each tier, the usual seat counts, and the base
# monthly probability of cancelling. Churn falls as customers get bigger, as it does in practice.
SEGMENTS = ("starter", "pro", "enterprise")
TIER_PRICES = {
    "starter": (Decimal("19.00"), Decimal("29.00"), Decimal("49.00")),
    "pro": (Decimal("99.00"), Decimal("149.00"), Decimal("249.00")),
    "enterprise": (Decimal("990.00"), Decimal("1990.00"), Decimal("3490.00")),
}
SEAT_RANGE = {"starter": (1, 3), "pro": (1, 12), "enterprise": (1, 4)}
MONTHLY_CHURN = {"starter": 0.045, "pro": 0.025, "enterprise": 0.01}
SIGNUP_MIX = (("starter", 0.6), ("pro", 0.32), ("enterprise", 0.08))
ACQUISITION_RANGE = {"starter": (40, 320), "pro": (300, 1600), "enterprise": (2500, 16000)}
# Weights of survey scores 1..5 for paying customers and for customers who are leaving.
CSAT_HAPPY = (3, 6, 16, 39, 36)
CSAT_LEAVING = (30, 28, 22, 12, 8)
DISCOUNTS = (Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0.10"), Decimal("0.15"),
             Decimal("0.175"))
ADDON_PRICES = (Decimal("9.99"), Decimal("14.50"), Decimal("29.00"), Decimal("4.75"))
# Metered usage: price per API call, so the fee has up to 6 decimals.
USAGE_UNIT_PRICE = Decimal("0.000137")

# Company names that a CSV writer must quote (comma, quote, line break) or that are not ASCII.
AWKWARD_NAMES = (
    "Acme, Inc.",
    'Blue "Sky" Ltd',
    'Smith, Jones & "Partners"',
    "Line\nBreak Logistics",
    "Müller & Söhne GmbH",
    "東京商事",
    "O'Reilly Media",
    "Tab\tSeparated Co",
)

CSV_COLUMNS = ("customer_id", "period", "revenue", "acquisition_cost", "csat", "segment")
EXTRA_COLUMNS = ("invoice_id", "region")
REGIONS = ("EMEA", "NA", "APAC", "LATAM")


@dataclasses.dataclass
class Row:
    """One output record. `month` is year*12 + month-1 of `period`; `seq` keeps a stable order."""

    customer_id: str
    period: str
    month: int
    revenue: Decimal
    acquisition_cost: Optional[Decimal]
    csat: Optional[int]
    segment: str
    seq: int = 0
    invoice_id: str = ""
    region: str = ""


@dataclasses.dataclass
class Options:
    customers: int = 1000
    months: int = 24
    start: str = "2023-01"
    seed: int = 1
    day_dates: float = 0.0
    gap_month: Optional[str] = None
    awkward_ids: bool = True


@dataclasses.dataclass
class Customer:
    customer_id: str
    segment: str
    tier: int
    seats: int
    discount: Decimal
    metered: bool
    region: str
    addon: Optional[Decimal] = None
    status: str = "prospect"  # prospect, paying, gone
    months_paying: int = 0
    may_return: bool = False


def month_index(text: str) -> int:
    """'YYYY-MM' -> year*12 + month-1; raises ValueError for anything else."""
    if len(text) != 7 or text[4] != "-":
        raise ValueError(f"expected YYYY-MM, got {text!r}")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or year < 1:
        raise ValueError(f"expected YYYY-MM, got {text!r}")
    return year * 12 + month - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def money_text(amount: Decimal) -> str:
    """At least 2 decimals, never exponent notation: 19 -> '19.00', 0.000137*3 -> '0.000411'."""
    if amount.as_tuple().exponent > -2:  # type: ignore[operator]
        amount = amount.quantize(CENT)
    return format(amount, "f")


class Simulation:
    """Runs every customer through the months and collects the rows they produce."""

    def __init__(self, options: Options) -> None:
        self.o = options
        self.rng = random.Random(options.seed)
        self.first = month_index(options.start)
        self.rows: list[Row] = []
        self.invoice = 100000

    # -- plan and revenue -------------------------------------------------------------------
    def plan_revenue(self, c: Customer) -> Decimal:
        price = TIER_PRICES[c.segment][c.tier] * c.seats
        return (price * (1 - c.discount)).quantize(CENT, rounding=ROUND_HALF_UP)

    def usage_fee(self) -> Decimal:
        calls = self.rng.randint(2_000, 1_500_000)
        return calls * USAGE_UNIT_PRICE

    def expand(self, c: Customer) -> None:
        r = self.rng.random()
        if r < 0.55:
            c.seats += self.rng.randint(1, 3)
        elif c.tier + 1 < len(TIER_PRICES[c.segment]):
            c.tier += 1
        elif c.segment != SEGMENTS[-1]:
            c.segment = SEGMENTS[SEGMENTS.index(c.segment) + 1]
            c.tier = 0
            c.seats = max(1, c.seats // 3)
        else:
            c.seats += 1

    def contract(self, c: Customer) -> None:
        if c.seats > 1 and self.rng.random() < 0.6:
            c.seats -= 1
        elif c.tier > 0:
            c.tier -= 1
        elif c.segment != SEGMENTS[0]:
            c.segment = SEGMENTS[SEGMENTS.index(c.segment) - 1]
            c.tier = len(TIER_PRICES[c.segment]) - 1
            c.seats = max(1, c.seats)
        else:
            # Already the smallest plan: a retention discount is the only way down.
            c.discount = Decimal("0.20") if c.discount < Decimal("0.20") else c.discount

    def new_plan(self, c: Customer) -> None:
        r, acc = self.rng.random(), 0.0
        for segment, share in SIGNUP_MIX:
            acc += share
            if r < acc:
                c.segment = segment
                break
        else:
            c.segment = SIGNUP_MIX[-1][0]
        c.tier = self.rng.choice((0, 0, 0, 1, 1, 2))
        lo, hi = SEAT_RANGE[c.segment]
        c.seats = self.rng.randint(lo, hi)
        c.discount = self.rng.choice(DISCOUNTS)

    def acquisition_spend(self, segment: str) -> Decimal:
        lo, hi = ACQUISITION_RANGE[segment]
        return Decimal(self.rng.randint(lo * 100, hi * 100)) / 100

    def survey(self, weights: tuple[int, ...]) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), weights=weights)[0]

    # -- rows -------------------------------------------------------------------------------
    def emit(self, c: Customer, month: int, revenue: Decimal, *,
             acquisition: Optional[Decimal] = None, csat: Optional[int] = None) -> None:
        period = month_text(month)
        if self.o.day_dates > 0 and self.rng.random() < self.o.day_dates:
            year, mon = month // 12, month % 12 + 1
            day = self.rng.randint(1, calendar.monthrange(year, mon)[1])
            period = f"{period}-{day:02d}"
        self.invoice += self.rng.randint(1, 9)
        self.rows.append(Row(c.customer_id, period, month, revenue, acquisition, csat, c.segment,
                             len(self.rows), f"INV-{self.invoice}", c.region))

    def paying_month(self, c: Customer, month: int, acquisition: Optional[Decimal]) -> None:
        """Rows of a month in which the customer pays: the plan, maybe usage, maybe an add-on."""
        revenue = self.plan_revenue(c)
        if c.metered:
            revenue += self.usage_fee()
        csat = self.survey(CSAT_HAPPY) if self.rng.random() < 0.17 else None
        if revenue >= Decimal("0.02") and self.rng.random() < 0.025:
            # The invoice is split in two rows (e.g. a mid-month seat change); the parts must add
            # back exactly, so an unchanged customer is still unchanged.
            part = (revenue * Decimal(self.rng.randint(5, 95)) / 100).quantize(CENT)
            part = min(max(part, CENT), revenue - CENT)
            self.emit(c, month, part, acquisition=acquisition, csat=csat)
            self.emit(c, month, revenue - part)
        else:
            self.emit(c, month, revenue, acquisition=acquisition, csat=csat)
        if c.addon is not None:
            addon_csat = self.survey(CSAT_HAPPY) if self.rng.random() < 0.04 else None
            self.emit(c, month, c.addon, csat=addon_csat)
        if self.rng.random() < 0.006:
            # A credit note netted to zero by the billing system: a 0.00 row beside a paying one.
            self.emit(c, month, Decimal("0.00"))

    def run_customer(self, number: int, signup: int, last: int) -> None:
        rng = self.rng
        if self.o.awkward_ids and rng.random() < 0.005:
            customer_id = f"{rng.choice(AWKWARD_NAMES)} #{number}"
        else:
            customer_id = f"C{number:06d}"
        c = Customer(customer_id, "starter", 0, 1, Decimal(0), rng.random() < 0.08,
                     rng.choice(REGIONS))
        self.new_plan(c)
        legacy = signup == self.first and rng.random() < 0.5
        spend: Optional[Decimal] = None
        if not legacy:
            roll = rng.random()
            if roll < 0.05:
                spend = None  # organic sign-up, nothing booked
            elif roll < 0.08:
                spend = Decimal("0.00")
            else:
                spend = self.acquisition_spend(c.segment)
        if signup > self.first and rng.random() < 0.15:
            # A free trial month before the first payment: a 0.00 row carrying the spend. The
            # customer is new in the month it first pays, not in the trial month.
            self.emit(c, signup - 1, Decimal("0.00"), acquisition=spend,
                      csat=self.survey(CSAT_HAPPY) if rng.random() < 0.2 else None)
            spend = None
        c.status = "paying"
        self.paying_month(c, signup, spend)
        c.months_paying = 1

        for month in range(signup + 1, last + 1):
            if c.status == "paying":
                churn = MONTHLY_CHURN[c.segment] * (1.8 if c.months_paying <= 3 else 1.0)
                roll = rng.random()
                if roll < churn:
                    c.status = "gone"
                    c.may_return = rng.random() < 0.4
                    c.addon = None
                    if rng.random() < 0.55:
                        csat = self.survey(CSAT_LEAVING) if rng.random() < 0.5 else None
                        self.emit(c, month, Decimal("0.00"), csat=csat)
                    continue
                if roll < churn + 0.015:
                    # Paused for a month: a 0.00 row or no row at all, then billing resumes.
                    if rng.random() < 0.7:
                        self.emit(c, month, Decimal("0.00"))
                    continue
                move = rng.random()
                if move < 0.05:
                    self.expand(c)
                elif move < 0.08:
                    self.contract(c)
                addon_roll = rng.random()
                if c.addon is None and addon_roll < 0.03:
                    c.addon = (self.usage_fee() / 10).quantize(Decimal("0.000001")) \
                        if rng.random() < 0.25 else rng.choice(ADDON_PRICES)
                elif c.addon is not None and addon_roll < 0.08:
                    c.addon = None
                c.months_paying += 1
                self.paying_month(c, month, None)
            elif c.may_return and rng.random() < 0.07:
                # Won back: possibly on a different plan, sometimes with win-back spend.
                c.status = "paying"
                self.new_plan(c)
                spend = self.acquisition_spend(c.segment) / 4 if rng.random() < 0.25 else None
                c.months_paying = 1
                self.paying_month(c, month, spend)

    def run(self) -> list[Row]:
        o = self.o
        last = self.first + o.months - 1
        # Existing base in the first month, then sign-ups growing by ~4 % of the base rate a month.
        weights = [0.0] * o.months
        weights[0] = 0.35
        later = [1.0 + 0.04 * k for k in range(1, o.months)]
        total = sum(later) or 1.0
        for k in range(1, o.months):
            weights[k] = 0.65 * later[k - 1] / total
        signups = self.rng.choices(range(o.months), weights=weights, k=o.customers) \
            if o.months > 1 else [0] * o.customers
        for number, offset in enumerate(sorted(signups), start=1):
            self.run_customer(number, self.first + offset, last)
        rows = self.rows
        if o.gap_month:
            gap = month_index(o.gap_month)
            rows = [r for r in rows if r.month != gap]
        # An export is ordered by month, then by customer; seq keeps rows of one customer in order.
        rows.sort(key=lambda r: (r.month, r.seq))
        return rows


def generate(options: Options) -> list[Row]:
    """All rows for `options`, in export order (by month)."""
    if options.customers < 1 or options.months < 1:
        raise ValueError("--customers and --months must be >= 1")
    if not 0.0 <= options.day_dates <= 1.0:
        raise ValueError("--day-dates must be between 0 and 1")
    first = month_index(options.start)
    if options.gap_month is not None:
        gap = month_index(options.gap_month)
        if not first < gap < first + options.months - 1:
            raise ValueError("--gap-month must lie strictly inside the generated range")
    return Simulation(options).run()


@dataclasses.dataclass
class Subscription:
    """One subscription record. `end` is exclusive; None = still active."""

    customer_id: str
    start: datetime.date
    end: Optional[datetime.date]
    mrr: Decimal
    segment: str
    acquisition_cost: Optional[Decimal]


def _day(rng: random.Random, month: int) -> datetime.date:
    """A day of `month` (a month index): mostly 1..28, sometimes the first or the last day."""
    year, m0 = divmod(month, 12)
    last = calendar.monthrange(year, m0 + 1)[1]
    pick = rng.random()
    day = 1 if pick < 0.1 else last if pick < 0.2 else rng.randrange(1, 29)
    return datetime.date(year, m0 + 1, day)


def subscriptions(rows: Iterable[Row], options: Options) -> list[Subscription]:
    """The customers of `rows` (from generate(options)) as subscription records, in customer order."""
    rng = random.Random(f"subscriptions:{options.seed}")
    last_month = month_index(options.start) + options.months - 1
    revenue: dict[str, dict[int, Decimal]] = {}
    segment: dict[str, dict[int, tuple[Decimal, str]]] = {}
    cost: dict[str, dict[int, Decimal]] = {}
    order: list[str] = []
    for r in rows:
        if r.customer_id not in revenue:
            order.append(r.customer_id)
            revenue[r.customer_id], segment[r.customer_id], cost[r.customer_id] = {}, {}, {}
        revenue[r.customer_id][r.month] = revenue[r.customer_id].get(r.month, Decimal(0)) + r.revenue
        best = segment[r.customer_id].get(r.month)
        if best is None or r.revenue > best[0]:
            segment[r.customer_id][r.month] = (r.revenue, r.segment)
        if r.acquisition_cost is not None:
            cost[r.customer_id][r.month] = cost[r.customer_id].get(r.month, Decimal(0)) + r.acquisition_cost
    out: list[Subscription] = []
    for cid in order:
        months = sorted(m for m, v in revenue[cid].items() if v > 0)
        runs: list[list[int]] = []
        for m in months:
            if runs and runs[-1][-1] == m - 1 and revenue[cid][m] == revenue[cid][runs[-1][-1]] \
                    and segment[cid][m][1] == segment[cid][runs[-1][-1]][1]:
                runs[-1].append(m)
            else:
                runs.append([m])
        booked = set()
        for run in runs:
            first, last = run[0], run[-1]
            end = None if last == last_month else _day(rng, last + 1)
            c = cost[cid].get(first)
            if c is not None:
                booked.add(first)
            out.append(Subscription(cid, _day(rng, first), end, revenue[cid][first],
                                    segment[cid][first][1], c))
        for m, c in sorted(cost[cid].items()):
            if m in booked:
                continue
            # Spend on a month without a starting subscription (a trial): a subscription of that
            # month only, ended before its last day.
            start = _day(rng, m)
            year, m0 = divmod(m, 12)
            last_day = calendar.monthrange(year, m0 + 1)[1]
            end = start if start.day == last_day else start + datetime.timedelta(
                days=rng.randrange(0, last_day - start.day))
            seg = segment[cid].get(m, (Decimal(0), rows_segment(rows, cid)))[1]
            out.append(Subscription(cid, start, end, Decimal("0.00"), seg, c))
    return out


def rows_segment(rows: Iterable[Row], cid: str) -> str:
    for r in rows:
        if r.customer_id == cid:
            return r.segment
    return ""


def write_subscriptions(subs: Iterable[Subscription], out: TextIO, fmt: str = "csv", *,
                        crlf: bool = True) -> None:
    """Write subscription records as csv or jsonl (an open subscription has an empty or null end)."""
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(["customer_id", "start_date", "end_date", "mrr", "segment", "acquisition_cost"])
        for s in subs:
            writer.writerow([s.customer_id, s.start.isoformat(), "" if s.end is None else s.end.isoformat(),
                             money_text(s.mrr), s.segment,
                             "" if s.acquisition_cost is None else money_text(s.acquisition_cost)])
    elif fmt == "jsonl":
        for index, s in enumerate(subs):
            parts = [f'"customer_id": {json.dumps(s.customer_id, ensure_ascii=False)}',
                     f'"start_date": "{s.start.isoformat()}"']
            if s.end is not None:
                parts.append(f'"end_date": "{s.end.isoformat()}"')
            elif index % 2:
                parts.append('"end_date": null')
            parts.append(f'"mrr": {money_text(s.mrr)}')
            parts.append(f'"segment": "{s.segment}"')
            if s.acquisition_cost is not None:
                parts.append(f'"acquisition_cost": {money_text(s.acquisition_cost)}')
            out.write("{" + ", ".join(parts) + "}\n")
    else:
        raise ValueError(f"subscription records are written as csv or jsonl, not {fmt!r}")


def shuffled(rows: Iterable[Row], seed: int) -> list[Row]:
    """A copy of rows in a random order that depends only on `seed`."""
    out = list(rows)
    random.Random(f"shuffle:{seed}").shuffle(out)
    return out


def _json_object(row: Row, index: int, extra_columns: bool) -> str:
    # Numbers are written as JSON numbers with their exact decimal text. Empty optional values are
    # alternately left out and written as null, as real exporters do both.
    parts = [f'"customer_id": {json.dumps(row.customer_id, ensure_ascii=False)}',
             f'"period": "{row.period}"',
             f'"revenue": {money_text(row.revenue)}']
    if row.acquisition_cost is not None:
        parts.append(f'"acquisition_cost": {money_text(row.acquisition_cost)}')
    elif index % 2:
        parts.append('"acquisition_cost": null')
    if row.csat is not None:
        parts.append(f'"csat": {row.csat}')
    elif index % 3 == 0:
        parts.append('"csat": null')
    parts.append(f'"segment": "{row.segment}"')
    if extra_columns:
        parts.append(f'"invoice_id": "{row.invoice_id}"')
        parts.append(f'"region": {{"name": "{row.region}", "tags": [1, 2.5, true, null]}}')
    return "{" + ", ".join(parts) + "}"


def write_rows(rows: Iterable[Row], out: TextIO, fmt: str = "csv", *, crlf: bool = True,
               extra_columns: bool = False) -> None:
    """Write rows as csv (RFC 4180), jsonl (one object a line) or json (an array of objects).

    For csv, open `out` with newline="" so that the writer's line endings are kept as they are.
    """
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
        header = list(CSV_COLUMNS)
        if extra_columns:
            header = ["invoice_id", *header[:3], "region", *header[3:]]
        writer.writerow(header)
        for row in rows:
            values = [row.customer_id, row.period, money_text(row.revenue),
                      "" if row.acquisition_cost is None else money_text(row.acquisition_cost),
                      "" if row.csat is None else str(row.csat), row.segment]
            if extra_columns:
                values = [row.invoice_id, *values[:3], row.region, *values[3:]]
            writer.writerow(values)
    elif fmt == "jsonl":
        for index, row in enumerate(rows):
            out.write(_json_object(row, index, extra_columns))
            out.write("\n")
    elif fmt == "json":
        out.write("[\n")
        first = True
        for index, row in enumerate(rows):
            if not first:
                out.write(",\n")
            first = False
            out.write("  " + _json_object(row, index, extra_columns))
        out.write("\n]\n")
    else:
        raise ValueError(f"unknown format {fmt!r}")


def write_file(rows: Iterable[Row], path: str, fmt: str = "csv", *, crlf: bool = True,
               bom: bool = False, extra_columns: bool = False) -> None:
    encoding = "utf-8-sig" if bom else "utf-8"
    with open(path, "w", encoding=encoding, newline="") as out:
        write_rows(rows, out, fmt, crlf=crlf, extra_columns=extra_columns)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Same arguments, same bytes.")
    p.add_argument("--customers", type=int, default=1000, help="customers to simulate (1000)")
    p.add_argument("--months", type=int, default=24, help="months to simulate (24)")
    p.add_argument("--start", default="2023-01", help="first month, YYYY-MM (2023-01)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.add_argument("--shuffle", action="store_true", help="write the rows in random order")
    p.add_argument("--shuffle-seed", type=int, help="seed of the shuffle (default: --seed)")
    p.add_argument("--format", choices=("csv", "jsonl", "json"), default="csv")
    p.add_argument("--kind", choices=("activity", "subscription"), default="activity",
                   help="activity records (default) or the same customers as subscription records")
    p.add_argument("--day-dates", type=float, default=0.0, metavar="FRACTION",
                   help="fraction of rows whose period is a YYYY-MM-DD date (0)")
    p.add_argument("--gap-month", metavar="YYYY-MM",
                   help="leave this month without any row (must be inside the range)")
    p.add_argument("--plain-ids", action="store_true",
                   help="only C000123-style ids (no commas, quotes, line breaks, non-ASCII)")
    p.add_argument("--extra-columns", action="store_true",
                   help="add columns csm-metrics ignores (invoice_id, region)")
    p.add_argument("--lf", action="store_true", help="csv: LF line endings instead of CRLF")
    p.add_argument("--bom", action="store_true", help="start the file with a UTF-8 BOM")
    p.add_argument("-o", "--output", default="-", help="output file ('-' = stdout)")
    args = p.parse_args(argv)

    options = Options(customers=args.customers, months=args.months, start=args.start,
                      seed=args.seed, day_dates=args.day_dates, gap_month=args.gap_month,
                      awkward_ids=not args.plain_ids)
    try:
        rows = generate(options)
    except ValueError as error:
        p.error(str(error))
    if args.kind == "subscription":
        if args.format == "json" or args.day_dates or args.gap_month or args.extra_columns:
            p.error("--kind subscription writes csv or jsonl, without --day-dates, --gap-month or "
                    "--extra-columns")
        subs = subscriptions(rows, options)
        if args.shuffle:
            subs = shuffled(subs, args.seed if args.shuffle_seed is None else args.shuffle_seed)
        text = io.StringIO(newline="")
        write_subscriptions(subs, text, args.format, crlf=not args.lf)
        data = ("\ufeff" if args.bom else "") + text.getvalue()
        if args.output == "-":
            sys.stdout.buffer.write(data.encode("utf-8"))
        else:
            with open(args.output, "wb") as f:
                f.write(data.encode("utf-8"))
        return 0
    if args.shuffle:
        rows = shuffled(rows, args.seed if args.shuffle_seed is None else args.shuffle_seed)
    if args.output == "-":
        text = io.StringIO(newline="")
        write_rows(rows, text, args.format, crlf=not args.lf, extra_columns=args.extra_columns)
        data = ("\ufeff" if args.bom else "") + text.getvalue()
        sys.stdout.buffer.write(data.encode("utf-8"))
    else:
        write_file(rows, args.output, args.format, crlf=not args.lf, bom=args.bom,
                   extra_columns=args.extra_columns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
