// Summary input: one already-aggregated row per period. What the row determines is filled (and the
// derived R, E, rates, arpu, csat, cac, clv), the rest stays null. Expected values by hand.

#include "csm/summary_metrics.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using csm::MetricOptions;
using csm::PeriodMetrics;
using csm::SummaryAggregator;
using csm::SummaryRecord;
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

SummaryRecord row(int year, int month) {
  SummaryRecord r;
  r.period = YearMonth::from(year, month);
  return r;
}

const PeriodMetrics& find(const std::vector<PeriodMetrics>& periods, YearMonth m) {
  for (const PeriodMetrics& p : periods) {
    if (p.period == m) return p;
  }
  FAIL("no period " << csm::to_string(m));
  return periods.front();
}

}  // namespace

TEST_CASE("summary: derived counts, rates and money per period", "[summary]") {
  SummaryAggregator aggregator;

  // Jan: S 1000, N 100, C 50, X 30, K 20, csat 80 of 100, revenue 50000, spend 10000.
  SummaryRecord jan = row(2024, 1);
  jan.customers_start = 1000;
  jan.new_customers = 100;
  jan.churned_customers = 50;
  jan.expanded_customers = 30;
  jan.contracted_customers = 20;
  jan.csat_satisfied = 80;
  jan.csat_responses = 100;
  jan.revenue = 50'000 * kUnit;
  jan.acquisition_cost = 10'000 * kUnit;

  // Feb: S 1050, N 60, C 42, A 5, revenue 52000.50, spend 6000; no X, K, csat.
  SummaryRecord feb = row(2024, 2);
  feb.customers_start = 1050;
  feb.new_customers = 60;
  feb.churned_customers = 42;
  feb.reactivated_customers = 5;
  feb.revenue = 52'000 * kUnit + 500'000;
  feb.acquisition_cost = 6'000 * kUnit;

  // Apr (no March row): S 1000, N 10, C 10, revenue 40000, no spend.
  SummaryRecord apr = row(2024, 4);
  apr.customers_start = 1000;
  apr.new_customers = 10;
  apr.churned_customers = 10;
  apr.revenue = 40'000 * kUnit;

  // Added out of order: the output is in month order.
  CHECK(aggregator.add(apr));
  CHECK(aggregator.add(jan));
  CHECK(aggregator.add(feb));
  CHECK(aggregator.size() == 3);

  const std::vector<PeriodMetrics> periods = aggregator.finish(MetricOptions{});
  REQUIRE(periods.size() == 3);  // March is not invented
  CHECK(periods[0].period == YearMonth::from(2024, 1));
  CHECK(periods[1].period == YearMonth::from(2024, 2));
  CHECK(periods[2].period == YearMonth::from(2024, 4));

  const PeriodMetrics& m1 = periods[0];
  CHECK(n(m1.retained_customers) == 950);       // 1000 - 50
  CHECK(n(m1.reactivated_customers) == 0);      // absent => 0
  CHECK(n(m1.customers_end) == 1050);           // 950 + 100 + 0
  CHECK(rate(m1.churn_rate) == 5.0);            // 100 * 50 / 1000
  CHECK(rate(m1.retention_rate) == 95.0);       // 100 * (1050 - 100 - 0) / 1000
  CHECK(rate(m1.expansion_rate) == 3.0);        // 100 * 30 / 1000
  CHECK(n(m1.expanded_customers) == 30);
  CHECK(n(m1.contracted_customers) == 20);
  CHECK(money(m1.mrr_end) == "50000.00");
  CHECK(money(m1.mrr_start) == "null");         // no December row
  CHECK_FALSE(m1.grr.has_value());
  CHECK_FALSE(m1.nrr.has_value());
  CHECK(rate(m1.arpu) == Approx(50000.0 / 1050.0));  // 47.619...
  CHECK(rate(m1.csat) == 80.0);                      // 100 * 80 / 100
  CHECK(money(m1.acquisition_cost) == "10000.00");
  CHECK(rate(m1.cac) == 100.0);                      // 10000 / 100
  CHECK(rate(m1.clv) == Approx(50000.0 / 1050.0 / 0.05));  // arpu / (1 - 0.95) = 952.38...
  // Movements are not determined by a summary.
  CHECK(money(m1.new_mrr) == "null");
  CHECK(money(m1.reactivation_mrr) == "null");
  CHECK(money(m1.expansion_mrr) == "null");
  CHECK(money(m1.contraction_mrr) == "null");
  CHECK(money(m1.churned_mrr) == "null");

  const PeriodMetrics& m2 = periods[1];
  CHECK(n(m2.retained_customers) == 1008);      // 1050 - 42
  CHECK(n(m2.reactivated_customers) == 5);
  CHECK(n(m2.customers_end) == 1073);           // 1008 + 60 + 5
  CHECK(rate(m2.churn_rate) == 4.0);            // 100 * 42 / 1050
  CHECK(rate(m2.retention_rate) == Approx(96.0));  // 100 * (1073 - 60 - 5) / 1050
  CHECK_FALSE(m2.expansion_rate.has_value());   // expanded absent
  CHECK_FALSE(m2.expanded_customers.has_value());
  CHECK(money(m2.mrr_start) == "50000.00");     // January's revenue
  CHECK(money(m2.mrr_end) == "52000.50");
  CHECK_FALSE(m2.grr.has_value());              // churned_mrr unknown
  CHECK(rate(m2.arpu) == Approx(52000.5 / 1073.0));
  CHECK_FALSE(m2.csat.has_value());
  CHECK(rate(m2.cac) == 100.0);                 // 6000 / 60

  const PeriodMetrics& m4 = periods[2];
  CHECK(money(m4.mrr_start) == "null");         // March's row is missing
  CHECK(money(m4.mrr_end) == "40000.00");
  CHECK(n(m4.customers_end) == 1000);           // 990 + 10 + 0
  CHECK(money(m4.acquisition_cost) == "null");
  CHECK_FALSE(m4.cac.has_value());              // spend absent
}

