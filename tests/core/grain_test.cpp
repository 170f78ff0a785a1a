// Quarters and years rolled up from months (csm/grain.hpp): labels, the roll-up rules on a small
// dataset worked out by hand (with a customer who joins and leaves inside one quarter), null
// propagation, and the monthly-equivalent retention behind clv.

#include "csm/grain.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"

using csm::Grain;
using csm::PeriodMetrics;
using csm::YearMonth;

namespace {

csm::Money money(std::int64_t units) { return units * 1'000'000; }

std::vector<PeriodMetrics> months_of(
    const std::vector<std::tuple<std::string, YearMonth, std::int64_t>>& rows) {
  csm::ActivityAggregator aggregator;
  for (const auto& [id, month, revenue] : rows) {
    csm::ActivityRecord r;
    r.customer_id = id;
    r.period = month;
    r.revenue = money(revenue);
    aggregator.add(r);
  }
  return aggregator.finish(csm::MetricOptions{});
}

}  // namespace

TEST_CASE("grain labels and period numbers", "[grain]") {
  const YearMonth feb = YearMonth::from(2024, 2);
  CHECK(csm::period_label(csm::period_start(feb, Grain::quarter), Grain::quarter) == "2024-Q1");
  CHECK(csm::period_label(csm::period_start(YearMonth::from(2024, 12), Grain::quarter),
                          Grain::quarter) == "2024-Q4");
  CHECK(csm::period_label(csm::period_start(feb, Grain::year), Grain::year) == "2024");
  CHECK(csm::period_label(feb, Grain::month) == "2024-02");
  CHECK(csm::period_label(YearMonth::from(7, 1), Grain::year) == "0007");
  // Consecutive quarters have consecutive numbers, across a year's end.
  CHECK(csm::period_number(YearMonth::from(2025, 1), Grain::quarter) ==
        csm::period_number(YearMonth::from(2024, 12), Grain::quarter) + 1);
  CHECK(csm::period_from_number(csm::period_number(feb, Grain::quarter), Grain::quarter) ==
        YearMonth::from(2024, 1));
  CHECK(csm::parse_grain("quarter") == Grain::quarter);
  CHECK(!csm::parse_grain("week"));
  CHECK(csm::to_string(Grain::year) == "year");
}

TEST_CASE("quarters: movements summed, start from the first month, end from the last", "[grain]") {
  // a: Jan 100, Feb 100, Mar 120, Apr 120   b: Jan 50, Feb 50   c: Feb 30 (joins and leaves in Q1)
  // d: Mar 40, Apr 40                        e: Jan 10, Mar 10 (back after a gap)
  // Months by hand:
  //   Jan: S 0, N 3 (a b e, 160), E 3, mrr_end 160
  //   Feb: S 3 (160), C 1 (e, 10), N 1 (c, 30), E 3 (a b c), mrr_end 180
  //   Mar: S 3 (180), C 2 (b c, 80), X 1 (a +20), N 1 (d, 40), A 1 (e, 10), E 3, mrr_end 170
  //   Apr: S 3 (170), C 1 (e, 10), E 2, mrr_end 160
  const auto m = [](int month) { return YearMonth::from(2024, month); };
  const auto monthly = months_of({{"a", m(1), 100}, {"a", m(2), 100}, {"a", m(3), 120},
                                  {"a", m(4), 120}, {"b", m(1), 50},  {"b", m(2), 50},
                                  {"c", m(2), 30},  {"d", m(3), 40},  {"d", m(4), 40},
                                  {"e", m(1), 10},  {"e", m(3), 10}});
  REQUIRE(monthly.size() == 4);
  const csm::GrainPeriods q = csm::roll_up(monthly, Grain::quarter, csm::MetricOptions{});
  REQUIRE(q.periods.size() == 2);
  CHECK(q.months == std::vector<std::int32_t>{3, 1});

  // Q1: S = Jan's S = 0; C = 0+1+2 = 3 (c joined and left: counted new and churned);
  // N = 3+1+1 = 5; A = 1; X = 1; E = Mar's E = 3; E = S - C + N + A = 0 - 3 + 5 + 1 = 3.
  const PeriodMetrics& q1 = q.periods[0];
  CHECK(q1.period == m(1));
  CHECK(q1.customers_start == 0);
  CHECK(q1.churned_customers == 3);
  CHECK(q1.retained_customers == -3);  // S - C: negative when more leave than were there at start
  CHECK(q1.new_customers == 5);
  CHECK(q1.reactivated_customers == 1);
  CHECK(q1.expanded_customers == 1);
  CHECK(q1.contracted_customers == 0);
  CHECK(q1.customers_end == 3);
  // MRR: start 0; new 160+30+40 = 230; reactivation 10; expansion 20; churned 10+80 = 90;
  // end 0 + 230 + 10 + 20 - 0 - 90 = 170 = Mar's mrr_end.
  CHECK(q1.mrr_start == 0);
  CHECK(q1.new_mrr == money(230));
  CHECK(q1.reactivation_mrr == money(10));
  CHECK(q1.expansion_mrr == money(20));
  CHECK(q1.churned_mrr == money(90));
  CHECK(q1.mrr_end == money(170));
  CHECK(!q1.churn_rate);  // S = 0
  CHECK(!q1.clv);
  CHECK(q1.arpu == Approx(170.0 / 3));

  // Q2 (only April in the data): S 3, C 1, E 2; churn 100*1/3; retention 200/3 %;
  // arpu 160/2 = 80; one month, so clv = 80 / (1 - 2/3) = 240.
  const PeriodMetrics& q2 = q.periods[1];
  CHECK(q2.customers_start == 3);
  CHECK(q2.churned_customers == 1);
  CHECK(q2.customers_end == 2);
  CHECK(*q2.churn_rate == Approx(100.0 / 3));
  CHECK(*q2.clv == Approx(240.0));

  // The year: one period of 4 months; the same sums over all four months.
  const csm::GrainPeriods y = csm::roll_up(monthly, Grain::year, csm::MetricOptions{});
  REQUIRE(y.periods.size() == 1);
  CHECK(y.months == std::vector<std::int32_t>{4});
  CHECK(y.periods[0].churned_customers == 4);
  CHECK(y.periods[0].customers_end == 2);
  CHECK(y.periods[0].mrr_end == money(160));
  CHECK(y.periods[0].churned_mrr == money(100));

  // Month grain: the months unchanged.
  const csm::GrainPeriods same = csm::roll_up(monthly, Grain::month, csm::MetricOptions{});
  REQUIRE(same.periods.size() == 4);
  CHECK(same.periods[2].expansion_mrr == monthly[2].expansion_mrr);
  CHECK(same.months == std::vector<std::int32_t>{1, 1, 1, 1});
}

