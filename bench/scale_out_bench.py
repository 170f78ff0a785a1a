#!/usr/bin/env python3
"""Scale-out measurements for docs/scale-out.md (not part of the build or the tests).

On the speed issue's benchmark file (5.0 M rows; made with ../shared/bench/gen_activity.py
--customers 383000 --months 36 --seed 2 --shuffle when --input is not given), with a release
binary (cmake --preset release): for N = 1, 2, 4, 8 shards, the time of

  1. csm-metrics shard -q -n N big.csv -o sN/
  2. csm-metrics compute -q -j 1 --shard I/N sN/shard-I-of-N.csv --emit-state sN/I.st (each I)
  3. csm-metrics merge -f json sN/*.st -o sN/merged.json

and of one `compute -q -j J -f json big.csv` (the single-machine reference and the throughput the
10-billion-row estimate uses), all interleaved round by round so that the load of this shared
machine falls on all of them alike. Wall time from time.perf_counter, CPU time (user + system)
of the child from resource.getrusage. Medians of --runs rounds. Also the state sizes (activity:
per state and per month; rfm: per customer, on tools/gen_transactions.py output) and a check
that every merge equals the one compute (JSON but input.sources).

    python3 bench/scale_out_bench.py --binary build/release/src/csm-metrics --runs 5 \
        --out bench/results/scale-out-DATE.md
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, **kw):
    """(wall seconds, CPU seconds) of one command, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def med(values):
    return statistics.median(values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "release", "src", "csm-metrics"))
    ap.add_argument("--input", help="the activity file (default: generate the 5.0M-row benchmark file)")
    ap.add_argument("--generator", default=os.path.join(ROOT, "..", "shared", "bench", "gen_activity.py"),
                    help="the shared generator (default ../shared/bench/gen_activity.py beside the checkout)")
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work", "scale-out"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="-j of the one-machine compute")
    ap.add_argument("--shards", default="1,2,4,8")
    ap.add_argument("--rfm-customers", type=int, default=100000)
    ap.add_argument("--out")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    os.makedirs(args.work, exist_ok=True)
    big = args.input
    gen_command = None
    if big is None:
        gen = args.generator
        if not os.path.exists(gen):
            sys.exit("scale_out_bench: give --input, or --generator (the shared ../shared/bench/gen_activity.py)")
        big = os.path.join(args.work, "L.csv")
        gen_command = [sys.executable, gen, "--customers", "383000", "--months", "36", "--seed", "2", "--shuffle", "-o", big]
        if not os.path.exists(big):
            subprocess.run(gen_command, check=True)
    rows = sum(1 for _ in open(big, "rb")) - 1
    size = os.path.getsize(big)
    shard_counts = [int(n) for n in args.shards.split(",")]

    # rfm states first (a failure there shows before the long rounds): bytes per customer, and the merge of N of them.
    tx = os.path.join(args.work, "tx.csv")
    if not os.path.exists(tx):
        # gen_transactions.py needs numpy: Debian's python3-numpy is for /usr/bin/python3.
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        subprocess.run([python, os.path.join(ROOT, "tools", "gen_transactions.py"), "--customers",
                        str(args.rfm_customers), "--seed", "1", "-o", tx], check=True)
    rd = os.path.join(args.work, "rfm")
    shutil.rmtree(rd, ignore_errors=True)
    subprocess.run([binary, "shard", "-q", "-n", "4", tx, "-o", rd], check=True)
    rfm_states = []
    for i in range(4):
        rfm_states.append(os.path.join(rd, "%d.st" % i))
        subprocess.run([binary, "rfm", "-q", "--end", "2025-01-31", "--shard", "%d/4" % i,
                        os.path.join(rd, "shard-%d-of-4.csv" % i), "--emit-state", rfm_states[-1]], check=True)
    rfm_bytes = sum(os.path.getsize(s) for s in rfm_states)
    rfm_customers = 0
    for s in rfm_states:
        for line in open(s, encoding="utf-8"):
            rfm_customers += line.startswith("c ")
    rfm_merge = [timed([binary, "merge", "-f", "json", *rfm_states, "-o", os.path.join(rd, "m.json")]) for _ in range(args.runs)]
    id_len = len(open(tx).readlines()[1].split(",")[0])
    one = {"wall": [], "cpu": []}
    res = {n: {"shard": [], "shard_cpu": [], "each": [], "each_cpu": [], "merge": [], "merge_cpu": []} for n in shard_counts}
    sizes = {}
    reference = None
    identical = True
    for r in range(args.runs):
        w, c = timed([binary, "compute", "-q", "-j", str(args.threads), "-f", "json", big, "-o", os.path.join(args.work, "one.json")])
        one["wall"].append(w)
        one["cpu"].append(c)
        if reference is None:
            reference = json.load(open(os.path.join(args.work, "one.json")))
            reference["input"]["sources"] = None
        for n in shard_counts:
            d = os.path.join(args.work, "s%d" % n)
            shutil.rmtree(d, ignore_errors=True)
            w, c = timed([binary, "shard", "-q", "-n", str(n), big, "-o", d])
            res[n]["shard"].append(w)
            res[n]["shard_cpu"].append(c)
            each, each_cpu, states = [], [], []
            for i in range(n):
                states.append(os.path.join(d, "%d.st" % i))
                w, c = timed([binary, "compute", "-q", "-j", "1", "--shard", "%d/%d" % (i, n),
                              os.path.join(d, "shard-%d-of-%d.csv" % (i, n)), "--emit-state", states[-1]])
                each.append(w)
                each_cpu.append(c)
            res[n]["each"].append(each)
            res[n]["each_cpu"].append(each_cpu)
            merged = os.path.join(d, "merged.json")
            w, c = timed([binary, "merge", "-f", "json", *states, "-o", merged])
            res[n]["merge"].append(w)
            res[n]["merge_cpu"].append(c)
            m = json.load(open(merged))
            m["input"]["sources"] = None
            identical = identical and m == reference
            sizes[n] = [os.path.getsize(s) for s in states]
        print("round %d of %d done" % (r + 1, args.runs), file=sys.stderr)

    months = len(reference["periods"])

    one_wall = med(one["wall"])
    out = []
    out.append("# Scale-out measurements\n")
    out.append("Input: `%s` — %s rows, %.1f MB%s." % (os.path.basename(big), format(rows, ","), size / 1e6,
               (" (`%s`)" % " ".join(["python3", "../shared/bench/gen_activity.py"] + gen_command[2:-2] + ["-o", "L.csv"])) if gen_command else ""))
    out.append("Binary: `%s` (release build, `cmake --preset release`). %d rounds, interleaved; medians. "
               "Machine: %d cores, shared (load average at the start %.1f).\n" % (os.path.relpath(binary, ROOT), args.runs,
                                                                                os.cpu_count(), os.getloadavg()[0]))
    out.append("One `compute -q -j %d -f json` of the whole file: **%.2f s wall, %.2f s CPU** (%.2f M rows/s wall).\n"
               % (args.threads, one_wall, med(one["cpu"]), rows / one_wall / 1e6))
    out.append("| N | shard wall / CPU | per-shard compute -j 1, wall: slowest (sum) | CPU sum | merge wall / CPU | states (bytes each) | merge = compute |")
    out.append("|---|---|---|---|---|---|---|")
    for n in shard_counts:
        v = res[n]
        slowest = med([max(e) for e in v["each"]])
        total = med([sum(e) for e in v["each"]])
        cpu_total = med([sum(e) for e in v["each_cpu"]])
        out.append("| %d | %.2f / %.2f s | %.2f (%.2f) s | %.2f s | %.3f / %.3f s | %s | %s |" % (
            n, med(v["shard"]), med(v["shard_cpu"]), slowest, total, cpu_total, med(v["merge"]), med(v["merge_cpu"]),
            "–".join(sorted({format(min(sizes[n]), ","), format(max(sizes[n]), ",")})), "yes" if identical else "NO"))
    per_month = med([s / months for n in shard_counts for s in sizes[n]])
    out.append("\nActivity states: %d months; %.0f bytes per month of a state (header included)." % (months, per_month))
    out.append("rfm states (tools/gen_transactions.py --customers %d, ids of %d characters, 4 shards): %s bytes for %s "
               "customers = **%.1f bytes per customer**; merge of the 4 states to JSON %.2f s wall, %.2f s CPU."
               % (args.rfm_customers, id_len, format(rfm_bytes, ","), format(rfm_customers, ","), rfm_bytes / rfm_customers,
                  med([w for w, _ in rfm_merge]), med([c for _, c in rfm_merge])))
    text = "\n".join(out) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
