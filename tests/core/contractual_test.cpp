// The contractual retention models (sBG, BdW) against published numbers: Fader & Hardie (2007)
// for sBG, Fader & Hardie (2010) for DERL, Fader, Hardie, Liu, Davin & Steenburgh (2018) for BdW
// (tests/data/retention/survivors.csv holds the same two cohorts).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "csm/bgnbd.hpp"
#include "csm/contractual.hpp"
#include "csm/error.hpp"

namespace {

const std::vector<double> kRegular = {1000, 631, 468, 382, 326, 289, 262,
                                      241,  223, 207, 194, 183, 173};
const std::vector<double> kHighEnd = {1000, 869, 743, 653, 593, 551, 517,
                                      491,  468, 445, 427, 409, 394};

std::vector<csm::SurvivalCounts> first_periods(const std::vector<double>& active, std::size_t k) {
  return {csm::SurvivalCounts{std::vector<double>(active.begin(),
                                                  active.begin() + static_cast<std::ptrdiff_t>(k + 1))}};
}

double percent_surviving(const csm::RetentionParams& p, double t) {
  return std::round(1000 * csm::retention_survival(p, t)) / 10;
}

}  // namespace

TEST_CASE("contractual: sBG on Fader & Hardie (2007), years 1-7 fitted", "[core][contractual]") {
  // Published: regular alpha 0.704 beta 1.182 (LL -1680.27), high end alpha 0.668 beta 3.806
  // (LL -1611.16), and the projected survival of years 8-12 in percent.
  const csm::RetentionFit regular = csm::fit_retention(csm::RetentionModel::sbg, first_periods(kRegular, 7));
  CHECK(regular.params.a == Approx(0.704).margin(0.0005));
  CHECK(regular.params.b == Approx(1.182).margin(0.0005));
  CHECK(regular.params.c == 1);
  CHECK(regular.log_likelihood == Approx(-1680.27).margin(0.005));
  CHECK(regular.customers == 1000);
  CHECK(regular.bic == Approx(2 * std::log(1000.0) - 2 * regular.log_likelihood));
  const csm::RetentionFit high = csm::fit_retention(csm::RetentionModel::sbg, first_periods(kHighEnd, 7));
  CHECK(high.params.a == Approx(0.668).margin(0.0005));
  CHECK(high.params.b == Approx(3.806).margin(0.0005));
  CHECK(high.log_likelihood == Approx(-1611.16).margin(0.005));
  const std::vector<double> regular_projected = {22.0, 20.4, 19.1, 18.0, 17.0};
  const std::vector<double> high_projected = {46.0, 43.6, 41.4, 39.5, 37.8};
  for (std::size_t i = 0; i < 5; ++i) {
    const double t = 8 + static_cast<double>(i);
    CHECK(percent_surviving(regular.params, t) == Approx(regular_projected[i]));
    CHECK(percent_surviving(high.params, t) == Approx(high_projected[i]));
  }
  // Standard errors exist and are small against the estimates (1000 customers).
  REQUIRE(regular.standard_errors[0]);
  REQUIRE(regular.standard_errors[1]);
  CHECK(*regular.standard_errors[0] > 0);
  CHECK(*regular.standard_errors[0] < 0.2);
  CHECK_FALSE(regular.standard_errors[2]);
}

TEST_CASE("contractual: the log-likelihood by hand", "[core][contractual]") {
  // Two periods, sBG alpha = 1, beta = 1: S(t) = 1/(t+1), so P(T=1) = 1/2, P(T=2) = 1/6,
  // S(2) = 1/3. 10 customers, 5 lost at 1, 2 at 2, 3 still there.
  const csm::RetentionParams p{1, 1, 1};
  const std::vector<double> active = {10, 5, 3};
  CHECK(csm::retention_survival(p, 2) == Approx(1.0 / 3));
  CHECK(csm::retention_log_likelihood(p, active) ==
        Approx(5 * std::log(0.5) + 2 * std::log(1.0 / 6) + 3 * std::log(1.0 / 3)));
  // BdW with c = 1 is sBG; with c = 2, S(t) = B(1, 1 + t^2)/B(1, 1) = 1/(1 + t^2).
  CHECK(csm::retention_survival({1, 1, 2}, 2) == Approx(0.2));
}

TEST_CASE("contractual: DERL of Fader & Hardie (2010)", "[core][contractual]") {
  // Published: 7.53 for a high-end customer (alpha 0.668, beta 3.806) who has made 7 renewals,
  // at d = 10%.
  const csm::RetentionParams high{0.668, 3.806, 1};
  CHECK(csm::retention_derl(high, 7, 0.10) == Approx(7.53).margin(0.005));
  // The closed form B(a, b+n)/B(a, b+n-1) 2F1(1, b+n; a+b+n; 1/(1+d)), n = renewals + 1, for
  // other cases (the library sums the series instead).
  for (const auto& [a, b, m, d] : {std::array<double, 4>{0.704, 1.182, 0, 0.1},
                                   {0.668, 3.806, 3, 0.05}, {2.5, 8.0, 12, 0.01}}) {
    const double n = m + 1;
    const double ratio = std::exp(std::lgamma(b + n) - std::lgamma(a + b + n) -
                                  std::lgamma(b + n - 1) + std::lgamma(a + b + n - 1));
    const double closed = ratio * csm::hyp2f1(1, b + n, a + b + n, 1 / (1 + d));
    CHECK(csm::retention_derl({a, b, 1}, m, d) == Approx(closed).epsilon(1e-9));
  }
  CHECK_THROWS_AS(csm::retention_derl(high, 7, 0), csm::InputError);
}

