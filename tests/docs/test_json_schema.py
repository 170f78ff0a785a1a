#!/usr/bin/env python3
"""Every JSON a command writes against docs/schema/csm-metrics.schema.json (issue 18).

Runs each command that writes JSON on files shipped in the checkout (examples/, tests/data/) and
checks (1) the common envelope: the first members are "tool", "version", "command", "kind" in
this order, "tool" is "csm-metrics", "command" the subcommand run and "kind" the kind of records
read (null for calc); (2) the document validates against the schema of that command (python3-
jsonschema, Debian package). Also: --interval of predict and forecast takes a percentage like
every other rate (80% and 0.8 give the same output). Python 3 + python3-jsonschema.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

ENVELOPE = ["tool", "version", "command", "kind"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--root", required=True, help="the checkout (examples/, tests/data/, docs/)")
    ap.add_argument("--print", action="store_true", help="print each document's top-level members")
    args = ap.parse_args()
    root = args.root
    ex = os.path.join(root, "examples")
    data = os.path.join(root, "tests", "data")
    with open(os.path.join(root, "docs", "schema", "csm-metrics.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    failures = []
    ran = 0
    seen = {}  # command -> its first document, for the mutations below

    def run(argv, code=0):
        p = subprocess.run([args.binary] + argv, capture_output=True, text=True, timeout=120)
        if p.returncode != code:
            failures.append(f"{' '.join(argv)}: exit {p.returncode}, expected {code}: {p.stderr.strip()}")
            return None
        return p

    def check(what, ok, detail=""):
        if not ok:
            failures.append(f"{what}: {detail}")

    def validate(argv, command, kind):
        nonlocal ran
        p = run(argv + ["--format", "json", "-q"] if argv[0] != "calc" else argv + ["--format", "json"])
        if p is None:
            return None
        ran += 1
        name = " ".join(argv)
        try:
            pairs = json.loads(p.stdout, object_pairs_hook=lambda kv: kv)
            doc = json.loads(p.stdout)
        except ValueError as e:
            failures.append(f"{name}: not JSON ({e})")
            return None
        keys = [k for k, _ in pairs]
        if args.print:
            print(name, keys)
        check(f"{name}: the envelope first, in order", keys[:4] == ENVELOPE, keys[:6])
        check(f"{name}: tool", doc.get("tool") == "csm-metrics", doc.get("tool"))
        check(f"{name}: command", doc.get("command") == command, doc.get("command"))
        check(f"{name}: kind", doc.get("kind") == kind, doc.get("kind"))
        seen.setdefault(command, doc)
        errors = sorted(validator_class(schema).iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:5]:
            failures.append(f"{name}: schema: {'/'.join(map(str, e.path))}: {e.message[:300]}")
        return doc

    activity = os.path.join(ex, "activity.csv")
    transactions = os.path.join(ex, "transactions.csv")
    end = ["--end", "2025-12-31"]
    validate(["compute", activity], "compute", "activity")
    validate(["compute", os.path.join(ex, "activity.jsonl"), "--by", "segment", "--grain", "quarter", "--explain",
              "--spend", os.path.join(ex, "spend.csv"), "--fail-if", "churn_rate > 99"], "compute", "activity")
    validate(["compute", os.path.join(ex, "subscriptions.csv")], "compute", "subscription")
    validate(["compute", os.path.join(ex, "summary.csv")], "compute", "summary")
    validate(["compute", os.path.join(ex, "invoices.csv"), "--currency", "USD", "--fx", os.path.join(ex, "fx.csv")],
             "compute", "invoice")
    validate(["compute", os.path.join(data, "nps", "nps.csv"), "--by", "segment"], "compute", "activity")
    validate(["compute", os.path.join(ex, "invoices.csv"), "--currency", "USD", "--fx", os.path.join(ex, "fx.csv"),
              "--explain"], "compute", "invoice")
    validate(["check", activity], "check", "activity")
    validate(["at-risk", activity], "at-risk", "activity")
    validate(["churn-risk", activity], "churn-risk", "activity")
    validate(["churn-risk", activity, "--by", "segment", "--backtest", "3"], "churn-risk", "activity")
    validate(["cohorts", activity], "cohorts", "activity")
    validate(["cohorts", os.path.join(ex, "subscriptions.csv"), "--by", "segment"], "cohorts", "subscription")
    validate(["movements", activity], "movements", "activity")
    validate(["movements", activity, "--by", "segment", "--grain", "quarter"], "movements", "activity")
    validate(["rfm", transactions] + end, "rfm", "transaction")
    validate(["predict", transactions] + end, "predict", "transaction")
    validate(["predict", transactions] + end + ["--interval", "90%", "--draws", "20"], "predict", "transaction")
    validate(["predict", transactions] + end + ["--interval", "90%", "--draws", "20", "--interval-of", "purchases"],
             "predict", "transaction")
    validate(["predict", os.path.join(data, "cdnow", "cdnow_transactions.csv"), "--end", "1997-09-30", "--unit",
              "week", "--model", "pareto-nbd", "--interval", "0.9", "--draws", "20", "--interval-of", "purchases"],
             "predict", "transaction")
    validate(["predict", "--model", "bg-bb", os.path.join(data, "predictive", "donations.csv"), "--interval", "0.9",
              "--draws", "20", "--interval-of", "purchases"], "predict", "frequency_recency")
    validate(["predict", "--model", "bg-bb", os.path.join(data, "predictive", "donations.csv")], "predict",
             "frequency_recency")
    validate(["predict", "--model", "bg-bb", transactions, "--end", "2025-12-31", "--unit", "month",
              "--penalizer", "0.01"], "predict",
             "transaction")
    validate(["retention", activity], "retention", "activity")
    validate(["retention", os.path.join(data, "retention", "survivors.csv"), "--project", "3"], "retention",
             "survival_table")
    validate(["forecast", activity], "forecast", "activity")
    for metric in (["clv", "--gross-profit", "900", "--retention", "0.9"],
                   ["clv-dcf", "--revenues", "100,120,130", "--discount-rate", "10%"],
                   ["cac", "--spend", "5000", "--customers", "40"],
                   ["csat", "--satisfied", "2", "--responses", "3"],
                   ["retention", "--start", "1000", "--end", "1030", "--new", "80"],
                   ["churn", "--start", "1000", "--churned", "50"],
                   ["quick-ratio", "--new-mrr", "10", "--churned-mrr", "4"],
                   ["clv-dcf", "--revenue", "100000", "--periods", "4", "--discount-rate", "10%"],
                   ["clv", "--gross-profit", "900", "--retention", "90%", "--horizon", "36"],
                   ["retention", "--start", "1000", "--retained", "950"],
                   ["expansion", "--start", "1000", "--expanded", "120"],
                   ["grr", "--mrr-start", "10000", "--churned-mrr", "500", "--contraction-mrr", "300"],
                   ["nrr", "--mrr-start", "10000", "--churned-mrr", "500", "--contraction-mrr", "300",
                    "--expansion-mrr", "1200"],
                   ["arpu", "--mrr", "9916", "--customers", "34"],
                   ["nps", "--promoters", "50", "--passives", "30", "--detractors", "20"],
                   ["ltv-cac", "--clv", "13846.15", "--cac", "4000"],
                   ["payback", "--cac", "1200", "--arpu", "100", "--gross-margin", "80%"]):
        doc = validate(["calc"] + metric, "calc", None)
    # calc's numbers as compute writes them: 5, not 5.0 (issue 18).
    p = run(["calc", "churn", "--start", "1000", "--churned", "50", "--format", "json"])
    if p is not None:
        check("calc churn: value 5 written as 5", p.stdout.rstrip().endswith('"unit":"percent","value":5}'), p.stdout)

    with tempfile.TemporaryDirectory() as work:
        states = {
            "metrics": ["compute", activity, "--emit-state"],
            "cohorts": ["cohorts", activity, "--emit-state"],
            "rfm": ["rfm", transactions] + end + ["--emit-state"],
        }
        kinds = {"metrics": "activity", "cohorts": "activity", "rfm": "transaction"}
        # merge writes, byte for byte, the document of one run of the command over all the inputs
        # (docs/scale-out.md): its "command" is that command's.
        commands = {"metrics": "compute", "cohorts": "cohorts", "rfm": "rfm"}
        # A backtest needs more history than examples/ has: the project's generator, 300 customers.
        generated = os.path.join(work, "generated.csv")
        subprocess.run([sys.executable, os.path.join(root, "tools", "gen_activity.py"), "--customers", "300",
                        "--months", "24", "-o", generated], check=True)
        validate(["forecast", generated, "--backtest", "6"], "forecast", "activity")
        for name, argv in states.items():
            state = os.path.join(work, name + ".csmstate")
            if run(argv + [state, "-q"]) is not None:
                doc = validate(["merge", state], commands[name], kinds[name])
                if doc is not None:
                    seen.setdefault("merge " + name, doc)

    # The schema can fail: a renamed, missing or mistyped member of a real document is caught.
    def mutated(command, change):
        doc = json.loads(json.dumps(seen[command]))
        change(doc)
        return doc
    def rename(doc, old, new):
        doc[new] = doc.pop(old)
    mutations = {
        "compute: periods renamed": ("compute", lambda d: rename(d, "periods", "period_rows")),
        "compute: no tool": ("compute", lambda d: d.pop("tool")),
        "at-risk: the former kind at_risk": ("at-risk", lambda d: d.update(kind="at_risk")),
        "at-risk: a customer without revenue_at_risk": ("at-risk", lambda d: d["customers"][0].pop("revenue_at_risk")),
        "cohorts: an unknown top-level member": ("cohorts", lambda d: d.update(extra=1)),
        "rfm: no command": ("rfm", lambda d: d.pop("command")),
        "predict: customers' p_alive a string": ("predict", lambda d: d["customers"][0].update(p_alive="0.5")),
        "calc: value a string": ("calc", lambda d: d.update(value="5")),
        "merge: compute's document with a member of rfm": ("merge metrics", lambda d: d.update(days_per_unit=7)),
        "merge: the command merge": ("merge metrics", lambda d: d.update(command="merge")),
    }
    for what, (command, change) in mutations.items():
        if command in seen:
            check(f"schema rejects {what}", not validator_class(schema).is_valid(mutated(command, change)))
        else:
            failures.append(f"no {command} document to mutate")

    # --interval takes a percentage like every other rate: 80% is 0.8.
    a = run(["forecast", activity, "--interval", "80%", "-f", "json"])
    b = run(["forecast", activity, "--interval", "0.8", "-f", "json"])
    check("forecast --interval 80% = 0.8", a is not None and b is not None and a.stdout == b.stdout)
    if a is not None:
        check("forecast --interval 80%: the member interval", json.loads(a.stdout).get("interval") == 0.8)
    base = ["predict", transactions] + end + ["--draws", "20", "-f", "json", "-q"]
    a = run(base + ["--interval", "90%"])
    b = run(base + ["--interval", "0.9"])
    check("predict --interval 90% = 0.9", a is not None and b is not None and a.stdout == b.stdout)
    for command in (["forecast", activity], base):
        for bad in ("150%", "2", "x"):
            p = run(command + ["--interval", bad], code=2)
            check(f"{command[0]} --interval {bad}: one line naming the option",
                  p is not None and "--interval" in p.stderr and p.stderr.count("\n") == 1,
                  p.stderr if p is not None else "")

    print(f"{ran} JSON documents validated against docs/schema/csm-metrics.schema.json")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
