// predict --interval in the core: the quantile rule, the draws on the log scale, determinism for
// any thread count, and refusal without a covariance. Coverage on simulated bases is
// tests/predictive/interval_coverage.py.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "csm/error.hpp"
#include "csm/forecast.hpp"
#include "csm/prediction_interval.hpp"

namespace {

csm::RfmCustomer customer(std::uint32_t x, double t_x, double T, std::optional<double> m) {
  csm::RfmCustomer c;
  c.x = x;
  c.t_x = t_x;
  c.T = T;
  c.monetary = m;
  return c;
}

// A fit with these parameters and a diagonal covariance of the log-parameters.
csm::BgNbdFit purchase_fit(const std::vector<double>& variances) {
  csm::BgNbdFit f;
  f.params = {0.25, 4.0, 0.8, 2.5};
  f.log_covariance.assign(16, 0.0);
  for (std::size_t i = 0; i < 4; ++i) f.log_covariance[i * 4 + i] = variances[i];
  return f;
}

csm::GammaGammaFit spend_fit(double variance) {
  csm::GammaGammaFit g;
  g.params = {6.0, 4.0, 15.0};
  g.log_covariance.assign(9, 0.0);
  for (std::size_t i = 0; i < 3; ++i) g.log_covariance[i * 3 + i] = variance;
  return g;
}

}  // namespace

TEST_CASE("quantile: linear interpolation between order statistics (numpy's default)",
          "[core][prediction_interval]") {
  // numpy.quantile([1, 2, 3, 4, 5], q): 0.1 -> 1.4, 0.25 -> 2, 0.95 -> 4.8.
  std::vector<double> v{5, 3, 1, 4, 2};
  CHECK(csm::quantile(v, 0.1) == Approx(1.4).epsilon(1e-15));
  CHECK(csm::quantile(v, 0.25) == 2);
  CHECK(csm::quantile(v, 0.95) == Approx(4.8).epsilon(1e-15));
  CHECK(csm::quantile(v, 0) == 1);
  CHECK(csm::quantile(v, 1) == 5);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> w{2, inf, 1};
  CHECK(csm::quantile(w, 0.5) == 2);
  CHECK(std::isinf(csm::quantile(w, 0.9)));
}

TEST_CASE("prediction_intervals: the draws are normal on the log scale",
          "[core][prediction_interval]") {
  // Only log r varies (sd 0.1). E[Y(t) | alive, x, T] grows with r, so its 5 % and 95 %
  // quantiles are its values at r exp(-+1.6449 * 0.1) (a monotone map keeps quantiles), up to
  // the Monte Carlo error of 20,000 draws (about 0.3 % here).
  const std::vector<csm::RfmCustomer> cs{customer(3, 20, 30, 12.0)};
  csm::ForecastOptions fo;
  fo.horizon = 26;
  csm::IntervalOptions io;
  io.level = 0.9;
  io.draws = 20000;
  io.seed = 3;
  const csm::BgNbdFit f = purchase_fit({0.01, 1e-30, 1e-30, 1e-30});
  const csm::PredictionIntervals iv =
      csm::prediction_intervals(csm::PurchaseModel::bgnbd, f, spend_fit(1e-30), cs, fo, io);
  csm::BgNbdParams lo = f.params, hi = f.params;
  lo.r *= std::exp(-1.6448536269514722 * 0.1);
  hi.r *= std::exp(1.6448536269514722 * 0.1);
  const auto expected = [&](const csm::BgNbdParams& p) {
    return csm::bgnbd_conditional_expected_purchases(csm::PurchaseModel::bgnbd, p, 26, 3, 20, 30);
  };
  CHECK(*iv.customers[0].expected_purchases.lower == Approx(expected(lo)).epsilon(0.005));
  CHECK(*iv.customers[0].expected_purchases.upper == Approx(expected(hi)).epsilon(0.005));
  // One customer: the total is the customer.
  CHECK(*iv.expected_purchases_total.lower == *iv.customers[0].expected_purchases.lower);
}

