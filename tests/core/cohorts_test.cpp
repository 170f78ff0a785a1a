// Cohorts (ActivityAggregator::collect_cohorts) on a small dataset worked out by hand: monthly and
// quarterly cohorts, a customer who comes back after a gap (counted again by default, not with
// exclude_reactivated), revenue retention, and a partial last quarter.

#include "csm/cohorts.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "csm/activity_aggregator.hpp"

using csm::CohortTable;
using csm::YearMonth;

namespace {

csm::Money money(std::int64_t units) { return units * 1'000'000; }

// a: Jan-Apr 100 each         b: Jan 50, Feb 50, (gap Mar), Apr 80
// c: Feb 20, Mar 20, Apr 40   d: Jan 0 only (never active: in no cohort)
const std::vector<std::tuple<std::string, int, std::int64_t>> kRows = {
    {"a", 1, 100}, {"a", 2, 100}, {"a", 3, 100}, {"a", 4, 100}, {"b", 1, 50}, {"b", 2, 50},
    {"b", 4, 80},  {"c", 2, 20},  {"c", 3, 20},  {"c", 4, 40},  {"d", 1, 0}};

CohortTable cohorts(csm::Grain grain, bool exclude, unsigned threads = 1) {
  csm::ActivityAggregator a;
  a.collect_cohorts({grain, exclude});
  for (const auto& [id, month, revenue] : kRows) {
    csm::ActivityRecord r;
    r.customer_id = id;
    r.period = YearMonth::from(2024, month);
    r.revenue = money(revenue);
    a.add(r);
  }
  a.finish(csm::MetricOptions{}, threads);
  return a.take_cohorts();
}

}  // namespace

TEST_CASE("monthly cohorts by hand", "[cohorts]") {
  const CohortTable t = cohorts(csm::Grain::month, false, 2);
  // Cohorts: 2024-01 {a, b} (d was never active), 2024-02 {c}; March and April: nobody joined.
  REQUIRE(t.cohorts.size() == 2);
  const csm::Cohort& jan = t.cohorts[0];
  CHECK(jan.period == YearMonth::from(2024, 1));
  CHECK(jan.customers == 2);
  REQUIRE(jan.ages.size() == 4);
  // age 0 (Jan): a, b: 150; age 1 (Feb): 150; age 2 (Mar): a only, 100; age 3 (Apr): a, b back.
  CHECK(jan.ages[0].active_customers == 2);
  CHECK(jan.ages[0].revenue == money(150));
  CHECK(jan.ages[2].active_customers == 1);
  CHECK(jan.ages[2].revenue == money(100));
  CHECK(jan.ages[3].active_customers == 2);
  CHECK(jan.ages[3].revenue == money(180));
  CHECK(*jan.ages[2].logo_retention == Approx(50.0));          // 1 of 2
  CHECK(*jan.ages[3].logo_retention == Approx(100.0));         // b counted again
  CHECK(*jan.ages[2].revenue_retention == Approx(100.0 * 100 / 150));
  CHECK(*jan.ages[3].revenue_retention == Approx(120.0));      // 180 / 150
  const csm::Cohort& feb = t.cohorts[1];
  CHECK(feb.customers == 1);
  REQUIRE(feb.ages.size() == 3);
  CHECK(*feb.ages[2].revenue_retention == Approx(200.0));      // 40 / 20
}

TEST_CASE("cohorts without the customers who came back", "[cohorts]") {
  const CohortTable t = cohorts(csm::Grain::month, true);
  const csm::Cohort& jan = t.cohorts[0];
  // b left in March: from then on it does not count, even in April.
  CHECK(jan.ages[3].active_customers == 1);
  CHECK(jan.ages[3].revenue == money(100));
  CHECK(*jan.ages[3].logo_retention == Approx(50.0));
  CHECK(jan.ages[1].active_customers == 2);
}

TEST_CASE("quarterly cohorts are counted at the last month of each quarter", "[cohorts]") {
  // Q1 cohort: a, b, c (first active in Jan, Jan, Feb). Age 0 is March: a and c (b is away):
  // 2 of 3, revenue 120. Age 1 is Q2, of which the data has April only: a, b, c: 220.
  const CohortTable t = cohorts(csm::Grain::quarter, false);
  REQUIRE(t.cohorts.size() == 1);
  CHECK(t.months_covered == std::vector<std::int32_t>{3, 1});
  const csm::Cohort& q1 = t.cohorts[0];
  CHECK(q1.customers == 3);
  REQUIRE(q1.ages.size() == 2);
  CHECK(q1.ages[0].active_customers == 2);
  CHECK(q1.ages[0].revenue == money(120));
  CHECK(*q1.ages[0].logo_retention == Approx(200.0 / 3));
  CHECK(q1.ages[1].active_customers == 3);
  CHECK(q1.ages[1].revenue == money(220));
  CHECK(*q1.ages[1].revenue_retention == Approx(100.0 * 220 / 120));
  // Excluding those who left: b left in March, so only a and c, at both ages.
  const CohortTable x = cohorts(csm::Grain::quarter, true);
  CHECK(x.cohorts[0].ages[0].active_customers == 2);
  CHECK(x.cohorts[0].ages[1].active_customers == 2);
  CHECK(x.cohorts[0].ages[1].revenue == money(140));
}