TEST_CASE("quarter clv uses the monthly equivalent of the quarter's retention", "[grain]") {
  // Three months: S 100, 95, 90; 5 churned each month; nothing new. The quarter: S 100, C 15,
  // E 85, retention 85 %, arpu 8500/85 = 100. Monthly equivalent retention = cbrt(0.85), so
  // clv = 100 / (1 - cbrt(0.85)) (about 1896), not 100 / (1 - 0.85) = 666.7.
  std::vector<PeriodMetrics> monthly(3);
  for (int i = 0; i < 3; ++i) {
    PeriodMetrics& p = monthly[static_cast<std::size_t>(i)];
    p.period = YearMonth::from(2024, 4 + i);
    p.customers_start = 100 - 5 * i;
    p.churned_customers = 5;
    p.new_customers = 0;
    p.reactivated_customers = 0;
    p.expanded_customers = 0;
    p.contracted_customers = 0;
    p.customers_end = 95 - 5 * i;
    p.mrr_start = money(100) * (100 - 5 * i);
    p.mrr_end = money(100) * (95 - 5 * i);
    p.new_mrr = p.reactivation_mrr = p.expansion_mrr = p.contraction_mrr = 0;
    p.churned_mrr = money(500);
    csm::derive_rates(p, csm::MetricOptions{});
  }
  const auto q = csm::roll_up(monthly, Grain::quarter, csm::MetricOptions{});
  REQUIRE(q.periods.size() == 1);
  const PeriodMetrics& p = q.periods[0];
  CHECK(p.customers_start == 100);
  CHECK(p.churned_customers == 15);
  CHECK(*p.churn_rate == Approx(15.0));
  CHECK(*p.retention_rate == Approx(85.0));
  CHECK(*p.arpu == Approx(100.0));
  CHECK(*p.clv == Approx(100.0 / (1.0 - std::cbrt(0.85))));
  CHECK(*p.grr == Approx(85.0));  // (100*100 - 1500) / (100*100)
}

TEST_CASE("roll-up keeps nulls: a field null in any month is null for the period", "[grain]") {
  // Summary-record input: churned given in Jan only, revenue in both months.
  std::vector<PeriodMetrics> monthly(2);
  monthly[0].period = YearMonth::from(2024, 1);
  monthly[0].customers_start = 10;
  monthly[0].churned_customers = 1;
  monthly[0].mrr_end = money(900);
  monthly[1].period = YearMonth::from(2024, 3);  // February has no row
  monthly[1].customers_start = 9;
  monthly[1].mrr_end = money(1000);
  const auto q = csm::roll_up(monthly, Grain::quarter, csm::MetricOptions{});
  REQUIRE(q.periods.size() == 1);
  CHECK(q.months == std::vector<std::int32_t>{2});
  CHECK(q.periods[0].customers_start == 10);
  CHECK(!q.periods[0].churned_customers);
  CHECK(!q.periods[0].churn_rate);
  CHECK(q.periods[0].mrr_end == money(1000));
  CHECK(!q.periods[0].new_mrr);
}

TEST_CASE("clv_for_period", "[grain]") {
  const csm::MetricOptions options;
  CHECK(*csm::clv_for_period(50.0, 90.0, 1, options) == Approx(500.0));  // 50 / 0.1
  CHECK(*csm::clv_for_period(50.0, 81.0, 2, options) == Approx(500.0));  // sqrt(0.81) = 0.9
  CHECK(*csm::clv_for_period(50.0, 0.0, 12, options) == Approx(50.0));   // 50 / (1 - 0)
  CHECK(!csm::clv_for_period(50.0, -20.0, 3, options));
  CHECK(!csm::clv_for_period(std::nullopt, 81.0, 2, options));
}
