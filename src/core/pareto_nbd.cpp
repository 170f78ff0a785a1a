// Pareto/NBD, one customer at a time: the likelihood's terms (the drop-out series and
// quadrature, the cumulative tails of one x), P(alive) and the expected purchases. The fit over
// all customers is in pareto_nbd_fit.cpp.

#include "csm/pareto_nbd.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "csm/parallel.hpp"
#include "mle.hpp"
#include "pareto_nbd_terms.hpp"

namespace csm {
namespace {

constexpr int kMaxTerms = 2'000'000;

// The drop-out part of the likelihood is s times
//   I = integral over (t_x, T) of (alpha + tau)^-(r+x) (beta + tau)^-(s+1) d tau,
// the chance of the purchases seen, with death at tau, integrated over tau. With P = max(alpha,
// beta), d = |alpha - beta|, the factor with the smaller parameter is (P + tau)^-e (1 - d/(P +
// tau))^-e; expanding (1 - y)^-E = sum (E)_n y^n / n! and integrating term by term gives
//   I = u^-M sum_n (E)_n / n! z^n h_n,  h_n = (1 - rho^(M+n)) / (M+n),
// with u = P + t_x, z = d / u, rho = u / (P + T), M = E + F - 1 = r + x + s, where E is the
// exponent of the expanded factor (s + 1 when alpha >= beta, r + x when alpha < beta) and F the
// other. Every term is positive -- 1 - rho^K is carried as (1 - rho) + rho (1 - rho^(K-1)), so
// nothing cancels even when T - t_x is tiny -- and at alpha = beta only the first term is left:
// no switch between formulas, no difference of two hypergeometric functions. The sums the
// gradient needs come out of the same loop:
//   dM = sum c_n z^n dh_n/dM,  dE = sum c_n z^n psi_n h_n  (psi_n = sum_{j<n} 1/(E+j)),
//   e1 = sum c_n z^n (E+n)/E h_n(M+1)   (the integral with E + 1, times u),
//   f1 = sum c_n z^n h_n(M+1)           (the integral with F + 1, times u),
// all returned divided by the main sum s0 (rescaled while summing, so nothing overflows).
struct DropoutSeries {
  double log_s0 = 0;
  double dM = 0, dE = 0, e1 = 0, f1 = 0;  // each divided by s0
};

std::optional<DropoutSeries> dropout_series(double E, double F, double z, double one_minus_rho,
                                            double log_rho, bool with_gradient) {
  const double M = E + F - 1;
  const double rho = 1 - one_minus_rho;
  double om = -std::expm1(M * log_rho);  // 1 - rho^K
  double pw = std::exp(M * log_rho);     // rho^K
  double t = 1, psi = 0, log_scale = 0;
  double s0 = 0, s_dm = 0, s_de = 0, s_e1 = 0, s_f1 = 0;
  for (int n = 0; n < kMaxTerms; ++n) {
    const double dn = n;
    const double K = M + dn;
    const double h0 = om / K;
    const double om1 = rho * om + one_minus_rho;
    const double h1 = om1 / (K + 1);
    s0 += t * h0;
    if (with_gradient) {
      s_dm += t * (-pw * log_rho / K - h0 / K);
      s_de += t * psi * h0;
      s_e1 += t * (E + dn) / E * h1;
      s_f1 += t * h1;
      psi += 1 / (E + dn);
    }
    const double ratio = (E + dn) / (dn + 1) * z;
    t *= ratio;
    om = om1;
    pw *= rho;
    if (s0 > 1e250) {
      constexpr double k = 1e-250;
      t *= k;
      s0 *= k;
      s_dm *= k;
      s_de *= k;
      s_e1 *= k;
      s_f1 *= k;
      log_scale -= std::log(k);
    }
    if (t == 0) break;
    // The rest: terms shrink at least geometrically by max(ratio, z) < 1 from here on; their
    // factors h and (E+n)/E psi grow at most slowly (the bound takes them at the next term).
    const double r = std::max(ratio, z);
    if (r < 1) {
      const double factor = (1 + (E + dn + 1) / E) * (1 + psi) * std::min(1.0, 2 * om) / (K + 1);
      if (t * factor <= 1e-17 * (1 - r) * s0) break;
    }
    if (n + 1 == kMaxTerms) return std::nullopt;
  }
  if (!(s0 > 0) || !std::isfinite(s0)) return std::nullopt;
  DropoutSeries out;
  out.log_s0 = log_scale + std::log(s0);
  out.dM = s_dm / s0;
  out.dE = s_de / s0;
  out.e1 = s_e1 / s0;
  out.f1 = s_f1 / s0;
  return out;
}

// The same drop-out part by quadrature, for where the series is long: z close to 1 (beta much
// smaller than alpha + t_x, or the reverse) needs about 40 / (1 - z) terms. In v = log(m + tau),
// m = min(alpha, beta), the integrand (alpha+tau)^-(r+x) (beta+tau)^-(s+1) (m+tau) is smooth
// (its logarithm changes at most at the rate r + x + s + 1 in v, and it is analytic within pi
// of the real axis), so composite 16-point Gauss-Legendre on panels no wider than 1 and than
// 4 / rate is accurate to double precision. Summed in logarithms (the largest value factored
// out). Returns log(s I alpha^r beta^s) and its derivatives in r, alpha, s, beta.
struct Quadrature {
  double log_b;
  std::array<double, 4> d;
};

const std::array<std::pair<double, double>, 16>& gauss_legendre_16() {
  // Nodes on [-1, 1] and weights, by Newton's method on the Legendre polynomial P_16.
  static const std::array<std::pair<double, double>, 16> rule = [] {
    std::array<std::pair<double, double>, 16> out{};
    constexpr int n = 16;
    constexpr double pi = 3.14159265358979323846;
    for (int i = 0; i < n; ++i) {
      double x = std::cos(pi * (i + 0.75) / (n + 0.5));
      double dp = 0;
      for (int it = 0; it < 100; ++it) {
        double p0 = 1, p1 = x;
        for (int k = 2; k <= n; ++k) {
          const double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = n * (x * p1 - p0) / (x * x - 1);
        const double step = p1 / dp;
        x -= step;
        if (std::fabs(step) < 1e-16) break;
      }
      out[static_cast<std::size_t>(i)] = {x, 2 / ((1 - x * x) * dp * dp)};
    }
    return out;
  }();
  return rule;
}

// How fast the log of the drop-out integrand, in v = log(m + tau), can change: its slope is
// 1 - (r + x) e^v / (alpha + tau) - (s + 1) e^v / (beta + tau), and each ratio is largest at the
// top of the range, e^v = `top`. Bounding the ratios there rather than by 1 keeps the panels
// few when s and beta (or r and alpha) grow together, as they do while a fit runs off towards
// the limit of one drop-out rate for everyone; the integrand is then nearly flat in v.
double integrand_rate(const BgNbdParams& p, double x, double top) {
  const double m = std::min(p.alpha, p.b);
  return (p.r + x) * (top / (p.alpha - m + top)) + (p.a + 1) * (top / (p.b - m + top)) + 1;
}

Quadrature dropout_quadrature(const BgNbdParams& p, double x, double t_x, double T) {
  const double r = p.r, alpha = p.alpha, s = p.a, beta = p.b;
  const double m = std::min(alpha, beta);
  const double v0 = std::log(m + t_x), v1 = std::log(m + T);
  const double width = v1 - v0;
  const double rate = integrand_rate(p, x, m + T);
  const double panels = std::min(4096.0, std::max({1.0, std::ceil(width), std::ceil(width * rate / 4)}));
  const auto& rule = gauss_legendre_16();
  const auto count = static_cast<std::size_t>(panels) * rule.size();
  std::vector<double> logs(count), weights(count), taus(count);
  const double h = width / panels;
  std::size_t k = 0;
  double hi = -std::numeric_limits<double>::infinity();
  for (std::size_t panel = 0; panel < static_cast<std::size_t>(panels); ++panel) {
    const double mid = v0 + (static_cast<double>(panel) + 0.5) * h;
    for (const auto& [node, weight] : rule) {
      const double v = mid + node * h / 2;
      // tau = e^v - m, and alpha + tau, beta + tau without cancellation: one of them is e^v.
      const double ev = std::exp(v);
      const double tau = std::max(0.0, ev - m);
      const double a_tau = alpha == m ? ev : alpha - m + ev;
      const double b_tau = beta == m ? ev : beta - m + ev;
      // log of alpha^r beta^s (alpha+tau)^-(r+x) (beta+tau)^-(s+1) (m + tau)
      const double l = -r * std::log(a_tau / alpha) - x * std::log(a_tau) - s * std::log(b_tau / beta) -
                       std::log(b_tau) + v;
      logs[k] = l;
      weights[k] = weight * h / 2;
      taus[k] = tau;
      hi = std::max(hi, l);
      ++k;
    }
  }
  double sum = 0, d_r = 0, d_alpha = 0, d_s = 0, d_beta = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double w = weights[i] * std::exp(logs[i] - hi);
    const double tau = taus[i];
    sum += w;
    d_r -= w * std::log1p(tau / alpha);
    d_s -= w * std::log1p(tau / beta);
    d_alpha += w * (r / alpha - (r + x) / (alpha + tau));
    d_beta += w * (s / beta - (s + 1) / (beta + tau));
  }
  Quadrature q;
  q.log_b = std::log(s) + hi + std::log(sum);
  q.d = {d_r / sum, d_alpha / sum, 1 / s + d_s / sum, d_beta / sum};
  return q;
}

}  // namespace

namespace detail::pareto {

// sum_{j<x} log(r + j) and 1/(r + j) (lgamma(r+x) - lgamma(r) and its derivative).
void gamma_ratio(double r, double x, double& value, double& derivative) {
  if (x <= 64) {
    value = 0;
    derivative = 0;
    for (double j = 0; j < x; ++j) {
      value += std::log(r + j);
      derivative += 1 / (r + j);
    }
  } else {
    value = detail::lgamma_shift(r, x);
    derivative = detail::digamma_shift(r, x);
  }
}

// The likelihood from its drop-out part: `log_b` = log(s I alpha^r beta^s) and `ri` its
// derivatives in r, alpha, s, beta (unused when log_b is -inf or without the gradient).
PointValue combine(const BgNbdParams& p, double x, double T, double log_b,
                   const std::array<double, 4>& ri, bool with_gradient, double lg_value,
                   double lg_derivative) {
  const double r = p.r, alpha = p.alpha, s = p.a, beta = p.b;
  PointValue out;
  // The alive part A: r log alpha + s log beta - (r+x) log(alpha+T) - s log(beta+T).
  const double l1T_a = std::log1p(T / alpha), l1T_b = std::log1p(T / beta);
  const double log_aT = std::log(alpha + T);
  const double log_a = -r * l1T_a - s * l1T_b - x * log_aT;
  const double hi = std::max(log_a, log_b);
  const double e = std::exp(-std::fabs(log_a - log_b));  // 0 when log_b = -inf
  out.ll = lg_value + hi + std::log1p(e);
  const double w_big = 1 / (1 + e), w_small = e / (1 + e);
  const double w_a = log_a >= log_b ? w_big : w_small;
  const double w_b = log_a >= log_b ? w_small : w_big;
  out.p_alive = w_a;
  if (!with_gradient) return out;
  const std::array<double, 4> b = w_b > 0 ? ri : std::array<double, 4>{};
  out.grad[0] = lg_derivative + w_a * -l1T_a + w_b * b[0];
  out.grad[1] = w_a * (r / alpha - (r + x) / (alpha + T)) + w_b * b[1];
  out.grad[2] = w_a * -l1T_b + w_b * b[2];
  out.grad[3] = w_a * (s / beta - s / (beta + T)) + w_b * b[3];
  return out;
}

PointValue evaluate(const BgNbdParams& p, double x, double t_x, double T, bool with_gradient,
                    double lg_value, double lg_derivative) {
  const double r = p.r, alpha = p.alpha, s = p.a, beta = p.b;
  double log_b = -std::numeric_limits<double>::infinity();
  std::array<double, 4> ri{};  // d log(s I alpha^r beta^s) / d(r, alpha, s, beta)
  if (T > t_x) {
    const bool alpha_larger = alpha >= beta;
    const double P = alpha_larger ? alpha : beta;
    const double d = alpha_larger ? alpha - beta : beta - alpha;
    const double u = P + t_x;
    const double E = alpha_larger ? s + 1 : r + x;
    const double F = alpha_larger ? r + x : s + 1;
    const double z = d / u;
    // About (E z + 40) / (1 - z) terms: beyond 2000, quadrature is cheaper.
    if (E * z + 40 > 2000 * (1 - z)) {
      const Quadrature q = dropout_quadrature(p, x, t_x, T);
      log_b = q.log_b;
      ri = q.d;
    } else {
      const double one_minus_rho = (T - t_x) / (P + T);
      const std::optional<DropoutSeries> ds =
          dropout_series(E, F, z, one_minus_rho, std::log1p(-one_minus_rho), with_gradient);
      if (!ds) return PointValue{};
      const DropoutSeries& series = *ds;
      const double lu_a = std::log1p((alpha_larger ? t_x : d + t_x) / alpha);
      const double lu_b = std::log1p((alpha_larger ? d + t_x : t_x) / beta);
      log_b = std::log(s) - r * lu_a - s * lu_b - x * std::log(u) + series.log_s0;
      const double common = series.dM;
      ri[0] = -lu_a + common + (alpha_larger ? 0 : series.dE);
      ri[1] = r / alpha - (r + x) * (alpha_larger ? series.f1 : series.e1) / u;
      ri[2] = 1 / s - lu_b + common + (alpha_larger ? series.dE : 0);
      ri[3] = s / beta - (s + 1) * (alpha_larger ? series.e1 : series.f1) / u;
    }
  }
  return combine(p, x, T, log_b, ri, with_gradient, lg_value, lg_derivative);
}

}  // namespace detail::pareto

namespace {

using detail::pareto::combine;
using detail::pareto::evaluate;
using detail::pareto::gamma_ratio;

// The cumulative pass itself: `store(j, scale, sum, d)` receives, for times[j] from the largest
// down, log G = scale + log(sum) and (with Gradient) the derivative sums d (dG/G = d / sum).
template <bool Gradient, class Store>
bool cumulative_tails(const BgNbdParams& p, double x, std::span<const double> times, Store&& store) {
  const double r = p.r, alpha = p.alpha, s = p.a, beta = p.b;
  const double m = std::min(alpha, beta);
  // The first panel reaches at most 1 beyond the largest time in v (max_width <= 1).
  const double rate = integrand_rate(p, x, (m + times.back()) * std::exp(1.0));
  const double max_width = std::min(1.0, 4 / rate);
  const auto& rule = gauss_legendre_16();
  double scale = -std::numeric_limits<double>::infinity();
  double sum = 0;
  std::array<double, 4> d{};
  struct Node {
    double l, tau;
  };
  std::array<Node, 16> nodes{};
  // log of alpha^r beta^s (alpha+tau)^-(r+x) (beta+tau)^-(s+1) (m + tau) at v = log(m + tau),
  // with tau = e^v - m; alpha + tau and beta + tau without cancellation (one of them is e^v).
  const auto at = [&](double v, double& tau) {
    const double ev = std::exp(v);
    const double a_tau = alpha == m ? ev : alpha - m + ev;
    const double b_tau = beta == m ? ev : beta - m + ev;
    tau = std::max(0.0, ev - m);
    return -r * std::log(a_tau / alpha) - x * std::log(a_tau) - s * std::log(b_tau / beta) -
           std::log(b_tau) + v;
  };
  const auto add_panel = [&](double v0, double h) {
    double local = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < rule.size(); ++k) {
      const double v = v0 + (rule[k].first + 1) * h / 2;
      nodes[k].l = at(v, nodes[k].tau);
      local = std::max(local, nodes[k].l);
    }
    if (local > scale) {
      const double f = std::exp(scale - local);  // 0 at the first panel
      sum *= f;
      if constexpr (Gradient) {
        for (double& v : d) v *= f;
      }
      scale = local;
    }
    for (std::size_t k = 0; k < rule.size(); ++k) {
      const double w = rule[k].second * h / 2 * std::exp(nodes[k].l - scale);
      sum += w;
      if constexpr (Gradient) {
        const double tau = nodes[k].tau;
        d[0] -= w * std::log1p(tau / alpha);
        d[1] += w * (r / alpha - (r + x) / (alpha + tau));
        d[2] -= w * std::log1p(tau / beta);
        d[3] += w * (s / beta - (s + 1) / (beta + tau));
      }
    }
  };
  // G(t) is taken from t to one panel beyond the largest time, not to infinity: every upper
  // end gives the same differences G(t_x) - G(T) (and the same derivatives), a smaller G only
  // tightens the bound above, and the panel keeps every G positive.
  const std::size_t n = times.size();
  add_panel(std::log(m + times[n - 1]), max_width);
  if (!(sum > 0) || !std::isfinite(sum)) return false;
  store(n - 1, scale, sum, d);
  for (std::size_t j = n - 1; j-- > 0;) {
    const double v0 = std::log(m + times[j]), v1 = std::log(m + times[j + 1]);
    const double width = v1 - v0;
    const double panels = std::max(1.0, std::ceil(width / max_width));
    if (panels > 4096) return false;  // parameters far out: the per-history evaluation copes
    const double h = width / panels;
    for (double k = 0; k < panels; ++k) add_panel(v0 + k * h, h);
    if (!(sum > 0) || !std::isfinite(sum)) return false;
    store(j, scale, sum, d);
  }
  return true;
}

}  // namespace

