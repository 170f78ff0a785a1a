#!/usr/bin/env python3
"""Reference values of E[Y(t) | alive, x, T] (BG/NBD and MBG/NBD) computed with mpmath at 60
significant digits from the papers' formula

    (a+b+x-1+s)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x+s; a+b+x-1+s; t/(alpha+T+t))]

(s = 1 for MBG/NBD), over parameter values that stress double precision: a and b of 1e5 to 1e10
(fits that drift towards homogeneous drop-out), a within 1e-9 of 1, tiny a, r larger than a+b,
large x, z close to 1. Writes tests/data/predictive/expectations_mpmath.csv, which
tests/core/forecast_test.cpp compares csm-metrics with. Needs python3-mpmath (Debian).

Usage: make_expectations_table.py > tests/data/predictive/expectations_mpmath.csv
"""
import mpmath as mp

mp.mp.dps = 60

CASES = [
    # model, r, alpha, a, b, t, x, T
    ("bgnbd", 0.2426, 4.4136, 0.7929, 2.4259, 39, 2, 38.86),      # CDNOW, the paper's example
    ("bgnbd", 0.2426, 4.4136, 0.7929, 2.4259, 78, 0, 0),
    ("bgnbd", 0.2426, 30.895, 0.7929, 2.4259, 3650, 0, 0),         # days, ten years: z = 0.99
    ("bgnbd", 0.2426, 30.895, 0.7929, 2.4259, 3650, 25, 270),
    ("bgnbd", 1.303, 16.07, 2.6023e5, 1.7714e7, 52.18, 1, 21.57),  # the audit's crash file
    ("bgnbd", 1.303, 16.07, 2.6023e5, 1.7714e7, 52.18, 9, 50.0),
    ("bgnbd", 1.303, 16.07, 9.44e7, 6.426e9, 52.18, 3, 30.0),
    ("mbgnbd", 1.303, 16.07, 2.6023e5, 1.7714e7, 52.18, 0, 10.0),
    ("bgnbd", 0.258, 0.7315, 6.4279e4, 1.5557e-5, 52.18, 1, 40.0),  # b -> 0
    ("bgnbd", 1.666, 25.8, 9.954e-7, 2.317e4, 52.18, 4, 45.0),      # a -> 0
    ("bgnbd", 0.5, 4.0, 1.0 + 1e-9, 2.0, 10, 0, 0),                  # a at 1
    ("bgnbd", 0.5, 4.0, 1.0 - 1e-9, 2.0, 10, 3, 20),
    ("bgnbd", 0.5, 4.0, 1.005, 2.0, 10, 3, 20),
    ("bgnbd", 0.5, 4.0, 1.5, 2.0, 10, 3, 20),
    ("bgnbd", 5.0, 4.0, 0.5, 0.8, 20, 0, 0),                         # r > a + b - 1
    ("bgnbd", 5.0, 4.0, 0.5, 0.8, 20, 1, 5),
    ("mbgnbd", 5.0, 4.0, 0.5, 0.8, 20, 0, 5),
    ("bgnbd", 0.3, 2.0, 3.0, 40.0, 52, 500, 100),                    # large x
    ("bgnbd", 0.3, 2.0, 300.0, 4000.0, 52, 2000, 100),               # large x and a
    ("bgnbd", 0.3, 2.0, 0.7, 2.5, 1e5, 0, 0),                        # z = 0.99998
    ("mbgnbd", 0.5248, 6.1831, 0.8914, 1.6140, 39, 2, 38.86),
    ("mbgnbd", 0.5248, 6.1831, 0.8914, 1.6140, 1, 0, 0),
    ("bgnbd", 2.0, 1.0, 50.0, 5000.0, 1000, 10, 5),
    ("bgnbd", 0.01, 0.1, 0.02, 0.05, 365, 1, 300),
    ("bgnbd", 1.3911, 150.26, 0.034535, 0.64678, 365.25, 0, 84),    # a + b < 1, x = 0: c < 0
    ("bgnbd", 1.3911, 150.26, 0.034535, 0.64678, 1, 0, 300),
    ("bgnbd", 0.3, 2.0, 0.4, 0.6, 52, 0, 10),                         # a + b = 1: c = 0
    ("bgnbd", 0.3, 2.0, 0.4, 0.6 + 5e-7, 52, 0, 10),
    ("bgnbd", 0.3, 2.0, 0.05, 0.1, 5000, 0, 0),
]


def expected(model, r, alpha, a, b, t, x, T):
    r, alpha, a, b, t, x, T = (mp.mpf(v) for v in (r, alpha, a, b, t, x, T))
    s = 1 if model == "mbgnbd" else 0
    z = t / (alpha + T + t)
    c = a + b + x - 1 + s
    if c == 0:  # the limit c -> 0 of c (1 - P F): -P G with G = c (F - 1) as c -> 0
        g = mp.limit(lambda e: e * (mp.hyp2f1(r + x, b + x + s, e, z) - 1), 0)
        return -((alpha + T) / (alpha + T + t)) ** (r + x) * g / (a - 1)
    f = mp.hyp2f1(r + x, b + x + s, c, z, maxterms=10**7)
    return c / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * f)


print("model,r,alpha,a,b,t,x,T,expected_if_alive")
for case in CASES:
    value = expected(*case)
    print(",".join(str(v) for v in case) + "," + mp.nstr(value, 17, min_fixed=-mp.inf, max_fixed=mp.inf))
