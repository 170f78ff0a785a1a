#pragma once
// The terms of the Pareto/NBD likelihood that its fit (pareto_nbd_fit.cpp) shares with the
// per-customer functions (pareto_nbd.cpp): one customer's value from the drop-out series or
// quadrature, and the cumulative tails of one x. Private to csm_core.

#include <array>
#include <limits>
#include <span>

#include "csm/bgnbd.hpp"

namespace csm::detail::pareto {

// One customer's log-likelihood and, when `grad` is given, its derivatives in r, alpha, s, beta;
// also P(alive) (the weight of the alive part). NaN when the series cannot be summed.
struct PointValue {
  double ll = std::numeric_limits<double>::quiet_NaN();
  double p_alive = std::numeric_limits<double>::quiet_NaN();
  std::array<double, 4> grad{};
};

// sum_{j<x} log(r + j) and 1/(r + j) (lgamma(r+x) - lgamma(r) and its derivative).
void gamma_ratio(double r, double x, double& value, double& derivative);

// The likelihood from its drop-out part: `log_b` = log(s I alpha^r beta^s) and `ri` its
// derivatives in r, alpha, s, beta (unused when log_b is -inf or without the gradient).
PointValue combine(const BgNbdParams& p, double x, double T, double log_b,
                   const std::array<double, 4>& ri, bool with_gradient, double lg_value,
                   double lg_derivative);

// One history (x, t_x, T), its drop-out part by the series or, where that is long, by
// quadrature; `lg_value`, `lg_derivative` are gamma_ratio(r, x).
PointValue evaluate(const BgNbdParams& p, double x, double t_x, double T, bool with_gradient,
                    double lg_value, double lg_derivative);

// The fit evaluates the likelihood of every distinct (x, t_x, T) at each step, and the drop-out
// integral is most of the cost (the series above runs to hundreds of terms when alpha and beta
// are far apart). For one x, I(t_x, T) = G(t_x) - G(T) with G(t) the integral from t to
// infinity, and G at every distinct time of that x comes from one pass of the quadrature above
// from the largest time down: a few panels per gap between consecutive times, instead of one
// series per customer history. The difference loses nothing that matters: s G(T) <= A (the
// alive part, which is always added), so the rounding of G(t_x) is at most one unit of the last
// place of the likelihood. `tails` gets, for each time, log G and dG/G in r, alpha, s, beta
// (alpha^r beta^s included in G); false when the panels needed exceed the budget (parameters far
// out, e.g. at the optimiser's bounds; then the caller uses the per-history evaluation).
struct Tail {
  double log_g = 0;
  std::array<double, 4> rel{};
};

bool tails_of_x(const BgNbdParams& p, double x, std::span<const double> times, std::span<Tail> tails);

}  // namespace csm::detail::pareto
