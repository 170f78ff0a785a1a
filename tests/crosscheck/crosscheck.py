#!/usr/bin/env python3
"""Cross-check `csm-metrics compute` against the independent Python reference on generated data.

For a few fixed seeds, tools/gen_activity.py simulates ~3000 customers over 24 months. The records
are written in several ways (CSV in two shuffles, JSON Lines, a JSON array, two CSV halves, CSV on
stdin) and csm-metrics must
  1. agree with reference_metrics.py field by field for every month: counts and money exactly
     (money text parsed as Decimal), rates and ratios within a relative 1e-9;
  2. give byte-identical "periods" and "summary" (and the same input statistics) for every way of
     writing the same records: order, format and file split must not change a single byte.
Prints one line per check, the first mismatches of a failed check, and finally
`crosscheck: N passed, M failed`; exits 1 when anything failed.

Usage: crosscheck.py --binary path/to/csm-metrics --work scratch/dir [--customers 3000]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean when run by ctest
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "tools"))
import gen_activity as gen  # noqa: E402
import reference_metrics as ref  # noqa: E402

REL_TOL = 1e-9
ABS_TOL = 1e-9  # only matters around 0 (e.g. a grr of exactly 0), in percent or money units
MONEY_TEXT = re.compile(r"^-?[0-9]+\.[0-9]{2}([0-9]{0,3}[1-9])?$")
MAX_SHOWN = 15
RUN_TIMEOUT = 120


@dataclass
class Dataset:
    name: str
    seed: int
    start: str
    day_dates: float = 0.0
    gap_month: Optional[str] = None
    extra_columns: bool = False
    bom: bool = False
    # (csm-metrics option, value) pairs; the same settings are given to the reference.
    settings: list[tuple[str, str]] = field(default_factory=list)


DATASETS = (
    Dataset("a", seed=20230101, start="2023-01", day_dates=0.25, bom=True),
    Dataset("b", seed=4242, start="2022-07", gap_month="2023-05", extra_columns=True),
    Dataset("c", seed=777, start="2023-10", day_dates=0.05,
            settings=[("--csat-threshold", "3"), ("--gross-margin", "0.75"),
                      ("--discount-rate", "0.01")]),
)


class Results:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def record(self, name: str, problems: list[str], seconds: float) -> None:
        if problems:
            self.failed += 1
            print(f"FAIL {name} ({seconds:.1f} s)")
            for line in problems[:MAX_SHOWN]:
                print(f"       {line}")
            if len(problems) > MAX_SHOWN:
                print(f"       ... and {len(problems) - MAX_SHOWN} more")
        else:
            self.passed += 1
            print(f"ok   {name} ({seconds:.1f} s)")
        sys.stdout.flush()


@dataclass
class Run:
    text: str = ""
    error: Optional[str] = None


def run_binary(binary: str, args: list[str], stdin_path: Optional[str] = None) -> Run:
    command = [binary, "compute", *args]
    stdin_data = None
    if stdin_path is not None:
        with open(stdin_path, "rb") as f:
            stdin_data = f.read()
    try:
        done = subprocess.run(command, input=stdin_data, capture_output=True, timeout=RUN_TIMEOUT,
                              stdin=None if stdin_data is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Run(error=f"timed out after {RUN_TIMEOUT} s: {' '.join(command)}")
    except OSError as error:
        return Run(error=f"cannot run {binary}: {error}")
    stderr = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        return Run(error=f"exit code {done.returncode} from {' '.join(command)}"
                         + (f"; stderr: {stderr[:500]}" if stderr else ""))
    try:
        return Run(text=done.stdout.decode("utf-8"))
    except UnicodeDecodeError as error:
        return Run(error=f"stdout is not UTF-8: {error}")


def parse_exact(text: str) -> Any:
    """JSON with money kept exact (Decimal keeps the digits as written: '100.30' stays 100.30)."""
    return json.loads(text, parse_float=Decimal)


def as_float(value: Any) -> float:
    return float(value)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def compare_value(where: str, kind: str, got: Any, want: Any) -> Optional[str]:
    """One field; returns a description of the mismatch or None."""
    if kind == "count":
        if type(got) is not int or got != want:
            return f"{where}: csm-metrics {got!r}, reference {want!r}"
    elif kind == "money":
        if want is None or got is None:
            if got is not want:
                return f"{where}: csm-metrics {got!r}, reference {want!r}"
        elif not isinstance(got, Decimal) or not MONEY_TEXT.match(str(got)):
            return f"{where}: money must be written with 2..6 decimals, got {got!r}"
        elif got != want:
            return f"{where}: csm-metrics {got}, reference {ref.money_text(want)} " \
                   f"(difference {got - want})"
    elif kind == "rate":
        if want is None or got is None:
            if got is not want:
                return f"{where}: csm-metrics {got!r}, reference " \
                       f"{None if want is None else float(want)!r}"
        elif isinstance(got, bool) or not isinstance(got, (int, Decimal)):
            return f"{where}: expected a number, got {got!r}"
        elif not close(as_float(got), float(want)):
            relative = abs(as_float(got) / float(want) - 1) if want else math.inf
            return f"{where}: csm-metrics {got}, reference {float(want)!r} " \
                   f"(relative difference {relative:.3g})"
    elif got != want:
        return f"{where}: csm-metrics {got!r}, reference {want!r}"
    return None


def field_kind(name: str) -> str:
    if name in ref.COUNT_FIELDS or name.startswith("total_") and name.endswith("customers"):
        return "count"
    if name in ref.MONEY_FIELDS or name.endswith("_mrr"):
        return "money"
    if name == "period":
        return "text"
    return "rate"


def compare_with_reference(doc: Any, want: dict[str, Any], dataset: Dataset) -> list[str]:
    problems: list[str] = []
    if not isinstance(doc, dict):
        return ["output is not a JSON object"]
    for key in ("periods", "summary", "input"):
        if key not in doc:
            problems.append(f'no member "{key}" in the output')
    if problems:
        return problems
    if doc.get("kind") != "activity":
        problems.append(f'"kind": {doc.get("kind")!r}, expected "activity"')

    settings = dict(dataset.settings)
    expected_settings = {"csat_threshold": int(settings.get("--csat-threshold", "4")),
                         "gross_margin": float(settings.get("--gross-margin", "1")),
                         "discount_rate": float(settings.get("--discount-rate", "0"))}
    got_settings = doc.get("settings")
    if not isinstance(got_settings, dict):
        problems.append(f'"settings": {got_settings!r}')
    else:
        for key, value in expected_settings.items():
            got = got_settings.get(key)
            if got is None or isinstance(got, bool) or not close(float(got), value):
                problems.append(f"settings.{key}: {got!r}, expected {value!r}")

    got_input, want_input = doc["input"], want["input"]
    for key, value in want_input.items():
        got = got_input.get(key) if isinstance(got_input, dict) else None
        if got != value:
            problems.append(f"input.{key}: csm-metrics {got!r}, reference {value!r}")
    if isinstance(got_input, dict) and got_input.get("skipped_records") != 0:
        problems.append(f"input.skipped_records: {got_input.get('skipped_records')!r}, expected 0")

    got_periods, want_periods = doc["periods"], want["periods"]
    if not isinstance(got_periods, list) or len(got_periods) != len(want_periods):
        got_names = [p.get("period") if isinstance(p, dict) else p for p in got_periods] \
            if isinstance(got_periods, list) else got_periods
        problems.append(f"periods: csm-metrics has {got_names!r}, reference has "
                        f"{[p['period'] for p in want_periods]!r}")
        return problems
    for got, expected in zip(got_periods, want_periods):
        name = expected["period"]
        if not isinstance(got, dict):
            problems.append(f"period {name}: not an object")
            continue
        if tuple(got) != ref.PERIOD_FIELDS:
            problems.append(f"period {name}: fields {list(got)}, expected exactly "
                            f"{list(ref.PERIOD_FIELDS)}")
        for key in ref.PERIOD_FIELDS:
            if key not in got:
                continue
            problem = compare_value(f"{name} {key}", field_kind(key), got[key], expected[key])
            if problem:
                problems.append(problem)

    got_summary = doc["summary"]
    for key, value in want["summary"].items():
        got = got_summary.get(key, "<missing>") if isinstance(got_summary, dict) else "<missing>"
        problem = compare_value(f"summary {key}", field_kind(key), got, value)
        if problem:
            problems.append(problem)
    return problems


def raw_member(text: str, key: str) -> Optional[str]:
    """The exact bytes of a top-level member's value (the output's first occurrence of the key)."""
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*', text)
    if not match:
        return None
    decoder = json.JSONDecoder(parse_float=str, parse_int=str)
    try:
        _, end = decoder.raw_decode(text, match.end())
    except json.JSONDecodeError:
        return None
    return text[match.end():end]


def compare_identical(text: str, base: str, base_name: str) -> list[str]:
    """Same periods and summary, byte for byte, and the same input statistics but the sources."""
    problems: list[str] = []
    for key in ("summary", "periods"):
        mine, theirs = raw_member(text, key), raw_member(base, key)
        if mine is None or theirs is None:
            problems.append(f'cannot find "{key}"')
        elif mine != theirs:
            problems.append(f'"{key}" differs from {base_name}: {first_difference(mine, theirs)}')
    doc, base_doc = json.loads(text), json.loads(base)
    for key in sorted(set(base_doc.get("input", {})) | set(doc.get("input", {}))):
        if key == "sources":
            continue
        a, b = doc.get("input", {}).get(key), base_doc.get("input", {}).get(key)
        if a != b:
            problems.append(f"input.{key}: {a!r} here, {b!r} in {base_name}")
    return problems


def first_difference(a: str, b: str) -> str:
    index = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    line = a.count("\n", 0, index) + 1
    return f"first difference at character {index} (line {line} of the member): " \
           f"{a[max(0, index - 60):index + 40]!r} vs {b[max(0, index - 60):index + 40]!r}"


def csv_output_problems(csv_text: str, json_text: str) -> list[str]:
    """--format csv: the period fields in order, null as empty, the same numbers as the JSON."""
    rows = list(csv.reader(io.StringIO(csv_text, newline="")))
    periods = parse_exact(json_text)["periods"]
    if not rows or tuple(rows[0]) != ref.PERIOD_FIELDS:
        return [f"csv header {rows[0] if rows else None}, expected {list(ref.PERIOD_FIELDS)}"]
    problems = []
    if len(rows) - 1 != len(periods):
        return [f"csv has {len(rows) - 1} rows, json has {len(periods)} periods"]
    for row, period in zip(rows[1:], periods):
        for key, cell in zip(ref.PERIOD_FIELDS, row):
            value = period[key]
            if value is None:
                ok = cell == ""
            elif field_kind(key) == "rate":
                ok = cell != "" and close(float(cell), float(value))
            else:
                ok = cell == str(value)
            if not ok:
                problems.append(f"{period['period']} {key}: csv {cell!r}, json {value!r}")
    return problems


def write_halves(rows: list[gen.Row], first: str, second: str, **kwargs: Any) -> None:
    middle = len(rows) // 2
    gen.write_file(rows[:middle], first, "csv", **kwargs)
    gen.write_file(rows[middle:], second, "csv", **kwargs)


def check_dataset(binary: str, work: str, d: Dataset, customers: int, months: int,
                  results: Results) -> None:
    started = time.monotonic()
    rows = gen.generate(gen.Options(customers=customers, months=months, start=d.start,
                                    seed=d.seed, day_dates=d.day_dates, gap_month=d.gap_month))
    path = lambda suffix: os.path.join(work, f"{d.name}_{suffix}")  # noqa: E731
    extra = {"extra_columns": d.extra_columns}
    first_order = gen.shuffled(rows, d.seed + 1)
    gen.write_file(first_order, path("shuffle1.csv"), "csv", bom=d.bom, **extra)
    gen.write_file(gen.shuffled(rows, d.seed + 2), path("shuffle2.csv"), "csv", crlf=False,
                   **extra)
    gen.write_file(gen.shuffled(rows, d.seed + 3), path("shuffle3.jsonl"), "jsonl", **extra)
    gen.write_file(rows, path("ordered.json"), "json", **extra)
    write_halves(first_order, path("half1.csv"), path("half2.csv"), **extra)

    settings = dict(d.settings)
    threshold = int(settings.get("--csat-threshold", "4"))
    margin = Fraction(settings.get("--gross-margin", "1"))
    discount = Fraction(settings.get("--discount-rate", "0"))
    want = ref.compute(ref.read_records([path("shuffle1.csv")]), threshold, margin, discount)
    want_jsonl = ref.compute(ref.read_records([path("shuffle3.jsonl")]), threshold, margin,
                             discount)
    gaps = [p["period"] for p in want["periods"] if p["customers_end"] == 0]
    label = f"{d.name} (seed {d.seed}, {len(rows)} records, {want['input']['customers']} " \
            f"customers, {want['input']['months']} months" + \
            (f", no rows in {d.gap_month}" if d.gap_month else "") + ")"
    results.record(f"{label}: reference reads the CSV and the JSON Lines alike",
                   [] if want == want_jsonl else ["reference results differ"],
                   time.monotonic() - started)
    if d.gap_month and gaps != [d.gap_month]:
        print(f"warning: expected only {d.gap_month} without active customers, got {gaps}")

    options = [arg for pair in d.settings for arg in pair]
    started = time.monotonic()
    base = run_binary(binary, ["--format", "json", *options, path("shuffle1.csv")])
    if base.error:
        results.record(f"{d.name}: csm-metrics agrees with the reference", [base.error],
                       time.monotonic() - started)
        return
    try:
        problems = compare_with_reference(parse_exact(base.text), want, d)
    except json.JSONDecodeError as error:
        problems = [f"output is not valid JSON: {error}"]
    results.record(f"{d.name}: csm-metrics agrees with the reference on shuffle1.csv", problems,
                   time.monotonic() - started)
    if problems:
        return

    variants = [
        ("another shuffle (LF line endings)", [path("shuffle2.csv")], None),
        ("JSON Lines, a third shuffle", [path("shuffle3.jsonl")], None),
        ("JSON array in export order", [path("ordered.json")], None),
        ("CSV on standard input", ["-"], path("shuffle2.csv")),
        ("two files, half the records each", [path("half1.csv"), path("half2.csv")], None),
    ]
    for title, files, stdin_path in variants:
        started = time.monotonic()
        run = run_binary(binary, ["--format", "json", *options, *files], stdin_path)
        problems = [run.error] if run.error else compare_identical(run.text, base.text,
                                                                   "shuffle1.csv")
        results.record(f"{d.name}: {title} gives identical output", problems,
                       time.monotonic() - started)

    started = time.monotonic()
    run = run_binary(binary, ["--format", "csv", *options, path("shuffle1.csv")])
    problems = [run.error] if run.error else csv_output_problems(run.text, base.text)
    results.record(f"{d.name}: --format csv carries the same numbers", problems,
                   time.monotonic() - started)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", required=True, help="the csm-metrics executable")
    p.add_argument("--work", required=True,
                   help="scratch directory; files of earlier runs in it are replaced")
    p.add_argument("--customers", type=int, default=3000)
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--only", help="run only the dataset with this name (a, b or c)")
    args = p.parse_args(argv)
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        print(f"crosscheck: {args.binary} is not an executable file", file=sys.stderr)
        return 2
    os.makedirs(args.work, exist_ok=True)
    for name in os.listdir(args.work):  # only what an earlier run wrote: --work may be shared
        if re.fullmatch(r"[a-z]_(shuffle[0-9]\.csv|shuffle[0-9]\.jsonl|ordered\.json|"
                        r"half[0-9]\.csv)", name):
            os.remove(os.path.join(args.work, name))

    results = Results()
    for dataset in DATASETS:
        if args.only and dataset.name != args.only:
            continue
        check_dataset(args.binary, args.work, dataset, args.customers, args.months, results)
    print(f"crosscheck: {results.passed} passed, {results.failed} failed")
    if results.failed:
        print(f"crosscheck: the generated files are kept in {args.work}")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
