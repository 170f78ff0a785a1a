// derive_rates() (the derived fields shared by both inputs) and summarize() (whole-range figures).
// Expected values worked out by hand.

#include "csm/period_metrics.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using csm::MetricOptions;
using csm::PeriodMetrics;
using csm::RangeSummary;
using csm::YearMonth;

namespace {

constexpr csm::Money kUnit = 1'000'000;

double rate(const csm::Rate& r) {
  REQUIRE(r.has_value());
  return *r;
}

std::int64_t n(const csm::Count& c) {
  REQUIRE(c.has_value());
  return *c;
}

std::string money(const csm::Amount& a) { return a ? csm::format_money(*a) : "null"; }

// A month with every count and amount of the activity input set.
PeriodMetrics full_month() {
  PeriodMetrics m;
  m.period = YearMonth::from(2024, 5);
  m.customers_start = 200;
  m.churned_customers = 10;
  m.new_customers = 25;
  m.reactivated_customers = 5;
  m.expanded_customers = 40;
  m.contracted_customers = 8;
  m.mrr_start = 20'000 * kUnit;
  m.churned_mrr = 1'000 * kUnit;
  m.contraction_mrr = 200 * kUnit;
  m.expansion_mrr = 1'700 * kUnit;
  m.new_mrr = 2'500 * kUnit;
  m.reactivation_mrr = 400 * kUnit;
  // 20000 - 1000 - 200 + 1700 + 2500 + 400 = 23400
  m.mrr_end = 23'400 * kUnit;
  m.csat_responses = 50;
  m.csat_satisfied = 45;
  m.acquisition_cost = 5'000 * kUnit;
  return m;
}

PeriodMetrics with_churn(int month, csm::Rate churn, csm::Rate grr = {}, csm::Rate nrr = {}) {
  PeriodMetrics m;
  m.period = YearMonth::from(2024, month);
  m.churn_rate = churn;
  m.grr = grr;
  m.nrr = nrr;
  return m;
}

}  // namespace

TEST_CASE("derive_rates: every derived field of a full month", "[period_metrics]") {
  PeriodMetrics m = full_month();
  csm::derive_rates(m, MetricOptions{});
  CHECK(n(m.retained_customers) == 190);          // 200 - 10
  CHECK(n(m.customers_end) == 220);               // 190 + 25 + 5
  CHECK(rate(m.churn_rate) == 5.0);               // 100 * 10 / 200
  CHECK(rate(m.retention_rate) == 95.0);          // 100 * (220 - 25 - 5) / 200
  CHECK(rate(m.expansion_rate) == 20.0);          // 100 * 40 / 200
  CHECK(rate(m.grr) == Approx(94.0));             // 100 * (20000 - 1000 - 200) / 20000
  CHECK(rate(m.nrr) == Approx(102.5));            // 100 * (20000 - 1000 - 200 + 1700) / 20000
  CHECK(rate(m.arpu) == Approx(23400.0 / 220.0)); // 106.36...
  CHECK(rate(m.csat) == 90.0);                    // 100 * 45 / 50
  CHECK(rate(m.cac) == 200.0);                    // 5000 / 25
  CHECK(rate(m.clv) == Approx(23400.0 / 220.0 / 0.05));  // arpu / (1 - 0.95)
  // Inputs are left as they were.
  CHECK(money(m.mrr_end) == "23400.00");
  CHECK(n(m.customers_start) == 200);
}

TEST_CASE("derive_rates: clv options", "[period_metrics]") {
  PeriodMetrics m = full_month();
  MetricOptions options;
  options.gross_margin = 0.6;
  options.discount_rate = 0.05;
  csm::derive_rates(m, options);
  // arpu * 0.6 / (1 + 0.05 - 0.95) = arpu * 6
  CHECK(rate(m.clv) == Approx(23400.0 / 220.0 * 6.0));
}

TEST_CASE("derive_rates: a given R or E is kept", "[period_metrics]") {
  PeriodMetrics m = full_month();
  m.retained_customers = 190;
  m.customers_end = 220;
  csm::derive_rates(m, MetricOptions{});
  CHECK(n(m.retained_customers) == 190);
  CHECK(n(m.customers_end) == 220);
  CHECK(rate(m.retention_rate) == 95.0);
}

