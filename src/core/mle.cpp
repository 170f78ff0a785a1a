#include "mle.hpp"

#include <nlopt.h>

#include <boost/math/special_functions/digamma.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "csm/error.hpp"
#include "csm/parallel.hpp"

namespace csm::detail {
namespace {

struct Call {
  const Objective* objective;
  unsigned evaluations = 0;
  bool non_finite = false;
};

double nlopt_objective(unsigned n, const double* u, double* grad, void* data) {
  auto* call = static_cast<Call*>(data);
  ++call->evaluations;
  std::vector<double> g(grad != nullptr ? n : 0);
  double value = std::numeric_limits<double>::infinity();
  try {
    value = (*call->objective)(std::span<const double>(u, n), std::span<double>(g));
  } catch (...) {
    value = std::numeric_limits<double>::quiet_NaN();
  }
  bool finite = std::isfinite(value);
  for (double x : g) finite = finite && std::isfinite(x);
  if (!finite) {
    // L-BFGS cannot step back from a non-finite point: report a huge value with a gradient that
    // points back towards the start, and remember that it happened.
    call->non_finite = true;
    for (unsigned i = 0; i < g.size(); ++i) g[i] = u[i] * 1e3;
    value = 1e300;
  }
  for (unsigned i = 0; i < g.size(); ++i) grad[i] = g[i];
  return value;
}

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

}  // namespace

MleResult minimise(const Objective& objective, const std::vector<std::vector<double>>& starts,
                   unsigned max_evaluations) {
  MleResult best;
  best.value = std::numeric_limits<double>::infinity();
  for (const std::vector<double>& start : starts) {
    const auto n = static_cast<unsigned>(start.size());
    ++best.starts_tried;
    Call call{&objective};
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, n);
    std::vector<double> lower(n, -30.0), upper(n, 30.0);
    nlopt_set_lower_bounds(opt, lower.data());
    nlopt_set_upper_bounds(opt, upper.data());
    nlopt_set_min_objective(opt, nlopt_objective, &call);
    nlopt_set_ftol_rel(opt, 1e-15);
    nlopt_set_xtol_rel(opt, 1e-11);
    nlopt_set_maxeval(opt, static_cast<int>(max_evaluations));
    std::vector<double> u = start;
    double value = 0;
    const nlopt_result result = nlopt_optimize(opt, u.data(), &value);
    nlopt_destroy(opt);
    best.evaluations += call.evaluations;

    // Judge the point by its gradient, not only by NLopt's stop reason: L-BFGS often stops
    // "round-off limited" at an optimum it cannot improve in double precision.
    std::vector<double> g(n);
    const double at = objective(u, g);
    const bool finite = std::isfinite(at) && std::isfinite(norm(g)) && value < 1e299;
    bool on_bound = false;
    for (double x : u) on_bound = on_bound || std::fabs(x) > 29.999;
    const bool flat = finite && norm(g) < 1e-5;
    const bool stationary = flat && !on_bound;
    const bool stopped_ok = result > 0 || result == NLOPT_ROUNDOFF_LIMITED;
    if (finite && at < best.value) {
      best.u = u;
      best.value = at;
      best.converged = stationary && stopped_ok;
      best.stationary = flat && stopped_ok;
      best.on_bound = on_bound;
      best.max_evaluations = result == NLOPT_MAXEVAL_REACHED;
      best.gradient_norm = norm(g);
    }
    best.non_finite = best.non_finite || call.non_finite || !finite;
    if (stationary && stopped_ok) break;
  }
  // A parameter at 0 or infinity is no estimate: the caller says why instead of printing it.
  if (best.u.empty()) {
    best.failure = "the likelihood could not be evaluated (it is not finite) at any point the "
                   "optimiser reached";
  }
  return best;
}

namespace {
// The Stirling series of lgamma(z) beyond (z - 1/2) log z - z + log(2 pi)/2, and the asymptotic
// series of digamma(z) beyond log z; both good to 1e-25 for z >= 1e4.
double stirling_rest(double z) noexcept {
  const double i = 1 / z, i2 = i * i;
  return i * (1.0 / 12 - i2 * (1.0 / 360 - i2 / 1260));
}
double digamma_rest(double z) noexcept {
  const double i = 1 / z, i2 = i * i;
  return -i / 2 - i2 * (1.0 / 12 - i2 * (1.0 / 120 - i2 / 252));
}
}  // namespace

double lgamma_shift(double q, double y) noexcept {
  if (q < 1e4) return std::lgamma(q + y) - std::lgamma(q);
  // (q + y - 1/2) log(q + y) - (q - 1/2) log q - y, rearranged without cancellation.
  return (q - 0.5) * std::log1p(y / q) + y * std::log(q + y) - y + stirling_rest(q + y) -
         stirling_rest(q);
}

double digamma_shift(double q, double y) noexcept {
  if (q < 1e4) return boost::math::digamma(q + y) - boost::math::digamma(q);
  return std::log1p(y / q) + digamma_rest(q + y) - digamma_rest(q);
}

