#!/usr/bin/env python3
"""Independent check of `csm-metrics churn-risk` with Debian's python3-xgboost (and numpy).

Generates a small data set with tools/gen_churn.py, runs churn-risk with --features-csv and
--format json, then trains python3-xgboost on the exported rows marked in_training, with the
parameters the JSON reports, and predicts the rows of the --as-of month. Each customer's
`model_score` must equal Python's prediction to 1e-6, and `churn_probability` must be Python's
prediction through the reported Platt map. The features themselves are checked too: a few are
recomputed here from the records (revenue, tenure, logins and its 1-month change).

A FAILURE, not a skip, when xgboost or numpy cannot be imported: CI installs python3-xgboost
(tools/setup.sh test). The interpreter running this may not be Debian's (pyenv); then
/usr/bin/python3 runs the xgboost part.

Usage: crosscheck_xgboost.py --binary PATH --root DIR --work DIR
"""

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys

HERE = os.path.abspath(__file__)


def find_python():
    for candidate in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(candidate) and subprocess.run(
                [candidate, "-c", "import xgboost, numpy"], capture_output=True).returncode == 0:
            return candidate
    return None


def train_and_predict(features_csv, report_json, out_json):
    """Runs under an interpreter with xgboost: writes {customer_id: prediction}."""
    import numpy as np
    import xgboost as xgb
    with open(report_json, encoding="utf-8") as f:
        report = json.load(f)
    params = dict(report["model"]["parameters"])
    rounds = int(params.pop("num_boost_round"))
    for key in ("max_training_rows", "sample_seed"):
        params.pop(key)
    as_of = report["settings"]["as_of"]
    with open(features_csv, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        names = header[4:]
        train_x, train_y, score_x, score_ids = [], [], [], []
        for row in reader:
            values = [float(v) if v != "" else math.nan for v in row[4:]]
            if row[3] == "1":
                train_x.append(values)
                train_y.append(float(row[2]))
            if row[1] == as_of:
                score_x.append(values)
                score_ids.append(row[0])
    assert names == report["model"]["features"], "feature names differ"
    dtrain = xgb.DMatrix(np.array(train_x, dtype=np.float32), label=np.array(train_y, dtype=np.float32),
                         missing=math.nan, nthread=1)
    booster = xgb.train(params, dtrain, num_boost_round=rounds)
    dscore = xgb.DMatrix(np.array(score_x, dtype=np.float32), missing=math.nan, nthread=1)
    pred = booster.predict(dscore)
    with open(out_json, "w", encoding="utf-8") as f:
        json.dump({"rows": len(train_x), "pred": dict(zip(score_ids, [float(p) for p in pred]))}, f)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--train":
        train_and_predict(*sys.argv[2:5])
        return 0
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    python = find_python()
    if python is None:
        print("FAIL: python3-xgboost (and numpy) cannot be imported by any python3 here; "
              "install python3-xgboost (tools/setup.sh test does)")
        return 1
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    data = os.path.join(a.work, "churn.csv")
    subprocess.run([sys.executable, os.path.join(a.root, "tools", "gen_churn.py"), "--customers",
                    "1200", "--months", "18", "--seed", "5", "-o", data], check=True)
    features = os.path.join(a.work, "features.csv")
    report = os.path.join(a.work, "report.json")
    # A training sample smaller than the candidates, so that the sampled rows are checked too.
    run = subprocess.run([a.binary, "churn-risk", data, "--signal", "logins", "--signal", "tickets",
                          "--format", "json", "-o", report, "--features-csv", features,
                          "--backtest", "0", "--max-training-rows", "9000", "--seed", "11"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print("FAIL: churn-risk exit", run.returncode, run.stderr)
        return 1
    predictions = os.path.join(a.work, "python.json")
    subprocess.run([python, HERE, "--train", features, report, predictions], check=True)
    with open(report, encoding="utf-8") as f:
        doc = json.load(f)
    with open(predictions, encoding="utf-8") as f:
        py = json.load(f)
    failures = []
    if py["rows"] != doc["model"]["training_rows"] or not 7000 < py["rows"] < 11000 \
            or doc["model"]["training_candidates"] <= py["rows"]:
        failures.append(f"training rows: python {py['rows']}, tool {doc['model']['training_rows']}")
    cal = doc["model"]["calibration"]
    customers = {c["customer_id"]: c for c in doc["customers"]}
    if set(customers) != set(py["pred"]) or not customers:
        failures.append(f"scored customers differ: {len(customers)} vs {len(py['pred'])}")
    worst = 0.0
    for cid, p_py in py["pred"].items():
        c = customers.get(cid)
        if c is None:
            continue
        worst = max(worst, abs(c["model_score"] - p_py))
        q = min(max(p_py, 1e-12), 1 - 1e-12)
        platt = 1 / (1 + math.exp(-(cal["a"] * math.log(q / (1 - q)) + cal["b"]))) if cal["fitted"] else p_py
        if abs(c["churn_probability"] - platt) > 2e-6:  # JSON has 6 decimals
            failures.append(f"{cid}: churn_probability {c['churn_probability']} vs Platt {platt}")
    if worst > 1e-6:
        failures.append(f"model_score differs from python3-xgboost by {worst:g} (> 1e-6)")
    if not cal["fitted"]:
        failures.append("calibration was not fitted on this data")

    # A few features from the records, independently.
    revenue, logins = {}, {}
    with open(data, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["customer_id"], row["period"])
            revenue[key] = revenue.get(key, 0.0) + float(row["revenue"])
            if row["logins"] != "":
                logins[key] = logins.get(key, 0.0) + float(row["logins"])

    def prev(period, k):
        y, m = int(period[:4]), int(period[5:7]) - 1 - k
        return f"{y + m // 12:04d}-{m % 12 + 1:02d}"

    checked = 0
    with open(features, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            cid, period = row["customer_id"], row["period"]
            if abs(float(row["revenue"]) - revenue[(cid, period)]) > 1e-4:
                failures.append(f"{cid} {period}: revenue {row['revenue']}")
            first = min(p for (c, p) in revenue if c == cid and revenue[(c, p)] > 0) if checked < 300 else None
            if first is not None:
                months = (int(period[:4]) - int(first[:4])) * 12 + int(period[5:7]) - int(first[5:7]) + 1
                if float(row["tenure_months"]) != months:
                    failures.append(f"{cid} {period}: tenure {row['tenure_months']} vs {months}")
            now, before = logins.get((cid, period)), logins.get((cid, prev(period, 1)))
            want = "" if now is None else now
            if (row["logins"] == "") != (now is None) or (now is not None and float(row["logins"]) != now):
                failures.append(f"{cid} {period}: logins {row['logins']!r} vs {want!r}")
            if now is not None and before:
                change = 100 * (now - before) / before
                if abs(float(row["logins_change_1m"]) - change) > 1e-3 * max(1, abs(change)):
                    failures.append(f"{cid} {period}: logins_change_1m {row['logins_change_1m']} vs {change}")
            elif row["logins_change_1m"] != "":
                failures.append(f"{cid} {period}: logins_change_1m should be missing")
            checked += 1
            if len(failures) > 10:
                break
    for failure in failures[:10]:
        print("FAIL:", failure)
    if failures:
        return 1
    print(f"ok: {len(py['pred'])} scores equal python3-xgboost's to {worst:.1e}; "
          f"{checked} feature rows checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
