#!/usr/bin/env python3
"""Scale-out with Dask (docs/scale-out.md): shard an input by customer, run
`csm-metrics compute --emit-state --shard I/N` on every shard as a Dask task on a cluster of
worker processes, gather the states and merge them.

    python3 examples/dask/run_dask.py --binary build/src/csm-metrics --input customers.csv \
        --shards 4 --workers 2 --work /tmp/dask-run [--check]

The merged metrics (JSON) go to WORK/merged.json; with --check, one `compute` over the shard
files is run too and the two must be equal byte for byte (exit 1 otherwise). On a real cluster
the shards would live in shared storage and the binary be installed on every worker; here the
LocalCluster's workers share this machine's file system. Needs Debian's python3-distributed.
"""

import argparse
import os
import subprocess
import sys


def emit_state(binary, shard_file, index, count, state_file, extra):
    """One Dask task: the partial state of one shard (runs in a worker process)."""
    subprocess.run([binary, "compute", "-q", "-j", "1", *extra, "--shard", "%d/%d" % (index, count),
                    shard_file, "--emit-state", state_file], check=True, capture_output=True)
    return state_file


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", required=True)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("extra", nargs="*", help="more compute options, after --, e.g. -- --by segment")
    args = parser.parse_args()

    from dask.distributed import Client, LocalCluster  # imported late: --help works without it

    binary = os.path.abspath(args.binary)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    shard_dir = os.path.join(work, "shards")
    # Step 1: shard by customer (a stable hash: the same split on every machine).
    subprocess.run([binary, "shard", "-q", "-n", str(args.shards), args.input, "-o", shard_dir], check=True)
    ext = os.path.splitext(args.input)[1]
    ext = ".jsonl" if ext == ".json" else ext
    shard_files = [os.path.join(shard_dir, "shard-%d-of-%d%s" % (i, args.shards, ext)) for i in range(args.shards)]

    # Step 2: one task per shard on worker processes (not threads: each task runs a subprocess).
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        futures = [client.submit(emit_state, binary, f, i, args.shards,
                                 os.path.join(work, "part-%d.csmstate" % i), args.extra, pure=False)
                   for i, f in enumerate(shard_files)]
        states = client.gather(futures)

    # Step 3: merge (small: one line per month and group per state).
    merged = subprocess.run([binary, "merge", "-f", "json", *states], check=True, capture_output=True).stdout
    with open(os.path.join(work, "merged.json"), "wb") as f:
        f.write(merged)
    print("run_dask: %d shards on %d workers merged into %s" % (args.shards, args.workers,
                                                               os.path.join(work, "merged.json")))
    if args.check:
        one = subprocess.run([binary, "compute", "-q", "-f", "json", *args.extra, *shard_files],
                             check=True, capture_output=True).stdout
        if one != merged:
            print("run_dask: FAIL: the merged JSON differs from one compute over the shards", file=sys.stderr)
            return 1
        print("run_dask: the merged JSON equals one compute byte for byte")
    return 0


if __name__ == "__main__":
    sys.exit(main())
