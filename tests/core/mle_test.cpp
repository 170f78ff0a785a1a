// The optimiser wrapper shared by the fits (private to csm_core): several starts, a start that
// fails, a fit that runs off, the Hessian test, and the fits' refusals that follow from them.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
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
