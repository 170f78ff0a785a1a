// Every expected value is worked out by hand in the comment next to it.

#include "csm/formulas.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace f = csm::formulas;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kMaxCount = std::numeric_limits<std::int64_t>::max();

// Relative tolerance for values that go through a division or a power: far below any rounding a
// report shows, far above the few ulps of double arithmetic.
Approx near(double expected) { return Approx(expected).epsilon(1e-12); }

// The value of a result that must not be null.
double v(f::Rate rate) {
  REQUIRE(rate.has_value());
  return *rate;
}

f::Rate dcf(std::vector<double> revenues, double discount) {
  return f::clv_dcf(revenues, discount);
}

}  // namespace

TEST_CASE("percent: 100 * part / whole", "[formulas]") {
  CHECK(f::percent(1, 4) == 25.0);  // 100 * 1 / 4 = 25, exact
  CHECK(v(f::percent(1, 3)) == near(33.333333333333333));  // 100 / 3
  CHECK(f::percent(-5, 10) == -50.0);  // a general ratio: the sign is kept
  CHECK(f::percent(0, 7) == 0.0);
  CHECK_FALSE(f::percent(1, 0).has_value());
  CHECK_FALSE(f::percent(0, 0).has_value());
  CHECK_FALSE(f::percent(kNaN, 1).has_value());
  CHECK_FALSE(f::percent(1, kInf).has_value());
  CHECK_FALSE(f::percent(kInf, 1).has_value());
  // 100 * 1e300 / 1e-10 = 1e312 is beyond double: null, not infinity.
  CHECK_FALSE(f::percent(1e300, 1e-10).has_value());
}

TEST_CASE("churn_rate: 100 * churned / start", "[formulas]") {
  CHECK(f::churn_rate(50, 1000) == 5.0);    // article 004's example: 50 / 1000 = 5 %
  CHECK(f::churn_rate(10, 100) == 10.0);    // article 000's example: 10 %
  CHECK(f::churn_rate(0, 1000) == 0.0);
  CHECK(f::churn_rate(1000, 1000) == 100.0);
  CHECK(v(f::churn_rate(1, 3)) == near(100.0 / 3.0));
  CHECK_FALSE(f::churn_rate(0, 0).has_value());   // no customers at the start
  CHECK_FALSE(f::churn_rate(5, 0).has_value());
  CHECK_FALSE(f::churn_rate(-1, 10).has_value()); // a negative count is not a count
  CHECK_FALSE(f::churn_rate(1, -10).has_value());
  // Consistency (churned <= start) is the caller's to check: 1200 / 1000 = 120 %.
  CHECK(f::churn_rate(1200, 1000) == 120.0);
}

TEST_CASE("retention_rate: 100 * (end - new - reactivated) / start", "[formulas]") {
  // 1000 at the start, 1030 at the end of which 80 new: (1030 - 80) / 1000 = 95 %.
  CHECK(f::retention_rate(1000, 1030, 80, 0) == 95.0);
  // Reactivated customers are not retained ones: (1030 - 80 - 20) / 1000 = 93 %.
  CHECK(f::retention_rate(1000, 1030, 80, 20) == 93.0);
  CHECK(f::retention_rate(1000, 1000, 0, 0) == 100.0);
  CHECK(f::retention_rate(1000, 80, 80, 0) == 0.0);  // only new customers left
  CHECK(v(f::retention_rate(3, 2, 0, 0)) == near(200.0 / 3.0));  // 100 * 2 / 3 = 66.67
  CHECK_FALSE(f::retention_rate(0, 10, 10, 0).has_value());
  CHECK_FALSE(f::retention_rate(-1, 10, 0, 0).has_value());
  CHECK_FALSE(f::retention_rate(10, -1, 0, 0).has_value());
  CHECK_FALSE(f::retention_rate(10, 10, -1, 0).has_value());
  CHECK_FALSE(f::retention_rate(10, 10, 0, -1).has_value());
  // Inconsistent counts are computed, not hidden: (3 - 5) / 10 = -20 %.
  CHECK(f::retention_rate(10, 3, 5, 0) == -20.0);
  // No integer overflow at the extremes: (0 - M - M) / M = -2, i.e. -200 %.
  CHECK(f::retention_rate(kMaxCount, 0, kMaxCount, kMaxCount) == -200.0);
}