TEST_CASE("contractual: BdW on the high-end cohort of Fader et al. (2018)", "[core][contractual]") {
  // Fader, Hardie, Liu, Davin & Steenburgh (2018), "'How to project customer retention'
  // revisited", Journal of Interactive Marketing 43: 1-16, section 4: with the first four
  // renewal opportunities as the calibration period, the high-end cohort's polarization index
  // phi = 1/(gamma + delta + 1) is 0.099 from the BG fit and 0.335 from the BdW fit (the BdW
  // needs more heterogeneity once it captures positive duration dependence, c > 1).
  const auto cohort = first_periods(kHighEnd, 4);
  const csm::RetentionFit bg = csm::fit_retention(csm::RetentionModel::sbg, cohort);
  const csm::RetentionFit bdw = csm::fit_retention(csm::RetentionModel::bdw, cohort);
  CHECK(1 / (bg.params.a + bg.params.b + 1) == Approx(0.099).margin(0.0005));
  CHECK(1 / (bdw.params.a + bdw.params.b + 1) == Approx(0.335).margin(0.0005));
  CHECK(bdw.params.c > 1);
  // Nested models: the BdW likelihood is at least the sBG one.
  CHECK(bdw.log_likelihood >= bg.log_likelihood - 1e-6);
  CHECK(bdw.bic == Approx(3 * std::log(1000.0) - 2 * bdw.log_likelihood));
  REQUIRE(bdw.standard_errors[2]);
}

TEST_CASE("contractual: fits refused with a reason", "[core][contractual]") {
  using csm::RetentionModel;
  const auto message = [](RetentionModel model, std::vector<std::vector<double>> counts) {
    std::vector<csm::SurvivalCounts> cohorts;
    for (auto& c : counts) cohorts.push_back({std::move(c)});
    try {
      (void)csm::fit_retention(model, cohorts);
    } catch (const csm::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message(RetentionModel::sbg, {{100, 60}}) ==
        "sBG fit: 1 period observed; the sBG model needs at least 2 (one per parameter)");
  CHECK(message(RetentionModel::bdw, {{100, 60, 40}}) ==
        "BdW fit: 2 periods observed; the BdW model needs at least 3 (one per parameter)");
  CHECK(message(RetentionModel::sbg, {{100, 100, 100}}) ==
        "sBG fit: no customer churned in the periods fitted, so the data do not show how fast "
        "customers leave");
  CHECK(message(RetentionModel::sbg, {{100, 0, 0}}) ==
        "sBG fit: every customer churned in the first period: nothing is left to show how "
        "retention develops");
  CHECK(message(RetentionModel::sbg, {{100, 60, 70}}) ==
        "sBG fit: the active customers increase from period 1 to 2 (60 to 70): survival counts "
        "never increase");
  // A constant retention rate (every period loses 20% of those left): no heterogeneity, alpha
  // and beta run off together.
  const std::string homogeneous =
      message(RetentionModel::sbg, {{100000, 80000, 64000, 51200, 40960}});
  CHECK(homogeneous.find("sBG fit failed on 1e+05 customers: alpha and beta grow without bound "
                         "together (the churn probability 0.2") != std::string::npos);
}

TEST_CASE("contractual: a pooled fit of two cohorts of different ages", "[core][contractual]") {
  // The pooled log-likelihood is the sum of the cohorts' at the pooled parameters, and lies
  // below the sum of the separate maxima.
  const std::vector<csm::SurvivalCounts> both = {{std::vector<double>(kRegular.begin(), kRegular.begin() + 8)},
                                                 {std::vector<double>(kHighEnd.begin(), kHighEnd.begin() + 5)}};
  const csm::RetentionFit pooled = csm::fit_retention(csm::RetentionModel::sbg, both);
  CHECK(pooled.customers == 2000);
  CHECK(pooled.log_likelihood ==
        Approx(csm::retention_log_likelihood(pooled.params, both[0].active) +
               csm::retention_log_likelihood(pooled.params, both[1].active)));
  const double separate =
      csm::fit_retention(csm::RetentionModel::sbg, std::span(both).subspan(0, 1)).log_likelihood +
      csm::fit_retention(csm::RetentionModel::sbg, std::span(both).subspan(1, 1)).log_likelihood;
  CHECK(pooled.log_likelihood < separate);
}
