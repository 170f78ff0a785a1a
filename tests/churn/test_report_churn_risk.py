#!/usr/bin/env python3
"""End-to-end tests of `csm-metrics report --churn-risk` (Python 3 standard library only).

The section is present only when asked, and its numbers are those of `churn-risk -f json` with the
same options: the customers scored, the histogram of the scores (binned here independently from
the JSON's probabilities), the backtest table (exact 6-decimal values in data-value attributes),
the ROC AUC per origin month of the chart, and the top 20 with their factors. Usage errors exit 2.

Usage: test_report_churn_risk.py --binary PATH --root DIR --work DIR
"""

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys

failures = []


def check(name, ok, detail=""):
    if not ok:
        failures.append(f"{name}: {detail}")
        print("FAIL:", name, str(detail)[:600])


def run(binary, args, stdin=None):
    p = subprocess.run([binary] + args, capture_output=True, text=True, stdin=stdin)
    return p.returncode, p.stdout, p.stderr


def section_of(page):
    start = page.find('<section id="churn-risk">')
    return page[start:page.find("</section>", start)] if start >= 0 else None


def histogram(micro, max_bins=20):
    """Bins of width w (the smallest of 1, 2, 5 x 10^k giving at most max_bins bins from the
    lowest score's bin to the highest's): [(lower bound, count)]."""
    lo, hi = min(micro), max(micro)
    widths = [step * 10 ** k for k in range(8) for step in (1, 2, 5)]
    w = next(w for w in widths if hi // w - lo // w + 1 <= max_bins)
    counts = {}
    for q in micro:
        counts[q // w] = counts.get(q // w, 0) + 1
    return [(b * w, counts.get(b, 0)) for b in range(lo // w, hi // w + 1)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    b = a.binary
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    data = os.path.join(a.work, "churn.csv")
    subprocess.run([sys.executable, os.path.join(a.root, "tools", "gen_churn.py"), "--customers", "600",
                    "--months", "14", "--seed", "3", "-o", data], check=True)
    options = ["--signal", "logins", "--backtest", "2"]

    code, out, err = run(b, ["churn-risk", data, *options, "-f", "json", "--top", "0"])
    check("churn-risk: exit 0", code == 0, err)
    # The numbers as written (strings), so that they compare exactly.
    doc = json.loads(out, parse_float=str)

    page_path = os.path.join(a.work, "report.html")
    code, out, err = run(b, ["report", data, "--churn-risk", *options, "-o", page_path])
    check("report --churn-risk: exit 0", code == 0, err)
    page = open(page_path, encoding="utf-8").read()
    sec = section_of(page)
    check("section present", sec is not None)
    if sec is None:
        print(f"report --churn-risk e2e: {len(failures)} failed")
        return 1
    code, out, err = run(b, ["report", data])
    check("no section without --churn-risk", code == 0 and section_of(out) is None)
    check("report: --churn-risk in the equivalent command", "--churn-risk --signal logins --backtest 2" in page)

    scored = re.search(r'<span id="churn-scored">(\d+)</span>', sec)
    check("customers scored", scored and int(scored.group(1)) == doc["input"]["active_customers"]
          == len(doc["customers"]), scored and scored.group(1))

    # The histogram of every customer's probability.
    micro = [round(float(c["churn_probability"]) * 1e6) for c in doc["customers"]]
    table = re.search(r'<table class="churn-histogram">(.*?)</table>', sec, re.S).group(1)
    shown = [(int(lo), int(n)) for lo, n in
             re.findall(r'<tr><td data-value="(\d+)">[^<]*</td><td class="num">(\d+)</td></tr>', table)]
    check("histogram = the JSON's probabilities binned", shown == histogram(micro), (shown[:4], histogram(micro)[:4]))
    check("histogram counts everyone", sum(n for _, n in shown) == len(micro))
    check("histogram chart", 'id="chart-churn-scores"' in sec)

    # The backtest: pooled figures, exactly the JSON's.
    table = re.search(r'<table class="churn-backtest">(.*?)</table>', sec, re.S).group(1)
    rows = re.findall(r"<tr><td>(\w+)</td>(.*?)</tr>", table)
    check("backtest: three scorers", [r[0] for r in rows] == ["model", "baseline", "rules"], rows)
    for (name, cells), scorer in zip(rows, doc["backtest"]["scorers"]):
        values = re.findall(r'data-value="([0-9.]+)"', cells)
        expected = [scorer["roc_auc"], scorer["pr_auc"], scorer["top_decile"]["lift"],
                    scorer["top_decile"]["recall"], scorer["brier"]]
        check(f"backtest {name}: the JSON's numbers", values == expected, (values, expected))
    # The chart: each origin's ROC AUC per scorer, as the JSON's by_origin gives them.
    svg = re.search(r'<svg[^>]*>(?:(?!</svg>).)*chart-churn-backtest.*?</svg>', sec, re.S)
    check("backtest chart present", svg is not None)
    desc = html.unescape(svg.group(0)) if svg else ""
    for o in doc["backtest"]["by_origin"]:
        m = re.search(re.escape(o["origin"]) + r": model ([0-9]+\.[0-9]+), baseline ([0-9]+\.[0-9]+), rules ([0-9]+\.[0-9]+)", desc)
        check(f"chart {o['origin']}", m is not None, desc[:300])
        if m:
            for got, key in zip(m.groups(), ("model", "baseline", "rules")):
                check(f"chart {o['origin']} {key}", abs(float(got) - float(o["roc_auc"][key])) <= 0.0005 + 1e-6,
                      (got, o["roc_auc"][key]))
    check("by_origin: one per origin", [o["origin"] for o in doc["backtest"]["by_origin"]] == doc["backtest"]["origins"])

    # The top 20, by probability, with their factors.
    table = re.search(r'<table class="churn-top">(.*?)</table>', sec, re.S).group(1)
    rows = re.findall(r'<tr><td>([^<]*)</td><td class="num" data-value="([0-9.]+)">.*?</td>.*?<td>([^<]*(?:<br>[^<]*)*)</td></tr>',
                      table)
    top = doc["customers"][:20]
    check("top 20: ids and probabilities",
          [(html.unescape(r[0]), r[1]) for r in rows] == [(c["customer_id"], c["churn_probability"]) for c in top],
          rows[:3])
    check("top 20: factors", [html.unescape(r[2]).split("<br>") for r in rows]
          == [[f["text"] for f in c["factors"]] for c in top], rows[:2])

    # --by segment: the same 20 customers (the same model), with their segment.
    code, out, err = run(b, ["report", data, "--churn-risk", *options, "--by", "segment"])
    grouped = section_of(out) or ""
    table = re.search(r'<table class="churn-top">(.*?)</table>', grouped, re.S)
    ids = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>", table.group(1) if table else "")
    check("--by segment: same top 20 with a segment column",
          [i for i, _ in ids] == [c["customer_id"] for c in top] and all(s for _, s in ids), ids[:3])

    # Usage errors.
    with open(data, encoding="utf-8") as f:
        code, out, err = run(b, ["report", "-", "--churn-risk"], stdin=f)
    check("--churn-risk from stdin: exit 2", code == 2 and "give files" in err, (code, err))
    code, out, err = run(b, ["report", data, "--signal", "logins"])
    check("--signal without --churn-risk: exit 2", code == 2 and "--churn-risk" in err, (code, err))

    print(f"report --churn-risk e2e: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
