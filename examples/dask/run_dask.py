#!/usr/bin/env python3
"""Scale-out with Dask (docs/scale-out.md): shard an input by customer, run
`csm-metrics compute --emit-state --shard I/N` on every shard as a Dask task on a cluster of
worker processes, gather the states and merge them.

    python3 examples/dask/run_dask.py --binary build/src/csm-metrics --input customers.csv \
        --shards 4 --workers 2 --work /tmp/dask-run [--check] [-- COMPUTE OPTIONS]

Nothing is shared through the file system between the driver and the workers: each task gets
its shard's bytes from the scheduler, writes them to a temporary directory of its own worker,
runs csm-metrics there and returns the state's bytes; the driver writes the states to
WORK/states/ and merges them into WORK/merged.json. (On a real cluster the shard bytes would come
from object storage instead, and the binary be installed on every worker.)

With --check, one `compute` over the ORIGINAL, unsharded input is run too: the merged JSON must
equal it except for `input.sources` (the shard files instead of the input), and the merged CSV
must equal its CSV byte for byte; exit 1 otherwise. This catches a shard step that loses or
duplicates rows, not only a merge that adds up wrongly. Needs Debian's python3-distributed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile


def emit_state(binary, name, data, index, count, extra):
    """One Dask task (in a worker process): the partial state of one shard, as bytes."""
    with tempfile.TemporaryDirectory(prefix="csm-shard-") as tmp:
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(data)
        # Run in the temporary directory with the shard's own name, so that the state lists
        # the source as "shard-I-of-N.csv" whatever directory the worker used.
        p = subprocess.run([binary, "compute", "-q", "-j", "1", *extra, "--shard", "%d/%d" % (index, count),
                            name, "--emit-state", "-"], cwd=tmp, capture_output=True)
        if p.returncode != 0:
            raise RuntimeError("shard %d: csm-metrics compute failed (%d): %s"
                               % (index, p.returncode, p.stderr.decode("utf-8", "replace")))
        return p.stdout


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
    names = ["shard-%d-of-%d%s" % (i, args.shards, ext) for i in range(args.shards)]

    # Step 2: one task per shard on worker processes (not threads: each task runs a subprocess).
    # The shard's bytes travel through the scheduler (scatter), the state's bytes come back.
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        futures = []
        for i, name in enumerate(names):
            with open(os.path.join(shard_dir, name), "rb") as f:
                data = client.scatter(f.read())
            futures.append(client.submit(emit_state, binary, name, data, i, args.shards, args.extra, pure=False))
        states = client.gather(futures)

    # Step 3: the driver writes the states and merges them (one line per month and group each).
    state_dir = os.path.join(work, "states")
    os.makedirs(state_dir, exist_ok=True)
    paths = []
    for i, state in enumerate(states):
        paths.append(os.path.join(state_dir, "part-%d.csmstate" % i))
        with open(paths[-1], "wb") as f:
            f.write(state)
    merged = subprocess.run([binary, "merge", "-f", "json", *paths], check=True, capture_output=True).stdout
    with open(os.path.join(work, "merged.json"), "wb") as f:
        f.write(merged)
    print("run_dask: %d shards on %d workers merged into %s" % (args.shards, args.workers,
                                                               os.path.join(work, "merged.json")))
    if args.check:
        def compute(fmt, *inputs):
            return subprocess.run([binary, "compute", "-q", "-f", fmt, *args.extra, *inputs],
                                  check=True, capture_output=True).stdout
        one = json.loads(compute("json", args.input))
        many = json.loads(merged)
        sources = many["input"]["sources"]
        one["input"]["sources"] = many["input"]["sources"] = None
        merged_csv = subprocess.run([binary, "merge", "-f", "csv", *paths], check=True, capture_output=True).stdout
        if one != many or compute("csv", args.input) != merged_csv:
            print("run_dask: FAIL: the merge differs from one compute over the unsharded input", file=sys.stderr)
            return 1
        if sources != names:
            print("run_dask: FAIL: the merged sources are %r, expected %r" % (sources, names), file=sys.stderr)
            return 1
        print("run_dask: the merge equals one compute over the unsharded input (CSV byte for byte, "
              "JSON but for input.sources)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
