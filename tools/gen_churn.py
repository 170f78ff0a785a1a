#!/usr/bin/env python3
"""Generate activity records with a KNOWN churn process, for `csm-metrics churn-risk`.

Each customer is simulated month by month. What the records show each month: revenue (a plan
price, which can go down a tier: contraction, or up a tier), an optional CSAT answer (1..5), a
`logins` count (product usage) and a `tickets` count (support tickets), and the segment.
Hidden from the records: each customer's engagement (a slowly moving latent level that the
logins reflect with Poisson noise, with occasional slumps), a support-problem state that raises
tickets and lowers CSAT, and a customer's frailty (a fixed random effect).

The churn hazard of customer i at the end of month t (the probability that i has no revenue in
month t+1) is

    z = -3.8 + 1.6 * drop3 + 1.0 * low_csat + 0.8 * contraction + 0.22 * min(tickets, 8)
        - 0.8 * min(tenure, 24) / 24 + frailty_i + noise_it
    hazard = 1 / (1 + exp(-z))

  drop3       the fall of this month's logins below the mean of the three months before, as a
              fraction 0..1 (0 when logins did not fall)
  low_csat    1 when an answer <= 2 was given in the last 3 months (this one included)
  contraction 1 when the plan went down a tier in the last 3 months
  tickets     this month's support tickets
  tenure      months since the customer's first month
  frailty_i   N(0, 0.4) per customer, never shown
  noise_it    N(0, 0.3) per customer-month, never shown

Churned customers come back with a small probability each month from the second month after
(a reactivation after a gap of at least one month).

`--hazards FILE` writes customer_id,period,hazard,observable_hazard,churned_next for every
customer-month with an outcome in the data (the month after is inside the range). `hazard` is the
true probability; its AUC against `churned_next` is more than any model of the records can reach,
since frailty and noise are never shown. `observable_hazard` leaves them out (z without frailty_i
and noise_it): roughly what a perfect model of the records could know.

The same arguments always give the same bytes (random.Random seeded from --seed). Standard
library only.

Examples:
  tools/gen_churn.py --customers 3000 --months 24 --seed 1 -o churn.csv --hazards hazards.csv
"""

from __future__ import annotations

import argparse
import math
import random
import sys

TIERS = [29, 79, 199, 499, 1299]
SEGMENTS = [("smb", 0.6, 0, 12.0), ("mid", 0.3, 1, 30.0), ("enterprise", 0.1, 3, 80.0)]