bool positive_definite_hessian(const Objective& objective, std::span<const double> u) {
  const std::size_t k = u.size();
  std::vector<std::vector<double>> h(k, std::vector<double>(k));
  for (std::size_t j = 0; j < k; ++j) {
    constexpr double step = 1e-4;
    std::vector<double> plus(u.begin(), u.end()), minus(u.begin(), u.end()), gp(k), gm(k);
    plus[j] += step;
    minus[j] -= step;
    const double vp = objective(plus, gp), vm = objective(minus, gm);
    if (!std::isfinite(vp) || !std::isfinite(vm)) return false;
    for (std::size_t i = 0; i < k; ++i) h[i][j] = (gp[i] - gm[i]) / (2 * step);
  }
  // Cholesky of the symmetrised matrix; a pivot that is not clearly positive (relative to the
  // diagonal: round-off in the differences is about 1e-8 of it) means not positive definite.
  double scale = 0;
  for (std::size_t i = 0; i < k; ++i) scale = std::max(scale, std::fabs(h[i][i]));
  if (!(scale > 0) || !std::isfinite(scale)) return false;
  std::vector<std::vector<double>> l(k, std::vector<double>(k, 0.0));
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j <= i; ++j) {
      double sum = (h[i][j] + h[j][i]) / 2;
      for (std::size_t m = 0; m < j; ++m) sum -= l[i][m] * l[j][m];
      if (i == j) {
        if (!(sum > 1e-7 * scale)) return false;
        l[i][i] = std::sqrt(sum);
      } else {
        l[i][j] = sum / l[j][j];
      }
    }
  }
  return true;
}

std::vector<double> standard_errors(const Objective& unpenalised, std::span<const double> u,
                                    double n, std::vector<double>* log_covariance) {
  if (log_covariance != nullptr) log_covariance->clear();
  const std::size_t k = u.size();
  const auto gradient_theta = [&](const std::vector<double>& theta) {
    std::vector<double> uu(k), g(k);
    for (std::size_t i = 0; i < k; ++i) uu[i] = std::log(theta[i]);
    unpenalised(uu, g);
    for (std::size_t i = 0; i < k; ++i) g[i] = g[i] / theta[i] * n;  // d(total)/d(theta)
    return g;
  };
  std::vector<double> theta(k);
  for (std::size_t i = 0; i < k; ++i) theta[i] = std::exp(u[i]);
  std::vector<std::vector<double>> h(k, std::vector<double>(k));
  for (std::size_t j = 0; j < k; ++j) {
    const double step = 1e-5 * theta[j];
    std::vector<double> plus = theta, minus = theta;
    plus[j] += step;
    minus[j] -= step;
    const std::vector<double> gp = gradient_theta(plus), gm = gradient_theta(minus);
    for (std::size_t i = 0; i < k; ++i) h[i][j] = (gp[i] - gm[i]) / (2 * step);
  }
  // Symmetrise, then invert by Gauss-Jordan with partial pivoting (k <= 4).
  std::vector<std::vector<double>> a(k, std::vector<double>(2 * k, 0.0));
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) a[i][j] = (h[i][j] + h[j][i]) / 2;
    a[i][k + i] = 1;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < k; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    }
    if (!(std::fabs(a[p][c]) > 0)) return std::vector<double>(k, nan);
    std::swap(a[p], a[c]);
    const double pivot = a[c][c];
    for (double& x : a[c]) x /= pivot;
    for (std::size_t r = 0; r < k; ++r) {
      if (r == c) continue;
      const double f = a[r][c];
      for (std::size_t j = 0; j < 2 * k; ++j) a[r][j] -= f * a[c][j];
    }
  }
  std::vector<double> se(k);
  for (std::size_t i = 0; i < k; ++i) {
    const double v = a[i][k + i];
    se[i] = v > 0 && std::isfinite(v) ? std::sqrt(v) : nan;
  }
  if (log_covariance != nullptr) {
    log_covariance->clear();
    bool usable = true;
    for (std::size_t i = 0; i < k; ++i) usable = usable && std::isfinite(se[i]);
    for (std::size_t i = 0; usable && i < k; ++i) {
      for (std::size_t j = 0; j < k; ++j) {
        // Symmetrised: the inverse of a symmetric matrix, up to round-off.
        log_covariance->push_back((a[i][k + j] + a[j][k + i]) / 2 / (theta[i] * theta[j]));
      }
    }
  }
  return se;
}