TEST_CASE("prediction_intervals: tiny variances give the point forecasts; any thread count the "
          "same bits", "[core][prediction_interval]") {
  std::vector<csm::RfmCustomer> cs;
  for (std::uint32_t i = 0; i < 300; ++i) {
    const std::uint32_t x = i % 7;
    const double T = 10 + (i % 13);
    cs.push_back(customer(x, x == 0 ? 0 : T * (i % 5 + 1) / 6.0, T,
                          x == 0 ? std::nullopt : std::optional<double>(5.0 + i % 11)));
  }
  csm::ForecastOptions fo;
  fo.horizon = 10.5;
  fo.discount_rate = 0.01;
  fo.margin = 0.3;
  csm::IntervalOptions io;
  io.draws = 50;
  for (const csm::PurchaseModel model :
       {csm::PurchaseModel::bgnbd, csm::PurchaseModel::mbgnbd, csm::PurchaseModel::paretonbd}) {
    const csm::BgNbdFit tight = purchase_fit({1e-24, 1e-24, 1e-24, 1e-24});
    const std::vector<csm::CustomerForecast> point =
        csm::forecast_customers(model, tight.params, spend_fit(1e-24).params, cs, fo);
    const csm::PredictionIntervals iv =
        csm::prediction_intervals(model, tight, spend_fit(1e-24), cs, fo, io);
    for (std::size_t i = 0; i < cs.size(); ++i) {
      INFO(i);
      CHECK(*iv.customers[i].p_alive.lower == Approx(point[i].p_alive).epsilon(1e-9));
      CHECK(*iv.customers[i].expected_purchases.upper == Approx(point[i].expected_purchases).epsilon(1e-9));
      CHECK(*iv.customers[i].clv.lower == Approx(*point[i].clv).epsilon(1e-9));
    }
    const csm::BgNbdFit wide = purchase_fit({0.02, 0.03, 0.05, 0.05});
    fo.threads = 1;
    const csm::PredictionIntervals one = csm::prediction_intervals(model, wide, spend_fit(0.01), cs, fo, io);
    fo.threads = 3;
    const csm::PredictionIntervals three = csm::prediction_intervals(model, wide, spend_fit(0.01), cs, fo, io);
    for (std::size_t i = 0; i < cs.size(); ++i) {
      CHECK(one.customers[i].clv.lower == three.customers[i].clv.lower);
      CHECK(one.customers[i].p_alive.upper == three.customers[i].p_alive.upper);
    }
    CHECK(one.clv_total.upper == three.clv_total.upper);
    CHECK(*one.clv_total.lower < *one.clv_total.upper);
  }
}

TEST_CASE("prediction_intervals: a fit without a covariance is refused",
          "[core][prediction_interval]") {
  const std::vector<csm::RfmCustomer> cs{customer(1, 2, 5, 10.0)};
  csm::BgNbdFit f = purchase_fit({0.01, 0.01, 0.01, 0.01});
  f.log_covariance.clear();
  CHECK_THROWS_AS(csm::prediction_intervals(csm::PurchaseModel::bgnbd, f, spend_fit(0.01), cs, {}, {}),
                  csm::InputError);
  CHECK_THROWS_AS(csm::prediction_intervals(csm::PurchaseModel::bgnbd, purchase_fit({0.01, 0.01, 0.01, 0.01}),
                                            csm::GammaGammaFit{}, cs, {}, {}),
                  csm::InputError);
}

TEST_CASE("bgbb_prediction_intervals: the draws are normal on the log scale",
          "[core][prediction_interval]") {
  // Only log delta varies (sd 0.1). For a customer who transacted at every opportunity, a
  // larger delta (a smaller drop-out chance) means more expected transactions and a higher
  // P(alive), so their 5 % and 95 % quantiles are the values at delta exp(-+1.6449 * 0.1), up
  // to the Monte Carlo error of 20,000 draws.
  csm::BgBbFit fit;
  fit.params = {1.2, 0.75, 0.66, 2.8};
  fit.log_covariance.assign(16, 0.0);
  for (std::size_t i = 0; i < 4; ++i) fit.log_covariance[i * 4 + i] = i == 3 ? 0.01 : 1e-30;
  const std::vector<csm::BgBbRow> rows{{6, 6, 6, 10.0}, {2, 3, 6, 5.0}};
  csm::IntervalOptions io;
  io.level = 0.9;
  io.draws = 20000;
  io.seed = 4;
  const csm::BgBbIntervals iv = csm::bgbb_prediction_intervals(fit, rows, 5, io, 2);
  REQUIRE(iv.rows.size() == 2);
  csm::BgBbParams lo = fit.params, hi = fit.params;
  lo.delta *= std::exp(-1.6448536269514722 * 0.1);
  hi.delta *= std::exp(1.6448536269514722 * 0.1);
  CHECK(*iv.rows[0].expected.lower == Approx(csm::bgbb_expected_transactions(lo, 5, 6, 6, 6)).epsilon(0.003));
  CHECK(*iv.rows[0].expected.upper == Approx(csm::bgbb_expected_transactions(hi, 5, 6, 6, 6)).epsilon(0.003));
  CHECK(*iv.rows[0].p_alive.lower == Approx(csm::bgbb_p_alive(lo, 6, 6, 6)).epsilon(0.003));
  CHECK(*iv.rows[0].p_alive.upper == Approx(csm::bgbb_p_alive(hi, 6, 6, 6)).epsilon(0.003));
  // The total is the count-weighted sum at each draw: with a single varying parameter that
  // moves every row the same way, its bounds are the sums at the same two deltas.
  const auto total = [&](const csm::BgBbParams& p) {
    return 10 * csm::bgbb_expected_transactions(p, 5, 6, 6, 6) + 5 * csm::bgbb_expected_transactions(p, 5, 2, 3, 6);
  };
  CHECK(*iv.expected_total.lower == Approx(total(lo)).epsilon(0.003));
  CHECK(*iv.expected_total.upper == Approx(total(hi)).epsilon(0.003));
  // Deterministic for any thread count; refused without a covariance.
  const csm::BgBbIntervals one = csm::bgbb_prediction_intervals(fit, rows, 5, io, 1);
  CHECK(*one.expected_total.lower == *iv.expected_total.lower);
  CHECK(*one.rows[1].p_alive.upper == *iv.rows[1].p_alive.upper);
  csm::BgBbFit limit = fit;
  limit.log_covariance.clear();
  CHECK_THROWS_AS(csm::bgbb_prediction_intervals(limit, rows, 5, io, 1), csm::InputError);
}
