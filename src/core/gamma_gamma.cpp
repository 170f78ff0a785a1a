#include "csm/gamma_gamma.hpp"

#include <boost/math/special_functions/digamma.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

#include "csm/error.hpp"
#include "mle.hpp"

namespace csm {

double gamma_gamma_log_likelihood(const GammaGammaParams& g, double x, double m) noexcept {
  const double px = g.p * x;
  return std::lgamma(px + g.q) - std::lgamma(px) - std::lgamma(g.q) + g.q * std::log(g.gamma) +
         (px - 1) * std::log(m) + px * std::log(x) - (px + g.q) * std::log(g.gamma + m * x);
}

GammaGammaFit fit_gamma_gamma(std::span<const RfmCustomer> customers, const FitOptions& options) {
  // (x, m) of the customers fitted on, sorted so that equal pairs are counted once with a weight
  // and equal x share their lgamma/digamma terms.
  std::vector<std::pair<double, double>> pairs;
  double n = 0, sx = 0, sm = 0, sxx = 0, smm = 0, sxm = 0;
  for (const RfmCustomer& c : customers) {
    if (c.x == 0 || !c.monetary || !(*c.monetary > 0)) continue;
    const double x = c.x, m = *c.monetary;
    pairs.emplace_back(x, m);
    n += 1;
    sx += x;
    sm += m;
    sxx += x * x;
    smm += m * m;
    sxm += x * m;
  }
  if (n == 0) {
    throw InputError("", 0, "",
                     "Gamma-Gamma fit: no customer with repeat purchases (x > 0) of a positive "
                     "amount on or before --end; the spend model needs some");
  }
  const double mean_m = sm / n;
  GammaGammaFit fit;
  fit.customers = static_cast<std::uint64_t>(n);
  const double vx = sxx - sx * sx / n, vm = smm - sm * sm / n;
  if (vx > 0 && vm > 0) fit.correlation = (sxm - sx * sm / n) / std::sqrt(vx * vm);

  std::sort(pairs.begin(), pairs.end());
  struct Point {
    double x, m, w;
    double lm, lx;  // ln m, ln x: fixed during the fit
    std::uint32_t xi;
  };
  std::vector<Point> points;
  std::vector<double> xs;
  for (std::size_t i = 0; i < pairs.size();) {
    std::size_t j = i;
    while (j < pairs.size() && pairs[j] == pairs[i]) ++j;
    const auto [x, m] = pairs[i];
    if (xs.empty() || xs.back() != x) xs.push_back(x);
    points.push_back({x, m, static_cast<double>(j - i), std::log(m), std::log(x),
                      static_cast<std::uint32_t>(xs.size() - 1)});
    i = j;
  }
  std::vector<std::pair<double, double>>().swap(pairs);  // free early
  const auto mean_nll = [&](std::span<const double> u, std::span<double> grad,
                            double penalizer) -> double {
    const double p = std::exp(u[0]), q = std::exp(u[1]), v = std::exp(u[2]);
    const std::size_t k = xs.size();
    std::vector<double> lg(k), dg_p(k), dg_q(k);
    const double lq = std::lgamma(q), dq = boost::math::digamma(q), lv = std::log(v);
    for (std::size_t i = 0; i < k; ++i) {
      const double px = p * xs[i];
      lg[i] = std::lgamma(px + q) - std::lgamma(px) - lq + q * lv;
      const double dpxq = boost::math::digamma(px + q);
      dg_p[i] = dpxq - boost::math::digamma(px);
      dg_q[i] = dpxq - dq + lv;
    }
    double ll = 0, gp = 0, gq = 0, gv = 0;
    for (const Point& pt : points) {
      const double px = p * pt.x, lvm = std::log(v + pt.m * pt.x);
      ll += pt.w * (lg[pt.xi] + (px - 1) * pt.lm + px * pt.lx - (px + q) * lvm);
      gp += pt.w * pt.x * (dg_p[pt.xi] + pt.lm + pt.lx - lvm);
      gq += pt.w * (dg_q[pt.xi] - lvm);
      gv += pt.w * (q / v - (px + q) / (v + pt.m * pt.x));
    }
    if (!grad.empty()) {
      grad[0] = -p * gp / n + penalizer * 2 * p * p;
      grad[1] = -q * gq / n + penalizer * 2 * q * q;
      grad[2] = -v * gv / n + penalizer * 2 * v * v;
    }
    return -ll / n + penalizer * (p * p + q * q + v * v);
  };
  const detail::Objective penalised = [&](std::span<const double> u, std::span<double> g) {
    return mean_nll(u, g, options.penalizer);
  };
  const detail::Objective plain = [&](std::span<const double> u, std::span<double> g) {
    return mean_nll(u, g, 0.0);
  };
  const std::vector<std::vector<double>> starts = {
      {0, 0, 0},
      {std::log(2.0), std::log(2.0), std::log(std::max(mean_m, 1e-6))},
      {std::log(5.0), std::log(3.0), std::log(std::max(mean_m / 2, 1e-6))},
      {std::log(0.5), std::log(5.0), std::log(std::max(mean_m * 4, 1e-6))},
  };
  const detail::MleResult result = detail::minimise(penalised, starts, options.max_evaluations);
  if (result.u.empty()) throw InputError("", 0, "", "Gamma-Gamma fit failed: " + result.failure);
  fit.params = {std::exp(result.u[0]), std::exp(result.u[1]), std::exp(result.u[2])};
  fit.log_likelihood = -plain(result.u, {}) * n;
  const std::vector<double> se = detail::standard_errors(plain, result.u, n);
  for (std::size_t i = 0; i < 3; ++i) {
    if (std::isfinite(se[i])) fit.standard_errors[i] = se[i];
  }
  fit.iterations = result.evaluations;
  fit.starts = result.starts_tried;
  fit.converged = result.converged;
  return fit;
}

std::optional<double> gamma_gamma_expected_spend(const GammaGammaParams& g, double x,
                                                 double m) noexcept {
  if (x == 0) {
    if (g.q <= 1) return std::nullopt;
    return g.p * g.gamma / (g.q - 1);
  }
  const double denominator = g.p * x + g.q - 1;
  if (denominator <= 0) return std::nullopt;
  return g.p * (g.gamma + x * m) / denominator;
}

}  // namespace csm