TEST_CASE("summary: mrr_start needs the previous month's row and its revenue", "[summary]") {
  SummaryAggregator aggregator;
  SummaryRecord dec = row(2023, 12);
  dec.revenue = 100 * kUnit;
  SummaryRecord jan = row(2024, 1);  // revenue absent
  SummaryRecord feb = row(2024, 2);
  feb.revenue = 120 * kUnit;
  SummaryRecord mar = row(2024, 3);
  mar.revenue = 90 * kUnit;
  for (const SummaryRecord& r : {dec, jan, feb, mar}) CHECK(aggregator.add(r));
  const auto periods = aggregator.finish(MetricOptions{});
  REQUIRE(periods.size() == 4);
  CHECK(money(find(periods, YearMonth::from(2023, 12)).mrr_start) == "null");
  CHECK(money(find(periods, YearMonth::from(2024, 1)).mrr_start) == "100.00");  // across a year
  CHECK(money(find(periods, YearMonth::from(2024, 1)).mrr_end) == "null");
  CHECK(money(find(periods, YearMonth::from(2024, 2)).mrr_start) == "null");    // Jan had none
  CHECK(money(find(periods, YearMonth::from(2024, 3)).mrr_start) == "120.00");
  // Without counts nothing else is derived.
  for (const PeriodMetrics& p : periods) {
    CHECK_FALSE(p.retained_customers.has_value());
    CHECK_FALSE(p.customers_end.has_value());
    CHECK_FALSE(p.churn_rate.has_value());
    CHECK_FALSE(p.arpu.has_value());
    CHECK_FALSE(p.clv.has_value());
  }
}

TEST_CASE("summary: a duplicate period is refused and the first row kept", "[summary]") {
  SummaryAggregator aggregator;
  SummaryRecord first = row(2024, 1);
  first.customers_start = 10;
  first.churned_customers = 1;
  first.new_customers = 0;
  SummaryRecord second = first;
  second.churned_customers = 5;
  CHECK(aggregator.add(first));
  CHECK_FALSE(aggregator.add(second));
  CHECK(aggregator.size() == 1);
  const auto periods = aggregator.finish(MetricOptions{});
  REQUIRE(periods.size() == 1);
  CHECK(n(periods[0].churned_customers) == 1);
  CHECK(rate(periods[0].churn_rate) == 10.0);  // 100 * 1 / 10
}

TEST_CASE("summary: zero denominators give nulls", "[summary]") {
  SummaryAggregator aggregator;
  SummaryRecord r = row(2024, 6);
  r.customers_start = 0;
  r.new_customers = 0;
  r.churned_customers = 0;
  r.expanded_customers = 0;
  r.csat_satisfied = 0;
  r.csat_responses = 0;
  r.revenue = 0;
  r.acquisition_cost = 500 * kUnit;
  CHECK(aggregator.add(r));
  const auto periods = aggregator.finish(MetricOptions{});
  REQUIRE(periods.size() == 1);
  const PeriodMetrics& p = periods[0];
  CHECK(n(p.customers_end) == 0);
  CHECK_FALSE(p.churn_rate.has_value());      // S = 0
  CHECK_FALSE(p.retention_rate.has_value());
  CHECK_FALSE(p.expansion_rate.has_value());
  CHECK_FALSE(p.arpu.has_value());            // E = 0
  CHECK_FALSE(p.csat.has_value());            // no responses
  CHECK_FALSE(p.cac.has_value());             // N = 0
  CHECK_FALSE(p.clv.has_value());
}

TEST_CASE("summary: the clv options apply", "[summary]") {
  // S 100, C 20, N 0: R 80, E 80, retention 80 %, arpu 8000 / 80 = 100.
  SummaryAggregator aggregator;
  SummaryRecord r = row(2024, 3);
  r.customers_start = 100;
  r.churned_customers = 20;
  r.new_customers = 0;
  r.revenue = 8'000 * kUnit;
  CHECK(aggregator.add(r));
  MetricOptions options;
  options.gross_margin = 0.5;
  options.discount_rate = 0.1;
  const auto periods = aggregator.finish(options);
  REQUIRE(periods.size() == 1);
  CHECK(rate(periods[0].arpu) == 100.0);
  CHECK(rate(periods[0].clv) == Approx(50.0 / 0.3));  // 100 * 0.5 / (1 + 0.1 - 0.8)
}
