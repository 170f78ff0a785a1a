#!/usr/bin/env python3
"""Reference values of the Pareto/NBD log-likelihood of one customer, its gradient in
(r, alpha, s, beta), P(alive) and E[Y(t) | alive, x, T], computed with mpmath at 50 significant
digits from the formulas of Fader, Hardie & Lee, "A Note on Deriving the Pareto/NBD Model and
Related Expressions" (2005): the classic form with the difference of two Gauss hypergeometric
functions, switching at alpha = beta,

  L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ 1/((alpha+T)^(r+x) (beta+T)^s) + s/(r+s+x) A0 ],
  alpha >= beta: A0 = 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+t_x)) / (alpha+t_x)^(r+s+x)
                    - 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+T)) / (alpha+T)^(r+s+x)
  alpha <  beta: the same with 2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+.)) / (beta+.)^(r+s+x)

(at 50 digits the difference loses nothing that matters), checked against a direct numerical
integral of the drop-out part with mpmath.quad. The gradient is mpmath's numerical derivative
of the same function. The cases stress double precision: alpha = beta, |alpha - beta| of 1e-4
and 1e-12 (where the classic form switches), alpha much larger or smaller than beta, large x,
T - t_x tiny, parameters of 1e5. Writes tests/data/predictive/pareto_nbd_mpmath.csv, read by
tests/core/pareto_nbd_test.cpp.

Usage: make_pareto_table.py > tests/data/predictive/pareto_nbd_mpmath.csv
"""
import mpmath as mp

mp.mp.dps = 50

CASES = [
    # r, alpha, s, beta, x, t_x, T, t
    (0.5534, 10.5802, 0.6061, 11.6562, 26, 30.86, 31, 52),      # the paper's customer
    (0.5534, 10.5802, 0.6061, 11.6562, 0, 0, 38.86, 39),
    (0.5534, 10.5802, 0.6061, 11.6562, 2, 30.43, 38.86, 39),
    (0.553, 10.578, 0.606, 10.578, 3, 12.0, 36.0, 52),           # alpha = beta
    (0.553, 10.578, 0.606, 10.578 + 1e-4, 3, 12.0, 36.0, 52),    # |alpha - beta| = 1e-4
    (0.553, 10.578, 0.606, 10.578 - 1e-4, 3, 12.0, 36.0, 52),
    (0.553, 10.578, 0.606, 10.578 + 1e-12, 3, 12.0, 36.0, 52),
    (0.553, 10.578, 0.606, 10.578 - 9e-4, 0, 0, 20.0, 52),
    (1.2, 3.0, 0.4, 40.0, 5, 20.0, 50.0, 10),                    # alpha << beta
    (1.2, 40.0, 0.4, 3.0, 5, 20.0, 50.0, 10),                    # alpha >> beta
    (1.2, 40.0, 0.4, 0.5, 1, 0.5, 50.0, 10),                     # z close to 1
    (1.2, 40.0, 0.4, 1e-3, 0, 0.0, 23.4, 52),                     # z = 0.99998: by quadrature
    (0.3, 1e-3, 0.7, 50.0, 3, 0.2, 23.4, 52),                     # the same with alpha << beta
    (0.5, 0.01, 0.9, 30.0, 60, 10.0, 40.0, 52),                   # quadrature with x = 60
    (0.8, 2.0, 1.5, 30.0, 150, 49.0, 50.0, 52),                  # large x, alpha < beta
    (0.8, 30.0, 1.5, 2.0, 150, 49.0, 50.0, 52),                  # large x, alpha > beta
    (0.8, 2.0, 0.7, 3.0, 400, 300.0, 365.0, 365),                # very large x
    (0.8, 2.0, 0.7, 3.0, 4, 30.0, 30.0 + 1e-9, 52),              # T - t_x tiny
    (0.8, 2.0, 0.7, 3.0, 4, 30.0, 30.0, 52),                     # T = t_x
    (0.3, 5.0, 1.0, 8.0, 2, 10.0, 40.0, 52),                     # s = 1
    (0.3, 5.0, 1.0 + 1e-9, 8.0, 2, 10.0, 40.0, 52),
    (2e5, 4e5, 0.6, 11.0, 3, 12.0, 36.0, 52),                    # r, alpha large (Poisson)
    (0.6, 11.0, 2e5, 4e6, 3, 12.0, 36.0, 52),                    # s, beta large
]


def parts(r, alpha, s, beta, x, tx, T):
    """(log of the alive part, log of the drop-out part), both times Gamma(r+x) alpha^r beta^s / Gamma(r)."""
    pre = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta)
    alive = pre - (r + x) * mp.log(alpha + T) - s * mp.log(beta + T)
    if T == tx:
        return alive, None
    m = r + s + x
    if alpha >= beta:
        f = lambda t: mp.hyp2f1(m, s + 1, m + 1, (alpha - beta) / (alpha + t)) / (alpha + t) ** m
    else:
        f = lambda t: mp.hyp2f1(m, r + x, m + 1, (beta - alpha) / (beta + t)) / (beta + t) ** m
    a0 = f(tx) - f(T)
    return alive, pre + mp.log(s / m * a0)


def ll(r, alpha, s, beta, x, tx, T):
    alive, drop = parts(r, alpha, s, beta, x, tx, T)
    return alive if drop is None else alive + mp.log(1 + mp.exp(drop - alive))


def main():
    print("r,alpha,s,beta,x,t_x,T,t,log_likelihood,d_r,d_alpha,d_s,d_beta,p_alive,expected_if_alive")
    for case in CASES:
        r, alpha, s, beta, x, tx, T, t = [mp.mpf(v) for v in case]
        value = ll(r, alpha, s, beta, x, tx, T)
        # The drop-out part once more, as a plain integral: the two must agree.
        alive, drop = parts(r, alpha, s, beta, x, tx, T)
        if drop is not None and T - tx > 1e-6:
            pre = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta)
            integral = mp.quad(lambda u: (alpha + u) ** (-(r + x)) * (beta + u) ** (-(s + 1)),
                               [tx + (T - tx) * (2 ** k - 1) / (2 ** 16 - 1) for k in range(17)])
            direct = pre + mp.log(s * integral)
            assert abs(direct - drop) < mp.mpf(10) ** -10 * max(1, abs(drop)), (case, direct, drop)
        grads = []
        point = [r, alpha, s, beta]
        for k in range(4):
            def along(v, k=k):
                q = list(point)
                q[k] = v
                return ll(*q, x, tx, T)
            grads.append(mp.diff(along, point[k]))
        p_alive = 1 if drop is None else 1 / (1 + mp.exp(drop - alive))
        lead = (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) \
            if s != 1 else (r + x) * (beta + T) / (alpha + T) * mp.log(1 + t / (beta + T))
        fields = [repr(float(v)) for v in case] + [mp.nstr(v, 20) for v in [value] + grads + [p_alive, lead]]
        print(",".join(fields))


if __name__ == "__main__":
    main()
