#!/usr/bin/env python3
"""Generate invoice lines as a billing system exports them (csm-metrics' invoice kind), with a
fixed seed: monthly, quarterly and annual plans started on any day of the month (month ends too),
free trials (amount 0), upgrades and downgrades at renewal and in mid-period (a negative proration
line for the unused time of the old plan and a positive one for the new plan), cancellations,
refunds, one-time setup fees, and three currencies (USD, EUR, GBP) with a rate file.

Usage:
  gen_invoices.py --customers 2000 --seed 7 -o invoices.csv [--fx-out rates.csv]
  gen_invoices.py --lines 5000000 --seed 1 -o big.csv      (about that many lines)
Options: --start 2023-01 --months 24 --shuffle SEED (row order) --format csv|jsonl.
Standard library only.
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import json
import random
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Iterator, Optional, TextIO

COLUMNS = ["customer_id", "service_start", "service_end", "amount", "currency", "line_type",
           "segment", "acquisition_cost", "csat"]
PRICES = {"starter": (19, 29, 39), "growth": (99, 149, 199), "scale": (499, 799, 1299)}
TIERS = ["starter", "growth", "scale"]


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def customer_lines(rng: random.Random, cid: str, start: datetime.date,
                   horizon: datetime.date) -> Iterator[list[str]]:
    """The invoice lines of one customer, in time order."""
    currency = rng.choices(("USD", "EUR", "GBP"), (0.6, 0.25, 0.15))[0]
    k = rng.choices((1, 3, 12), (0.65, 0.15, 0.2))[0]
    tier = rng.choices(TIERS, (0.6, 0.3, 0.1))[0]
    monthly = Decimal(rng.choice(PRICES[tier]))
    cost = "" if rng.random() < 0.4 else str(Decimal(rng.randrange(0, 200000)) / 100)
    csat = ""
    day = start
    if rng.random() < 0.3:  # a free trial: 14 days or a month
        end = day + datetime.timedelta(days=14) if rng.random() < 0.5 else add_months(day, 1)
        yield [cid, day.isoformat(), end.isoformat(), "0", currency, "subscription", tier, cost, ""]
        cost = ""
        day = end
        if rng.random() < 0.35:  # never converts
            return
    if rng.random() < 0.25:
        yield [cid, day.isoformat(), "", str(Decimal(rng.choice((50, 100, 250)))), currency,
               "one_time", tier, "", ""]
    cancel_after = rng.randrange(1, 40) if rng.random() < 0.5 else 10 ** 6
    periods = 0
    while day < horizon and periods < cancel_after:
        end = add_months(day, k)
        amount = cents(monthly * k * (Decimal("0.8") if k == 12 else 1))
        if rng.random() < 0.2:
            csat = str(rng.randrange(1, 6))
        line_type = "subscription"
        yield [cid, day.isoformat(), end.isoformat(), str(amount), currency, line_type, tier, cost,
               csat]
        cost = ""
        csat = ""
        if rng.random() < 0.03:  # refunded, partly or fully, some days later
            when = day + datetime.timedelta(days=rng.randrange(0, 20))
            refund = cents(amount * Decimal(rng.choice(("1", "0.5", "0.25"))))
            yield [cid, when.isoformat(), "", str(-refund), currency, "refund", tier, "", ""]
        change = rng.random()
        if change < 0.06:  # mid-period upgrade or downgrade: two proration lines
            total_days = (end - day).days
            at = day + datetime.timedelta(days=rng.randrange(1, total_days))
            left = Decimal((end - at).days) / Decimal(total_days)
            new_tier = rng.choice(TIERS)
            new_monthly = Decimal(rng.choice(PRICES[new_tier]))
            yield [cid, at.isoformat(), end.isoformat(), str(-cents(amount * left)), currency,
                   "subscription", tier, "", ""]
            new_amount = cents(new_monthly * k * (Decimal("0.8") if k == 12 else 1))
            yield [cid, at.isoformat(), end.isoformat(), str(cents(new_amount * left)), currency,
                   "subscription", new_tier, "", ""]
            tier, monthly = new_tier, new_monthly
        elif change < 0.12:  # change at renewal
            tier = rng.choice(TIERS)
            monthly = Decimal(rng.choice(PRICES[tier]))
        day = end
        periods += 1


def generate(customers: int, seed: int, start: str, months: int) -> list[list[str]]:
    rng = random.Random(seed)
    year, month = (int(x) for x in start.split("-"))
    first = datetime.date(year, month, 1)
    horizon = add_months(first, months)
    lines: list[list[str]] = []
    span = (horizon - first).days
    for c in range(customers):
        cid = f"c{seed}-{c:06d}"
        if rng.random() < 0.1:  # a start on a month's last day
            m = add_months(first, rng.randrange(0, months))
            begin = datetime.date(m.year, m.month, calendar.monthrange(m.year, m.month)[1])
        else:
            begin = first + datetime.timedelta(days=rng.randrange(0, span - 1))
        lines.extend(customer_lines(rng, cid, begin, horizon))
    return lines


def write_rates(path: str, seed: int, start: str, months: int) -> None:
    """Weekly rates of EUR and GBP in USD, from a week before the start to the horizon's end."""
    rng = random.Random(seed * 31 + 7)
    year, month = (int(x) for x in start.split("-"))
    day = datetime.date(year, month, 1) - datetime.timedelta(days=7)
    end = add_months(datetime.date(year, month, 1), months + 13)
    eur, gbp = Decimal("1.0850"), Decimal("1.2700")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("date,currency,rate\n")
        while day <= end:
            eur = (eur * Decimal(1 + rng.uniform(-0.01, 0.01))).quantize(Decimal("0.0001"))
            gbp = (gbp * Decimal(1 + rng.uniform(-0.01, 0.01))).quantize(Decimal("0.0001"))
            f.write(f"{day.isoformat()},EUR,{eur}\n{day.isoformat()},GBP,{gbp}\n")
            day += datetime.timedelta(days=7)


def write(lines: list[list[str]], out: TextIO, fmt: str) -> None:
    if fmt == "csv":
        out.write(",".join(COLUMNS) + "\n")
        for line in lines:
            out.write(",".join(line) + "\n")
        return
    for line in lines:
        obj = {k: v for k, v in zip(COLUMNS, line) if v != ""}
        out.write(json.dumps(obj) + "\n")


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--lines", type=int, default=0, help="about this many lines (sets --customers)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--start", default="2023-01")
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--shuffle", type=int, default=None, help="shuffle the rows with this seed")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    p.add_argument("-o", "--output", default="-")
    p.add_argument("--fx-out", default=None, help="also write the rate file (USD base)")
    args = p.parse_args(argv)
    customers = args.customers
    if args.lines:
        customers = max(1, args.lines // 11)  # about 11 lines per customer with the defaults
    lines = generate(customers, args.seed, args.start, args.months)
    if args.shuffle is not None:
        random.Random(f"shuffle:{args.shuffle}").shuffle(lines)
    if args.output == "-":
        write(lines, sys.stdout, args.format)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            write(lines, f, args.format)
    if args.fx_out:
        write_rates(args.fx_out, args.seed, args.start, args.months)
    return 0


if __name__ == "__main__":
    sys.exit(main())
