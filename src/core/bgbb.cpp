#include "csm/bgbb.hpp"

#include <boost/math/special_functions/digamma.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "csm/error.hpp"
#include "mle.hpp"

namespace csm {
namespace {

using detail::g4;

double lbeta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }
double psi(double v) { return boost::math::digamma(v); }

// One row's log-likelihood and its gradient in (alpha, beta, gamma, delta). The likelihood is a
// sum of K + 1 positive terms -- alive through all n opportunities, or alive at t_x + i and gone
// before t_x + i + 1 (i = 0 .. n - t_x - 1) -- added in logarithms (the largest factored out);
// each term's gradient is a difference of digammas, and the total's is their mean weighted by
// the terms.
double row_value(const BgBbParams& p, double x, double t_x, double n, double* grad) {
  const double a = p.alpha, b = p.beta, g = p.gamma, d = p.delta;
  const double base = lbeta(a, b) + lbeta(g, d);
  const auto K = static_cast<std::size_t>(n - t_x);
  std::vector<double> logs(K + 1);
  logs[0] = lbeta(a + x, b + n - x) + lbeta(g, d + n) - base;
  for (std::size_t i = 0; i < K; ++i) {
    const double di = static_cast<double>(i);
    logs[i + 1] = lbeta(a + x, b + t_x - x + di) + lbeta(g + 1, d + t_x + di) - base;
  }
  const double hi = *std::max_element(logs.begin(), logs.end());
  double sum = 0;
  for (double l : logs) sum += std::exp(l - hi);
  const double value = hi + std::log(sum);
  if (grad != nullptr) {
    const double pa = psi(a), pb = psi(b), pab = psi(a + b), pg = psi(g), pd = psi(d), pgd = psi(g + d);
    double ga = 0, gb = 0, gg = 0, gd = 0;
    for (std::size_t k = 0; k <= K; ++k) {
      const double w = std::exp(logs[k] - value);
      // k = 0: B(a+x, b+n-x) B(g, d+n); k = i+1: B(a+x, b+t_x-x+i) B(g+1, d+t_x+i).
      const double bk = k == 0 ? n - x : t_x - x + static_cast<double>(k - 1);
      const double dk = k == 0 ? n : t_x + static_cast<double>(k - 1);
      const double g1 = k == 0 ? 0 : 1;
      const double pabk = psi(a + b + x + bk);
      ga += w * (psi(a + x) - pabk - pa + pab);
      gb += w * (psi(b + bk) - pabk - pb + pab);
      const double pgdk = psi(g + g1 + d + dk);
      gg += w * (psi(g + g1) - pgdk - pg + pgd);
      gd += w * (psi(d + dk) - pgdk - pd + pgd);
    }
    grad[0] = ga;
    grad[1] = gb;
    grad[2] = gg;
    grad[3] = gd;
  }
  return value;
}

detail::Runoff diagnose(const std::vector<double>& u) {
  const double a = std::exp(u[0]), b = std::exp(u[1]), g = std::exp(u[2]), d = std::exp(u[3]);
  detail::Runoff r;
  detail::pair_runoff(
      r, a, b, 1, 0,
      {.first = 0,
       .names = {"alpha", "beta"},
       .together = "alpha and beta grow without bound together (alpha/(alpha+beta), the chance to transact at "
                   "an opportunity, stays at " + g4(a / (a + b)) + "): that chance does not vary between "
                   "customers in these data",
       .together_limit = "every live customer transacts with the same chance " + g4(a / (a + b)) +
                         " (alpha and beta -> infinity)"});
  detail::pair_runoff(
      r, g, d, 1, g / (g + d),
      {.first = 2,
       .names = {"gamma", "delta"},
       .together = "gamma and delta grow without bound together (gamma/(gamma+delta), the chance to drop out "
                   "before an opportunity, stays at " + g4(g / (g + d)) + "): that chance does not vary "
                   "between customers in these data",
       .together_limit = "every customer drops out with the same chance " + g4(g / (g + d)) +
                         " per opportunity (gamma and delta -> infinity)",
       .vanished = "gamma/(gamma+delta), the chance to drop out, goes to 0: the data show no sign of customers "
                   "dropping out",
       .vanished_limit = "no customer drops out (gamma/(gamma+delta) -> 0: the beta-binomial model)"});
  if (r.why.empty()) r.only_limits = false;
  return r;
}

}  // namespace

