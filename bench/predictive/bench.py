#!/usr/bin/env python3
"""The benchmark of issue 7: `rfm` and `predict` on exactly 10 million transactions of 1 million
customers, several interleaved runs, medians of wall and CPU time, the steps of `predict
--timings`, discounting and a holdout, and an independent scipy fit on the same summary
(parameters to 4 significant digits, the ratio of times). Writes a Markdown report.

    bench/predictive/bench.py BINARY DATA.csv --runs 5 -o REPORT.md [--old OLD_BINARY]

With --old, each command also runs with OLD_BINARY, alternating, and the outputs are compared.
Run by bench/predictive/run_bench.sh, which makes the data. Needs python3-scipy for the scipy part.
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd):
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        p = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%e %U %S %M %R"] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
        wall, user, system, rss, faults = t.read().split()[-5:]
    steps = {}
    m = re.search(r"timings: (.*)", p.stderr)
    if m:
        for part in m.group(1).split(", "):
            name, sec, _ = part.rsplit(" ", 2)
            steps[name] = float(sec)
    return {"wall": float(wall), "cpu": float(user) + float(system), "user": float(user),
            "sys": float(system), "rss": int(rss) / 1024, "faults": int(faults), "steps": steps}


def sig4(v):
    return float(f"{v:.4g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("data")
    ap.add_argument("--old")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--end", default="2024-09-29")
    ap.add_argument("--holdout-end", default="2024-10-11")
    ap.add_argument("--holdout-from", default="2024-07-28",
                    help="--end of the holdout run: ten weeks of holdout to the end of the data")
    ap.add_argument("--work", default=tempfile.gettempdir())
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    w = a.work
    d = a.data
    commands = {
        "rfm": ["rfm", d, "--end", a.end, "-f", "csv", "-o", f"{w}/rfm.csv"],
        "predict": ["predict", d, "--end", a.end, "--timings", "--customers-csv", f"{w}/pred.csv",
                    "-f", "json", "-o", f"{w}/pred.json"],
        "predict --discount-rate 0.002": ["predict", d, "--end", a.end, "--timings", "--discount-rate",
                                           "0.002", "--customers-csv", f"{w}/pred_d.csv", "-f", "json",
                                           "-o", f"{w}/pred_d.json"],
        f"predict --end {a.holdout_from} --holdout-end {a.holdout_end}": ["predict", d, "--end", a.holdout_from, "--timings",
                                                    "--holdout-end", a.holdout_end, "--customers-csv",
                                                    f"{w}/pred_h.csv", "-f", "json", "-o", f"{w}/pred_h.json"],
    }
    bins = {"new": a.binary}
    if a.old:
        bins["old"] = a.old
    results = {(b, c): [] for b in bins for c in commands}
    load = [open("/proc/loadavg").read().split()[:3]]
    for run in range(a.runs):
        order = list(bins) if run % 2 == 0 else list(reversed(bins))
        for c, args in commands.items():
            for b in order:
                results[(b, c)].append(timed([bins[b]] + args))
    load.append(open("/proc/loadavg").read().split()[:3])
    rows = sum(1 for _ in open(d)) - 1
    out = []
    out.append(f"# rfm and predict on {rows:,} transactions of 1,000,000 customers\n")
    out.append(f"Machine: {os.cpu_count()} cores shared with other sessions; load average at the start "
               f"{' '.join(load[0])}, at the end {' '.join(load[1])}. Binaries: Release, -j 0 (all cores).\n")
    out.append("Command: `bench/predictive/run_bench.sh` (data: `tools/gen_transactions.py --customers 1000000 "
               "--seed 42 --r 1.0 --alpha 2.0 --a 0.8 --b 8 --shuffle --transactions 10000000`), "
               f"{a.runs} runs of each command, interleaved.\n")
    out.append("| command | binary | wall median | CPU median (user+sys) | user | sys | minor page faults | wall min | peak RSS |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for c in commands:
        for b in bins:
            r = results[(b, c)]
            out.append(f"| `{c}` | {b} | {statistics.median(x['wall'] for x in r):.2f} s | "
                       f"{statistics.median(x['cpu'] for x in r):.2f} s | {statistics.median(x['user'] for x in r):.2f} s | "
                       f"{statistics.median(x['sys'] for x in r):.2f} s | {statistics.median(x['faults'] for x in r):,.0f} | "
                       f"{min(x['wall'] for x in r):.2f} s | "
                       f"{statistics.median(x['rss'] for x in r):.0f} MB |")
    out.append("")
    out.append("Steps of `predict --timings` (wall seconds, medians):\n")
    for c in commands:
        for b in bins:
            r = [x["steps"] for x in results[(b, c)] if x["steps"]]
            if r:
                names = list(r[0])
                out.append(f"- `{c}` ({b}): " + ", ".join(f"{n} {statistics.median(x.get(n, 0) for x in r):.3f}" for n in names))
    out.append("")
    out.append("All runs (wall / CPU seconds):\n")
    for c in commands:
        for b in bins:
            out.append(f"- `{c}` ({b}): " + "; ".join(f"{x['wall']:.2f} / {x['cpu']:.2f}" for x in results[(b, c)]))
    out.append("")
    # The independent fit.
    ours = json.load(open(f"{w}/pred.json"))["model"]
    p = subprocess.run([sys.executable, os.path.join(HERE, "scipy_fit.py"), f"{w}/rfm.csv"],
                       capture_output=True, text=True)
    if p.returncode == 0:
        sp = json.loads(p.stdout)
        out.append("csm-metrics against scipy (BFGS on the log-parameters with numerical gradients over "
                   "vectorised numpy, as lifetimes fits; bench/predictive/scipy_fit.py) on the same summary:\n")
        out.append("| parameter | csm-metrics | scipy | same to 4 significant digits |")
        out.append("|---|---:|---:|---|")
        for model, names in (("bgnbd", ["r", "alpha", "a", "b"]), ("gamma_gamma", ["p", "q", "gamma"])):
            for n in names:
                mine, theirs = ours[model][n], sp[model][n]
                out.append(f"| {model} {n} | {mine:.6g} | {theirs:.6g} | {'yes' if sig4(mine) == sig4(theirs) else 'NO'} |")
        steps = [x["steps"] for x in results[("new", "predict")]]
        bg = statistics.median(s.get("bgnbd fit", 0) for s in steps)
        gg = statistics.median(s.get("gamma-gamma fit", 0) for s in steps)
        out.append("")
        out.append(f"Fit times: csm-metrics BG/NBD {bg:.3f} s + Gamma-Gamma {gg:.3f} s (wall, medians, "
                   f"{ours['bgnbd']['iterations']} and {ours['gamma_gamma']['iterations']} likelihood evaluations); "
                   f"scipy BG/NBD {sp['bgnbd']['seconds']:.1f} s ({sp['bgnbd']['cpu_seconds']:.1f} s CPU, "
                   f"{sp['bgnbd']['evaluations']} evaluations) + Gamma-Gamma {sp['gamma_gamma']['seconds']:.1f} s "
                   f"({sp['gamma_gamma']['cpu_seconds']:.1f} s CPU): scipy takes "
                   f"{(sp['bgnbd']['seconds'] + sp['gamma_gamma']['seconds']) / max(bg + gg, 1e-9):.0f} times as long.")
    else:
        out.append(f"scipy comparison not run: {p.stderr.strip()[:200]}")
    with open(a.output, "w") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
