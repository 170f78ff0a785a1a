#!/usr/bin/env python3
"""The Dask example (examples/dask/run_dask.py) on a small generated input: the merged JSON must
equal one compute byte for byte. Skips, loudly, only when dask.distributed cannot be imported
(Debian: python3-distributed; tools/setup.sh test installs it).

Usage: test_dask.py --binary PATH --root DIR --work DIR
"""

import argparse
import os
import shutil
import subprocess
import sys

SKIP = 77  # ctest SKIP_RETURN_CODE


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    # Debian's python3-distributed is for Debian's python3, which may not be the one running this.
    python = None
    for candidate in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(candidate) and subprocess.run([candidate, "-c", "import dask.distributed"],
                                                        capture_output=True).returncode == 0:
            python = candidate
            break
    if python is None:
        print("SKIPPED: dask.distributed is not importable (by %s or /usr/bin/python3); "
              "apt-get install python3-distributed" % sys.executable)
        return SKIP
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    data = os.path.join(args.work, "input.csv")
    subprocess.run([sys.executable, os.path.join(args.root, "tools", "gen_activity.py"), "--customers", "400",
                    "--months", "12", "--shuffle", "-o", data], check=True)
    failed = 0
    for extra in ([], ["--by", "segment", "--grain", "quarter"]):
        p = subprocess.run([python, os.path.join(args.root, "examples", "dask", "run_dask.py"),
                            "--binary", args.binary, "--input", data, "--shards", "3", "--workers", "2",
                            "--work", os.path.join(args.work, "run%d" % len(extra)), "--check", "--", *extra],
                           capture_output=True, text=True, timeout=120)
        print(p.stdout.strip())
        if p.returncode != 0 or "byte for byte" not in p.stdout:
            print("FAIL: run_dask.py %s: exit %d\n%s" % (" ".join(extra), p.returncode, p.stderr[-2000:]))
            failed += 1
    print("dask: %d passed, %d failed" % (2 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
