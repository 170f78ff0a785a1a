// The optimiser wrapper shared by the fits (private to csm_core): several starts, a start that
// fails, a fit that runs off, the Hessian test, and the fits' refusals that follow from them.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../src/core/mle.hpp"
#include "csm/bgnbd.hpp"
#include "csm/error.hpp"
#include "csm/gamma_gamma.hpp"

namespace {

// f(u) = (u0 - 1)^2 + 2 (u1 + 0.5)^2, minimum 0 at (1, -0.5); not finite where u0 < -3.
double bowl(std::span<const double> u, std::span<double> g) {
  if (u[0] < -3) return std::numeric_limits<double>::quiet_NaN();
  if (!g.empty()) {
    g[0] = 2 * (u[0] - 1);
    g[1] = 4 * (u[1] + 0.5);
  }
  return (u[0] - 1) * (u[0] - 1) + 2 * (u[1] + 0.5) * (u[1] + 0.5);
}

}  // namespace

TEST_CASE("mle: a start that fails, then one that converges", "[core][mle]") {
  // The likelihood cannot be evaluated near the origin, where the first start is: that start
  // ends without a finite point, the second (outside, downhill away from it) converges.
  const csm::detail::Objective failing_first = [&](std::span<const double> u, std::span<double> g) {
    return u[0] * u[0] + u[1] * u[1] < 0.09 ? std::numeric_limits<double>::quiet_NaN() : bowl(u, g);
  };
  const csm::detail::MleResult r = csm::detail::minimise(failing_first, {{0, 0}, {0.6, -0.2}}, 200);
  CHECK(r.starts_tried == 2);
  CHECK(r.converged);
  CHECK(r.non_finite);
  REQUIRE(r.u.size() == 2);
  CHECK(r.u[0] == Approx(1).margin(1e-6));
  CHECK(r.u[1] == Approx(-0.5).margin(1e-6));
  CHECK(csm::detail::positive_definite_hessian(bowl, r.u));
  // Converged at the first start: the others are not tried.
  CHECK(csm::detail::minimise(bowl, {{0, 0}, {-5, 0}}, 200).starts_tried == 1);
  // Never finite: no point at all, and a reason.
  const csm::detail::Objective never = [](std::span<const double>, std::span<double>) {
    return std::numeric_limits<double>::quiet_NaN();
  };
  const csm::detail::MleResult none = csm::detail::minimise(never, {{0, 0}, {1, 1}}, 50);
  CHECK(none.u.empty());
  CHECK(none.failure.find("not finite") != std::string::npos);
}

TEST_CASE("mle: a run-off and a flat direction", "[core][mle]") {
  // -u0 + u1^2 decreases for ever in u0: it runs to the bound (log-parameter 30), is not
  // converged, and every start is tried.
  const auto slide = [](std::span<const double> u, std::span<double> g) {
    if (!g.empty()) {
      g[0] = -1;
      g[1] = 2 * u[1];
    }
    return -u[0] + u[1] * u[1];
  };
  const csm::detail::MleResult r = csm::detail::minimise(slide, {{0, 1}, {1, 1}}, 500);
  CHECK_FALSE(r.converged);
  CHECK(r.on_bound);
  CHECK(r.starts_tried == 2);
  // A flat direction: u1 does not matter. The Hessian is singular, not positive definite.
  const auto flat = [](std::span<const double> u, std::span<double> g) {
    if (!g.empty()) {
      g[0] = 2 * u[0];
      g[1] = 0;
    }
    return u[0] * u[0];
  };
  CHECK_FALSE(csm::detail::positive_definite_hessian(flat, std::vector<double>{0, 3}));
  // Too few evaluations to get anywhere: not converged.
  CHECK_FALSE(csm::detail::minimise(bowl, {{0, 0}}, 2).converged);
}

TEST_CASE("mle: lgamma and digamma shifts for large arguments", "[core][mle]") {
  // lgamma(q + y) - lgamma(q) = sum_{i<y} log(q + i) for whole y: 3 log(1e8) + log(1 + 1e-8)
  // + log(1 + 2e-8) for q = 1e8, y = 3, without the cancellation of two values of 1.7e9.
  const double q = 1e8;
  const double want = std::log(q) + std::log(q + 1) + std::log(q + 2);
  CHECK(csm::detail::lgamma_shift(q, 3) == Approx(want).epsilon(1e-14));
  // digamma(q + 2) - digamma(q) = 1/q + 1/(q + 1).
  CHECK(csm::detail::digamma_shift(q, 2) == Approx(1 / q + 1 / (q + 1)).epsilon(1e-12));
  // Below 1e4 the plain differences: lgamma(5.5) - lgamma(2.5) = log(2.5 * 3.5 * 4.5).
  CHECK(csm::detail::lgamma_shift(2.5, 3) == Approx(std::log(2.5 * 3.5 * 4.5)).epsilon(1e-14));
}