bool detail::pareto::tails_of_x(const BgNbdParams& p, double x, std::span<const double> times,
                                 std::span<Tail> tails) {
  return cumulative_tails<true>(p, x, times,
                                [&](std::size_t j, double scale, double sum, const std::array<double, 4>& d) {
                                  Tail& t = tails[j];
                                  t.log_g = scale + std::log(sum);
                                  for (std::size_t k = 0; k < 4; ++k) t.rel[k] = d[k] / sum;
                                });
}

double pareto_nbd_log_likelihood(const BgNbdParams& p, double x, double t_x, double T) noexcept {
  double lg = 0, dlg = 0;
  gamma_ratio(p.r, x, lg, dlg);
  return evaluate(p, x, t_x, T, false, lg, dlg).ll;
}

std::array<double, 4> pareto_nbd_log_likelihood_gradient(const BgNbdParams& p, double x,
                                                         double t_x, double T) noexcept {
  double lg = 0, dlg = 0;
  gamma_ratio(p.r, x, lg, dlg);
  return evaluate(p, x, t_x, T, true, lg, dlg).grad;
}

double pareto_nbd_p_alive(const BgNbdParams& p, double x, double t_x, double T) noexcept {
  return evaluate(p, x, t_x, T, false, 0, 0).p_alive;
}

