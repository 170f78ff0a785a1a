"""What the smaller e2e scripts share (Python 3 standard library only): a tally of checks that
prints each failure, and a run of the binary that returns its exit status, stdout and stderr as
text. run_e2e.py's Runner is the fuller runner (bytes, environment, limits)."""

import argparse
import os
import shutil
import subprocess


def options(doc, *required):
    """The command line of an e2e script: --binary, the `required` options (such as "--repo"),
    and --work, a scratch folder emptied here. `doc` is the script's docstring (its first line
    describes it). The binary and the folder come back as absolute paths."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--binary", required=True)
    for name in required:
        parser.add_argument(name, required=True)
    parser.add_argument("--work", required=True, help="scratch folder (emptied first)")
    parsed = parser.parse_args()
    parsed.binary = os.path.abspath(parsed.binary)
    parsed.work = os.path.abspath(parsed.work)
    shutil.rmtree(parsed.work, ignore_errors=True)
    os.makedirs(parsed.work)
    return parsed


class Checks:
    """check(ok, what): counts a passed check, or records and prints a failed one."""

    def __init__(self):
        self.passed = 0
        self.failures = []

    def __call__(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            print("FAIL:", what)


def run_text(binary, args):
    """Runs binary with args; returns (exit status, stdout, stderr), the outputs as text."""
    p = subprocess.run([binary] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr
