// Pareto/NBD: the likelihood, its gradient, P(alive) and the expectation against mpmath at 50
// digits (tests/predictive/make_pareto_table.py, the classic hypergeometric form), and the
// published example of Fader, Hardie & Lee (2005).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "csm/bgnbd.hpp"
#include "csm/pareto_nbd.hpp"
#include "csm/rfm.hpp"

TEST_CASE("pareto_nbd: likelihood, gradient, P(alive) and E[Y | alive] against mpmath",
          "[core][pareto_nbd]") {
  std::ifstream in(CSM_TEST_DATA_DIR "/predictive/pareto_nbd_mpmath.csv");
  REQUIRE(in);
  std::string line;
  std::getline(in, line);
  int rows = 0;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string cell;
    std::vector<double> v;
    while (std::getline(fields, cell, ',')) v.push_back(std::stod(cell));
    REQUIRE(v.size() == 15);
    const csm::BgNbdParams p = csm::pareto_nbd_params(v[0], v[1], v[2], v[3]);
    const double x = v[4], t_x = v[5], T = v[6], t = v[7];
    INFO(line);
    CHECK(csm::pareto_nbd_log_likelihood(p, x, t_x, T) == Approx(v[8]).epsilon(1e-11).margin(1e-11));
    const std::array<double, 4> g = csm::pareto_nbd_log_likelihood_gradient(p, x, t_x, T);
    // Each derivative to 1e-7 of the largest: mpmath differentiates numerically too.
    const double scale = std::max({std::fabs(v[9]), std::fabs(v[10]), std::fabs(v[11]), std::fabs(v[12]), 1.0});
    for (std::size_t k = 0; k < 4; ++k) CHECK(g[k] == Approx(v[9 + k]).margin(1e-7 * scale));
    CHECK(csm::pareto_nbd_p_alive(p, x, t_x, T) == Approx(v[13]).epsilon(1e-11).margin(1e-14));
    CHECK(csm::pareto_nbd_expected_purchases_if_alive(p, t, x, T) == Approx(v[14]).epsilon(1e-11));
    // The same through the model-generic entry points that predict uses.
    CHECK(csm::bgnbd_log_likelihood(csm::PurchaseModel::paretonbd, p, x, t_x, T) ==
          csm::pareto_nbd_log_likelihood(p, x, t_x, T));
    ++rows;
  }
  CHECK(rows == 23);
}

TEST_CASE("pareto_nbd: the published CDNOW customer", "[core][pareto_nbd]") {
  // Fader, Hardie & Lee (2005), "Counting your customers the easy way", section on Pareto/NBD:
  // at (0.5534, 10.5802, 0.6061, 11.6562) a customer with x = 26, t_x = 30.86, T = 31 is alive
  // with probability 0.9979 and expects 25.46 transactions in the next 52 weeks.
  const csm::BgNbdParams p = csm::pareto_nbd_params(0.5534, 10.5802, 0.6061, 11.6562);
  CHECK(csm::bgnbd_p_alive(csm::PurchaseModel::paretonbd, p, 26, 30.86, 31) == Approx(0.9979).margin(5e-5));
  // 25.46 is the paper's rounding of the value at its unrounded estimates (25.4563 at the CDNOW
  // fit, 0.55328, 10.5777, 0.60624, 11.6687); at these 4-digit parameters it is 25.454913511
  // (mpmath's integral and scipy's 2F1 agree, tests/predictive/make_pareto_table.py row 1 gives
  // 25.508 * 0.99792).
  const double e52 = csm::bgnbd_conditional_expected_purchases(csm::PurchaseModel::paretonbd, p, 52, 26, 30.86, 31);
  CHECK(e52 == Approx(25.46).margin(0.01));
  CHECK(e52 == Approx(25.454913511).epsilon(1e-9));
  const csm::BgNbdParams fitted = csm::pareto_nbd_params(0.5532770, 10.577683, 0.6062400, 11.668734);
  CHECK(csm::bgnbd_conditional_expected_purchases(csm::PurchaseModel::paretonbd, fitted, 52, 26, 30.86, 31) ==
        Approx(25.46).margin(5e-3));
  // A new customer: E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)], by hand at t = 39:
  // 0.5534 * 11.6562 / (10.5802 * -0.3939) * (1 - (11.6562/50.6562)^-0.3939)
  const double by_hand = 0.5534 * 11.6562 / (10.5802 * (0.6061 - 1)) *
                         (1 - std::pow(11.6562 / (11.6562 + 39), 0.6061 - 1));
  CHECK(csm::bgnbd_expected_purchases(csm::PurchaseModel::paretonbd, p, 39) == Approx(by_hand).epsilon(1e-13));
}