TEST_CASE("expansion_rate: 100 * expanded / start", "[formulas]") {
  CHECK(f::expansion_rate(120, 1000) == 12.0);
  CHECK(f::expansion_rate(20, 100) == 20.0);  // article 000's example: 20 %
  CHECK(f::expansion_rate(0, 5) == 0.0);
  CHECK_FALSE(f::expansion_rate(0, 0).has_value());
  CHECK_FALSE(f::expansion_rate(-3, 5).has_value());
}

TEST_CASE("grr and nrr", "[formulas]") {
  // Start 10000, churned 500, contraction 250, expansion 1000:
  // grr = 100 * (10000 - 500 - 250) / 10000 = 92.5; nrr = 100 * 10250 / 10000 = 102.5.
  CHECK(v(f::grr(10000, 500, 250)) == near(92.5));
  CHECK(v(f::nrr(10000, 500, 250, 1000)) == near(102.5));
  CHECK(f::grr(100, 0, 0) == 100.0);
  CHECK(f::nrr(100, 0, 0, 0) == 100.0);
  CHECK(f::grr(100, 100, 0) == 0.0);  // everyone churned
  CHECK_FALSE(f::grr(0, 0, 0).has_value());
  CHECK_FALSE(f::nrr(0, 0, 0, 50).has_value());
  CHECK_FALSE(f::grr(-100, 0, 0).has_value());
  CHECK_FALSE(f::grr(100, -1, 0).has_value());
  CHECK_FALSE(f::nrr(100, 0, 0, -1).has_value());
  CHECK_FALSE(f::grr(kNaN, 0, 0).has_value());
  CHECK_FALSE(f::nrr(100, 0, kInf, 0).has_value());
}

TEST_CASE("arpu: mrr_end / customers_end", "[formulas]") {
  CHECK(f::arpu(1234.5, 3) == 411.5);  // 1234.5 / 3 = 411.5
  CHECK(f::arpu(0, 5) == 0.0);
  CHECK_FALSE(f::arpu(100, 0).has_value());
  CHECK_FALSE(f::arpu(0, 0).has_value());
  CHECK_FALSE(f::arpu(100, -1).has_value());
  CHECK_FALSE(f::arpu(-100, 2).has_value());
  CHECK_FALSE(f::arpu(kNaN, 2).has_value());
}

TEST_CASE("csat: 100 * satisfied / responses", "[formulas]") {
  CHECK(f::csat(90, 100) == 90.0);
  CHECK(f::csat(0, 4) == 0.0);
  CHECK(f::csat(4, 4) == 100.0);
  CHECK(v(f::csat(2, 3)) == near(200.0 / 3.0));  // 66.67 %
  CHECK_FALSE(f::csat(0, 0).has_value());  // no survey responses
  CHECK_FALSE(f::csat(-1, 4).has_value());
  CHECK_FALSE(f::csat(1, -4).has_value());
}

TEST_CASE("nps: 100 * (promoters - detractors) / responses", "[formulas]") {
  CHECK(f::nps(1, 3, 5) == -40.0);    // 20 % promoters - 60 % detractors
  CHECK(f::nps(2, 1, 4) == 25.0);
  CHECK(f::nps(7, 0, 7) == 100.0);    // all promoters
  CHECK(f::nps(0, 7, 7) == -100.0);   // all detractors
  CHECK(f::nps(0, 0, 3) == 0.0);      // all passives
  CHECK(v(f::nps(4, 5, 12)) == near(-100.0 / 12.0));
  CHECK_FALSE(f::nps(0, 0, 0).has_value());  // no answers
  CHECK_FALSE(f::nps(3, 2, 4).has_value());  // more promoters and detractors than answers
  CHECK_FALSE(f::nps(-1, 0, 4).has_value());
}

