#!/usr/bin/env python3
"""Hadoop streaming reducer of docs/scale-out.md: one partial state per shard.

Input: "I<TAB>base64 of a piece" lines, grouped by I (the shuffle sends every value of a key to
one reducer, in a sorted run; which reducer gets which key does not matter). For each key I the
pieces are written as files and `csm-metrics compute --shard I/N --emit-state` runs over them
(several files are one stream, each with its header). Output: "I<TAB>base64 of the state"; base64
has no tab or newline, so TextOutputFormat's key<TAB>value lines carry the state unchanged.

Environment: CSM_SHARDS (N, required), CSM_BINARY (default ./csm-metrics), CSM_COMPUTE_OPTIONS
(more compute options that change the numbers, e.g. "--by segment"; the same for every task).
"""
import base64
import os
import shlex
import subprocess
import sys
import tempfile

N = int(os.environ["CSM_SHARDS"])
BINARY = os.path.abspath(os.environ.get("CSM_BINARY", "csm-metrics"))
OPTIONS = shlex.split(os.environ.get("CSM_COMPUTE_OPTIONS", ""))


def emit(key, tmp, names):
    subprocess.run([BINARY, "compute", "-q", "-j", "1", *OPTIONS, "--shard", "%s/%d" % (key, N), *names,
                    "--emit-state", "state"], cwd=tmp, check=True)
    with open(os.path.join(tmp, "state"), "rb") as f:
        sys.stdout.write("%s\t%s\n" % (key, base64.b64encode(f.read()).decode("ascii")))
    for name in names + ["state"]:
        os.remove(os.path.join(tmp, name))


with tempfile.TemporaryDirectory() as tmp:
    key, names = None, []
    for line in sys.stdin:
        i, piece = line.rstrip("\r\n").split("\t", 1)
        if i != key:
            if key is not None:
                emit(key, tmp, names)
                names = []
            key = i
        names.append("piece-%d.csv" % len(names))
        with open(os.path.join(tmp, names[-1]), "wb") as f:
            f.write(base64.b64decode(piece))
    if key is not None:
        emit(key, tmp, names)
