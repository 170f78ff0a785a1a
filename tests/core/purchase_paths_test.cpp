// predict --interval-of purchases in the core: the written-out samplers against their known
// moments, the simulated purchase paths against the models' closed-form expectations (the mean
// of many paths must be P(alive) E[Y(H) | alive], computed by forecast.cpp / bgbb.cpp from the
// formulas, not by simulation), the order statistic of the bounds, and the same bounds for any
// thread count. Coverage on simulated bases: tests/predictive/purchase_interval_coverage.py.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <vector>

#include "csm/bgbb.hpp"
#include "csm/forecast.hpp"
#include "csm/prediction_interval.hpp"
#include "csm/purchase_paths.hpp"

namespace {

struct Moments {
  double mean = 0, var = 0;
};

template <class F>
Moments moments(int n, F draw) {
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    const double v = draw();
    sum += v;
    sq += v * v;
  }
  const double mean = sum / n;
  return {mean, sq / n - mean * mean};
}

// |mean - expected| within 5 standard errors of the sample mean.
void check_mean(const Moments& m, double expected, int n) {
  INFO("mean " << m.mean << " expected " << expected);
  CHECK(std::fabs(m.mean - expected) <= 5 * std::sqrt(m.var / n) + 1e-12);
}

}  // namespace

TEST_CASE("purchase paths (interval-of purchases): the samplers have their known moments",
          "[core][purchase_interval]") {
  constexpr int n = 200000;
  csm::PathRandom random(7, 3);
  for (const double shape : {0.3, 1.0, 3.7, 40.0}) {
    const Moments m = moments(n, [&] { return random.gamma(shape); });
    check_mean(m, shape, n);
    CHECK(m.var == Approx(shape).epsilon(0.05));
  }
  const Moments b = moments(n, [&] { return random.beta(2, 5); });
  check_mean(b, 2.0 / 7, n);
  CHECK(b.var == Approx(2.0 * 5 / (49 * 8)).epsilon(0.05));
  for (const double mean : {0.4, 3.2, 9.99, 10.0, 57.5, 2500.0}) {
    const Moments m = moments(n, [&] { return static_cast<double>(random.poisson(mean)); });
    check_mean(m, mean, n);
    CHECK(m.var == Approx(mean).epsilon(0.05));
  }
  const Moments g = moments(n, [&] { return static_cast<double>(random.geometric(0.3)); });
  check_mean(g, 1 / 0.3, n);
  CHECK(g.var == Approx(0.7 / 0.09).epsilon(0.05));
  CHECK(random.geometric(1) == 1);
  CHECK(random.poisson(0) == 0);
  // The same seed and stream, the same numbers; another stream, others.
  csm::PathRandom a(11, 5), b2(11, 5), c(11, 6);
  const double ua = a.uniform();
  CHECK(ua == b2.uniform());
  CHECK(ua != c.uniform());
}

TEST_CASE("purchase paths (interval-of purchases): the mean of the paths is the model's "
          "expectation", "[core][purchase_interval]") {
  constexpr int n = 200000;
  csm::ForecastOptions fo;
  fo.horizon = 39;
  struct Case {
    csm::PurchaseModel model;
    csm::BgNbdParams params;
    double x, t_x, T;
  };
  const std::vector<Case> cases{
      {csm::PurchaseModel::bgnbd, {0.243, 4.414, 0.793, 2.426}, 3, 20, 30},
      {csm::PurchaseModel::bgnbd, {0.243, 4.414, 0.793, 2.426}, 0, 0, 30},
      {csm::PurchaseModel::mbgnbd, {0.525, 6.183, 0.891, 1.614}, 2, 25, 35},
      {csm::PurchaseModel::mbgnbd, {0.525, 6.183, 0.891, 1.614}, 0, 0, 12},
      {csm::PurchaseModel::paretonbd, {0.5534, 10.5802, 0.6061, 11.6562}, 26, 30.86, 31},
      {csm::PurchaseModel::paretonbd, {0.5534, 10.5802, 0.6061, 11.6562}, 4, 10, 38},
      {csm::PurchaseModel::paretonbd, {1.37, 3.37, 1.35, 43.8}, 1, 2, 40},
  };
  std::uint64_t stream = 0;
  for (const Case& c : cases) {
    INFO(csm::display_name(c.model) << " x " << c.x << " t_x " << c.t_x << " T " << c.T);
    const double alive = csm::bgnbd_p_alive(c.model, c.params, c.x, c.t_x, c.T);
    const double expected = alive * csm::expected_if_alive(c.model, c.params, c.x, c.T, fo).over_horizon;
    csm::PathRandom random(1, stream++);
    const Moments m = moments(n, [&] {
      return static_cast<double>(csm::simulate_purchases(c.model, c.params, c.x, c.T, alive, fo.horizon, random));
    });
    check_mean(m, expected, n);
  }
  // BG/BB: the donations' estimates, a few histories, 6 opportunities ahead.
  const csm::BgBbParams p{1.2035, 0.7497, 0.6567, 2.7834};
  for (const std::array<std::uint32_t, 3>& h : std::vector<std::array<std::uint32_t, 3>>{{0, 0, 6}, {3, 5, 6}, {6, 6, 6}, {2, 2, 6}}) {
    const std::uint32_t x = h[0], t_x = h[1], nn = h[2];
    INFO("BG/BB x " << x << " t_x " << t_x << " n " << nn);
    const double alive_next = csm::bgbb_p_alive(p, x, t_x, nn);
    const double expected = csm::bgbb_expected_transactions(p, 6, x, t_x, nn);
    csm::PathRandom random(1, stream++);
    const Moments m = moments(n, [&] {
      return static_cast<double>(csm::simulate_bgbb_transactions(p, x, nn, alive_next, 6, random));
    });
    check_mean(m, expected, n);
  }
}

