#!/usr/bin/env python3
"""The cross-check on a large file: about a million generated rows, big enough (over 32 MiB) that
csm-metrics reads it on several threads, split into shares.

csm-metrics must agree field by field with the independent reference (reference_metrics.py), and
give byte-identical periods and summary with --threads 1, 2 and 3 and for the same records as
JSON Lines. Prints `crosscheck_large: N passed, M failed`.

Usage: crosscheck_large.py --binary path/to/csm-metrics --work scratch/dir [--customers 80000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import crosscheck as cc  # noqa: E402
from crosscheck import gen, ref  # noqa: E402

SPLIT_MIN_BYTES = 32 << 20  # csm-metrics splits regular files from this size on


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--customers", type=int, default=80000)
    p.add_argument("--months", type=int, default=24)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    results = cc.Results()
    dataset = cc.Dataset("large", seed=9001, start="2023-01", day_dates=0.1)

    started = time.monotonic()
    rows = gen.generate(gen.Options(customers=args.customers, months=args.months,
                                    start=dataset.start, seed=dataset.seed,
                                    day_dates=dataset.day_dates))
    csv_path = os.path.join(args.work, "large.csv")
    jsonl_path = os.path.join(args.work, "large.jsonl")
    order = gen.shuffled(rows, dataset.seed + 1)
    gen.write_file(order, csv_path, "csv")
    gen.write_file(gen.shuffled(rows, dataset.seed + 2), jsonl_path, "jsonl")
    size = os.path.getsize(csv_path)
    print(f"large: {len(rows)} records, {size / 2**20:.1f} MiB of CSV "
          f"(generated in {time.monotonic() - started:.1f} s)")
    results.record("the CSV is large enough to be read in shares",
                   [] if size >= SPLIT_MIN_BYTES else
                   [f"{size} bytes is under {SPLIT_MIN_BYTES}: raise --customers"], 0.0)

    started = time.monotonic()
    want = ref.compute(ref.read_records([csv_path]), 4, 1.0, 0.0)
    reference_seconds = time.monotonic() - started

    started = time.monotonic()
    base = cc.run_binary(args.binary, ["--format", "json", "--threads", "2", csv_path])
    problems = [base.error] if base.error else \
        cc.compare_with_reference(cc.parse_exact(base.text), want, dataset)
    results.record("csm-metrics --threads 2 agrees with the reference "
                   f"(reference took {reference_seconds:.1f} s)", problems,
                   time.monotonic() - started)

    for label, files, extra in (("--threads 1", [csv_path], ["--threads", "1"]),
                                ("--threads 3", [csv_path], ["--threads", "3"]),
                                ("JSON Lines, another order, --threads 2", [jsonl_path],
                                 ["--threads", "2"])):
        if base.error:
            break
        started = time.monotonic()
        run = cc.run_binary(args.binary, ["--format", "json", *extra, *files])
        problems = [run.error] if run.error else \
            cc.compare_identical(run.text, base.text, "--threads 2 on the CSV")
        results.record(f"identical periods and summary: {label}", problems,
                       time.monotonic() - started)
    print(f"crosscheck_large: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
