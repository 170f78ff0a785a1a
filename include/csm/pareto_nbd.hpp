#pragma once
/// The Pareto/NBD model of Schmittlein, Morrison & Colombo (1987), in the form of Fader, Hardie &
/// Lee (2005): while alive a customer buys at a Poisson rate lambda ~ Gamma(r, alpha) and stays
/// alive for an exponential time with rate mu ~ Gamma(s, beta). Fitted by maximum likelihood on
/// (x, t_x, T) like BG/NBD (`PurchaseModel::paretonbd`); docs/predictive.md gives the formulas.
///
/// The parameters travel in a BgNbdParams (the forecast, holdout and tracking code is shared
/// with BG/NBD): r and alpha as for BG/NBD, `a` holds s and `b` holds beta.

#include <array>
#include <span>
#include <vector>

#include "csm/bgnbd.hpp"

namespace csm {

/// Pareto/NBD parameters as a BgNbdParams (a = s, b = beta).
inline BgNbdParams pareto_nbd_params(double r, double alpha, double s, double beta) {
  return BgNbdParams{r, alpha, s, beta};
}

/// Log-likelihood of one customer. Computed without the difference of two Gauss
/// hypergeometric functions that other implementations take (and lose digits or overflow in):
/// the drop-out part is the integral of a positive function, summed as a series of positive
/// terms in |alpha - beta| / (max(alpha, beta) + t_x), continuous through alpha = beta.
/// NaN only when the series needs more than 2,000,000 terms (max/min of alpha, beta beyond
/// about 1e5 with t_x near 0).
double pareto_nbd_log_likelihood(const BgNbdParams& p, double x, double t_x, double T) noexcept;

/// d/d(r, alpha, s, beta) of pareto_nbd_log_likelihood (the analytic gradient the fit uses).
std::array<double, 4> pareto_nbd_log_likelihood_gradient(const BgNbdParams& p, double x,
                                                         double t_x, double T) noexcept;

/// P(alive at T | x, t_x, T).
double pareto_nbd_p_alive(const BgNbdParams& p, double x, double t_x, double T) noexcept;

/// The tail integrals of P(alive) for many histories of one x at once (what `predict
/// --interval` evaluates at every parameter draw): for the ascending distinct `times`,
/// log_g[j] = log of G(times[j]), with G(t) the integral of alpha^r beta^s (alpha+tau)^-(r+x)
/// (beta+tau)^-(s+1) from t to a common upper end beyond the largest time, so that the drop-out
/// integral of a history is G(t_x) - G(T). One cumulative Gauss-Legendre pass from the largest
/// time down, as in the fit. False when that needs too many panels (parameters far out): then
/// use pareto_nbd_p_alive per history.
bool pareto_nbd_log_tails(const BgNbdParams& p, double x, std::span<const double> times,
                          std::span<double> log_g);

/// P(alive) from the tails of pareto_nbd_log_tails at t_x and at T (equal to pareto_nbd_p_alive
/// to about 1e-13 relative).
double pareto_nbd_p_alive_from_tails(const BgNbdParams& p, double x, double t_x, double T,
                                     double log_g_tx, double log_g_T) noexcept;

/// P(alive) of every customer (in their order) by the tails above, per x.
std::vector<double> pareto_nbd_p_alive_all(const BgNbdParams& p,
                                           std::span<const RfmCustomer> customers,
                                           unsigned threads = 0);

/// E[Y(t) | alive, x, T] = (r+x)(beta+T) / ((alpha+T)(s-1)) * [1 - ((beta+T)/(beta+T+t))^(s-1)]
/// (the limit (r+x)(beta+T)/(alpha+T) log(1 + t/(beta+T)) at s = 1).
double pareto_nbd_expected_purchases_if_alive(const BgNbdParams& p, double t, double x,
                                              double T) noexcept;

/// The sum of pareto_nbd_log_likelihood over `customers` and, when `gradient` has 4 elements,
/// its derivatives in r, alpha, s, beta: what the fit maximises. Computed per number of
/// purchases x from one cumulative quadrature of the drop-out integral over that x's distinct
/// times (far cheaper than one series per customer when alpha and beta are far apart); equal to
/// the per-customer sum to about 1e-12. Throws InputError when no customer made a repeat purchase.
double pareto_nbd_total_log_likelihood(std::span<const RfmCustomer> customers,
                                       const BgNbdParams& p, std::span<double> gradient,
                                       unsigned threads = 0);

/// Fit (called by fit_bgnbd for PurchaseModel::paretonbd). Same rules as BG/NBD: a fit that
/// does not reach a proper maximum or a recognised limit of the model is refused (InputError).
BgNbdFit fit_pareto_nbd(std::span<const RfmCustomer> customers, const FitOptions& options);

}  // namespace csm
