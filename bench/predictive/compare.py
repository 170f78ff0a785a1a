#!/usr/bin/env python3
"""Time two csm-metrics binaries side by side on `rfm` and `predict` (issue 7), interleaved.

    bench/predictive/compare.py OLD_BIN NEW_BIN DATA.csv [--runs 5] [--end 2024-09-29] [--jobs 0]

Runs OLD and NEW alternately RUNS times each on the same file (so that both see the same load
on a shared machine), and prints the median wall, user and system CPU seconds and the peak RSS
of each, and whether their outputs (rfm CSV, predict JSON and customers CSV) are byte-identical.
Stdlib only; uses /usr/bin/time. DATA.csv comes from tools/gen_transactions.py (see
bench/predictive/run_bench.sh for the parameters of the benchmark file).
"""

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile


def timed(cmd):
    """Run cmd under /usr/bin/time; return (wall, user, sys, max_rss_kb, stderr)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        proc = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%e %U %S %M"] + cmd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
        wall, user, system, rss = t.read().split()[-4:]
    return float(wall), float(user), float(system), int(rss), proc.stderr


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("data")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--end", default="2024-09-29")
    ap.add_argument("--jobs", default="0", help="-j for both binaries (0: one thread per core)")
    ap.add_argument("--work", default=tempfile.gettempdir())
    args = ap.parse_args()

    bins = {"old": args.old, "new": args.new}
    out = {name: os.path.join(args.work, f"compare-{name}") for name in bins}
    steps = {
        "rfm": lambda name: [bins[name], "rfm", args.data, "--end", args.end, "-j", args.jobs,
                             "-f", "csv", "-o", out[name] + "-rfm.csv"],
        "predict": lambda name: [bins[name], "predict", args.data, "--end", args.end, "-j", args.jobs,
                                 "--timings", "--customers-csv", out[name] + "-pred.csv", "-f", "json",
                                 "-o", out[name] + "-pred.json"],
    }
    results = {(step, name): [] for step in steps for name in bins}
    timings = {name: [] for name in bins}
    with open("/proc/loadavg") as f:
        print(f"load average at the start: {' '.join(f.read().split()[:3])}")
    for run in range(args.runs):
        for step, make in steps.items():
            # Alternate which binary goes first, so neither always gets the warmer cache.
            order = ["old", "new"] if run % 2 == 0 else ["new", "old"]
            for name in order:
                wall, user, system, rss, err = timed(make(name))
                results[(step, name)].append((wall, user, system, rss))
                if step == "predict":
                    timings[name].append(err.strip().split("timings: ")[-1])
        print(f"run {run + 1} done", file=sys.stderr)
    with open("/proc/loadavg") as f:
        print(f"load average at the end: {' '.join(f.read().split()[:3])}")
    print()
    print(f"medians of {args.runs} interleaved runs: wall / user CPU / system CPU seconds, peak RSS")
    print()
    print("| step | binary | wall | user | sys | user+sys | peak RSS |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for step in steps:
        for name in bins:
            rows = results[(step, name)]
            wall = statistics.median(r[0] for r in rows)
            user = statistics.median(r[1] for r in rows)
            system = statistics.median(r[2] for r in rows)
            cpu = statistics.median(r[1] + r[2] for r in rows)
            rss = statistics.median(r[3] for r in rows)
            print(f"| {step} | {name} | {wall:.2f} | {user:.2f} | {system:.2f} | {cpu:.2f} | {rss / 1024:.0f} MB |")
    print()
    for step in steps:
        for name in bins:
            rows = results[(step, name)]
            print(f"{step} {name} all runs (wall user sys): " +
                  "; ".join(f"{r[0]:.2f} {r[1]:.2f} {r[2]:.2f}" for r in rows))
    for name in bins:
        print(f"predict --timings ({name}), last run: {timings[name][-1]}")
    print()
    for suffix in ("-rfm.csv", "-pred.json", "-pred.csv"):
        a, b = md5(out["old"] + suffix), md5(out["new"] + suffix)
        print(f"{suffix[1:]}: old {a} new {b} {'identical' if a == b else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
