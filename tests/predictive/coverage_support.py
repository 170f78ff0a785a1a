"""What the interval coverage scripts of tests/predictive share (Python 3 standard library only)."""

import argparse


def arguments(reps, customers, draws=200, seed=20261207):
    """The options every coverage script takes (--binary, --work, --reps, --customers, --draws,
    --seed, --table), with that script's defaults; the script adds its own before parsing."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--reps", type=int, default=reps)
    ap.add_argument("--customers", type=int, default=customers)
    ap.add_argument("--draws", type=int, default=draws)
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--table", help="write a markdown table of the coverage here")
    return ap


def report(lines, table):
    """Prints the coverage table `lines` (a list of lines of markdown) and, when `table` names a
    file (the scripts' --table), writes it there too."""
    text = "\n".join(lines)
    print(text)
    if table:
        with open(table, "w") as f:
            f.write(text + "\n")