TEST_CASE("purchase paths (interval-of purchases): the bounds are order statistics",
          "[core][purchase_interval]") {
  std::vector<std::uint64_t> c{5, 0, 2, 1, 0, 1, 0};  // sorted: 0 0 0 1 1 2 5
  CHECK(csm::count_quantile(c, 0.5) == 1);  // the 4th of 7
  CHECK(csm::count_quantile(c, 0.05) == 0);
  CHECK(csm::count_quantile(c, 0.95) == 5);
  CHECK(csm::count_quantile(c, 3.0 / 7) == 0);  // exactly 3 of 7 at or below 0
  std::vector<std::uint64_t> v(200);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 199 - i;
  CHECK(csm::count_quantile(v, 0.05) == 9);    // the 10th of 200
  CHECK(csm::count_quantile(v, 0.95) == 189);  // the 190th
  std::vector<std::uint64_t> none;
  CHECK(csm::count_quantile(none, 0.5) == 0);
}

TEST_CASE("prediction_intervals with purchases (interval-of purchases): whole bounds around "
          "the expectation, the same for any thread count", "[core][purchase_interval]") {
  std::vector<csm::RfmCustomer> cs;
  for (std::uint32_t i = 0; i < 400; ++i) {
    csm::RfmCustomer c;
    c.x = i % 9;
    c.T = 20 + (i % 17);
    c.t_x = c.x == 0 ? 0 : c.T * (i % 5 + 1) / 6.0;
    if (c.x > 0) c.monetary = 5.0 + i % 11;
    cs.push_back(c);
  }
  csm::BgNbdFit f;
  f.params = {0.25, 4.0, 0.8, 2.5};
  f.log_covariance.assign(16, 0.0);
  for (std::size_t i = 0; i < 4; ++i) f.log_covariance[i * 5] = 0.01;
  csm::GammaGammaFit g;
  g.params = {6.0, 4.0, 15.0};
  g.log_covariance.assign(9, 0.0);
  for (std::size_t i = 0; i < 3; ++i) g.log_covariance[i * 4] = 0.01;
  csm::ForecastOptions fo;
  fo.horizon = 26;
  csm::IntervalOptions io;
  io.draws = 300;
  io.purchases = true;
  for (const csm::PurchaseModel model :
       {csm::PurchaseModel::bgnbd, csm::PurchaseModel::mbgnbd, csm::PurchaseModel::paretonbd}) {
    INFO(csm::display_name(model));
    fo.threads = 1;
    const csm::PredictionIntervals one = csm::prediction_intervals(model, f, g, cs, fo, io);
    fo.threads = 3;
    const csm::PredictionIntervals three = csm::prediction_intervals(model, f, g, cs, fo, io);
    double expected_total = 0;
    const std::vector<csm::CustomerForecast> point = csm::forecast_customers(model, f.params, g.params, cs, fo);
    for (std::size_t i = 0; i < cs.size(); ++i) {
      const csm::Bounds& b = one.customers[i].purchases;
      REQUIRE(b.lower);
      REQUIRE(b.upper);
      CHECK(*b.lower == std::floor(*b.lower));
      CHECK(*b.upper == std::floor(*b.upper));
      CHECK(*b.lower <= *b.upper);
      CHECK(*b.upper >= std::floor(point[i].expected_purchases));  // a 90 % interval of counts
      CHECK(b.lower == three.customers[i].purchases.lower);
      CHECK(b.upper == three.customers[i].purchases.upper);
      expected_total += point[i].expected_purchases;
    }
    CHECK(one.purchases_total.lower == three.purchases_total.lower);
    CHECK(one.purchases_total.upper == three.purchases_total.upper);
    // The total of 400 customers' paths spreads around the expected total, and wider than the
    // expectation's interval (the purchase process adds its own noise).
    CHECK(*one.purchases_total.lower < expected_total);
    CHECK(*one.purchases_total.upper > expected_total);
    CHECK(*one.purchases_total.upper - *one.purchases_total.lower >
          *one.expected_purchases_total.upper - *one.expected_purchases_total.lower);
  }
  // Without the option nothing is simulated.
  io.purchases = false;
  const csm::PredictionIntervals off = csm::prediction_intervals(csm::PurchaseModel::bgnbd, f, g, cs, fo, io);
  CHECK(!off.purchases_total.lower);
  CHECK(!off.customers[0].purchases.upper);
}
