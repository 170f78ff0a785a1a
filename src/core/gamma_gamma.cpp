#include "csm/gamma_gamma.hpp"

#include <boost/math/special_functions/digamma.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>
#include <utility>

#include "csm/error.hpp"
#include "csm/parallel.hpp"
#include "mle.hpp"

namespace csm {
namespace {

using detail::g4;

// The limit of the model that still makes sense: q and gamma -> infinity with p*gamma/q fixed,
// where every customer's purchases have the same mean (spread by p), so expected_spend is that
// mean for everyone. nullopt when the fit ran off in any other way.
std::optional<std::string> recognised_limit(const std::vector<double>& u, double scale) {
  const double p = std::exp(u[0]), q = std::exp(u[1]), v = std::exp(u[2]);
  constexpr double big = 1e4, small = 1e-4;
  if (q > big && v > big * scale && p < big && p > small) {
    return "every customer's purchases have the same mean p*gamma/q = " + g4(p * v / q) +
           " (q and gamma -> infinity): the mean spends differ between customers no more than "
           "chance makes them, so expected_spend is that mean for everyone";
  }
  return std::nullopt;
}

// Why a Gamma-Gamma fit is refused, in words. `scale` is the mean of the monetary values (the
// money scale gamma is compared with).
std::string explain_failure(const detail::MleResult& result, double scale, double penalizer) {
  const double p = std::exp(result.u[0]), q = std::exp(result.u[1]), v = std::exp(result.u[2]);
  constexpr double big = 1e4, small = 1e-4;
  std::vector<std::string> why;
  if (q > big && v > big * scale) {
    why.push_back("q and gamma grow without bound together (p*gamma/q, the mean spend, stays at " +
                  g4(p * v / q) + "): the customers' mean spends vary no more than their single "
                  "purchases make them by chance, so the model cannot tell how spend differs "
                  "between customers");
  } else if (q > big || q < small) {
    why.push_back(std::string("q goes to ") + (q > big ? "infinity" : "0"));
  } else if (v > big * scale || v < small * scale) {
    why.push_back(std::string("gamma goes to ") + (v > big * scale ? "infinity" : "0"));
  }
  if (p > big) {
    why.push_back("p goes to infinity: the data make a customer's purchases all worth the same");
  } else if (p < small) {
    why.push_back("p goes to 0");
  }
  const std::string best_point = "p " + g4(p) + ", q " + g4(q) + ", gamma " + g4(v);
  return detail::explain_refused_fit(result, why, "three", best_point, penalizer);
}

}  // namespace

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
  // The model learns how spend varies between customers from how their mean spends differ;
  // with one customer, or the same mean for all, it has nothing to learn from and its
  // parameters run off to infinity (a penalty keeps them finite: then it is fitted anyway).
  const bool same_mean = std::all_of(pairs.begin(), pairs.end(),
                                     [&](const auto& xm) { return xm.second == pairs[0].second; });
  if (options.penalizer == 0 && (n < 2 || same_mean)) {
    throw InputError(
        "", 0, "",
        n < 2 ? "Gamma-Gamma fit: only 1 customer with repeat purchases of a positive amount; the "
                "spend model needs several whose mean repeat spends differ (--penalizer C fits "
                "it anyway, pulled towards small parameters)"
              : "Gamma-Gamma fit: all " + std::to_string(fit.customers) +
                    " customers with repeat purchases have the same mean repeat spend (" +
                    g4(pairs[0].second) + "): the spend model cannot be identified, as it learns "
                    "how spend varies between customers from how their means differ (--penalizer "
                    "C fits it anyway, pulled towards small parameters)");
  }

  parallel_sort(pairs.begin(), pairs.end(), options.threads);
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
    // In forms where nothing large cancels when q and gamma (or p) drift to 1e8 and more:
    // lgamma(px+q) - lgamma(px) - lgamma(q) as one shift of the larger argument, and
    // q log gamma - (px+q) log(gamma + m x) = -q log1p(m x/gamma) - px log(gamma + m x).
    const std::size_t k = xs.size();
    std::vector<double> lg(k), dg_p(k), dg_q(k);
    const double lv = std::log(v);
    for (std::size_t i = 0; i < k; ++i) {
      const double px = p * xs[i];
      lg[i] = px >= q ? detail::lgamma_shift(px, q) - std::lgamma(q)
                      : detail::lgamma_shift(q, px) - std::lgamma(px);
      dg_p[i] = detail::digamma_shift(px, q);
      dg_q[i] = detail::digamma_shift(q, px);
    }
    // Sums over the points in fixed chunks (the same result with any number of threads).
    const std::array<double, 4> sums = chunked_sums<4>(
        points.size(), detail::kPointsPerChunk, options.threads,
        [&](std::size_t begin, std::size_t end, std::array<double, 4>& sum) {
          double ll = 0, gp = 0, gq = 0, gv = 0;
          for (std::size_t i = begin; i < end; ++i) {
            const Point& pt = points[i];
            const double px = p * pt.x, mx = pt.m * pt.x;
            // log(gamma + m x) = log gamma + log1p(m x / gamma): one logarithm per point.
            const double l1 = std::log1p(mx / v), lvm = lv + l1;
            ll += pt.w * (lg[pt.xi] + (px - 1) * pt.lm + px * pt.lx - q * l1 - px * lvm);
            gp += pt.w * pt.x * (dg_p[pt.xi] + pt.lm + pt.lx - lvm);
            gq += pt.w * (dg_q[pt.xi] - l1);
            gv += pt.w * pt.x * (q * pt.m - p * v) / (v * (v + mx));
          }
          sum = {ll, gp, gq, gv};
        });
    const auto [ll, gp, gq, gv] = sums;
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
  // The same rule as for BG/NBD: only a proper maximum is used.
  std::optional<std::string> limit;
  const bool proper_maximum =
      result.converged && detail::positive_definite_hessian(penalised, result.u);
  if (!proper_maximum && result.stationary) limit = recognised_limit(result.u, mean_m);
  if (!proper_maximum && !limit) {
    throw InputError("", 0, "",
                     "Gamma-Gamma fit failed on " + std::to_string(fit.customers) +
                         " customers with repeat purchases: " +
                         explain_failure(result, mean_m, options.penalizer));
  }
  fit.params = {std::exp(result.u[0]), std::exp(result.u[1]), std::exp(result.u[2])};
  fit.log_likelihood = -plain(result.u, {}) * n;
  std::vector<double> covariance;
  const std::vector<double> se = detail::standard_errors(plain, result.u, n, &covariance);
  for (std::size_t i = 0; i < 3; ++i) {
    if (std::isfinite(se[i]) && !(limit && i > 0)) fit.standard_errors[i] = se[i];
  }
  if (!limit) fit.log_covariance = std::move(covariance);
  fit.iterations = result.evaluations;
  fit.starts = result.starts_tried;
  fit.converged = true;  // a proper maximum, or one at a limit (fit.limit)
  if (limit) fit.limit = *limit;
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