TEST_CASE("derive_rates: null rules", "[period_metrics]") {
  SECTION("nothing set: nothing derived") {
    PeriodMetrics m;
    csm::derive_rates(m, MetricOptions{});
    CHECK_FALSE(m.retained_customers.has_value());
    CHECK_FALSE(m.customers_end.has_value());
    CHECK_FALSE(m.churn_rate.has_value());
    CHECK_FALSE(m.retention_rate.has_value());
    CHECK_FALSE(m.grr.has_value());
    CHECK_FALSE(m.arpu.has_value());
    CHECK_FALSE(m.csat.has_value());
    CHECK_FALSE(m.cac.has_value());
    CHECK_FALSE(m.clv.has_value());
  }
  SECTION("S = 0") {
    PeriodMetrics m = full_month();
    m.customers_start = 0;
    m.churned_customers = 0;
    csm::derive_rates(m, MetricOptions{});
    CHECK(n(m.customers_end) == 30);  // 0 + 25 + 5
    CHECK_FALSE(m.churn_rate.has_value());
    CHECK_FALSE(m.retention_rate.has_value());
    CHECK_FALSE(m.expansion_rate.has_value());
    CHECK_FALSE(m.clv.has_value());   // retention null
    CHECK(m.arpu.has_value());
  }
  SECTION("mrr_start = 0") {
    PeriodMetrics m = full_month();
    m.mrr_start = 0;
    csm::derive_rates(m, MetricOptions{});
    CHECK_FALSE(m.grr.has_value());
    CHECK_FALSE(m.nrr.has_value());
  }
  SECTION("no expansion amount: grr but no nrr") {
    PeriodMetrics m = full_month();
    m.expansion_mrr.reset();
    csm::derive_rates(m, MetricOptions{});
    CHECK(rate(m.grr) == Approx(94.0));
    CHECK_FALSE(m.nrr.has_value());
  }
  SECTION("no responses, no new customers, nobody at the end") {
    PeriodMetrics m = full_month();
    m.csat_responses = 0;
    m.csat_satisfied = 0;
    m.new_customers = 0;
    m.reactivated_customers = 0;
    m.churned_customers = 200;  // R = 0, E = 0
    m.mrr_end = 0;
    csm::derive_rates(m, MetricOptions{});
    CHECK(n(m.customers_end) == 0);
    CHECK_FALSE(m.csat.has_value());
    CHECK_FALSE(m.cac.has_value());
    CHECK_FALSE(m.arpu.has_value());
    CHECK_FALSE(m.clv.has_value());
    CHECK(rate(m.churn_rate) == 100.0);
    CHECK(rate(m.retention_rate) == 0.0);
  }
  SECTION("full retention without discount: clv undefined") {
    PeriodMetrics m = full_month();
    m.churned_customers = 0;  // retention 100 %: 1 + 0 - 1 = 0
    csm::derive_rates(m, MetricOptions{});
    CHECK(rate(m.retention_rate) == 100.0);
    CHECK_FALSE(m.clv.has_value());
    MetricOptions discounted;
    discounted.discount_rate = 0.1;
    PeriodMetrics d = full_month();
    d.churned_customers = 0;
    csm::derive_rates(d, discounted);
    // E = 200 + 25 + 5 = 230; arpu = 23400 / 230; clv = arpu / 0.1
    CHECK(rate(d.clv) == Approx(23400.0 / 230.0 / 0.1));
  }
}

TEST_CASE("summarize: averages skip nulls; annualized churn", "[period_metrics]") {
  // churn 10, null, 20 => average 15; annualized 100 (1 - 0.85^12) = 85.7758242863828 (0.85^12 =
  // 0.142241757136172...). grr 90, 100 => 95; nrr only in one month => 110.
  std::vector<PeriodMetrics> periods = {with_churn(1, 10.0, 90.0, 110.0), with_churn(2, {}),
                                        with_churn(3, 20.0, 100.0)};
  periods[0].new_customers = 5;
  periods[1].new_customers = 7;
  periods[0].churned_customers = 1;
  periods[0].new_mrr = 100 * kUnit + 100'000;  // 100.10
  periods[2].new_mrr = 200'000;                // 0.20
  periods[2].churned_mrr = 3 * kUnit;
  const RangeSummary s = csm::summarize(periods);
  REQUIRE(s.first.has_value());
  REQUIRE(s.last.has_value());
  CHECK(csm::to_string(*s.first) == "2024-01");
  CHECK(csm::to_string(*s.last) == "2024-03");
  CHECK(s.months == 3);
  CHECK(rate(s.average_churn_rate) == 15.0);
  CHECK(rate(s.annualized_churn_rate) == Approx(85.7758242863828).epsilon(1e-12));
  CHECK(rate(s.average_grr) == 95.0);
  CHECK(rate(s.average_nrr) == 110.0);
  CHECK(n(s.total_new_customers) == 12);     // 5 + 7, null skipped
  CHECK(n(s.total_churned_customers) == 1);
  CHECK(money(s.total_new_mrr) == "100.30");  // 100.10 + 0.20, exact
  CHECK(money(s.total_churned_mrr) == "3.00");
}

TEST_CASE("summarize: simple annualized values", "[period_metrics]") {
  // Average 50 % a month: 100 (1 - 0.5^12) = 100 * 4095 / 4096 = 99.9755859375.
  CHECK(rate(csm::summarize({with_churn(1, 50.0)}).annualized_churn_rate) ==
        Approx(99.9755859375).epsilon(1e-14));
  // No churn: 0; all churn: 100.
  CHECK(rate(csm::summarize({with_churn(1, 0.0)}).annualized_churn_rate) == 0.0);
  CHECK(rate(csm::summarize({with_churn(1, 100.0)}).annualized_churn_rate) == 100.0);
  // 1 % a month: 100 (1 - 0.99^12) = 11.3615...; 0.99^12 = 0.886384871716129...
  CHECK(rate(csm::summarize({with_churn(1, 1.0), with_churn(2, 1.0)}).annualized_churn_rate) ==
        Approx(100.0 * (1.0 - 0.886384871716129)).epsilon(1e-12));
}

TEST_CASE("summarize: all null or empty", "[period_metrics]") {
  const RangeSummary none = csm::summarize({with_churn(1, {}), with_churn(2, {})});
  CHECK(none.months == 2);
  CHECK_FALSE(none.average_churn_rate.has_value());
  CHECK_FALSE(none.annualized_churn_rate.has_value());
  CHECK_FALSE(none.average_grr.has_value());
  CHECK_FALSE(none.average_nrr.has_value());
  CHECK_FALSE(none.total_new_customers.has_value());  // never given, not 0
  CHECK_FALSE(none.total_new_mrr.has_value());

  const RangeSummary empty = csm::summarize({});
  CHECK(empty.months == 0);
  CHECK_FALSE(empty.first.has_value());
  CHECK_FALSE(empty.last.has_value());
  CHECK_FALSE(empty.average_churn_rate.has_value());
  CHECK_FALSE(empty.total_churned_customers.has_value());
}
