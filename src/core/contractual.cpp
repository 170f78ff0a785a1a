#include "csm/contractual.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "csm/error.hpp"
#include "mle.hpp"

namespace csm {
namespace {

using detail::g4;

// log S(t) and its derivatives in a, b, c (the last only when `with_c`).
struct LogSurvival {
  double value = 0;
  double da = 0, db = 0, dc = 0;
};

LogSurvival log_survival(double a, double b, double c, double t, bool with_c) noexcept {
  LogSurvival r;
  if (t <= 0) return r;
  const double s = c == 1 ? t : std::pow(t, c);
  if (!(s < 1e250)) {
    // t^c beyond double range (a fit trying c -> infinity): nobody survives t periods. The
    // derivatives are not finite, so the optimiser steps back (mle.cpp).
    r.value = -std::numeric_limits<double>::infinity();
    r.da = r.db = r.dc = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  // log B(a, b + s) - log B(a, b) = [lgamma(b+s) - lgamma(b)] - [lgamma(a+b+s) - lgamma(a+b)],
  // each difference without the cancellation of two large lgamma values.
  r.value = detail::lgamma_shift(b, s) - detail::lgamma_shift(a + b, s);
  r.da = -detail::digamma_shift(a + b, s);
  r.db = detail::digamma_shift(b, s) - detail::digamma_shift(a + b, s);
  if (with_c) r.dc = -detail::digamma_shift(b + s, a) * s * std::log(t);
  return r;
}

// Mean negative log-likelihood over u = log(a, b[, c]) of the cohorts, and its gradient in u.
double mean_nll(std::span<const SurvivalCounts> cohorts, bool bdw, double total,
                std::span<const double> u, std::span<double> grad) {
  const double a = std::exp(u[0]), b = std::exp(u[1]), c = bdw ? std::exp(u[2]) : 1.0;
  double ll = 0, ga = 0, gb = 0, gc = 0;
  for (const SurvivalCounts& cohort : cohorts) {
    const std::vector<double>& n = cohort.active;
    LogSurvival previous;  // t = 0: log S = 0
    for (std::size_t t = 1; t < n.size(); ++t) {
      const LogSurvival current = log_survival(a, b, c, static_cast<double>(t), bdw);
      const double lost = n[t - 1] - n[t];
      if (lost > 0) {
        // log(S(t-1) - S(t)) = log S(t-1) + log(1 - r), r = S(t)/S(t-1).
        const double delta = current.value - previous.value;
        const double one_minus_r = -std::expm1(delta);
        const double r = std::exp(delta);
        ll += lost * (previous.value + std::log(one_minus_r));
        ga += lost * (previous.da - r * current.da) / one_minus_r;
        gb += lost * (previous.db - r * current.db) / one_minus_r;
        gc += lost * (previous.dc - r * current.dc) / one_minus_r;
      }
      if (t + 1 == n.size() && n[t] > 0) {
        ll += n[t] * current.value;
        ga += n[t] * current.da;
        gb += n[t] * current.db;
        gc += n[t] * current.dc;
      }
      previous = current;
    }
  }
  if (!grad.empty()) {
    grad[0] = -a * ga / total;
    grad[1] = -b * gb / total;
    if (bdw) grad[2] = -c * gc / total;
  }
  return -ll / total;
}

}  // namespace

std::string_view to_string(RetentionModel model) noexcept {
  return model == RetentionModel::sbg ? "sbg" : "bdw";
}

std::string_view display_name(RetentionModel model) noexcept {
  return model == RetentionModel::sbg ? "sBG" : "BdW";
}

std::size_t parameter_count(RetentionModel model) noexcept {
  return model == RetentionModel::sbg ? 2 : 3;
}

double retention_log_survival(const RetentionParams& p, double t) noexcept {
  return log_survival(p.a, p.b, p.c, t, false).value;
}

double retention_survival(const RetentionParams& p, double t) noexcept {
  return std::exp(retention_log_survival(p, t));
}

double retention_log_likelihood(const RetentionParams& p, std::span<const double> active) noexcept {
  double ll = 0, previous = 0;
  for (std::size_t t = 1; t < active.size(); ++t) {
    const double current = retention_log_survival(p, static_cast<double>(t));
    const double lost = active[t - 1] - active[t];
    if (lost > 0) ll += lost * (previous + std::log(-std::expm1(current - previous)));
    if (t + 1 == active.size() && active[t] > 0) ll += active[t] * current;
    previous = current;
  }
  return ll;
}

RetentionFit fit_retention(RetentionModel model, std::span<const SurvivalCounts> cohorts,
                           const RetentionFitOptions& options) {
  const std::string name(display_name(model));
  const bool bdw = model == RetentionModel::bdw;
  const std::size_t k = parameter_count(model);
  double total = 0, lost = 0, survived_one = 0;
  std::size_t longest = 0;
  for (const SurvivalCounts& cohort : cohorts) {
    const std::vector<double>& n = cohort.active;
    if (n.empty()) continue;
    if (!(n[0] >= 0) || !std::isfinite(n[0])) {
      throw InputError("", 0, "", name + " fit: a cohort has no customers at period 0");
    }
    for (std::size_t t = 1; t < n.size(); ++t) {
      if (!(n[t] >= 0) || n[t] > n[t - 1]) {
        throw InputError("", 0, "",
                         name + " fit: the active customers increase from period " +
                             std::to_string(t - 1) + " to " + std::to_string(t) + " (" + g4(n[t - 1]) +
                             " to " + g4(n[t]) + "): survival counts never increase");
      }
    }
    total += n[0];
    lost += n[0] - n.back();
    if (n.size() > 1) survived_one += n[1];
    longest = std::max(longest, n.size() - 1);
  }
  // Each period observed gives one proportion: at least one per parameter.
  if (longest < k) {
    throw InputError("", 0, "",
                     name + " fit: " + std::to_string(longest) +
                         (longest == 1 ? " period" : " periods") + " observed; the " + name +
                         " model needs at least " + std::to_string(k) + " (one per parameter)");
  }
  if (!(total > 0)) throw InputError("", 0, "", name + " fit: no customers");
  if (!(lost > 0)) {
    throw InputError("", 0, "",
                     name + " fit: no customer churned in the periods fitted, so the data do not "
                            "show how fast customers leave");
  }
  if (!(survived_one > 0)) {
    throw InputError("", 0, "",
                     name + " fit: every customer churned in the first period: nothing is left "
                            "to show how retention develops");
  }
  const detail::Objective objective = [&](std::span<const double> u, std::span<double> g) {
    return mean_nll(cohorts, bdw, total, u, g);
  };
  std::vector<std::vector<double>> starts;
  for (const std::array<double, 3>& s :
       {std::array<double, 3>{0, 0, 0}, {std::log(0.5), std::log(2.0), std::log(1.2)},
        {std::log(2.0), std::log(10.0), std::log(0.8)}, {std::log(0.2), std::log(0.5), std::log(2.0)}}) {
    starts.emplace_back(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k));
  }
  const detail::MleResult result = detail::minimise(objective, starts, options.max_evaluations);
  if (result.u.empty()) throw InputError("", 0, "", name + " fit failed: " + result.failure);
  const double a = std::exp(result.u[0]), b = std::exp(result.u[1]);
  const double c = bdw ? std::exp(result.u[2]) : 1.0;
  if (!result.converged || !detail::positive_definite_hessian(objective, result.u)) {
    std::vector<std::string> why;
    constexpr double big = 1e4, small = 1e-4;
    if (a > big && b > big) {
      why.push_back(std::string(bdw ? "gamma and delta" : "alpha and beta") +
                    " grow without bound together (the churn probability " + g4(a / (a + b)) +
                    " is the same for every customer: no heterogeneity to fit)");
    } else {
      for (const auto& [label, v] : {std::pair<std::string, double>{bdw ? "gamma" : "alpha", a},
                                     {bdw ? "delta" : "beta", b}}) {
        if (v < small || v > big) why.push_back(label + (v < small ? " goes to 0" : " goes to infinity"));
      }
    }
    if (bdw && (c < small || c > 1 / small)) {
      why.push_back(std::string("c goes to ") + (c < small ? "0" : "infinity"));
    }
    const std::string best = bdw ? "gamma " + g4(a) + ", delta " + g4(b) + ", c " + g4(c)
                                 : "alpha " + g4(a) + ", beta " + g4(b);
    std::string text = detail::explain_refused_fit(result, why, bdw ? "three" : "two", best, 0);
    // The fits here have no --penalizer: drop the advice explain_refused_fit appends for one.
    const std::size_t pen = text.find(", or --penalizer");
    if (pen != std::string::npos) text.erase(pen);
    throw InputError("", 0, "", name + " fit failed on " + g4(total) + " customers: " + text);
  }
  RetentionFit fit;
  fit.model = model;
  fit.params = {a, b, c};
  fit.log_likelihood = -objective(result.u, {}) * total;
  fit.customers = total;
  fit.bic = static_cast<double>(k) * std::log(total) - 2 * fit.log_likelihood;
  const std::vector<double> se = detail::standard_errors(objective, result.u, total);
  for (std::size_t i = 0; i < k; ++i) {
    if (std::isfinite(se[i])) fit.standard_errors[i] = se[i];
  }
  fit.evaluations = result.evaluations;
  return fit;
}

double retention_derl(const RetentionParams& p, double renewals, double discount_rate) {
  if (!(discount_rate > 0) || !std::isfinite(discount_rate)) {
    throw InputError("", 0, "",
                     "DERL needs a discount rate > 0 (without discounting the expected residual "
                     "lifetime may be infinite)");
  }
  const double r = 1 / (1 + discount_rate);
  const double log_now = retention_log_survival(p, renewals);
  double sum = 0, weight = 1;
  // S is non-increasing, so the rest of the sum after a term is at most term r / (1 - r).
  for (long k = 0; k < 50'000'000; ++k) {
    const double term =
        std::exp(retention_log_survival(p, renewals + 1 + static_cast<double>(k)) - log_now) * weight;
    sum += term;
    if (term * r <= 1e-14 * (1 - r) * sum || term == 0) return sum;
    weight *= r;
  }
  throw InputError("", 0, "",
                   "DERL: the discount rate " + g4(discount_rate) +
                       " is too small for the sum to converge within 50,000,000 periods");
}

}  // namespace csm