TEST_CASE("cac: spend / acquired", "[formulas]") {
  CHECK(f::cac(5000, 40) == 125.0);   // 5000 / 40 = 125
  CHECK(f::cac(4000, 100) == 40.0);   // article 000's code data: 4000 / 100 = 40
  CHECK(f::cac(500, 1) == 500.0);     // article 000's example: 500 / 1
  CHECK(f::cac(0, 7) == 0.0);
  CHECK(v(f::cac(100, 3)) == near(33.333333333333333));
  CHECK_FALSE(f::cac(5000, 0).has_value());
  CHECK_FALSE(f::cac(5000, -1).has_value());
  CHECK_FALSE(f::cac(-1, 4).has_value());
  CHECK_FALSE(f::cac(kNaN, 4).has_value());
  CHECK_FALSE(f::cac(kInf, 4).has_value());
}

TEST_CASE("clv of the monthly report: arpu * margin / (1 + d - r)", "[formulas]") {
  // arpu 100, retention 90 %, margin 1, d 0: 100 / (1 - 0.9) = 1000.
  CHECK(v(f::clv(100.0, 90.0, 1.0, 0.0)) == near(1000.0));
  // arpu 100, retention 90 %, margin 0.8, d 0.1: 80 / (1.1 - 0.9) = 80 / 0.2 = 400.
  CHECK(v(f::clv(100.0, 90.0, 0.8, 0.1)) == near(400.0));
  // retention 100 % needs a discount: 100 / (1 + 0.01 - 1) = 100 / 0.01 = 10000.
  CHECK(v(f::clv(100.0, 100.0, 1.0, 0.01)) == near(10000.0));
  // retention 0 %: one period's margin, 50 * 1 / 1 = 50.
  CHECK(v(f::clv(50.0, 0.0, 1.0, 0.0)) == near(50.0));
  CHECK(v(f::clv(0.0, 90.0, 1.0, 0.0)) == 0.0);
  CHECK_FALSE(f::clv(std::nullopt, 90.0, 1.0, 0.0).has_value());
  CHECK_FALSE(f::clv(100.0, std::nullopt, 1.0, 0.0).has_value());
  CHECK_FALSE(f::clv(100.0, 100.0, 1.0, 0.0).has_value());  // 1 + 0 - 1 = 0
  CHECK_FALSE(f::clv(100.0, 100.0, 1.0, -0.05).has_value());  // 1 - 0.05 - 1 < 0
  CHECK_FALSE(f::clv(100.0, 90.0, 1.0, -1.0).has_value());   // no present value at d = -1
  CHECK_FALSE(f::clv(100.0, -10.0, 1.0, 0.0).has_value());
  CHECK_FALSE(f::clv(kNaN, 90.0, 1.0, 0.0).has_value());
  CHECK_FALSE(f::clv(100.0, 90.0, kInf, 0.0).has_value());
  CHECK_FALSE(f::clv(100.0, 90.0, 1.0, kNaN).has_value());
}

