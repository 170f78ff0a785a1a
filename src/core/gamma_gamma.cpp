#include "csm/gamma_gamma.hpp"

#include <boost/math/special_functions/digamma.hpp>

#include <algorithm>
#include <cmath>
#include <map>
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
  std::map<std::pair<double, double>, double> groups;
  double n = 0, sx = 0, sm = 0, sxx = 0, smm = 0, sxm = 0, mean_m = 0;
  for (const RfmCustomer& c : customers) {
    if (c.x == 0 || !c.monetary || !(*c.monetary > 0)) continue;
    const double x = c.x, m = *c.monetary;
    groups[{x, m}] += 1;
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
  mean_m = sm / n;
  GammaGammaFit fit;
  fit.customers = static_cast<std::uint64_t>(n);
  const double vx = sxx - sx * sx / n, vm = smm - sm * sm / n;
  if (vx > 0 && vm > 0) fit.correlation = (sxm - sx * sm / n) / std::sqrt(vx * vm);

  std::vector<std::array<double, 3>> points;  // x, m, weight
  for (const auto& [key, w] : groups) points.push_back({key.first, key.second, w});
  const auto mean_nll = [&](std::span<const double> u, std::span<double> grad,
                            double penalizer) -> double {
    const double p = std::exp(u[0]), q = std::exp(u[1]), v = std::exp(u[2]);
    double ll = 0, gp = 0, gq = 0, gv = 0;
    const double lq = std::lgamma(q), dq = boost::math::digamma(q), lv = std::log(v);
    for (const auto& [x, m, w] : points) {
      const double px = p * x, lvm = std::log(v + m * x), lm = std::log(m), lx = std::log(x);
      const double dpxq = boost::math::digamma(px + q);
      ll += w * (std::lgamma(px + q) - std::lgamma(px) - lq + q * lv + (px - 1) * lm + px * lx -
                 (px + q) * lvm);
      gp += w * x * (dpxq - boost::math::digamma(px) + lm + lx - lvm);
      gq += w * (dpxq - dq + lv - lvm);
      gv += w * (q / v - (px + q) / (v + m * x));
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