TEST_CASE("pareto_nbd: the fit's summed likelihood equals the sum of the per-customer series",
          "[core][pareto_nbd]") {
  // The fit sums through one cumulative quadrature per x (pareto_nbd_total_log_likelihood); the
  // per-customer function sums a series of positive terms (checked against mpmath above). Two
  // computations written differently: they must agree to 1e-11 of the total, for alpha far above
  // beta, far below, equal, and for histories sharing times (ties) and with t_x = T.
  std::vector<csm::RfmCustomer> customers;
  std::uint64_t state = 12345;
  const auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (int i = 0; i < 3000; ++i) {
    csm::RfmCustomer c;
    c.T = std::round((5 + 70 * next()) * 7) / 7;  // whole days, in weeks: many shared times
    c.x = static_cast<std::uint32_t>(next() < 0.3 ? 0 : 1 + std::floor(40 * next() * next()));
    c.t_x = c.x == 0 ? 0 : std::round(c.T * next() * 7) / 7;
    if (i % 50 == 0) c.t_x = c.T;  // the last purchase on the last day
    customers.push_back(c);
  }
  const std::vector<csm::BgNbdParams> params = {
      csm::pareto_nbd_params(0.55, 10.6, 0.61, 11.7),  // CDNOW's fit
      csm::pareto_nbd_params(1.37, 3.37, 1.35, 43.8),  // alpha far below beta (the benchmark's)
      csm::pareto_nbd_params(0.8, 60.0, 0.4, 1.5),     // alpha far above beta
      csm::pareto_nbd_params(2.0, 5.0, 0.7, 5.0),      // alpha = beta
      csm::pareto_nbd_params(0.05, 0.3, 0.02, 200.0),  // slow tails: small r + x + s
  };
  for (const csm::BgNbdParams& p : params) {
    INFO("r " << p.r << " alpha " << p.alpha << " s " << p.a << " beta " << p.b);
    double expected = 0;
    std::array<double, 4> expected_gradient{};
    for (const csm::RfmCustomer& c : customers) {
      expected += csm::pareto_nbd_log_likelihood(p, c.x, c.t_x, c.T);
      const std::array<double, 4> g = csm::pareto_nbd_log_likelihood_gradient(p, c.x, c.t_x, c.T);
      for (std::size_t k = 0; k < 4; ++k) expected_gradient[k] += g[k];
    }
    std::array<double, 4> gradient{};
    const double total = csm::pareto_nbd_total_log_likelihood(customers, p, gradient, 2);
    CHECK(total == Approx(expected).epsilon(1e-11));
    double scale = 1;
    for (double g : expected_gradient) scale = std::max(scale, std::fabs(g));
    for (std::size_t k = 0; k < 4; ++k) CHECK(gradient[k] == Approx(expected_gradient[k]).margin(1e-8 * scale));
    // Without the gradient: the same value.
    CHECK(csm::pareto_nbd_total_log_likelihood(customers, p, {}, 1) == Approx(total).epsilon(1e-14));
  }
}

namespace {

// The limit of Pareto/NBD when every customer drops out at the same rate mu (s, beta -> infinity,
// s/beta = mu), written from the model rather than from the program: given lambda and mu,
// L = lambda^x mu/(lambda+mu) e^{-(lambda+mu) t_x} + lambda^(x+1)/(lambda+mu) e^{-(lambda+mu) T},
// averaged over lambda ~ Gamma(r, alpha) by the trapezoid rule in u = log lambda.
double limit_log_likelihood(double r, double alpha, double mu, double x, double t_x, double T) {
  const double lo = -60, hi = 8;
  const int n = 40000;
  const double h = (hi - lo) / n;
  const double log_norm = r * std::log(alpha) - std::lgamma(r);
  double sum = 0;
  for (int i = 0; i <= n; ++i) {
    const double u = lo + i * h;
    const double lambda = std::exp(u);
    const double density = std::exp(log_norm + r * u - alpha * lambda);  // lambda^r e^{-alpha lambda} ...
    const double given = std::exp(x * u) / (lambda + mu) *
                         (mu * std::exp(-(lambda + mu) * t_x) + lambda * std::exp(-(lambda + mu) * T));
    sum += (i == 0 || i == n ? 0.5 : 1.0) * density * given;
  }
  return std::log(sum * h);
}

}  // namespace

TEST_CASE("pareto_nbd: one drop-out rate for everyone (s and beta without bound)", "[core][pareto_nbd]") {
  // Far out towards the limit the likelihood is that of the limit model (to about 1/s).
  const double r = 0.5, alpha = 10.8, mu = 0.0216;
  for (const double s : {1e6, 1e8}) {
    const csm::BgNbdParams p = csm::pareto_nbd_params(r, alpha, s, s / mu);
    for (const auto& [x, t_x, T] : {std::array<double, 3>{0, 0, 42}, {3, 20.5, 38.3}, {12, 35.1, 36}}) {
      INFO("s " << s << " x " << x << " t_x " << t_x << " T " << T);
      CHECK(csm::pareto_nbd_log_likelihood(p, x, t_x, T) ==
            Approx(limit_log_likelihood(r, alpha, mu, x, t_x, T)).epsilon(1e-6));
    }
  }

  // A base whose drop-out rate does not vary: the fit runs towards that limit. It used to spend
  // minutes there (a quadrature sized for s + 1 rather than for the integrand's real slope);
  // now it must end, and find the rates the base was drawn with.
  std::mt19937_64 engine(20261207);
  std::gamma_distribution<double> rate_of(r, 1 / alpha);
  std::exponential_distribution<double> life(mu);
  std::uniform_real_distribution<double> age(20, 45);
  std::vector<csm::RfmCustomer> customers;
  double true_rates = 0;
  for (int i = 0; i < 2000; ++i) {
    csm::RfmCustomer c;
    c.T = age(engine);
    const double lambda = rate_of(engine);
    true_rates += lambda;
    const double end = std::min(c.T, life(engine));
    std::exponential_distribution<double> gap(lambda);
    for (double t = gap(engine); t <= end; t += gap(engine)) {
      ++c.x;
      c.t_x = t;
    }
    customers.push_back(c);
  }
  const csm::BgNbdFit fit = csm::fit_pareto_nbd(customers, csm::FitOptions{});
  INFO("r " << fit.params.r << " alpha " << fit.params.alpha << " s " << fit.params.a << " beta " << fit.params.b
            << " limit: " << fit.limit);
  CHECK(std::isfinite(fit.log_likelihood));
  CHECK(fit.params.a / fit.params.b == Approx(mu).epsilon(0.35));
  CHECK(fit.params.r / fit.params.alpha == Approx(true_rates / 2000).epsilon(0.25));
}