TEST_CASE("clv_dcf: sum of R_t / (1 + d)^t", "[formulas]") {
  SECTION("article 000's example, done right") {
    // 100000 a year for 4 years at 10 %:
    // 100000 * (1/1.1 + 1/1.21 + 1/1.331 + 1/1.4641)
    // = 100000 * (0.9090909091 + 0.8264462810 + 0.7513148009 + 0.6830134554)
    // = 100000 * 3.1698654463 = 316986.54463.
    const double value = v(dcf({100000, 100000, 100000, 100000}, 0.1));
    CHECK(value == near(316986.54463492933));
    // The article prints 303,030.30; its formula as typeset gives
    // 100000 / (1.1 + 1.21 + 1.331 + 1.4641) = 100000 / 5.1051 = 19588.25; its code
    // (calculate_clv) discounts one amount once: 100000 / 1.1^4 = 68301.35. None is the sum.
    CHECK(std::abs(value - 303030.30) > 1000.0);
    CHECK(std::abs(value - 19588.25) > 1000.0);
    CHECK(std::abs(value - 68301.35) > 1000.0);
  }
  SECTION("a growing series") {
    // 100/1.1 + 120/1.21 + 130/1.331 = 90.9090909091 + 99.1735537190 + 97.6709241172
    // = 287.7535687453.
    CHECK(v(dcf({100, 120, 130}, 0.1)) == near(287.7535687453043));
  }
  SECTION("one period") { CHECK(v(dcf({110}, 0.1)) == near(100.0)); }  // 110 / 1.1
  SECTION("no discount is the plain sum") { CHECK(v(dcf({100, 120, 130}, 0.0)) == 350.0); }
  SECTION("no periods") { CHECK(v(dcf({}, 0.1)) == 0.0); }
  SECTION("a negative discount rate above -1") {
    CHECK(v(dcf({1, 1}, -0.5)) == 6.0);  // 1 / 0.5 + 1 / 0.25 = 2 + 4
  }
  SECTION("zero revenues") { CHECK(v(dcf({0, 0, 0}, 0.1)) == 0.0); }
  SECTION("broken preconditions give null, never infinity") {
    CHECK_FALSE(dcf({100}, -1.0).has_value());
    CHECK_FALSE(dcf({100}, -2.0).has_value());
    CHECK_FALSE(dcf({100}, kNaN).has_value());
    CHECK_FALSE(dcf({100}, kInf).has_value());
    CHECK_FALSE(dcf({100, kNaN}, 0.1).has_value());
    CHECK_FALSE(dcf({100, kInf}, 0.1).has_value());
    // 1e308 / 0.5 = 2e308 overflows double.
    CHECK_FALSE(dcf({1e308}, -0.5).has_value());
  }
}