def month_name(start_year, start_month, offset):
    m = start_month - 1 + offset
    return f"{start_year + m // 12:04d}-{m % 12 + 1:02d}"


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def poisson(rng, lam):
    # Knuth for small means, a rounded normal above (deterministic given rng).
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generate(customers, months, seed, start="2024-01", missing_logins=0.03):
    """Rows (dicts) and hazard rows, in customer then month order."""
    rng = random.Random(seed)
    year, month = int(start[:4]), int(start[5:7])
    rows, hazards = [], []
    for i in range(customers):
        cid = f"C{i + 1:06d}"
        r = rng.random()
        acc = 0.0
        for name, share, tier0, logins0 in SEGMENTS:
            acc += share
            if r <= acc:
                break
        tier = min(len(TIERS) - 1, tier0 + (1 if rng.random() < 0.3 else 0))
        # Arrivals spread over the first two thirds of the range, a third at the start.
        first = 0 if rng.random() < 0.33 else rng.randrange(0, max(1, months * 2 // 3))
        frailty = rng.gauss(0, 0.4)
        base = logins0 * math.exp(rng.gauss(0, 0.4))
        engagement, slump, problem = 0.0, 0, False
        active, tenure, gone = True, 0, -1
        login_hist, csat_hist, contraction_hist = [], [], []
        for t in range(first, months):
            # Latent states move every month, also while away.
            if slump == 0 and rng.random() < 0.05:
                slump = rng.randint(2, 5)
            drift = -0.35 if slump > 0 else 0.0
            slump = max(0, slump - 1)
            engagement = 0.75 * engagement + drift + rng.gauss(0, 0.15)
            problem = (rng.random() < 0.55) if problem else (rng.random() < 0.06)
            if not active:
                if t > gone + 1 and rng.random() < 0.03:  # a win-back after a gap
                    active, engagement, problem = True, 0.0, False
                    login_hist, csat_hist, contraction_hist = [], [], []
                else:
                    continue
            tenure += 1
            contracted = False
            if engagement < -0.6 and tier > 0 and rng.random() < 0.12:
                tier -= 1
                contracted = True
            elif engagement > 0.2 and tier < len(TIERS) - 1 and rng.random() < 0.02:
                tier += 1
            logins = poisson(rng, base * math.exp(engagement))
            tickets = poisson(rng, 0.2 + (1.8 if problem else 0.0))
            csat = ""
            if rng.random() < 0.3:
                score = 4.3 - (1.9 if problem else 0.0) + (0.6 * engagement) + rng.gauss(0, 0.7)
                csat = str(min(5, max(1, int(round(score)))))
            login_hist.append(logins)
            csat_hist.append(int(csat) if csat else 0)
            contraction_hist.append(contracted)
            period = month_name(year, month, t)
            rows.append({
                "customer_id": cid, "period": period, "revenue": f"{TIERS[tier]:.2f}",
                "csat": csat, "segment": name,
                "logins": "" if rng.random() < missing_logins else str(logins),
                "tickets": str(tickets),
            })
            prior = login_hist[-4:-1]
            drop3 = 0.0
            if prior:
                mean = sum(prior) / len(prior)
                if mean > 0:
                    drop3 = max(0.0, min(1.0, (mean - logins) / mean))
            low_csat = 1.0 if any(0 < c <= 2 for c in csat_hist[-3:]) else 0.0
            contraction = 1.0 if any(contraction_hist[-3:]) else 0.0
            z_seen = (-3.8 + 1.6 * drop3 + 1.0 * low_csat + 0.8 * contraction
                      + 0.22 * min(tickets, 8) - 0.8 * min(tenure, 24) / 24)
            hazard = sigmoid(z_seen + frailty + rng.gauss(0, 0.3))
            churn = rng.random() < hazard
            if t + 1 < months:
                hazards.append((cid, period, hazard, sigmoid(z_seen), 1 if churn else 0))
            if churn:
                active, tenure, gone = False, 0, t + 1
    return rows, hazards


def auc(scores, labels):
    """ROC AUC with ties as one half (average ranks)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum, positives, i = 0.0, 0, 0
    while i < len(order):
        j = i
        while j < len(order) and scores[order[j]] == scores[order[i]]:
            j += 1
        for k in range(i, j):
            if labels[order[k]]:
                rank_sum += (i + 1 + j) / 2
                positives += 1
        i = j
    negatives = len(scores) - positives
    if positives == 0 or negatives == 0:
        return None
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=3000)
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--start", default="2024-01", help="first month, YYYY-MM")
    p.add_argument("--missing-logins", type=float, default=0.03,
                   help="share of rows whose logins cell is blank (no observation)")
    p.add_argument("-o", "--output", default="-")
    p.add_argument("--hazards", help="also write the true hazards here")
    p.add_argument("--hazard-auc", metavar="FROM:TO",
                   help="print on stderr the ROC AUC of the true and the observable hazards of the "
                        "customer-months FROM..TO (YYYY-MM) against churn in the month after")
    a = p.parse_args(argv)
    rows, hazards = generate(a.customers, a.months, a.seed, a.start, a.missing_logins)
    out = sys.stdout if a.output == "-" else open(a.output, "w", newline="", encoding="utf-8")
    cols = ["customer_id", "period", "revenue", "csat", "segment", "logins", "tickets"]
    out.write(",".join(cols) + "\n")
    for r in rows:
        out.write(",".join(r[c] for c in cols) + "\n")
    if out is not sys.stdout:
        out.close()
    if a.hazard_auc:
        lo, hi = a.hazard_auc.split(":")
        sel = [h for h in hazards if lo <= h[1] <= hi]
        y = [h[4] for h in sel]
        print(f"{len(sel)} customer-months {lo}..{hi}, {sum(y)} churned the month after: ROC AUC "
              f"of the true hazard {auc([h[2] for h in sel], y):.3f}, of the observable hazard "
              f"{auc([h[3] for h in sel], y):.3f}", file=sys.stderr)
    if a.hazards:
        with open(a.hazards, "w", encoding="utf-8") as h:
            h.write("customer_id,period,hazard,observable_hazard,churned_next\n")
            for cid, period, hz, seen, y in hazards:
                h.write(f"{cid},{period},{hz:.6f},{seen:.6f},{y}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
