#include "csm/forecast.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "csm/parallel.hpp"

namespace csm {
namespace {

constexpr std::size_t kChunk = 4096;

// The distinct (x, T) of the customers, numbered in order of first appearance, and each
// customer's number. Customers who share (x, T) share every expectation of a live customer.
struct Groups {
  std::vector<std::uint32_t> of;  // per customer
  std::vector<double> x, T;       // per group
};

Groups group_by_x_and_T(std::span<const RfmCustomer> customers) {
  Groups g;
  g.of.resize(customers.size());
  // Open addressing on (x, bits of T); the table doubles when half full.
  std::vector<std::uint32_t> slots(1024, UINT32_MAX);
  const auto hash = [](std::uint32_t x, std::uint64_t t) {
    std::uint64_t h = (t ^ (std::uint64_t{x} * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
  };
  const auto bits = [](double v) {
    std::uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    return b;
  };
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const std::uint32_t x = customers[i].x;
    const std::uint64_t t = bits(customers[i].T);
    std::size_t mask = slots.size() - 1;
    std::size_t at = hash(x, t) & mask;
    while (slots[at] != UINT32_MAX &&
           !(g.x[slots[at]] == static_cast<double>(x) && bits(g.T[slots[at]]) == t)) {
      at = (at + 1) & mask;
    }
    if (slots[at] == UINT32_MAX) {
      slots[at] = static_cast<std::uint32_t>(g.x.size());
      g.x.push_back(x);
      g.T.push_back(customers[i].T);
      if (2 * g.x.size() > slots.size()) {
        std::vector<std::uint32_t> bigger(slots.size() * 2, UINT32_MAX);
        mask = bigger.size() - 1;
        for (std::uint32_t k = 0; k < g.x.size(); ++k) {
          std::size_t b = hash(static_cast<std::uint32_t>(g.x[k]), bits(g.T[k])) & mask;
          while (bigger[b] != UINT32_MAX) b = (b + 1) & mask;
          bigger[b] = k;
        }
        slots.swap(bigger);
        g.of[i] = static_cast<std::uint32_t>(g.x.size() - 1);
        continue;
      }
    }
    g.of[i] = slots[at];
  }
  return g;
}

// E[Y(t) | alive, x, T] at many t in [0, t_max] for one (x, T). With few points each is
// computed directly; with many (daily steps over years) the function is interpolated: it is
// smooth in w = log(1 + t / (alpha + T)) -- analytic in the strip |Im w| < pi, as
// 1 - z = exp(-w) -- so a Chebyshev series in w converges geometrically. Its degree doubles
// from 32 until the last coefficients are below 1e-15 of the largest (at most 256); should
// that fail, every point is computed directly.
class LeadCurve {
 public:
  static constexpr std::size_t kDirectUpTo = 64;

  LeadCurve(PurchaseModel model, const BgNbdParams& p, double x, double T, double t_max,
            std::size_t points)
      : model_(model), p_(p), x_(x), T_(T), scale_(p.alpha + T) {
    if (points <= kDirectUpTo || !(t_max > 0)) return;
    width_ = std::log1p(t_max / scale_);
    for (std::size_t n = 32; n <= 256; n *= 2) {
      std::vector<double> values(n);
      for (std::size_t j = 0; j < n; ++j) {
        const double w = width_ / 2 * (1 + std::cos(kPi * (static_cast<double>(j) + 0.5) / static_cast<double>(n)));
        values[j] = bgnbd_expected_purchases_if_alive(model, p, scale_ * std::expm1(w), x, T);
      }
      std::vector<double> c(n, 0.0);
      double largest = 0;
      for (std::size_t k = 0; k < n; ++k) {
        double sum = 0;
        for (std::size_t j = 0; j < n; ++j) {
          sum += values[j] * std::cos(kPi * static_cast<double>(k) * (static_cast<double>(j) + 0.5) / static_cast<double>(n));
        }
        c[k] = 2 * sum / static_cast<double>(n);
        largest = std::max(largest, std::fabs(c[k]));
      }
      const double tail = std::max({std::fabs(c[n - 1]), std::fabs(c[n - 2]), std::fabs(c[n - 3])});
      if (std::isfinite(largest) && tail <= 1e-15 * largest) {
        c[0] /= 2;
        coefficients_ = std::move(c);
        return;
      }
    }
  }

  double operator()(double t) const {
    if (t <= 0) return 0;
    if (coefficients_.empty()) return bgnbd_expected_purchases_if_alive(model_, p_, t, x_, T_);
    // Clenshaw at s in [-1, 1].
    const double s = 2 * std::log1p(t / scale_) / width_ - 1;
    double b1 = 0, b2 = 0;
    for (std::size_t k = coefficients_.size() - 1; k > 0; --k) {
      const double b0 = 2 * s * b1 - b2 + coefficients_[k];
      b2 = b1;
      b1 = b0;
    }
    return s * b1 - b2 + coefficients_[0];
  }

 private:
  static constexpr double kPi = 3.14159265358979323846;
  PurchaseModel model_;
  BgNbdParams p_;
  double x_, T_, scale_;
  double width_ = 0;
  std::vector<double> coefficients_;
};

}  // namespace

LiveExpectation expected_if_alive(PurchaseModel model, const BgNbdParams& p, double x, double T,
                                  const ForecastOptions& o) {
  LiveExpectation out;
  out.over_horizon = bgnbd_expected_purchases_if_alive(model, p, o.horizon, x, T);
  out.discounted = out.over_horizon;
  if (o.discount_rate > 0) {
    const auto steps = static_cast<int>(std::ceil(o.horizon));
    const LeadCurve curve(model, p, x, T, o.horizon, static_cast<std::size_t>(steps));
    double total = 0, before = 0;
    for (int i = 1; i <= steps; ++i) {
      const double t = std::min(static_cast<double>(i), o.horizon);
      const double now = i == steps ? out.over_horizon : curve(t);
      total += (now - before) / std::pow(1 + o.discount_rate, t);
      before = now;
    }
    out.discounted = total;
  }
  return out;
}

std::vector<CustomerForecast> forecast_customers(PurchaseModel model, const BgNbdParams& p,
                                                 const GammaGammaParams& g,
                                                 std::span<const RfmCustomer> customers,
                                                 const ForecastOptions& o) {
  const Groups groups = group_by_x_and_T(customers);
  const std::size_t n_groups = groups.x.size();
  // Per group: the expected purchases of a live customer over the horizon, the same discounted
  // step by step (lifetimes' sum: the purchases of step i, (t_(i-1), t_i] with t_i = min(i, H),
  // discounted by (1 + d)^t_i), and over the holdout.
  std::vector<double> lead(n_groups), discounted(n_groups), holdout(n_groups);
  parallel_jobs((n_groups + 255) / 256, o.threads, [&](std::size_t job) {
    for (std::size_t k = job * 256; k < std::min(n_groups, (job + 1) * 256); ++k) {
      const double x = groups.x[k], T = groups.T[k];
      const LiveExpectation live = expected_if_alive(model, p, x, T, o);
      lead[k] = live.over_horizon;
      discounted[k] = live.discounted;
      if (o.holdout_length) {
        holdout[k] = bgnbd_expected_purchases_if_alive(model, p, *o.holdout_length, x, T);
      }
    }
  });
  std::vector<CustomerForecast> out(customers.size());
  parallel_jobs((customers.size() + kChunk - 1) / kChunk, o.threads, [&](std::size_t job) {
    for (std::size_t i = job * kChunk; i < std::min(customers.size(), (job + 1) * kChunk); ++i) {
      const RfmCustomer& c = customers[i];
      const std::uint32_t k = groups.of[i];
      CustomerForecast& f = out[i];
      f.p_alive = bgnbd_p_alive(model, p, c.x, c.t_x, c.T);
      f.expected_purchases = lead[k] * f.p_alive;
      f.expected_spend = gamma_gamma_expected_spend(g, c.x, c.monetary.value_or(0));
      if (f.expected_spend) {
        const double if_alive = o.margin * *f.expected_spend * discounted[k];
        f.clv = if_alive * f.p_alive;
        f.value_at_risk = if_alive * (1 - f.p_alive);
      }
      if (o.holdout_length) f.holdout_predicted = holdout[k] * f.p_alive;
    }
  });
  return out;
}

std::vector<double> total_expected_purchases(PurchaseModel model, const BgNbdParams& p,
                                             std::span<const RfmCustomer> customers,
                                             std::span<const double> times, unsigned threads) {
  // sum_c E[Y(t) | c] = sum over groups of E[Y(t) | alive, x, T] * (sum of P(alive) in the
  // group): one evaluation per group and time. The group sums are added in customer order and
  // the totals in group order, so any number of threads gives the same bits.
  const Groups groups = group_by_x_and_T(customers);
  std::vector<double> alive(customers.size());
  parallel_jobs((customers.size() + kChunk - 1) / kChunk, threads, [&](std::size_t job) {
    for (std::size_t i = job * kChunk; i < std::min(customers.size(), (job + 1) * kChunk); ++i) {
      const RfmCustomer& c = customers[i];
      alive[i] = bgnbd_p_alive(model, p, c.x, c.t_x, c.T);
    }
  });
  std::vector<double> weight(groups.x.size(), 0.0);
  for (std::size_t i = 0; i < customers.size(); ++i) weight[groups.of[i]] += alive[i];
  // Groups in fixed chunks, each adding into its own row of partial totals; the rows are added
  // in chunk order.
  constexpr std::size_t kGroups = 64;
  const std::size_t chunks = (groups.x.size() + kGroups - 1) / kGroups;
  const double t_max = times.empty() ? 0 : *std::max_element(times.begin(), times.end());
  std::vector<double> partial(chunks * times.size(), 0.0);
  parallel_jobs(chunks, threads, [&](std::size_t chunk) {
    double* row = partial.data() + chunk * times.size();
    for (std::size_t k = chunk * kGroups; k < std::min(groups.x.size(), (chunk + 1) * kGroups); ++k) {
      const LeadCurve curve(model, p, groups.x[k], groups.T[k], t_max, times.size());
      for (std::size_t j = 0; j < times.size(); ++j) row[j] += weight[k] * curve(times[j]);
    }
  });
  std::vector<double> totals(times.size(), 0.0);
  for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
    for (std::size_t j = 0; j < times.size(); ++j) totals[j] += partial[chunk * times.size() + j];
  }
  return totals;
}

std::vector<double> expected_repeat_purchases_by_day(PurchaseModel model, const BgNbdParams& p,
                                                     std::span<const RfmCustomer> customers,
                                                     TimeUnit unit,
                                                     std::span<const std::int32_t> days) {
  std::vector<double> out(days.size(), 0.0);
  if (customers.empty() || days.empty()) return out;
  // Customers by first purchase day: (day, count), ascending.
  std::vector<std::int32_t> firsts;
  firsts.reserve(customers.size());
  for (const RfmCustomer& c : customers) firsts.push_back(c.first.days);
  std::sort(firsts.begin(), firsts.end());
  std::vector<std::pair<std::int32_t, double>> cohorts;
  for (const std::int32_t d : firsts) {
    if (cohorts.empty() || cohorts.back().first != d) cohorts.emplace_back(d, 0.0);
    cohorts.back().second += 1;
  }
  // E[X(age)] for every age in days that occurs, once each.
  const std::int32_t last = *std::max_element(days.begin(), days.end());
  const std::int32_t span = std::max<std::int32_t>(0, last - cohorts.front().first);
  std::vector<double> by_age(static_cast<std::size_t>(span) + 1, 0.0);
  const double per_unit = days_per_unit(unit);
  parallel_jobs((by_age.size() + 63) / 64, 0, [&](std::size_t job) {
    for (std::size_t age = job * 64; age < std::min(by_age.size(), (job + 1) * 64); ++age) {
      by_age[age] = bgnbd_expected_purchases(model, p, static_cast<double>(age) / per_unit);
    }
  });
  for (std::size_t j = 0; j < days.size(); ++j) {
    double sum = 0;
    for (const auto& [first, count] : cohorts) {
      if (first >= days[j]) break;
      sum += count * by_age[static_cast<std::size_t>(days[j] - first)];
    }
    out[j] = sum;
  }
  return out;
}

}  // namespace csm