DistinctHistories distinct_histories(std::span<const RfmCustomer> customers, std::string_view model,
                                     unsigned threads) {
  const std::string name(model);
  if (customers.empty()) {
    throw InputError("", 0, "", name + " fit: no customers with a purchase on or before --end");
  }
  std::vector<std::array<double, 3>> keys;
  keys.reserve(customers.size());
  DistinctHistories out;
  for (const RfmCustomer& c : customers) {
    keys.push_back({static_cast<double>(c.x), c.t_x, c.T});
    out.mean_T += c.T;
  }
  out.mean_T /= static_cast<double>(customers.size());
  parallel_sort(keys.begin(), keys.end(), threads);
  if (keys.back()[0] == 0) {
    throw InputError("", 0, "",
                     name + " fit: no customer made a repeat purchase on or before --end; the "
                            "model needs some customers who bought on two or more days");
  }
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    const double x = keys[i][0];
    if (out.xs.empty() || out.xs.back() != x) out.xs.push_back(x);
    out.points.push_back({x, keys[i][1], keys[i][2], static_cast<double>(j - i),
                          static_cast<std::uint32_t>(out.xs.size() - 1)});
    i = j;
  }
  return out;
}

std::string g4(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

void pair_runoff(Runoff& d, double p, double q, double scale, double mean, const PairWords& words) {
  constexpr double big = 1e4, small = 1e-4;
  if (p > big && q > big * scale) {
    d.pair_limit(words.first, words.together, words.together_limit);
  } else if (!words.vanished.empty() && (p < small || mean < 1e-6)) {
    d.pair_limit(words.first, words.vanished, words.vanished_limit);
  } else if (p > big || p < small) {
    d.why.push_back(std::string(words.names[0]) + " goes to " + (p > big ? "infinity" : "0"));
    d.only_limits = false;
  } else if (q > big * scale || q < small * scale) {
    d.why.push_back(std::string(words.names[1]) + " goes to " + (q > big * scale ? "infinity" : "0"));
    d.only_limits = false;
  }
}

void purchase_rate_runoff(Runoff& d, double r, double alpha, double scale) {
  pair_runoff(d, r, alpha, scale, 0,
              {.first = 0,
               .names = {"r", "alpha"},
               .together = "r and alpha grow without bound together (r/alpha, the mean purchase rate, "
                           "stays at " + g4(r / alpha) + " per time unit): purchase rates do not vary "
                           "between customers in these data",
               .together_limit = "every customer buys at the same rate r/alpha = " + g4(r / alpha) +
                                 " per time unit while alive (r and alpha -> infinity)"});
}

std::string explain_refused_fit(const MleResult& result, const std::vector<std::string>& why,
                                const std::string& parameters, const std::string& best_point,
                                double penalizer) {
  std::string text;
  if (why.empty()) {
    if (!result.converged) {
      text = result.max_evaluations
                 ? "the optimiser found no maximum of the likelihood within its evaluations"
                 : "the optimiser stopped before reaching a maximum of the likelihood (its slope "
                   "there is still " + g4(result.gradient_norm) + ")";
    } else {
      text = "the best point found is no proper maximum: the likelihood is flat in some "
             "direction there, so the data do not pin the " + parameters + " parameters down";
    }
  } else {
    for (const std::string& w : why) text += (text.empty() ? "" : "; ") + w;
  }
  text += " (best point: " + best_point +
          "). Too few customers or too little variation for this model: more customers or a "
          "longer calibration period may pin it down";
  // The L2 penalty holds parameters back from infinity (not from 0).
  if (text.find("infinity") != std::string::npos || text.find("without bound") != std::string::npos ||
      why.empty()) {
    text += penalizer > 0 ? ", or a larger --penalizer" : ", or --penalizer 0.01 (an L2 penalty)";
  }
  return text;
}

AcceptedFit accept_fit(const Objective& penalised, const Objective& plain, const MleResult& result,
                       double total_weight, std::string_view model,
                       const std::function<Runoff(const std::vector<double>&)>& diagnose,
                       const std::function<std::string(const Runoff&)>& refusal) {
  std::optional<Runoff> limit;
  if (!result.converged || !positive_definite_hessian(penalised, result.u)) {
    Runoff d = diagnose(result.u);
    if (!(result.stationary && d.only_limits)) throw InputError("", 0, "", refusal(d));
    limit = std::move(d);
  }
  AcceptedFit fit;
  for (std::size_t i = 0; i < 4; ++i) fit.params[i] = std::exp(result.u[i]);
  fit.log_likelihood = -plain(result.u, {}) * total_weight;
  if (!std::isfinite(fit.log_likelihood)) {
    throw InputError("", 0, "", std::string(model) + " fit failed: the log-likelihood at the "
                                                     "optimum cannot be computed in double precision");
  }
  std::vector<double> covariance;
  const std::vector<double> se = standard_errors(plain, result.u, total_weight, &covariance);
  for (std::size_t i = 0; i < 4; ++i) {
    if (std::isfinite(se[i]) && !(limit && limit->unidentified[i])) fit.standard_errors[i] = se[i];
  }
  if (!limit) fit.log_covariance = std::move(covariance);
  if (limit) {
    for (const std::string& l : limit->limits) fit.limit += (fit.limit.empty() ? "" : "; ") + l;
  }
  return fit;
}

}  // namespace csm::detail
