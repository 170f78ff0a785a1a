#!/usr/bin/env python3
"""Hadoop streaming mapper of docs/scale-out.md: shard whole input files by customer.

Each input line names one input file (the job's input is a list of paths, read with
NLineInputFormat so that a map task gets one path; streaming may put the line's offset and a tab
before it). The file is copied to a temporary directory whole (so quoted fields with commas or
line breaks stay intact), split with `csm-metrics shard` itself (the program's own hash and CSV
parsing), and one line per shard is written: "I<TAB>base64 of the piece", the piece being the
file's rows of shard I with its header (a header only for an empty shard).

Environment: CSM_SHARDS (N, required), CSM_BINARY (default ./csm-metrics, as shipped with
-files), CSM_CAT (the command that prints a path, default "hdfs dfs -cat").
"""
import base64
import os
import shlex
import subprocess
import sys
import tempfile

N = int(os.environ["CSM_SHARDS"])
BINARY = os.path.abspath(os.environ.get("CSM_BINARY", "csm-metrics"))
CAT = shlex.split(os.environ.get("CSM_CAT", "hdfs dfs -cat"))

for line in sys.stdin:
    path = line.rstrip("\r\n").split("\t")[-1]
    if not path:
        continue
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "input.csv"), "wb") as f:
            subprocess.run([*CAT, path], stdout=f, check=True)
        subprocess.run([BINARY, "shard", "-q", "-n", str(N), "input.csv", "-o", "out"], cwd=tmp, check=True)
        for i in range(N):
            with open(os.path.join(tmp, "out", "shard-%d-of-%d.csv" % (i, N)), "rb") as f:
                sys.stdout.write("%d\t%s\n" % (i, base64.b64encode(f.read()).decode("ascii")))
