#!/usr/bin/env python3
"""A second, independent implementation of `csm-metrics compute` for activity records.

It exists to be compared with the C++ program (tests/crosscheck/crosscheck.py), so it is written
the plain way rather than the fast way: load every record, sum revenue per (customer, month) with
decimal.Decimal, build the set of active customers of every month, then evaluate each formula of
the spec (issue 2, "Metrics: the contract for activity records") with exact fractions. Nothing is
shared with the C++ code. Standard library only.

Usage:
  reference_metrics.py FILE... [--input-format auto|csv|tsv|json|jsonl] [--format json|csv]
                       [--csat-threshold 4] [--gross-margin 1] [--discount-rate 0]
prints JSON of the same shape as `csm-metrics compute --format json` (the "periods" array, the
"summary" and the "input" statistics; no "warnings"), or the same CSV as `--format csv`.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Iterator, Optional

PERIOD_FIELDS = (
    "period",
    "customers_start", "churned_customers", "retained_customers", "new_customers",
    "reactivated_customers", "customers_end", "expanded_customers", "contracted_customers",
    "churn_rate", "retention_rate", "expansion_rate",
    "mrr_start", "mrr_end", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr",
    "churned_mrr",
    "grr", "nrr", "arpu", "csat", "cac", "clv",
    "csat_responses", "csat_satisfied", "acquisition_cost",
    "cac_payback_months", "ltv_cac", "quick_ratio",
)
COUNT_FIELDS = frozenset(PERIOD_FIELDS[1:9]) | {"csat_responses", "csat_satisfied"}
MONEY_FIELDS = frozenset(PERIOD_FIELDS[12:19]) | {"acquisition_cost"}
RATE_FIELDS = frozenset(("churn_rate", "retention_rate", "expansion_rate", "grr", "nrr", "arpu",
                         "csat", "cac", "clv", "cac_payback_months", "ltv_cac", "quick_ratio"))
SUMMARY_FIELDS = ("average_churn_rate", "annualized_churn_rate", "average_grr", "average_nrr",
                  "total_new_customers", "total_churned_customers", "total_new_mrr",
                  "total_churned_mrr")

MAX_MONEY = Decimal("9223372036854.775807")


class DataError(Exception):
    """A record this reference refuses; the message names the source and the record."""


@dataclass
class Record:
    customer_id: str
    month: int  # year * 12 + month - 1
    revenue: Decimal
    acquisition_cost: Optional[Decimal]
    csat: Optional[int]


# ---------------------------------------------------------------------------------------------
# Reading


def parse_month(text: str) -> int:
    text = text.strip()
    parts = text.split("-")
    if len(parts) not in (2, 3) or len(parts[0]) != 4 or len(parts[1]) != 2 or \
            not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError(f"bad period {text!r}")
    year, month = int(parts[0]), int(parts[1])
    if year < 1 or not 1 <= month <= 12:
        raise ValueError(f"bad period {text!r}")
    if len(parts) == 3:
        if len(parts[2]) != 2:
            raise ValueError(f"bad period {text!r}")
        datetime.date(year, month, int(parts[2]))  # raises for 2023-02-29
    return year * 12 + month - 1


def month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_amount(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{what}: not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{what}: not a decimal: {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise ValueError(f"{what}: out of range: {value!r}")
    if amount != amount.quantize(Decimal("0.000001")):
        raise ValueError(f"{what}: more than 6 decimals: {value!r}")
    return amount


def make_record(fields: dict[str, Any]) -> Record:
    """fields: lower-case column name -> value (str for CSV, JSON value for JSON)."""
    def present(name: str) -> bool:
        value = fields.get(name)
        return value is not None and not (isinstance(value, str) and value.strip() == "")

    for name in ("customer_id", "period", "revenue"):
        if name not in fields or fields[name] is None:
            raise ValueError(f"{name}: missing")
    customer = fields["customer_id"]
    if not isinstance(customer, str):
        raise ValueError("customer_id: not a string")
    cost = parse_amount(fields["acquisition_cost"], "acquisition_cost") \
        if present("acquisition_cost") else None
    csat = None
    if present("csat"):
        raw = fields["csat"]
        if isinstance(raw, Decimal):
            if raw != raw.to_integral_value():
                raise ValueError("csat: not an integer")
            csat = int(raw)
        else:
            csat = int(str(raw).strip())
        if not 1 <= csat <= 5:
            raise ValueError("csat: outside 1..5")
    return Record(customer, parse_month(str(fields["period"])),
                  parse_amount(fields["revenue"], "revenue"), cost, csat)


def sniff(text: str) -> str:
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("["):
        return "json"
    if head.startswith("{"):
        return "jsonl"
    return "csv"


def records_from_text(text: str, fmt: str, source: str) -> Iterator[Record]:
    if text.startswith("\ufeff"):
        text = text[1:]
    if fmt in ("csv", "tsv"):
        rows = csv.reader(io.StringIO(text, newline=""), delimiter="," if fmt == "csv" else "\t",
                          strict=True)
        header = None
        for row in rows:
            if header is None:
                header = [name.strip().lower() for name in row]
                continue
            if not row:
                continue  # blank line
            if len(row) != len(header):
                raise DataError(f"{source}:{rows.line_num}: {len(row)} fields, header has "
                                f"{len(header)}")
            try:
                yield make_record(dict(zip(header, row)))
            except ValueError as error:
                raise DataError(f"{source}:{rows.line_num}: {error}") from None
        if header is None:
            raise DataError(f"{source}: empty")
        return
    if fmt == "json":
        objects = json.loads(text, parse_float=Decimal, parse_int=Decimal)
        if not isinstance(objects, list):
            raise DataError(f"{source}: not a JSON array")
        numbered = enumerate(objects, start=1)
    elif fmt == "jsonl":
        numbered = ((n, json.loads(line, parse_float=Decimal, parse_int=Decimal))
                    for n, line in enumerate(text.split("\n"), start=1) if line.strip())
    else:
        raise DataError(f"unknown input format {fmt!r}")
    for number, obj in numbered:
        if not isinstance(obj, dict):
            raise DataError(f"{source}: record {number} is not an object")
        try:
            yield make_record({key.strip().lower(): value for key, value in obj.items()})
        except ValueError as error:
            raise DataError(f"{source}: record {number}: {error}") from None


FORMAT_BY_EXTENSION = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json",
                       ".jsonl": "jsonl", ".ndjson": "jsonl"}


def read_records(paths: list[str], input_format: str = "auto") -> list[Record]:
    """All records of all files, as one stream. '-' is standard input."""
    records: list[Record] = []
    for path in paths:
        if path == "-":
            text = sys.stdin.buffer.read().decode("utf-8")
            source = "<stdin>"
        else:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8")
            source = path
        fmt = input_format
        if fmt == "auto":
            fmt = FORMAT_BY_EXTENSION.get(os.path.splitext(path)[1].lower()) or sniff(text)
        records.extend(records_from_text(text, fmt, source))
    return records


# ---------------------------------------------------------------------------------------------
# Metrics


def ratio(numerator: Fraction, denominator: Fraction) -> Optional[Fraction]:
    return None if denominator == 0 else numerator / denominator


def compute(records: list[Record], csat_threshold: int = 4, gross_margin: Fraction = Fraction(1),
            discount_rate: Fraction = Fraction(0), quick_ratio_reactivation: bool = True,
            spend_by_month: Optional[dict[int, Decimal]] = None, spend_mode: str = "replace",
            range_months: Optional[tuple[int, int]] = None) -> dict[str, Any]:
    """The whole result: {"input": ..., "summary": ..., "periods": [...]}.

    spend_by_month (month index -> amount, as from a --spend file) replaces or adds to the
    records' acquisition costs; range_months (first, last) widens the range of months beyond the
    records' own (subscription input).

    Counts are int, money is Decimal (exact), rates and ratios are Fraction (exact) or None.
    """
    revenue: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    responses: dict[int, list[int]] = defaultdict(list)
    spend: dict[int, Decimal] = defaultdict(Decimal)
    for r in records:
        revenue[(r.customer_id, r.month)] += r.revenue
        if r.csat is not None:
            responses[r.month].append(r.csat)
        if r.acquisition_cost is not None:
            spend[r.month] += r.acquisition_cost
    customers = {r.customer_id for r in records}

    if not records:
        return {"input": {"records": 0, "customers": 0, "first_period": None,
                          "last_period": None, "months": 0},
                "summary": summarize([]), "periods": []}
    first = min(r.month for r in records)
    last = max(r.month for r in records)
    if range_months is not None:
        first, last = min(first, range_months[0]), max(last, range_months[1])
    if spend_by_month is not None:
        if spend_mode == "replace":
            spend = defaultdict(Decimal)
        for month, amount in spend_by_month.items():
            spend[month] += amount

    # active[m]: customer -> revenue(m), only for revenue > 0.
    active: dict[int, dict[str, Decimal]] = {m: {} for m in range(first - 1, last + 1)}
    for (customer, month), amount in revenue.items():
        if amount > 0:
            active[month][customer] = amount

    periods = []
    seen_before: set[str] = set()  # active in some month before m-1
    for m in range(first, last + 1):
        before, now = active[m - 1], active[m]
        churned = [c for c in before if c not in now]
        stayed = [c for c in before if c in now]
        arrived = [c for c in now if c not in before]
        new = [c for c in arrived if c not in seen_before]
        back = [c for c in arrived if c in seen_before]
        expanded = [c for c in stayed if now[c] > before[c]]
        contracted = [c for c in stayed if now[c] < before[c]]

        S, C, N, A = len(before), len(churned), len(new), len(back)
        R = S - C
        E = len(now)
        assert E == R + N + A
        X, K = len(expanded), len(contracted)

        mrr_start = sum(before.values(), Decimal(0))
        mrr_end = sum(now.values(), Decimal(0))
        new_mrr = sum((now[c] for c in new), Decimal(0))
        reactivation_mrr = sum((now[c] for c in back), Decimal(0))
        expansion_mrr = sum((now[c] - before[c] for c in expanded), Decimal(0))
        contraction_mrr = sum((before[c] - now[c] for c in contracted), Decimal(0))
        churned_mrr = sum((before[c] for c in churned), Decimal(0))
        assert mrr_end == mrr_start - churned_mrr - contraction_mrr + expansion_mrr + new_mrr \
            + reactivation_mrr

        scores = responses.get(m, [])
        satisfied = sum(1 for s in scores if s >= csat_threshold)
        cost = spend.get(m, Decimal(0))

        churn_rate = ratio(Fraction(100 * C), Fraction(S))
        retention_rate = ratio(Fraction(100 * (E - N - A)), Fraction(S))
        expansion_rate = ratio(Fraction(100 * X), Fraction(S))
        fs = Fraction(mrr_start)
        grr = ratio(100 * (fs - Fraction(churned_mrr) - Fraction(contraction_mrr)), fs)
        nrr = ratio(100 * (fs - Fraction(churned_mrr) - Fraction(contraction_mrr)
                           + Fraction(expansion_mrr)), fs)
        arpu = ratio(Fraction(mrr_end), Fraction(E))
        csat = ratio(Fraction(100 * satisfied), Fraction(len(scores)))
        cac = ratio(Fraction(cost), Fraction(N))
        clv = None
        if arpu is not None and retention_rate is not None:
            denominator = 1 + discount_rate - retention_rate / 100
            if denominator > 0:
                clv = arpu * gross_margin / denominator
        payback = None
        if cac is not None and arpu is not None and arpu * gross_margin != 0:
            payback = cac / (arpu * gross_margin)
        ltv_cac = None if clv is None or cac is None or cac == 0 else clv / cac
        gains = Fraction(new_mrr + expansion_mrr
                         + (reactivation_mrr if quick_ratio_reactivation else Decimal(0)))
        quick = ratio(gains, Fraction(churned_mrr + contraction_mrr))

        periods.append({
            "period": month_name(m),
            "customers_start": S, "churned_customers": C, "retained_customers": R,
            "new_customers": N, "reactivated_customers": A, "customers_end": E,
            "expanded_customers": X, "contracted_customers": K,
            "churn_rate": churn_rate, "retention_rate": retention_rate,
            "expansion_rate": expansion_rate,
            "mrr_start": mrr_start, "mrr_end": mrr_end, "new_mrr": new_mrr,
            "reactivation_mrr": reactivation_mrr, "expansion_mrr": expansion_mrr,
            "contraction_mrr": contraction_mrr, "churned_mrr": churned_mrr,
            "grr": grr, "nrr": nrr, "arpu": arpu, "csat": csat, "cac": cac, "clv": clv,
            "csat_responses": len(scores), "csat_satisfied": satisfied, "acquisition_cost": cost,
            "cac_payback_months": payback, "ltv_cac": ltv_cac, "quick_ratio": quick,
        })
        seen_before.update(before)

    return {"input": {"records": len(records), "customers": len(customers),
                      "first_period": month_name(first), "last_period": month_name(last),
                      "months": last - first + 1},
            "summary": summarize(periods), "periods": periods}


def summarize(periods: list[dict[str, Any]]) -> dict[str, Any]:
    """Whole-range figures as documented in include/csm/period_metrics.hpp (RangeSummary)."""
    def mean(field: str) -> Optional[Fraction]:
        values = [p[field] for p in periods if p[field] is not None]
        return sum(values, Fraction(0)) / len(values) if values else None

    churn = mean("churn_rate")
    annualized = None if churn is None else 100 * (1 - (1 - churn / 100) ** 12)
    return {
        "average_churn_rate": churn,
        "annualized_churn_rate": annualized,
        "average_grr": mean("grr"),
        "average_nrr": mean("nrr"),
        "total_new_customers": sum(p["new_customers"] for p in periods),
        "total_churned_customers": sum(p["churned_customers"] for p in periods),
        "total_new_mrr": sum((p["new_mrr"] for p in periods), Decimal(0)),
        "total_churned_mrr": sum((p["churned_mrr"] for p in periods), Decimal(0)),
    }


# ---------------------------------------------------------------------------------------------
# Output


def money_text(amount: Decimal) -> str:
    """Exact text with 2..6 decimals: 100.3 -> '100.30', 0.0000010 -> '0.000001'."""
    text = format(amount.quantize(Decimal("0.000001")), "f")
    whole, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0")
    return f"{whole}.{decimals.ljust(2, '0')}"


def to_json(value: Any, indent: str = "") -> str:
    inner = indent + "  "
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return money_text(value)
    if isinstance(value, Fraction):
        return repr(float(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {to_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + to_json(v, inner) for v in value) + "\n" + indent + "]"
    raise TypeError(type(value))


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Reference implementation of csm-metrics compute "
                                            "(activity records) for cross-checking.")
    p.add_argument("files", nargs="*", default=["-"])
    p.add_argument("--input-format", choices=("auto", "csv", "tsv", "json", "jsonl"),
                   default="auto")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("--csat-threshold", type=int, default=4, choices=range(1, 6))
    p.add_argument("--gross-margin", type=Fraction, default=Fraction(1))
    p.add_argument("--discount-rate", type=Fraction, default=Fraction(0))
    args = p.parse_args(argv)
    try:
        records = read_records(args.files, args.input_format)
    except (DataError, OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as error:
        print(f"reference_metrics: {error}", file=sys.stderr)
        return 65
    result = compute(records, args.csat_threshold, args.gross_margin, args.discount_rate)
    if args.format == "csv":
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(PERIOD_FIELDS)
        for period in result["periods"]:
            out.writerow("" if v is None else v if isinstance(v, str) else to_json(v)
                         for v in period.values())
        return 0
    document = {
        "tool": "reference_metrics",
        "kind": "activity",
        "settings": {"csat_threshold": args.csat_threshold,
                     "gross_margin": float(args.gross_margin),
                     "discount_rate": float(args.discount_rate)},
        "input": {"sources": ["<stdin>" if f == "-" else f for f in args.files],
                  **result["input"], "skipped_records": 0},
        "summary": result["summary"],
        "periods": result["periods"],
    }
    sys.stdout.write(to_json(document) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
