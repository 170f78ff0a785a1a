// Pareto/NBD P(alive) of many customers at once, through one cumulative quadrature per x (what
// `predict --interval` evaluates at every parameter draw), against the per-customer series of
// pareto_nbd_p_alive (itself checked against mpmath in pareto_nbd_test.cpp): two computations
// written differently, on bases simulated from the model.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "csm/bgnbd.hpp"
#include "csm/forecast.hpp"
#include "csm/gamma_gamma.hpp"
#include "csm/pareto_nbd.hpp"
#include "csm/prediction_interval.hpp"
#include "csm/rfm.hpp"

namespace {

// A base simulated from Pareto/NBD: rate lambda ~ Gamma(r, alpha), drop-out rate mu ~ Gamma(s,
// beta), ages T whole days (in weeks) between 1 and 52 weeks, Poisson purchases until the
// exponential death or T.
std::vector<csm::RfmCustomer> simulate(const csm::BgNbdParams& p, int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> lambda_dist(p.r, 1 / p.alpha), mu_dist(p.a, 1 / p.b);
  std::uniform_int_distribution<int> days(7, 364);
  std::vector<csm::RfmCustomer> out;
  for (int i = 0; i < n; ++i) {
    const double lambda = lambda_dist(rng), mu = mu_dist(rng);
    csm::RfmCustomer c;
    c.T = days(rng) / 7.0;
    const double death = std::exponential_distribution<double>(mu)(rng);
    const double end = std::min(death, c.T);
    std::exponential_distribution<double> gap(lambda);
    double t = 0, last = 0;
    std::uint32_t x = 0;
    while (true) {
      t += gap(rng);
      if (!(t < end)) break;
      ++x;
      last = std::round(t * 7) / 7;  // purchases on whole days, as rfm counts them
    }
    c.x = x;
    c.t_x = x == 0 ? 0 : std::min(last, c.T);
    c.monetary = x == 0 ? std::optional<double>() : std::optional<double>(20.0);
    out.push_back(c);
  }
  return out;
}

}  // namespace

TEST_CASE("pareto_nbd: P(alive) by the tails equals the per-customer series",
          "[core][pareto_nbd]") {
  const std::vector<csm::BgNbdParams> params = {
      csm::pareto_nbd_params(1.37, 3.37, 1.35, 43.8),        // alpha far below beta (the benchmark)
      csm::pareto_nbd_params(0.55, 10.6, 0.61, 11.7),        // CDNOW: alpha a little below beta
      csm::pareto_nbd_params(0.8, 5.0, 0.6, 5.0 * (1 + 1e-4)),  // alpha and beta within 1e-3
      csm::pareto_nbd_params(0.8, 5.0, 0.6, 5.0),            // alpha = beta
      csm::pareto_nbd_params(0.8, 60.0, 0.4, 1.5),           // alpha far above beta
      csm::pareto_nbd_params(0.3, 2.0, 2.5, 8.0),            // fast drop-out: P(alive) near 0 too
  };
  std::uint64_t seed = 7;
  for (const csm::BgNbdParams& p : params) {
    INFO("r " << p.r << " alpha " << p.alpha << " s " << p.a << " beta " << p.b);
    const std::vector<csm::RfmCustomer> base = simulate(p, 4000, seed++);
    const std::vector<double> fast = csm::pareto_nbd_p_alive_all(p, base, 2);
    REQUIRE(fast.size() == base.size());
    double worst = 0, smallest = 1;
    for (std::size_t i = 0; i < base.size(); ++i) {
      const csm::RfmCustomer& c = base[i];
      const double direct = csm::pareto_nbd_p_alive(p, c.x, c.t_x, c.T);
      REQUIRE(std::isfinite(direct));
      worst = std::max(worst, std::fabs(fast[i] - direct) / direct);
      smallest = std::min(smallest, direct);
    }
    INFO("smallest P(alive) " << smallest);
    CHECK(worst <= 1e-9);
  }
}

TEST_CASE("prediction_intervals: Pareto/NBD bounds of a large base equal each customer's alone",
          "[core][prediction_interval][pareto_nbd]") {
  // The intervals build the tails per x over all the customers' times, in batches of tables
  // within IntervalOptions::pareto_table_doubles (set small here: many batches); a customer
  // alone gets tables of two times. With the same seed (the same draws), every customer's
  // bounds depend only on their own history: both ways must agree.
  const csm::BgNbdParams p = csm::pareto_nbd_params(0.55, 10.6, 0.61, 11.7);
  std::vector<csm::RfmCustomer> base = simulate(p, 1500, 99);
  // Ages not on whole days, so that nearly every time is distinct.
  for (std::size_t i = 0; i < base.size(); ++i) {
    base[i].T += 1e-4 * static_cast<double>(i % 997) / 997;
  }
  csm::BgNbdFit fit;
  fit.model = csm::PurchaseModel::paretonbd;
  fit.params = p;
  fit.log_covariance.assign(16, 0.0);
  for (std::size_t i = 0; i < 4; ++i) fit.log_covariance[i * 4 + i] = 0.01;
  fit.log_covariance[2 * 4 + 3] = fit.log_covariance[3 * 4 + 2] = 0.008;
  csm::GammaGammaFit spend;
  spend.params = {6.0, 4.0, 15.0};
  spend.log_covariance.assign(9, 0.0);
  for (std::size_t i = 0; i < 3; ++i) spend.log_covariance[i * 3 + i] = 0.01;
  csm::ForecastOptions fo;
  fo.horizon = 26;
  fo.threads = 2;
  csm::IntervalOptions io;
  io.draws = 200;
  io.pareto_table_doubles = 40000;
  io.seed = 5;
  const csm::PredictionIntervals all =
      csm::prediction_intervals(csm::PurchaseModel::paretonbd, fit, spend, base, fo, io);
  for (std::size_t i = 0; i < base.size(); i += 97) {
    const std::vector<csm::RfmCustomer> one{base[i]};
    const csm::PredictionIntervals alone =
        csm::prediction_intervals(csm::PurchaseModel::paretonbd, fit, spend, one, fo, io);
    INFO("customer " << i << " x " << base[i].x << " t_x " << base[i].t_x << " T " << base[i].T);
    const csm::CustomerInterval& a = all.customers[i];
    const csm::CustomerInterval& b = alone.customers[0];
    CHECK(*a.p_alive.lower == Approx(*b.p_alive.lower).epsilon(1e-11));
    CHECK(*a.p_alive.upper == Approx(*b.p_alive.upper).epsilon(1e-11));
    CHECK(*a.expected_purchases.lower == Approx(*b.expected_purchases.lower).epsilon(1e-11));
    CHECK(*a.expected_purchases.upper == Approx(*b.expected_purchases.upper).epsilon(1e-11));
    CHECK(*a.clv.upper == Approx(*b.clv.upper).epsilon(1e-11));
  }
}
