#!/usr/bin/env python3
"""End-to-end tests of the words `predict` says when a Pareto/NBD or BG/BB fit runs off (Python 3
standard library only): each limit of the model (in the warning of an accepted fit) and each
run-off (in the message of a refused one), on the small files of tests/data/predictive (see
tests/predictive/make_runoff_data.py and tests/data/predictive/README.md). The texts are those of
src/core/mle.cpp, pareto_nbd_fit.cpp and bgbb.cpp; {} stands for a number printed as %.4g.

Usage: test_predictive_runoff.py --binary PATH --data DIR --work DIR
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Checks, options, run_text  # noqa: E402  (the shared command line, tally and runner)

NUMBER = r"[0-9.e+-]+"
WEEKS = ["--end", "2024-12-31", "--unit", "week"]

PURCHASE_TOGETHER = ("r and alpha grow without bound together (r/alpha, the mean purchase rate, stays at {} "
                     "per time unit): purchase rates do not vary between customers in these data")
S_BETA_TOGETHER = ("s and beta grow without bound together (s/beta, the mean drop-out rate, stays at {} per "
                   "time unit): drop-out rates do not vary between customers in these data")
S_BETA_VANISHED = "s/beta, the mean drop-out rate, goes to 0: the data show no sign of customers dropping out"
NBD = "no customer drops out (s/beta -> 0: the NBD model; p_alive is about 1)"
AB_TOGETHER = ("alpha and beta grow without bound together (alpha/(alpha+beta), the chance to transact at an "
               "opportunity, stays at {}): that chance does not vary between customers in these data")
GD_TOGETHER = ("gamma and delta grow without bound together (gamma/(gamma+delta), the chance to drop out before "
               "an opportunity, stays at {}): that chance does not vary between customers in these data")
GD_VANISHED = ("gamma/(gamma+delta), the chance to drop out, goes to 0: the data show no sign of customers "
               "dropping out")
BETA_BINOMIAL = "no customer drops out (gamma/(gamma+delta) -> 0: the beta-binomial model)"

# (file, arguments, model name, exit status, the words: a warning's limits or a refusal's reasons)
CASES = [
    ("no_dropout.csv", WEEKS + ["--model", "pareto-nbd"], "Pareto/NBD", 0, NBD),
    ("crash_100customers.csv", WEEKS + ["--model", "pareto-nbd"], "Pareto/NBD", 0,
     "every customer drops out at the same rate s/beta = {} per time unit (s and beta -> infinity)"),
    ("runoff_pareto_same_rate.csv", ["--end", "2024-12-31", "--model", "pareto-nbd"], "Pareto/NBD", 0,
     "every customer buys at the same rate r/alpha = {} per time unit while alive (r and alpha -> infinity); "
     + NBD),
    ("three_customers.csv", WEEKS + ["--model", "pareto-nbd"], "Pareto/NBD", 65,
     PURCHASE_TOGETHER + "; " + S_BETA_TOGETHER),
    ("runoff_pareto_refused.csv", ["--end", "2024-12-31", "--model", "pareto-nbd"], "Pareto/NBD", 65,
     PURCHASE_TOGETHER + "; " + S_BETA_VANISHED),
    ("no_dropout.csv", WEEKS + ["--model", "bg-bb"], "BG/BB", 0, BETA_BINOMIAL),
    # The data were made with p = 0.3 for everyone and no drop-out.
    ("runoff_bgbb_same_chance.csv", ["--model", "bg-bb"], "BG/BB", 0,
     "every live customer transacts with the same chance 0.3 (alpha and beta -> infinity); " + BETA_BINOMIAL),
    # The data were made with a drop-out chance of 0.15 for everyone.
    ("runoff_bgbb_same_dropout.csv", ["--model", "bg-bb"], "BG/BB", 0,
     "every customer drops out with the same chance 0.15 per opportunity (gamma and delta -> infinity)"),
    ("three_customers.csv", WEEKS + ["--model", "bg-bb"], "BG/BB", 65, AB_TOGETHER + "; " + GD_TOGETHER),
    ("crash_100customers.csv", WEEKS + ["--model", "bg-bb"], "BG/BB", 65, GD_TOGETHER),
    ("runoff_bgbb_refused.csv", ["--model", "bg-bb"], "BG/BB", 65, AB_TOGETHER + "; " + GD_VANISHED),
    ("runoff_bgbb_beta_alone.csv", ["--model", "bg-bb"], "BG/BB", 65, "beta goes to infinity"),
    ("runoff_bgbb_delta_alone.csv", ["--model", "bg-bb"], "BG/BB", 65, "delta goes to infinity"),
]


def pattern(words):
    return NUMBER.join(re.escape(part) for part in words.split("{}"))


def main():
    args = options(__doc__, "--data")
    check = Checks()
    for name, extra, model, status, words in CASES:
        what = f"{name} {' '.join(extra)}"
        rc, _, err = run_text(args.binary, ["predict", os.path.join(args.data, "predictive", name)] + extra +
                              ["-f", "json"])
        check(rc == status, f"{what}: exit {rc}, expected {status} ({err.strip()})")
        if status == 0:
            line = (rf"^csm-metrics: warning: {re.escape(model)} converged to a limit of the model: "
                    rf"{pattern(words)}\. The parameters that ran off")
        else:
            line = (rf"^csm-metrics: error: {re.escape(model)} fit failed on {NUMBER} customers: "
                    rf"{pattern(words)} \(best point: ")
        check(re.search(line, err, re.MULTILINE), f"{what}: expected the words\n  {words}\nin\n  {err.strip()}")
    print(f"predictive run-off words: {check.passed} passed, {len(check.failures)} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
