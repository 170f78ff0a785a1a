#!/usr/bin/env python3
"""End-to-end tests of the trend lines under the compute table (Python 3 standard library only).

Unicode blocks with a UTF-8 locale, on a terminal (checked on a pseudo-terminal) and in a pipe alike
(issue 18: piping into `less` must not change the choice), the ASCII ramp _.-=*# with another locale,
every line on one 0..100 % scale, nothing in JSON, CSV or --all.

Usage: test_sparklines.py --binary PATH --examples DIR --work DIR
"""

import argparse
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import Runner, guarded, run_on_terminal  # noqa: E402

BLOCKS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
LABELS = ("churn%", "retention%", "nrr%", "grr%", "csat%")
TAIL = re.compile(r"  low +[0-9.]+  high +[0-9.]+$")
NO_LOCALE = {"LC_ALL": "", "LC_CTYPE": "", "LANG": ""}
ASCII = set("_.-=*# ")


def trend_of(text):
    """The trend lines of a table: {label: spark}, from the line after 'trend ...'."""
    lines = text.replace("\r\n", "\n").split("\n")
    found = {}
    for i, line in enumerate(lines):
        if line.startswith("trend "):
            for follow in lines[i + 1:]:
                # The label takes 12 columns; the spark runs from there to "  low".
                tail = TAIL.search(follow)
                if follow[:12].strip() not in LABELS or not tail:
                    break
                found[follow[:12].strip()] = follow[12:tail.start()]
    return found


def test_pipe(r, examples):
    path = os.path.join(examples, "activity.csv")
    # The locale decides, not the pipe: LC_ALL=C.UTF-8 gets blocks, LC_ALL=C the ASCII ramp.
    code, out, err = r.run(["compute", path], env={**NO_LOCALE, "LC_ALL": "C.UTF-8"})
    utf8_trend = trend_of(out.decode("utf-8"))
    r.check("pipe LC_ALL=C.UTF-8: blocks", len(utf8_trend) == 5
            and all(set(s) <= set(BLOCKS + " ") for s in utf8_trend.values()), repr(utf8_trend))
    code, out, err = r.run(["compute", "-o", os.path.join(r.work, "table.txt"), path],
                           env={**NO_LOCALE, "LANG": "en_US.UTF-8"})
    with open(os.path.join(r.work, "table.txt"), encoding="utf-8") as f:
        r.check("-o FILE with a UTF-8 LANG: blocks too", trend_of(f.read()) == utf8_trend)
    # Hand-worked on the shared scale 0..108.7 (the highest value, nrr 2025-02): a level is
    # round(v / 108.7 * 7) in blocks; grr's low 97.6 -> 6.29 -> 6, its high 100.0 -> 6.44 -> 6:
    # a flat line near the top, not floor to ceiling; churn's high 4.2 -> 0.27 -> 0.
    r.check("pipe: grr flat at the seventh block", set(utf8_trend.get("grr%", "x")) == {" ", BLOCKS[6]},
            repr(utf8_trend))
    r.check("pipe: churn on the floor", set(utf8_trend.get("churn%", "x")) == {" ", BLOCKS[0]}, repr(utf8_trend))
    code, out, err = r.run(["compute", path], env={**NO_LOCALE, "LC_ALL": "C", "LANG": "C.UTF-8"})
    text = out.decode("utf-8")
    trend = trend_of(text)
    r.check("pipe: exit 0", code == 0, repr(err))
    r.check("pipe: trend heading", "trend 2025-01..2025-12, all on one scale 0-108.7%\n" in text, text[-600:])
    r.check("pipe: the five rates", sorted(trend) == sorted(["churn%", "retention%", "nrr%", "grr%", "csat%"]),
            repr(trend))
    r.check("pipe: ASCII ramp only", all(set(s) <= ASCII for s in trend.values()), repr(trend))
    r.check("pipe: one character per month", all(len(s) == 12 for s in trend.values()), repr(trend))
    # churn% is null in the first month only (no customers at start): a space there.
    r.check("pipe: null month is a space", trend.get("churn%", "x")[0] == " " and " " not in trend["churn%"][1:],
            repr(trend))
    r.check("pipe: fits 80 columns", all(len(l) <= 80 for l in text.splitlines()))

    for fmt in ("json", "csv"):
        code, out, _ = r.run(["compute", "--format", fmt, path])
        r.check(f"{fmt}: no trend", code == 0 and b"trend" not in out and not any(c.encode() in out for c in BLOCKS))
    code, out, _ = r.run(["compute", "--all", path])
    r.check("--all: no trend", code == 0 and b"trend " not in out)


def test_terminal(r, examples):
    path = os.path.join(examples, "activity.csv")
    got = run_on_terminal(r, ["compute", "--color", "never", path], {**NO_LOCALE, "LANG": "en_US.UTF-8"})
    if got is None:
        r.skip("trend on a terminal", "no pseudo-terminal available")
        return
    code, text = got
    trend = trend_of(text)
    r.check("terminal UTF-8: exit 0", code == 0)
    r.check("terminal UTF-8: five lines", len(trend) == 5, repr(text[-800:]))
    r.check("terminal UTF-8: blocks", all(set(s) <= set(BLOCKS + " ") for s in trend.values())
            and any(c in "".join(trend.values()) for c in BLOCKS), repr(trend))
    # The same characters as in a pipe with the same locale.
    code, out, _ = r.run(["compute", "--color", "never", path], env={**NO_LOCALE, "LANG": "en_US.UTF-8"})
    r.check("terminal and pipe draw the same", trend == trend_of(out.decode("utf-8")), repr(trend))
    # LC_ALL wins over LANG; lower-case utf8 counts.
    code, text = run_on_terminal(r, ["compute", "--color", "never", path], {**NO_LOCALE, "LC_ALL": "C", "LANG": "C.UTF-8"})
    trend = trend_of(text)
    r.check("terminal LC_ALL=C: ASCII", trend and all(set(s) <= ASCII for s in trend.values()), repr(trend))
    code, text = run_on_terminal(r, ["compute", "--color", "never", path], {**NO_LOCALE, "LC_CTYPE": "de_DE.utf8"})
    trend = trend_of(text)
    r.check("terminal LC_CTYPE=de_DE.utf8: blocks", trend and any(c in "".join(trend.values()) for c in BLOCKS),
            repr(trend))
    code, text = run_on_terminal(r, ["compute", "--color", "never", path], NO_LOCALE)
    trend = trend_of(text)
    r.check("terminal, no locale: ASCII", trend and all(set(s) <= ASCII for s in trend.values()),
            repr(trend))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--work", required=True)
    options = parser.parse_args()
    work = os.path.abspath(options.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = Runner(os.path.abspath(options.binary), work)
    examples = os.path.abspath(options.examples)
    guarded(r, test_pipe, r, examples)
    guarded(r, test_terminal, r, examples)
    note = f", {r.skipped} skipped" if r.skipped else ""
    print(f"sparklines e2e: {r.passed} passed, {r.failed} failed{note}")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
