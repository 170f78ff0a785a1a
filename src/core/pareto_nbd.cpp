#include "csm/pareto_nbd.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "csm/error.hpp"
#include "csm/parallel.hpp"
#include "mle.hpp"

namespace csm {
namespace {

using detail::g4;

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

// One customer's log-likelihood and, when `grad` is given, its derivatives in r, alpha, s, beta;
// also P(alive) (the weight of the alive part). NaN when the series cannot be summed.
struct PointValue {
  double ll = std::numeric_limits<double>::quiet_NaN();
  double p_alive = std::numeric_limits<double>::quiet_NaN();
  std::array<double, 4> grad{};
};

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

bool tails_of_x(const BgNbdParams& p, double x, std::span<const double> times, std::span<Tail> tails) {
  return cumulative_tails<true>(p, x, times,
                                [&](std::size_t j, double scale, double sum, const std::array<double, 4>& d) {
                                  Tail& t = tails[j];
                                  t.log_g = scale + std::log(sum);
                                  for (std::size_t k = 0; k < 4; ++k) t.rel[k] = d[k] / sum;
                                });
}

struct Point {
  double x, t_x, T, w;
  std::uint32_t xi;  // index of x among the distinct values
};

// The fit's sum over distinct histories (sorted by x, t_x, T): per x, its distinct times
// ascending, and for each history the positions of its t_x and T among them.
struct HistoryLayout {
  std::vector<Point> points;
  std::vector<double> xs;
  std::vector<double> times;                // per x, ascending
  std::vector<std::size_t> x_begin;         // xs.size() + 1 offsets into times
  std::vector<std::uint32_t> at_tx, at_T;   // per point, an index into times
};

HistoryLayout layout_of(detail::DistinctHistories histories) {
  HistoryLayout out;
  out.xs = std::move(histories.xs);
  out.points.reserve(histories.points.size());
  for (const detail::DistinctHistories::Point& h : histories.points) {
    out.points.push_back({h.x, h.t_x, h.T, h.w, h.xi});
  }
  std::vector<detail::DistinctHistories::Point>().swap(histories.points);
  out.x_begin.assign(out.xs.size() + 1, 0);
  out.at_tx.resize(out.points.size());
  out.at_T.resize(out.points.size());
  std::vector<double> group;
  for (std::size_t i = 0; i < out.points.size();) {
    std::size_t j = i;
    group.clear();
    for (; j < out.points.size() && out.points[j].xi == out.points[i].xi; ++j) {
      group.push_back(out.points[j].t_x);
      group.push_back(out.points[j].T);
    }
    std::sort(group.begin(), group.end());
    group.erase(std::unique(group.begin(), group.end()), group.end());
    const std::size_t base = out.times.size();
    out.times.insert(out.times.end(), group.begin(), group.end());
    for (std::size_t k = i; k < j; ++k) {
      const auto position = [&](double t) {
        return static_cast<std::uint32_t>(
            base + static_cast<std::size_t>(std::lower_bound(group.begin(), group.end(), t) - group.begin()));
      };
      out.at_tx[k] = position(out.points[k].t_x);
      out.at_T[k] = position(out.points[k].T);
    }
    out.x_begin[out.points[i].xi + 1] = out.times.size();
    i = j;
  }
  // x values without histories cannot occur (xs comes from the points), but keep offsets monotone.
  for (std::size_t k = 1; k < out.x_begin.size(); ++k) {
    out.x_begin[k] = std::max(out.x_begin[k], out.x_begin[k - 1]);
  }
  return out;
}

// sum w ll over the histories and, when `grad` has 4 elements, its derivatives in r, alpha, s, beta.
double total_log_likelihood(const HistoryLayout& h, const BgNbdParams& p, std::span<double> grad,
                            unsigned threads) {
  const bool with_gradient = !grad.empty();
  const std::size_t nx = h.xs.size();
  std::vector<double> lg(nx), dlg(nx);
  for (std::size_t i = 0; i < nx; ++i) gamma_ratio(p.r, h.xs[i], lg[i], dlg[i]);
  std::vector<Tail> tails(h.times.size());
  std::vector<char> tabled(nx, 0);
  parallel_jobs(nx, threads, [&](std::size_t xi) {
    const std::size_t b = h.x_begin[xi], e = h.x_begin[xi + 1];
    if (e > b) {
      tabled[xi] = tails_of_x(p, h.xs[xi], std::span<const double>(h.times).subspan(b, e - b),
                              std::span<Tail>(tails).subspan(b, e - b));
    }
  });
  const std::array<double, 5> sums = chunked_sums<5>(
      h.points.size(), detail::kPointsPerChunk / 4, threads,
      [&](std::size_t begin, std::size_t end, std::array<double, 5>& sum) {
        std::array<double, 5> acc{};
        for (std::size_t i = begin; i < end; ++i) {
          const Point& pt = h.points[i];
          PointValue v;
          if (!tabled[pt.xi]) {
            v = evaluate(p, pt.x, pt.t_x, pt.T, with_gradient, lg[pt.xi], dlg[pt.xi]);
          } else if (pt.T > pt.t_x) {
            const Tail& a = tails[h.at_tx[i]];
            const Tail& b = tails[h.at_T[i]];
            const double ratio = std::exp(b.log_g - a.log_g);  // G(T) / G(t_x) < 1
            const double log_b = std::log(p.a) + a.log_g + std::log(-std::expm1(b.log_g - a.log_g));
            std::array<double, 4> ri{};
            for (std::size_t k = 0; k < 4; ++k) ri[k] = (a.rel[k] - ratio * b.rel[k]) / (1 - ratio);
            ri[2] += 1 / p.a;
            v = combine(p, pt.x, pt.T, log_b, ri, with_gradient, lg[pt.xi], dlg[pt.xi]);
          } else {
            v = combine(p, pt.x, pt.T, -std::numeric_limits<double>::infinity(), {}, with_gradient,
                        lg[pt.xi], dlg[pt.xi]);
          }
          acc[0] += pt.w * v.ll;
          for (std::size_t k = 0; k < 4; ++k) acc[k + 1] += pt.w * v.grad[k];
        }
        sum = acc;
      });
  if (with_gradient) {
    for (std::size_t k = 0; k < 4; ++k) grad[k] = sums[k + 1];
  }
  return sums[0];
}

// Where the parameters of a fit ran off, and whether that is a limit of the model that still
// makes sense (as for BG/NBD): one purchase rate for everyone (r, alpha -> infinity), one
// drop-out rate for everyone (s, beta -> infinity), or no drop-out (s/beta -> 0: the NBD).
detail::Runoff diagnose(const std::vector<double>& u, double scale) {
  const double r = std::exp(u[0]), alpha = std::exp(u[1]), s = std::exp(u[2]), beta = std::exp(u[3]);
  constexpr double big = 1e4, small = 1e-4;
  detail::Runoff d;
  if (r > big && alpha > big * scale) {
    d.why.push_back("r and alpha grow without bound together (r/alpha, the mean purchase rate, "
                    "stays at " + g4(r / alpha) + " per time unit): purchase rates do not vary "
                    "between customers in these data");
    d.limits.push_back("every customer buys at the same rate r/alpha = " + g4(r / alpha) +
                       " per time unit while alive (r and alpha -> infinity)");
    d.unidentified[0] = d.unidentified[1] = true;
  } else if (r > big || r < small) {
    d.why.push_back(std::string("r goes to ") + (r > big ? "infinity" : "0"));
    d.only_limits = false;
  } else if (alpha > big * scale || alpha < small * scale) {
    d.why.push_back(std::string("alpha goes to ") + (alpha > big * scale ? "infinity" : "0"));
    d.only_limits = false;
  }
  if (s > big && beta > big * scale) {
    d.why.push_back("s and beta grow without bound together (s/beta, the mean drop-out rate, "
                    "stays at " + g4(s / beta) + " per time unit): drop-out rates do not vary "
                    "between customers in these data");
    d.limits.push_back("every customer drops out at the same rate s/beta = " + g4(s / beta) +
                       " per time unit (s and beta -> infinity)");
    d.unidentified[2] = d.unidentified[3] = true;
  } else if (s < small || s / beta * scale < 1e-6) {
    d.why.push_back("s/beta, the mean drop-out rate, goes to 0: the data show no sign of "
                    "customers dropping out");
    d.limits.push_back("no customer drops out (s/beta -> 0: the NBD model; p_alive is about 1)");
    d.unidentified[2] = d.unidentified[3] = true;
  } else if (s > big || beta > big * scale || beta < small * scale) {
    d.why.push_back(std::string(s > big ? "s goes to infinity"
                                : beta > big * scale ? "beta goes to infinity"
                                                     : "beta goes to 0"));
    d.only_limits = false;
  }
  if (d.why.empty()) d.only_limits = false;
  return d;
}

}  // namespace

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

double pareto_nbd_total_log_likelihood(std::span<const RfmCustomer> customers,
                                        const BgNbdParams& p, std::span<double> gradient,
                                        unsigned threads) {
  const HistoryLayout histories =
      layout_of(detail::distinct_histories(customers, "Pareto/NBD", threads));
  return total_log_likelihood(histories, p, gradient, threads);
}

BgNbdFit fit_pareto_nbd(std::span<const RfmCustomer> customers, const FitOptions& options) {
  const std::string name = "Pareto/NBD";
  detail::DistinctHistories distinct = detail::distinct_histories(customers, name, options.threads);
  const double mean_T = distinct.mean_T;
  const HistoryLayout histories = layout_of(std::move(distinct));
  const double total_weight = static_cast<double>(customers.size());

  const auto mean_nll = [&](std::span<const double> u, std::span<double> grad,
                            double penalizer) -> double {
    const BgNbdParams p{std::exp(u[0]), std::exp(u[1]), std::exp(u[2]), std::exp(u[3])};
    std::array<double, 4> sums{};
    const bool with_gradient = !grad.empty();
    const double ll = total_log_likelihood(histories, p, with_gradient ? std::span<double>(sums) : std::span<double>(),
                                           options.threads);
    const double theta[4] = {p.r, p.alpha, p.a, p.b};
    double pen = 0;
    for (double th : theta) pen += penalizer * th * th;
    if (with_gradient) {
      for (std::size_t k = 0; k < 4; ++k) {
        grad[k] = -theta[k] * sums[k] / total_weight + penalizer * 2 * theta[k] * theta[k];
      }
    }
    return -ll / total_weight + pen;
  };
  const detail::Objective penalised = [&](std::span<const double> u, std::span<double> g) {
    return mean_nll(u, g, options.penalizer);
  };
  const detail::Objective plain = [&](std::span<const double> u, std::span<double> g) {
    return mean_nll(u, g, 0.0);
  };
  const double scale = std::max(mean_T, 1e-6);
  const std::vector<std::vector<double>> starts = {
      {std::log(0.5), std::log(scale / 4), std::log(0.5), std::log(scale / 4)},
      {0, 0, 0, 0},
      {std::log(0.2), std::log(scale / 10), std::log(0.8), std::log(scale)},
      {std::log(2.0), std::log(scale), std::log(2.0), std::log(scale * 4)},
  };
  const detail::MleResult result = detail::minimise(penalised, starts, options.max_evaluations);
  if (result.u.empty()) throw InputError("", 0, "", name + " fit failed: " + result.failure);
  const detail::AcceptedFit accepted = detail::accept_fit(
      penalised, plain, result, total_weight, name,
      [&](const std::vector<double>& u) { return diagnose(u, scale); },
      [&](const detail::Runoff& d) {
        const std::string best_point =
            "r " + g4(std::exp(result.u[0])) + ", alpha " + g4(std::exp(result.u[1])) + ", s " +
            g4(std::exp(result.u[2])) + ", beta " + g4(std::exp(result.u[3]));
        return name + " fit failed on " + std::to_string(customers.size()) +
               (customers.size() == 1 ? " customer: " : " customers: ") +
               detail::explain_refused_fit(result, d.why, "four", best_point, options.penalizer);
      });
  BgNbdFit fit;
  fit.model = PurchaseModel::paretonbd;
  fit.params = {accepted.params[0], accepted.params[1], accepted.params[2], accepted.params[3]};
  fit.log_likelihood = accepted.log_likelihood;
  fit.standard_errors = accepted.standard_errors;
  fit.log_covariance = accepted.log_covariance;
  fit.limit = accepted.limit;
  fit.iterations = result.evaluations;
  fit.starts = result.starts_tried;
  fit.converged = true;
  fit.customers = customers.size();
  return fit;
}

}  // namespace csm
