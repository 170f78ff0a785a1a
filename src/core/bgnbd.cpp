#include "csm/bgnbd.hpp"

// Boost 1.74's hypergeometric_pFq uses these without including them.
#include <boost/math/special_functions/expm1.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/hypergeometric_pFq.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "csm/error.hpp"
#include "csm/parallel.hpp"
#include "csm/pareto_nbd.hpp"
#include "mle.hpp"

namespace csm {
namespace {

using detail::g4;

// The series of 2F1 need at most this many terms before Boost's hypergeometric_pFq takes over
// (only for z within about 2e-5 of 1).
constexpr int kMaxTerms = 2'000'000;

// Sum of the terms n >= 1 of the 2F1(a, b; c; z) series, or nullopt when it needs more than
// kMaxTerms terms or leaves the range of double. Used where the terms shrink from the first one
// on (|b| < 1 in the Euler form below), so the sum is of the order of the first term.
std::optional<double> series_tail(double a, double b, double c, double z) {
  double term = 1;
  double sum = 0;
  for (int n = 0; n < kMaxTerms; ++n) {
    const double dn = n;
    const double ratio = (a + dn) * (b + dn) / ((c + dn) * (dn + 1)) * z;
    term *= ratio;
    sum += term;
    if (!std::isfinite(sum)) return std::nullopt;
    if (term == 0) return sum;
    // Once |ratio| < 1 the ratios move monotonically towards z: the rest of the series is at
    // most |term| r / (1 - r) with r the larger of |ratio| and z.
    const double r = std::max(std::fabs(ratio), z);
    if (r < 1 && std::fabs(term) * r <= 1e-17 * (1 - r) * std::fabs(sum)) return sum;
  }
  return std::nullopt;
}

// log 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, where every term is positive (with d != 1,
// log 3F2(a, b, 1; c, d; z): the ratio of successive terms is (a+n)(b+n) z / ((c+n)(d+n))). The running
// sum is rescaled whenever it grows past 1e250, so no parameter values overflow it (a fit with
// a = 2.6e5 and b = 1.8e7 has a series like exp(1e5)); nullopt beyond kMaxTerms terms.
std::optional<double> log_series_positive(double a, double b, double c, double z, double d = 1) {
  constexpr double kRescale = 1e-250;
  const double log_rescale = std::log(kRescale);
  double term = 1, sum = 1, log_scale = 0;
  for (int n = 0; n < kMaxTerms; ++n) {
    const double dn = n;
    const double ratio = (a + dn) * (b + dn) / ((c + dn) * (dn + d)) * z;
    term *= ratio;
    sum += term;
    if (sum > 1e250) {
      term *= kRescale;
      sum *= kRescale;
      log_scale -= log_rescale;
    }
    if (term == 0) break;
    const double r = std::max(ratio, z);
    if (r < 1 && term * r <= 1e-17 * (1 - r) * sum) break;
    if (n + 1 == kMaxTerms) return std::nullopt;
  }
  return log_scale + std::log(sum);
}

// Boost's general pFq, for what the series above cannot do (z extremely close to 1). Throws
// InputError (exit 65) when it fails too: a number the model cannot give is bad data for it,
// never NaN in the output nor an internal error.
double pfq(double a, double b, double c, double z) {
  double value = std::numeric_limits<double>::quiet_NaN();
  try {
    value = boost::math::hypergeometric_pFq({a, b}, {c}, z);
  } catch (const std::exception&) {
  }
  if (!std::isfinite(value)) {
    throw InputError("", 0, "",
                     ("the hypergeometric function 2F1(" + std::to_string(a) + ", " +
                                 std::to_string(b) + "; " + std::to_string(c) + "; " +
                                 std::to_string(z) + ") that the expected purchases need cannot "
                                 "be computed in double precision"));
  }
  return value;
}

// The bracket of the conditional expectation, divided by (a - 1):
//   [1 - (1-z)^k 2F1(k, b'; c; z)] / (a - 1),  k = r + x, b' = b + x + s, c = a + b + x - 1 + s,
// z = t / (alpha + T + t), s = 1 for MBG/NBD. Two forms of the same number:
// - as written ("direct"): every term of the series is positive, and the series grows like
//   (1 - z)^-k, so it is short when k is small; the subtraction from 1 loses digits only when a
//   is close to 1 (the bracket then is close to 0);
// - Euler's transformation (1-z)^k 2F1(k, b'; c; z) = (1-z)^(a-1) 2F1(c-k, a-1; c; z): its terms
//   after the first carry the factor (a - 1), so the division is exact even for a close to 1; it
//   grows like (1 - z)^-(a-1), so it is short when a - 1 is small, and its terms keep one sign
//   when c - k = a + b - 1 + s - r >= 0.
// The shorter one is used (Euler when |a - 1| <= k and its terms keep their sign, or when a is
// within 0.01 of 1), each summed in logarithms where it could overflow.
double bracket_over_a_minus_1(double s, const BgNbdParams& p, double t, double x, double T) {
  const double z = t / (p.alpha + T + t);
  const double k = p.r + x;
  const double B = p.a - 1;
  const double C = p.a + p.b + x - 1 + s;
  const double A = C - k;  // a + b - 1 + s - r
  const double log1mz = std::log1p(-z);
  const bool euler = std::fabs(B) < 0.01 || (A >= 0 && std::fabs(B) <= k);
  if (!euler) {
    // 1 - (1-z)^k F, F = 2F1(k, b + x + s; c; z) > 0, all in logs.
    const double bp = p.b + x + s;
    const std::optional<double> log_f = log_series_positive(k, bp, C, z);
    const double log_product = k * log1mz + (log_f ? *log_f : std::log(pfq(k, bp, C, z)));
    return -std::expm1(log_product) / B;
  }
  if (B >= 1 && A > 0) {
    // Euler's form with positive terms that may grow: 1 - (1-z)^(a-1) F, in logs. (For
    // |a - 1| < 1 the terms shrink from the first, and the tail below keeps the digits that
    // log F = log(1 + tail) would lose when a is close to 1.)
    const std::optional<double> log_f = log_series_positive(A, B, C, z);
    const double log_product = B * log1mz + (log_f ? *log_f : std::log(pfq(A, B, C, z)));
    return -std::expm1(log_product) / B;
  }
  std::optional<double> tail = series_tail(A, B, C, z);
  if (!tail) tail = pfq(A, B, C, z) - 1;
  // 1 - (1-z)^(a-1) (1 + tail) = -expm1((a-1) log(1-z)) (1 + tail) - tail
  const double e = std::expm1(B * log1mz);
  if (std::fabs(B) < 1e-12) {
    // Limit a -> 1: expm1(B L)/B -> L, tail/B -> d/dB of the series at B = 0.
    double d = 0, term_over_b = 1;
    for (int n = 1; n < kMaxTerms; ++n) {
      const double dn = n;
      term_over_b *= (A + dn - 1) * (dn == 1 ? 1 : (dn - 1)) / ((C + dn - 1) * dn) * z;
      d += term_over_b;
      if (std::fabs(term_over_b) <= 1e-17 * std::fabs(d)) break;
    }
    return -log1mz - d;
  }
  return (-e * (1 + *tail) - *tail) / B;
}

// E[Y(t) | alive] for BG/NBD with x = 0 and a + b <= 1 (within 1e-6): c = a + b - 1 is in
// (-1, 0], where the terms of 2F1(k, b; c; z) change sign (and c = 0 divides by 0). The
// expectation c (1 - P F) / (a - 1) is finite, though:
//   c (1 - P F) = c (1 - P) - P G,  P = (1-z)^k,
//   G = c (F - 1) = k b z 3F2(k+1, b+1, 1; c+1, 2; z), whose terms are all positive,
// and both parts have one sign, so nothing cancels.
double expected_small_c(const BgNbdParams& p, double t, double T) {
  const double z = t / (p.alpha + T + t);
  const double k = p.r, c = p.a + p.b - 1;
  std::optional<double> log_g = log_series_positive(k + 1, p.b + 1, c + 1, z, 2);
  if (!log_g) {
    throw InputError("", 0, "",
                     "the expected purchases cannot be computed at the fitted parameters: the "
                     "series needs more than 2,000,000 terms (z = " + std::to_string(z) + ")");
  }
  const double log_p = k * std::log1p(-z);
  const double times_c = -c * std::expm1(log_p) - std::exp(log_p + std::log(k * p.b * z) + *log_g);
  return times_c / (p.a - 1);
}

struct Point {
  double x, t_x, T, w;
  std::uint32_t xi;   // index of x among the distinct values
  std::uint32_t ti;   // index of T among the distinct values
  std::uint32_t txi;  // index of t_x among the distinct values
};

// The distinct values of a list, ascending (data from day counts have few).
std::vector<double> distinct(std::vector<double> values, unsigned threads) {
  parallel_sort(values.begin(), values.end(), threads);
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

std::uint32_t index_in(const std::vector<double>& values, double v) {
  return static_cast<std::uint32_t>(std::lower_bound(values.begin(), values.end(), v) -
                                    values.begin());
}

// Where the parameters of a fit ran off, in words, and whether that is a limit of the model
// that still makes sense: purchase rates the same for everyone (r, alpha -> infinity: Poisson),
// one drop-out chance for everyone (a, b -> infinity), or no drop-out at all (a/(a+b) -> 0: the
// NBD model). `scale` is the mean T (the time scale alpha is compared with).
detail::Runoff diagnose(const std::vector<double>& u, double scale) {
  const double r = std::exp(u[0]), alpha = std::exp(u[1]), a = std::exp(u[2]), b = std::exp(u[3]);
  constexpr double big = 1e4, small = 1e-4;
  detail::Runoff d;
  std::vector<std::string>& why = d.why;
  detail::purchase_rate_runoff(d, r, alpha, scale);
  if (a > big && b > big) {
    d.pair_limit(2,
        "a and b grow without bound together (a/(a+b), the mean chance to drop out "
        "after a purchase, stays at " + g4(a / (a + b)) + "): that chance does not vary "
        "between customers in these data",
        "every customer drops out after a purchase with the same chance a/(a+b) = " +
        g4(a / (a + b)) + " (a and b -> infinity)");
  } else if (a < small || a / (a + b) < 1e-6) {
    d.pair_limit(2,
        "a/(a+b), the chance to drop out after a purchase, goes to 0: the data show "
        "no sign of customers dropping out",
        "no customer drops out (a/(a+b) -> 0: the NBD model; p_alive is about 1)");
  } else if (b < small) {
    why.push_back("b goes to 0: the data make every customer drop out right after a purchase");
    d.only_limits = false;
  } else if (a > big || b > big) {
    why.push_back(std::string(a > big ? "a" : "b") + " goes to infinity");
    d.only_limits = false;
  }
  if (why.empty()) d.only_limits = false;
  return d;
}

// Why a BG/NBD fit is refused, in words.
std::string explain_failure(const detail::MleResult& result, double scale, double penalizer) {
  const double r = std::exp(result.u[0]), alpha = std::exp(result.u[1]);
  const double a = std::exp(result.u[2]), b = std::exp(result.u[3]);
  const std::vector<std::string> why = diagnose(result.u, scale).why;
  const std::string best_point =
      "r " + g4(r) + ", alpha " + g4(alpha) + ", a " + g4(a) + ", b " + g4(b);
  return detail::explain_refused_fit(result, why, "four", best_point, penalizer);
}

}  // namespace

std::string_view display_name(PurchaseModel model) noexcept {
  if (model == PurchaseModel::paretonbd) return "Pareto/NBD";
  return model == PurchaseModel::bgnbd ? "BG/NBD" : "MBG/NBD";
}

std::string_view to_string(PurchaseModel model) noexcept {
  if (model == PurchaseModel::paretonbd) return "pareto_nbd";
  return model == PurchaseModel::bgnbd ? "bgnbd" : "mbgnbd";
}

double bgnbd_log_likelihood(PurchaseModel model, const BgNbdParams& p, double x, double t_x,
                            double T) noexcept {
  if (model == PurchaseModel::paretonbd) return pareto_nbd_log_likelihood(p, x, t_x, T);
  const double s = model == PurchaseModel::mbgnbd ? 1 : 0;
  const double a1 = std::lgamma(p.r + x) - std::lgamma(p.r) + p.r * std::log(p.alpha);
  const double a2 = std::lgamma(p.a + p.b) + std::lgamma(p.b + x + s) - std::lgamma(p.b) -
                    std::lgamma(p.a + p.b + x + s);
  const double a3 = -(p.r + x) * std::log(p.alpha + T);
  if (x == 0 && s == 0) return a1 + a2 + a3;
  const double a4 = std::log(p.a) - std::log(p.b + x - 1 + s) - (p.r + x) * std::log(p.alpha + t_x);
  const double hi = std::max(a3, a4);
  return a1 + a2 + hi + std::log(std::exp(a3 - hi) + std::exp(a4 - hi));
}

BgNbdFit fit_bgnbd(std::span<const RfmCustomer> customers, PurchaseModel model,
                   const FitOptions& options) {
  if (model == PurchaseModel::paretonbd) return fit_pareto_nbd(customers, options);
  const std::string_view name = display_name(model);
  // Customers with the same (x, t_x, T) contribute the same term: fit on the distinct ones,
  // sorted by x so that terms depending on x alone are computed once per distinct x.
  detail::DistinctHistories histories = detail::distinct_histories(customers, name, options.threads);
  const double mean_T = histories.mean_T;
  const std::vector<double> xs = std::move(histories.xs);
  std::vector<Point> points;
  points.reserve(histories.points.size());
  for (const detail::DistinctHistories::Point& h : histories.points) {
    points.push_back({h.x, h.t_x, h.T, h.w, h.xi, 0, 0});
  }
  std::vector<detail::DistinctHistories::Point>().swap(histories.points);
  // log(alpha + T), 1/(alpha + T) and the same for t_x are computed once per distinct value.
  std::vector<double> all_T, all_tx;
  for (const Point& pt : points) {
    all_T.push_back(pt.T);
    all_tx.push_back(pt.t_x);
  }
  const std::vector<double> Ts = distinct(std::move(all_T), options.threads),
                            txs = distinct(std::move(all_tx), options.threads);
  for (Point& pt : points) {
    pt.ti = index_in(Ts, pt.T);
    pt.txi = index_in(txs, pt.t_x);
  }
  const double total_weight = static_cast<double>(customers.size());
  const double s = model == PurchaseModel::mbgnbd ? 1 : 0;

  // Mean negative log-likelihood over u = log(r, alpha, a, b), and its gradient.
  const auto mean_nll = [&](std::span<const double> u, std::span<double> grad,
                            double penalizer) -> double {
    const double r = std::exp(u[0]), alpha = std::exp(u[1]), a = std::exp(u[2]), b = std::exp(u[3]);
    // Terms that depend on x only, once per distinct x. Written so that nothing large cancels
    // when a fit drifts towards a limit of the model (r, alpha, a or b of 1e8 and more):
    // lgamma(r+x) - lgamma(r) is a sum of logs, and the Beta part
    // lgamma(a+b) + lgamma(b+n) - lgamma(b) - lgamma(a+b+n) (n = x + s) is -sum log1p(a/(b+i)),
    // for n <= 64; beyond, differences that stay accurate for large arguments (lgamma_shift).
    const std::size_t k = xs.size();
    std::vector<double> c12(k), d_r(k), d_a(k), d_b(k), c4(k), inv_bx(k);
    const double log_a = std::log(a);
    for (std::size_t i = 0; i < k; ++i) {
      const double x = xs[i];
      const double n = x + s;
      double lr = 0, dr = 0, beta = 0, da = 0, db = 0;
      if (n <= 64) {
        for (double j = 0; j < x; ++j) {
          lr += std::log(r + j);
          dr += 1 / (r + j);
        }
        for (double j = 0; j < n; ++j) {
          beta -= std::log1p(a / (b + j));
          da -= 1 / (a + b + j);
          db += a / ((b + j) * (a + b + j));
        }
      } else {
        lr = detail::lgamma_shift(r, x);
        dr = detail::digamma_shift(r, x);
        beta = detail::lgamma_shift(b, n) - detail::lgamma_shift(a + b, n);
        da = -detail::digamma_shift(a + b, n);
        db = detail::digamma_shift(b, n) - detail::digamma_shift(a + b, n);
      }
      c12[i] = lr + beta;
      d_r[i] = dr;
      d_a[i] = da;
      d_b[i] = db;
      // The drop-out term exists only for x > 0 (BG/NBD); for x = 0, b - 1 may be <= 0.
      const bool dropout_term = x > 0 || s > 0;
      inv_bx[i] = dropout_term ? 1 / (b + x - 1 + s) : 0;
      c4[i] = dropout_term ? log_a - std::log(b + x - 1 + s) : 0;
    }
    // r log alpha - (r + x) log(alpha + T) = -r log1p(T/alpha) - x log(alpha + T): per distinct
    // T (and t_x) the two logs and their derivatives in alpha, T/(alpha (alpha+T)) and 1/(alpha+T).
    struct Times {
      double l1, l2, g1, g2;
    };
    const auto times = [&](double t) {
      return Times{std::log1p(t / alpha), std::log(alpha + t), t / (alpha * (alpha + t)),
                   1 / (alpha + t)};
    };
    std::vector<Times> at_T(Ts.size()), at_tx(txs.size());
    for (std::size_t i = 0; i < Ts.size(); ++i) at_T[i] = times(Ts[i]);
    for (std::size_t i = 0; i < txs.size(); ++i) at_tx[i] = times(txs[i]);
    // Sums over the points in fixed chunks (the same result with any number of threads).
    const std::array<double, 5> sums = chunked_sums<5>(
        points.size(), detail::kPointsPerChunk, options.threads,
        [&](std::size_t begin, std::size_t end, std::array<double, 5>& sum) {
          double ll = 0, g_r = 0, g_alpha = 0, g_a = 0, g_b = 0;
          for (std::size_t i = begin; i < end; ++i) {
            const Point& pt = points[i];
            const Times& tT = at_T[pt.ti];
            const double a3 = -r * tT.l1 - pt.x * tT.l2;
            double value = c12[pt.xi];
            double w3 = 1, w4 = 0;
            Times tt{0, 0, 0, 0};
            if (pt.x > 0 || s > 0) {
              tt = at_tx[pt.txi];
              const double a4 = c4[pt.xi] - r * tt.l1 - pt.x * tt.l2;
              // log(e^a3 + e^a4) = max + log1p(e^-(|a3 - a4|)); the weights are e^ai / (e^a3 + e^a4).
              const double e = std::exp(-std::fabs(a3 - a4));
              value += std::max(a3, a4) + std::log1p(e);
              const double big = 1 / (1 + e), small = e / (1 + e);
              w3 = a3 >= a4 ? big : small;
              w4 = a3 >= a4 ? small : big;
            } else {
              value += a3;
            }
            ll += pt.w * value;
            g_r += pt.w * (d_r[pt.xi] - w3 * tT.l1 - w4 * tt.l1);
            g_alpha += pt.w * (w3 * (r * tT.g1 - pt.x * tT.g2) + w4 * (r * tt.g1 - pt.x * tt.g2));
            g_a += pt.w * (d_a[pt.xi] + w4 / a);
            g_b += pt.w * (d_b[pt.xi] - w4 * inv_bx[pt.xi]);
          }
          sum = {ll, g_r, g_alpha, g_a, g_b};
        });
    const auto [ll, g_r, g_alpha, g_a, g_b] = sums;
    const double pen = penalizer * (r * r + alpha * alpha + a * a + b * b);
    if (!grad.empty()) {
      // d/du = theta d/dtheta.
      grad[0] = -r * g_r / total_weight + penalizer * 2 * r * r;
      grad[1] = -alpha * g_alpha / total_weight + penalizer * 2 * alpha * alpha;
      grad[2] = -a * g_a / total_weight + penalizer * 2 * a * a;
      grad[3] = -b * g_b / total_weight + penalizer * 2 * b * b;
    }
    return -ll / total_weight + pen;
  };
  const detail::Objectives objectives = detail::penalised_and_plain(mean_nll, options.penalizer);
  const double scale = std::max(mean_T, 1e-6);
  const std::vector<std::vector<double>> starts = {
      {0, 0, 0, 0},
      {std::log(0.5), std::log(scale / 4), 0, 0},
      {std::log(0.2), std::log(scale / 10), std::log(0.8), std::log(2.5)},
      {std::log(2.0), std::log(scale), std::log(2.0), std::log(5.0)},
  };
  const detail::MleResult result = detail::minimise(objectives.penalised, starts, options.max_evaluations);
  if (result.u.empty()) throw InputError("", 0, "", std::string(name) + " fit failed: " + result.failure);
  // The rule (docs/predictive.md, section 7): a fit is used only when the optimiser converged to
  // a proper maximum (of the penalised likelihood with --penalizer): a stationary point with a
  // positive definite Hessian. Anything else is refused with the reason in words.
  // A fit that converged towards a limit of the model that still makes sense (Runoff) is used
  // too, with the limit said: its predictions are those of the limit model.
  const detail::AcceptedFit accepted = detail::accept_fit(
      objectives.penalised, objectives.plain, result, total_weight, name,
      [&](const std::vector<double>& u) { return diagnose(u, scale); },
      [&](const detail::Runoff&) {
        return std::string(name) + " fit failed on " + std::to_string(customers.size()) +
               (customers.size() == 1 ? " customer: " : " customers: ") +
               explain_failure(result, scale, options.penalizer);
      });
  BgNbdFit fit = detail::fit_from<BgNbdFit>(accepted, result, customers.size());
  fit.model = model;
  return fit;
}

double bgnbd_p_alive(PurchaseModel model, const BgNbdParams& p, double x, double t_x,
                     double T) noexcept {
  if (model == PurchaseModel::paretonbd) return pareto_nbd_p_alive(p, x, t_x, T);
  const double s = model == PurchaseModel::mbgnbd ? 1 : 0;
  if (x == 0 && s == 0) return 1;
  // 1 / (1 + a/(b+x-1+s) ((alpha+T)/(alpha+t_x))^(r+x)), the power taken in logs.
  const double log_odds = std::log(p.a) - std::log(p.b + x - 1 + s) +
                          (p.r + x) * (std::log(p.alpha + T) - std::log(p.alpha + t_x));
  return 1 / (1 + std::exp(log_odds));
}

double bgnbd_expected_purchases(PurchaseModel model, const BgNbdParams& p, double t) {
  // The conditional expectation of a customer just acquired (x = 0, T = 0).
  return bgnbd_conditional_expected_purchases(model, p, t, 0, 0, 0);
}

double bgnbd_expected_purchases_if_alive(PurchaseModel model, const BgNbdParams& p, double t,
                                         double x, double T) {
  if (t <= 0) return 0;
  if (model == PurchaseModel::paretonbd) return pareto_nbd_expected_purchases_if_alive(p, t, x, T);
  const double s = model == PurchaseModel::mbgnbd ? 1 : 0;
  const double c = p.a + p.b + x - 1 + s;
  if (c < 1e-6) return expected_small_c(p, t, T);  // only BG/NBD, x = 0, a + b <= 1
  return c * bracket_over_a_minus_1(s, p, t, x, T);
}

double bgnbd_conditional_expected_purchases(PurchaseModel model, const BgNbdParams& p, double t,
                                            double x, double t_x, double T) {
  const double lead = bgnbd_expected_purchases_if_alive(model, p, t, x, T);
  if (x == 0 && model == PurchaseModel::bgnbd) return lead;
  return lead * bgnbd_p_alive(model, p, x, t_x, T);
}

double hyp2f1(double a, double b, double c, double z) {
  if (z == 0) return 1;
  const std::optional<double> tail = series_tail(a, b, c, z);
  return tail ? 1 + *tail : pfq(a, b, c, z);
}

}  // namespace csm