double bgbb_log_likelihood(const BgBbParams& p, double x, double t_x, double n) noexcept {
  return row_value(p, x, t_x, n, nullptr);
}

BgBbFit fit_bgbb(std::span<const BgBbRow> rows, const FitOptions& options) {
  double total = 0, repeat = 0;
  for (const BgBbRow& row : rows) {
    total += row.count;
    repeat += row.x > 0 ? row.count : 0;
  }
  if (!(total > 0)) throw InputError("", 0, "", "BG/BB fit: no customers");
  if (!(repeat > 0)) {
    throw InputError("", 0, "",
                     "BG/BB fit: no customer transacted at any opportunity after the first; the "
                     "model needs some who did");
  }
  const auto mean_nll = [&](std::span<const double> u, std::span<double> grad,
                            double penalizer) -> double {
    const BgBbParams p{std::exp(u[0]), std::exp(u[1]), std::exp(u[2]), std::exp(u[3])};
    double ll = 0;
    std::array<double, 4> g{}, gi{};
    for (const BgBbRow& row : rows) {
      ll += row.count * row_value(p, row.x, row.t_x, row.n, grad.empty() ? nullptr : gi.data());
      if (!grad.empty()) {
        for (std::size_t k = 0; k < 4; ++k) g[k] += row.count * gi[k];
      }
    }
    return detail::mean_penalised_nll(ll, {p.alpha, p.beta, p.gamma, p.delta}, g, total, penalizer,
                                      grad);
  };
  const detail::Objectives objectives = detail::penalised_and_plain(mean_nll, options.penalizer);
  const std::vector<std::vector<double>> starts = {
      {0, 0, 0, 0},
      {std::log(0.5), std::log(0.5), std::log(0.5), std::log(2.0)},
      {std::log(2.0), std::log(2.0), std::log(0.2), std::log(5.0)},
  };
  const detail::MleResult result = detail::minimise(objectives.penalised, starts, options.max_evaluations);
  if (result.u.empty()) throw InputError("", 0, "", "BG/BB fit failed: " + result.failure);
  const detail::AcceptedFit accepted = detail::accept_fit(
      objectives.penalised, objectives.plain, result, total, "BG/BB", diagnose, [&](const detail::Runoff& d) {
        const std::string best_point =
            "alpha " + g4(std::exp(result.u[0])) + ", beta " + g4(std::exp(result.u[1])) +
            ", gamma " + g4(std::exp(result.u[2])) + ", delta " + g4(std::exp(result.u[3]));
        return "BG/BB fit failed on " + g4(total) + " customers: " +
               detail::explain_refused_fit(result, d.why, "four", best_point, options.penalizer);
      });
  return detail::fit_from<BgBbFit>(accepted, result, total);
}

double bgbb_p_alive(const BgBbParams& p, double x, double t_x, double n) noexcept {
  const double alive = lbeta(p.alpha + x, p.beta + n - x) - lbeta(p.alpha, p.beta) +
                       lbeta(p.gamma, p.delta + n + 1) - lbeta(p.gamma, p.delta);
  return std::exp(alive - bgbb_log_likelihood(p, x, t_x, n));
}

double bgbb_expected_transactions(const BgBbParams& p, std::uint32_t future, double x, double t_x,
                                  double n) noexcept {
  // (1/L) B(alpha+x+1, beta+n-x)/B(alpha, beta) * sum_{k=1..future} B(gamma, delta+n+k)/B(gamma, delta):
  // the chance to transact at opportunity n + k is that of being alive then, times the
  // posterior mean of p.
  const double lead = lbeta(p.alpha + x + 1, p.beta + n - x) - lbeta(p.alpha, p.beta) -
                      bgbb_log_likelihood(p, x, t_x, n);
  double sum = 0;
  for (std::uint32_t k = 1; k <= future; ++k) {
    sum += std::exp(lead + lbeta(p.gamma, p.delta + n + k) - lbeta(p.gamma, p.delta));
  }
  return sum;
}

}  // namespace csm