TEST_CASE("clv_retention with a horizon", "[formulas]") {
  SECTION("T = 1 is one discounted margin") {
    CHECK(v(f::clv_retention(900, 0.9, 0.05, 0.01, 1)) == near(900.0 / 1.01));  // 891.0891089
  }
  SECTION("three periods, all parameters") {
    // t=1: 900 / 1.01                        = 891.0891089109
    // t=2: 900 * 1.05 * 0.9 / 1.01^2 = 850.5 / 1.0201        = 833.7417900206
    // t=3: 900 * 1.1025 * 0.81 / 1.01^3 = 803.7225 / 1.030301 = 780.0851401678
    // sum                                                     = 2504.9160390993
    CHECK(v(f::clv_retention(900, 0.9, 0.05, 0.01, 3)) == near(2504.9160390992533));
  }
  SECTION("g = 0 and d = 0: a plain geometric series") {
    CHECK(v(f::clv_retention(100, 0.5, 0.0, 0.0, 3)) == near(175.0));  // 100 + 50 + 25
  }
  SECTION("r = 1, g = 0, d = 0: the margin T times") {
    CHECK(v(f::clv_retention(900, 1.0, 0.0, 0.0, 36)) == 32400.0);  // 36 * 900
  }
  SECTION("r = 1 with a discount") {
    // 100/1.1 + 100/1.21 = 100 * (1.1 + 1) / 1.21 = 210 / 1.21 = 173.5537190083.
    CHECK(v(f::clv_retention(100, 1.0, 0.0, 0.1, 2)) == near(173.55371900826447));
  }
  SECTION("growth equal to the discount: every term is m / (1 + d)") {
    CHECK(v(f::clv_retention(100, 1.0, 0.1, 0.1, 5)) == near(500.0 / 1.1));  // 454.5454545
  }
  SECTION("r (1 + g) = 0.8 * 1.25 = 1 up to rounding: T * m") {
    CHECK(v(f::clv_retention(100, 0.8, 0.25, 0.0, 4)) == near(400.0));
  }
  SECTION("r = 0: only the first period counts") {
    CHECK(v(f::clv_retention(100, 0.0, 0.05, 0.1, 10)) == near(100.0 / 1.1));
  }
  SECTION("g = -1: the margin is gone after the first period") {
    CHECK(v(f::clv_retention(100, 0.9, -1.0, 0.0, 10)) == 100.0);
  }
  SECTION("shrinking margin") {
    CHECK(v(f::clv_retention(100, 1.0, -0.5, 0.0, 3)) == near(175.0));  // 100 + 50 + 25
  }
  SECTION("the brief's example over 36 periods") {
    // a = 900 / 1.01, q = 0.9 * 1.05 / 1.01 = 0.945 / 1.01; the sum is a (1 - q^36) / (1 - q)
    // = 900 / 0.065 * (1 - q^36) = 13846.1538462 * (1 - 0.0912082) = 12583.44041.
    CHECK(v(f::clv_retention(900, 0.9, 0.05, 0.01, 36)) == near(12583.4404063203));
  }
  SECTION("a ratio a hair above 1 keeps its digits") {
    // m = 1, r = 1, g = 1e-12, d = 0, T = 1000: sum of (1 + g)^(t-1)
    // = T + g T (T - 1) / 2 + O(g^2) = 1000 + 1e-12 * 499500 = 1000.0000004995.
    // The 5e-10 relative difference from T is what a naive (1 - q^T) / (1 - q) loses.
    CHECK(v(f::clv_retention(1, 1.0, 1e-12, 0.0, 1000)) == near(1000.0000004995));
    CHECK(v(f::clv_retention(1, 1.0, 1e-12, 0.0, 1000)) != near(1000.0));
  }
  SECTION("a long horizon approaches the closed form") {
    // q^100000 underflows to 0, so the sum is 900 / 0.065 = 13846.1538461538.
    CHECK(v(f::clv_retention(900, 0.9, 0.05, 0.01, 100000)) == near(13846.153846153846));
  }
  SECTION("zero margin or zero horizon is 0") {
    CHECK(v(f::clv_retention(0, 0.9, 0.05, 0.01, 36)) == 0.0);
    CHECK(v(f::clv_retention(900, 0.9, 0.05, 0.01, 0)) == 0.0);
  }
  SECTION("outside the domain: null") {
    CHECK_FALSE(f::clv_retention(900, 0.9, 0.05, 0.01, -1).has_value());
    CHECK_FALSE(f::clv_retention(900, 1.1, 0.0, 0.0, 3).has_value());
    CHECK_FALSE(f::clv_retention(900, -0.1, 0.0, 0.0, 3).has_value());
    CHECK_FALSE(f::clv_retention(900, 0.9, -1.5, 0.0, 3).has_value());
    CHECK_FALSE(f::clv_retention(900, 0.9, 0.0, -1.0, 3).has_value());
    CHECK_FALSE(f::clv_retention(kNaN, 0.9, 0.0, 0.0, 3).has_value());
    CHECK_FALSE(f::clv_retention(900, kNaN, 0.0, 0.0, 3).has_value());
    CHECK_FALSE(f::clv_retention(900, 0.9, kInf, 0.0, 3).has_value());
    CHECK_FALSE(f::clv_retention(900, 0.9, 0.0, kInf, 3).has_value());
  }
  SECTION("overflow is null, never infinity") {
    // 1e300 * (2^2000 - 1) is far beyond double.
    CHECK_FALSE(f::clv_retention(1e300, 1.0, 1.0, 0.0, 2000).has_value());
  }
}