bool pareto_nbd_log_tails(const BgNbdParams& p, double x, std::span<const double> times,
                          std::span<double> log_g) {
  if (times.empty()) return true;
  return cumulative_tails<false>(
      p, x, times, [&](std::size_t j, double scale, double sum, const std::array<double, 4>&) {
        log_g[j] = scale + std::log(sum);
      });
}

double pareto_nbd_p_alive_from_tails(const BgNbdParams& p, double x, double t_x, double T,
                                     double log_g_tx, double log_g_T) noexcept {
  double log_b = -std::numeric_limits<double>::infinity();
  if (T > t_x) log_b = std::log(p.a) + log_g_tx + std::log(-std::expm1(log_g_T - log_g_tx));
  return combine(p, x, T, log_b, {}, false, 0, 0).p_alive;
}

std::vector<double> pareto_nbd_p_alive_all(const BgNbdParams& p,
                                           std::span<const RfmCustomer> customers,
                                           unsigned threads) {
  // Customers sorted by x; per x the distinct times of its customers, their tails, and then one
  // lookup per customer.
  std::vector<std::uint32_t> order(customers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](std::uint32_t l, std::uint32_t r) {
    return customers[l].x != customers[r].x ? customers[l].x < customers[r].x : l < r;
  });
  std::vector<std::size_t> x_start;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || customers[order[i]].x != customers[order[i - 1]].x) x_start.push_back(i);
  }
  x_start.push_back(order.size());
  std::vector<double> out(customers.size());
  parallel_jobs(x_start.size() - 1, threads, [&](std::size_t k) {
    std::vector<double> times;
    for (std::size_t i = x_start[k]; i < x_start[k + 1]; ++i) {
      times.push_back(customers[order[i]].t_x);
      times.push_back(customers[order[i]].T);
    }
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    const double x = customers[order[x_start[k]]].x;
    std::vector<double> log_g(times.size());
    const bool tabled = pareto_nbd_log_tails(p, x, times, log_g);
    const auto at = [&](double t) {
      return log_g[static_cast<std::size_t>(std::lower_bound(times.begin(), times.end(), t) - times.begin())];
    };
    for (std::size_t i = x_start[k]; i < x_start[k + 1]; ++i) {
      const RfmCustomer& c = customers[order[i]];
      out[order[i]] = tabled ? pareto_nbd_p_alive_from_tails(p, x, c.t_x, c.T, at(c.t_x), at(c.T))
                             : pareto_nbd_p_alive(p, x, c.t_x, c.T);
    }
  });
  return out;
}

double pareto_nbd_expected_purchases_if_alive(const BgNbdParams& p, double t, double x,
                                              double T) noexcept {
  if (t <= 0) return 0;
  const double s = p.a, beta = p.b;
  const double lead = (p.r + x) * (beta + T) / (p.alpha + T);
  const double l = std::log1p(t / (beta + T));  // log((beta+T+t)/(beta+T))
  const double sm1 = s - 1;
  // [1 - e^{-(s-1) l}] / (s-1), which tends to l as s -> 1.
  const double bracket = std::fabs(sm1 * l) < 1e-300 ? l : -std::expm1(-sm1 * l) / sm1;
  return lead * bracket;
}

}  // namespace csm
