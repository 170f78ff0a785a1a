// The scoring measures and the baseline of `churn-risk`, against values worked out by hand.

#include "csm/churn_metrics.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>


TEST_CASE("roc_auc counts pairs, ties as one half", "[churn_metrics]") {
  // Churners score 0.35 and 0.8; stayers 0.1 and 0.4: 3 of 4 pairs ordered right.
  const std::vector<double> s{0.1, 0.4, 0.35, 0.8};
  const std::vector<std::int8_t> y{0, 0, 1, 1};
  REQUIRE(*csm::roc_auc(s, y) == Approx(0.75));
  // One churner tied with two stayers and above a third: (0.5 + 0.5 + 1) / 3.
  const std::vector<double> t{0.5, 0.5, 0.5, 0.2};
  const std::vector<std::int8_t> z{1, 0, 0, 0};
  REQUIRE(*csm::roc_auc(t, z) == Approx(2.0 / 3.0));
  REQUIRE_FALSE(csm::roc_auc(t, std::vector<std::int8_t>{0, 0, 0, 0}));
}

TEST_CASE("pr_auc is average precision over distinct scores", "[churn_metrics]") {
  // 0.8 (churner): precision 1, recall 1/2; 0.4 (stayer); 0.35 (churner): precision 2/3, recall 1.
  const std::vector<double> s{0.1, 0.4, 0.35, 0.8};
  const std::vector<std::int8_t> y{0, 0, 1, 1};
  REQUIRE(*csm::pr_auc(s, y) == Approx(0.5 * 1 + 0.5 * 2.0 / 3.0));
  // Tied 0.9 (a churner and a stayer): recall 1/2 at precision 1/2; then 0.1: recall 1 at 2/3.
  const std::vector<double> t{0.9, 0.9, 0.1};
  const std::vector<std::int8_t> z{1, 0, 1};
  REQUIRE(*csm::pr_auc(t, z) == Approx(0.25 + 1.0 / 3.0));
}

TEST_CASE("brier is the mean squared error of the probabilities", "[churn_metrics]") {
  const std::vector<double> p{0.1, 0.9, 0.5};
  const std::vector<std::int8_t> y{0, 1, 1};
  REQUIRE(*csm::brier(p, y) == Approx((0.01 + 0.01 + 0.25) / 3));
}

TEST_CASE("top_decile: lift and recall of the highest tenth", "[churn_metrics]") {
  // 20 scores: ceil(20 / 10) = 2 on top; labels 1 and 0 there; 4 churners in all.
  std::vector<double> s;
  std::vector<std::int8_t> y;
  for (int i = 0; i < 20; ++i) {
    s.push_back(1.0 - i * 0.01);
    y.push_back(i == 0 || i == 5 || i == 9 || i == 19 ? 1 : 0);
  }
  const csm::TopDecile d = csm::top_decile(s, y);
  REQUIRE(d.size == 2);
  REQUIRE(d.churners == 1);
  REQUIRE(*d.lift == Approx(0.5 / 0.2));
  REQUIRE(*d.recall == Approx(0.25));
  // 21 scores: ceil(2.1) = 3.
  s.push_back(0.0);
  y.push_back(0);
  REQUIRE(csm::top_decile(s, y).size == 3);
}

TEST_CASE("calibration_table: equal-size groups by predicted probability", "[churn_metrics]") {
  const std::vector<double> p{0.4, 0.1, 0.3, 0.2};
  const std::vector<std::int8_t> y{1, 0, 1, 0};
  const auto bins = csm::calibration_table(p, y, 2);
  REQUIRE(bins.size() == 2);
  REQUIRE(bins[0].count == 2);
  REQUIRE(bins[0].mean_predicted == Approx(0.15));
  REQUIRE(bins[0].observed_rate == Approx(0.0));
  REQUIRE(bins[1].mean_predicted == Approx(0.35));
  REQUIRE(bins[1].observed_rate == Approx(1.0));
}

TEST_CASE("fit_platt recovers a known logistic map", "[churn_metrics]") {
  // Scores whose true churn rate is sigmoid(0.5 logit(p) - 1): 2000 rows per score, positives in
  // exactly that share (to the row), so the maximum-likelihood fit is a = 0.5, b = -1 nearly.
  std::vector<double> p;
  std::vector<std::int8_t> y;
  for (const double x : {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0}) {
    const double score = 1 / (1 + std::exp(-x));
    const double q = 1 / (1 + std::exp(-(0.5 * x - 1)));
    const int positives = static_cast<int>(std::lround(2000 * q));
    for (int i = 0; i < 2000; ++i) {
      p.push_back(score);
      y.push_back(i < positives ? 1 : 0);
    }
  }
  const csm::PlattScaling s = csm::fit_platt(p, y);
  REQUIRE(s.fitted);
  REQUIRE(s.a == Approx(0.5).margin(0.01));
  REQUIRE(s.b == Approx(-1.0).margin(0.01));
  REQUIRE(s.apply(0.5) == Approx(1 / (1 + std::exp(1.0))).margin(0.005));
  // Too few churners: the identity.
  const csm::PlattScaling none = csm::fit_platt(std::vector<double>{0.2, 0.3},
                                                std::vector<std::int8_t>{0, 1});
  REQUIRE_FALSE(none.fitted);
  REQUIRE(none.apply(0.3) == 0.3);
}

TEST_CASE("fit_logistic: a saturated model gives the group rates", "[churn_metrics]") {
  // One binary feature: x = 0 has 20 churners in 100, x = 1 has 50 in 100. Unpenalised, the
  // fitted probabilities are the group rates 0.2 and 0.5; a penalty pulls them together.
  std::vector<float> x;
  std::vector<std::int8_t> y;
  for (int g = 0; g < 2; ++g) {
    for (int i = 0; i < 100; ++i) {
      x.push_back(static_cast<float>(g));
      y.push_back(i < (g == 0 ? 20 : 50) ? 1 : 0);
    }
  }
  const float zero = 0, one = 1, missing = NAN;
  const csm::LogisticModel m = csm::fit_logistic(x.data(), 200, 1, y, 1e-9);
  REQUIRE(m.predict(&zero) == Approx(0.2).margin(1e-6));
  REQUIRE(m.predict(&one) == Approx(0.5).margin(1e-6));
  // Missing: the training mean (x = 0.5), halfway on the log-odds scale.
  const double mid = 1 / (1 + std::exp(-(std::log(0.25) + std::log(1.0)) / 2));
  REQUIRE(m.predict(&missing) == Approx(mid).margin(1e-6));
  const csm::LogisticModel p = csm::fit_logistic(x.data(), 200, 1, y, 50);
  REQUIRE(p.predict(&zero) > 0.2 + 1e-3);
  REQUIRE(p.predict(&one) < 0.5 - 1e-3);
}