TEST_CASE("clv_retention_closed: m / (1 + d - r (1 + g))", "[formulas]") {
  // The brief's example: 900 / (1.01 - 0.9 * 1.05) = 900 / (1.01 - 0.945) = 900 / 0.065
  // = 13846.1538461538.
  CHECK(v(f::clv_retention_closed(900, 0.9, 0.05, 0.01)) == near(13846.153846153846));
  // Article 004's customer (1000 a month, 90 %, 5 %), no discount: 1000 / (1 - 0.945)
  // = 1000 / 0.055 = 18181.8181818 (the article says about 9000).
  CHECK(v(f::clv_retention_closed(1000, 0.9, 0.05, 0.0)) == near(18181.818181818182));
  // g = 0, d = 0: 100 / (1 - 0.9) = 1000.
  CHECK(v(f::clv_retention_closed(100, 0.9, 0.0, 0.0)) == near(1000.0));
  // r = 1 converges only with a discount: 100 / (1.1 - 1) = 1000.
  CHECK(v(f::clv_retention_closed(100, 1.0, 0.0, 0.1)) == near(1000.0));
  // r = 0: m / (1 + d) = 100 / 1.1.
  CHECK(v(f::clv_retention_closed(100, 0.0, 0.5, 0.1)) == near(100.0 / 1.1));
  CHECK(v(f::clv_retention_closed(0, 0.9, 0.0, 0.0)) == 0.0);

  SECTION("does not converge when r (1 + g) >= 1 + d") {
    CHECK_FALSE(f::clv_retention_closed(100, 1.0, 0.0, 0.0).has_value());      // 1 >= 1
    CHECK_FALSE(f::clv_retention_closed(100, 0.95, 0.06, 0.0).has_value());    // 1.007 >= 1
    CHECK_FALSE(f::clv_retention_closed(100, 1.0, 0.1, 0.1).has_value());      // 1.1 >= 1.1
    CHECK_FALSE(f::clv_retention_closed(100, 0.9, 0.2, 0.05).has_value());     // 1.08 >= 1.05
  }
  SECTION("outside the domain") {
    CHECK_FALSE(f::clv_retention_closed(100, 1.1, 0.0, 0.5).has_value());
    CHECK_FALSE(f::clv_retention_closed(100, -0.1, 0.0, 0.0).has_value());
    CHECK_FALSE(f::clv_retention_closed(100, 0.5, -1.5, 0.0).has_value());
    CHECK_FALSE(f::clv_retention_closed(100, 0.5, 0.0, -1.0).has_value());
    CHECK_FALSE(f::clv_retention_closed(kNaN, 0.5, 0.0, 0.0).has_value());
    CHECK_FALSE(f::clv_retention_closed(kInf, 0.5, 0.0, 0.0).has_value());
    CHECK_FALSE(f::clv_retention_closed(100, 0.5, kNaN, 0.0).has_value());
  }
  SECTION("overflow is null") {
    // 1e308 / (1 - 0.9999999999) = 1e318 is beyond double.
    CHECK_FALSE(f::clv_retention_closed(1e308, 0.9999999999, 0.0, 0.0).has_value());
  }
  SECTION("agrees with the finite sum as T grows") {
    const double closed = v(f::clv_retention_closed(250, 0.8, 0.02, 0.01));
    CHECK(v(f::clv_retention(250, 0.8, 0.02, 0.01, 5000)) == near(closed));
    CHECK(v(f::clv_retention(250, 0.8, 0.02, 0.01, 5)) < closed);
  }
}

TEST_CASE("formulas are noexcept", "[formulas]") {
  STATIC_REQUIRE(noexcept(f::percent(1, 2)));
  STATIC_REQUIRE(noexcept(f::churn_rate(1, 2)));
  STATIC_REQUIRE(noexcept(f::retention_rate(1, 2, 3, 4)));
  STATIC_REQUIRE(noexcept(f::expansion_rate(1, 2)));
  STATIC_REQUIRE(noexcept(f::grr(1, 2, 3)));
  STATIC_REQUIRE(noexcept(f::nrr(1, 2, 3, 4)));
  STATIC_REQUIRE(noexcept(f::arpu(1, 2)));
  STATIC_REQUIRE(noexcept(f::csat(1, 2)));
  STATIC_REQUIRE(noexcept(f::cac(1, 2)));
  STATIC_REQUIRE(noexcept(f::clv(1.0, 2.0, 3, 4)));
  STATIC_REQUIRE(noexcept(f::clv_dcf(std::span<const double>{}, 0.1)));
  STATIC_REQUIRE(noexcept(f::clv_retention(1, 0.5, 0, 0, 3)));
  STATIC_REQUIRE(noexcept(f::clv_retention_closed(1, 0.5, 0, 0)));
}