TEST_CASE("fits: too few evaluations are refused with the reason", "[core][mle][bgnbd]") {
  std::vector<csm::RfmCustomer> cs(40);
  for (std::size_t i = 0; i < cs.size(); ++i) {
    cs[i].x = static_cast<std::uint32_t>(i % 4);
    cs[i].t_x = cs[i].x == 0 ? 0 : 3.0 * static_cast<double>(i % 7 + 1);
    cs[i].T = 30;
    if (cs[i].x > 0) cs[i].monetary = 10.0 + static_cast<double>(i % 9);
  }
  csm::FitOptions o;
  o.max_evaluations = 3;
  CHECK_THROWS_WITH(csm::fit_bgnbd(cs, csm::PurchaseModel::mbgnbd, o),
                    Catch::StartsWith("MBG/NBD fit failed on 40 customers:"));
  CHECK_THROWS_AS(csm::fit_gamma_gamma(cs, o), csm::InputError);
  // With enough evaluations the same data fit.
  CHECK(csm::fit_bgnbd(cs, csm::PurchaseModel::bgnbd).converged);
}

namespace {

// 60,000 customers drawn from BG/NBD (r 0.8, alpha 4, a 0.7, b 3) and Gamma-Gamma (p 6, q 4,
// gamma 15), with T spread over 20 to 60 weeks: far more distinct (x, t_x, T) than one chunk of
// the fits' parallel sums.
std::vector<csm::RfmCustomer> simulated_customers() {
  std::mt19937_64 random(2026);
  std::gamma_distribution<double> rate(0.8, 1.0 / 4), spend_scale(4, 1.0 / 15);
  std::gamma_distribution<double> beta_a(0.7, 1), beta_b(3, 1);
  std::uniform_real_distribution<double> uniform(0, 1), age(20, 60);
  std::vector<csm::RfmCustomer> customers(60'000);
  for (csm::RfmCustomer& c : customers) {
    const double lambda = rate(random);
    const double ga = beta_a(random), gb = beta_b(random);
    const double p = ga / (ga + gb);
    const double nu = spend_scale(random);
    std::gamma_distribution<double> amount(6, 1 / nu);
    c.T = age(random);
    double t = 0;
    while (true) {
      t += -std::log(1 - uniform(random)) / lambda;
      if (t > c.T) break;
      ++c.x;
      c.t_x = t;
      if (uniform(random) < p) break;
    }
    if (c.x > 0) {
      double total = 0;
      for (std::uint32_t i = 0; i < c.x; ++i) total += amount(random);
      c.monetary = total / c.x;
    }
  }
  return customers;
}

}  // namespace

TEST_CASE("fits: the same parameters bit for bit on any number of threads", "[core][mle][bgnbd]") {
  const std::vector<csm::RfmCustomer> customers = simulated_customers();
  csm::FitOptions serial;
  const csm::BgNbdFit bg = csm::fit_bgnbd(customers, csm::PurchaseModel::bgnbd, serial);
  const csm::GammaGammaFit gg = csm::fit_gamma_gamma(customers, serial);
  REQUIRE(bg.converged);
  REQUIRE(gg.converged);
  // Near the parameters drawn from (60,000 customers: within a few standard errors).
  CHECK(bg.params.r == Approx(0.8).epsilon(0.1));
  CHECK(bg.params.a == Approx(0.7).epsilon(0.25));
  CHECK(gg.params.p == Approx(6).epsilon(0.1));
  for (unsigned threads : {2u, 3u, 0u}) {
    INFO("threads " << threads);
    csm::FitOptions o;
    o.threads = threads;
    const csm::BgNbdFit b = csm::fit_bgnbd(customers, csm::PurchaseModel::bgnbd, o);
    CHECK(b.params.r == bg.params.r);
    CHECK(b.params.alpha == bg.params.alpha);
    CHECK(b.params.a == bg.params.a);
    CHECK(b.params.b == bg.params.b);
    CHECK(b.log_likelihood == bg.log_likelihood);
    CHECK(b.iterations == bg.iterations);
    const csm::GammaGammaFit g = csm::fit_gamma_gamma(customers, o);
    CHECK(g.params.p == gg.params.p);
    CHECK(g.params.q == gg.params.q);
    CHECK(g.params.gamma == gg.params.gamma);
    CHECK(g.log_likelihood == gg.log_likelihood);
  }
}

TEST_CASE("pair_runoff: a pair grown together, gone to its limit at 0, or run off alone", "[core][mle]") {
  using csm::detail::Runoff;
  // The purchase-rate words of BG/NBD and Pareto/NBD; alpha is compared with 1e4 and 1e-4 times
  // the scale (here 10). 2e4 / 3e5 = 0.066666... prints as 0.06667.
  Runoff together;
  csm::detail::purchase_rate_runoff(together, 2e4, 3e5, 10);
  REQUIRE(together.why.size() == 1);
  CHECK(together.why[0] ==
        "r and alpha grow without bound together (r/alpha, the mean purchase rate, stays at 0.06667 per time "
        "unit): purchase rates do not vary between customers in these data");
  REQUIRE(together.limits.size() == 1);
  CHECK(together.limits[0] ==
        "every customer buys at the same rate r/alpha = 0.06667 per time unit while alive (r and alpha -> "
        "infinity)");
  CHECK(together.unidentified == std::array<bool, 4>{true, true, false, false});
  CHECK(together.only_limits);

  const auto alone = [](double r, double alpha) {
    Runoff d;
    csm::detail::purchase_rate_runoff(d, r, alpha, 10);
    CHECK(d.limits.empty());
    CHECK(d.unidentified == std::array<bool, 4>{});
    return d;
  };
  CHECK(alone(2e4, 1).why == std::vector<std::string>{"r goes to infinity"});
  CHECK(alone(2e4, 1).only_limits == false);
  CHECK(alone(1e-5, 1e6).why == std::vector<std::string>{"r goes to 0"});  // r is named first
  CHECK(alone(1, 2e5).why == std::vector<std::string>{"alpha goes to infinity"});
  CHECK(alone(1, 5e-4).why == std::vector<std::string>{"alpha goes to 0"});
  CHECK(alone(1, 2e4).why.empty());  // 2e4 is below 1e4 times the scale
  CHECK(alone(2e4, 2e4).why == std::vector<std::string>{"r goes to infinity"});
  CHECK(alone(1, 1).only_limits);    // nothing ran off: the caller decides

  // A pair with a limit at 0 (as s, beta of Pareto/NBD and gamma, delta of BG/BB), scale 1.
  const csm::detail::PairWords words{.first = 2,
                                     .names = {"s", "beta"},
                                     .together = "T",
                                     .together_limit = "TL",
                                     .vanished = "V",
                                     .vanished_limit = "VL"};
  const auto diagnose = [&](double p, double q, double mean) {
    Runoff d;
    csm::detail::pair_runoff(d, p, q, 1, mean, words);
    return d;
  };
  const Runoff both = diagnose(2e4, 2e4, 0.5);
  CHECK(both.why == std::vector<std::string>{"T"});
  CHECK(both.limits == std::vector<std::string>{"TL"});
  CHECK(both.unidentified == std::array<bool, 4>{false, false, true, true});
  const Runoff gone = diagnose(1e-5, 1, 0.5);  // p itself below 1e-4
  CHECK(gone.why == std::vector<std::string>{"V"});
  CHECK(gone.limits == std::vector<std::string>{"VL"});
  CHECK(gone.unidentified == std::array<bool, 4>{false, false, true, true});
  CHECK(diagnose(0.5, 1, 1e-7).limits == std::vector<std::string>{"VL"});  // the mean below 1e-6
  CHECK(diagnose(0.5, 1, 1e-5).why.empty());
  CHECK(diagnose(2e4, 1, 0.5).why == std::vector<std::string>{"s goes to infinity"});
  CHECK(diagnose(1, 2e4, 0.5).why == std::vector<std::string>{"beta goes to infinity"});
  CHECK(diagnose(1, 1e-5, 0.5).why == std::vector<std::string>{"beta goes to 0"});
  CHECK_FALSE(diagnose(1, 1e-5, 0.5).only_limits);

  // Without a limit at 0 (as alpha, beta of BG/BB) p going to 0 is named, whatever q does.
  csm::detail::PairWords no_zero = words;
  no_zero.vanished.clear();
  Runoff d;
  csm::detail::pair_runoff(d, 1e-5, 2e4, 1, 0, no_zero);
  CHECK(d.why == std::vector<std::string>{"s goes to 0"});
  CHECK(d.limits.empty());
}
