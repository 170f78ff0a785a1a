#include "csm/subscription.hpp"

#include "csm/at_risk.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using csm::ActivityAggregator;
using csm::Date;
using csm::Money;
using csm::SubscriptionExpander;
using csm::SubscriptionRecord;
using csm::YearMonth;

Date day(const char* text) {
  Date d;
  REQUIRE(csm::parse_date(text, d) == csm::PeriodError::ok);
  return d;
}

Money money(std::int64_t whole) { return whole * csm::kMoneyScale; }

SubscriptionRecord sub(const char* id, const char* start, const char* end, std::int64_t mrr) {
  SubscriptionRecord r;
  r.customer_id = id;
  r.start = day(start);
  if (end != nullptr) r.end = day(end);
  r.mrr = money(mrr);
  return r;
}

std::int64_t whole(const csm::Amount& a) {
  REQUIRE(a);
  return static_cast<std::int64_t>(*a / csm::kMoneyScale);
}

}  // namespace

// The convention: active in a month when active on its last day; end_date exclusive.
//   x: 2024-01-31 .. 2024-03-01 -> active on Jan 31 and Feb 29, not on Mar 31: Jan, Feb.
//   y: 2024-02-01 .. 2024-02-29 -> ends before Feb's last day: never active.
//   z: 2024-02-29 .. (open)     -> active Feb 29, Mar 31 (range ends in March, x's end month).
//   w: 2024-03-31 .. 2024-03-31 -> end == start: never active.
// Months Jan..Mar (earliest start, latest start/end month):
//   Jan: x new (100).            E = 1, mrr_end 100.
//   Feb: x kept, z new (30).     E = 2, mrr_end 130, new_mrr 30.
//   Mar: x churned (100), z kept. E = 1, mrr_end 30, churned_mrr 100.
TEST_CASE("subscriptions count in the months they are active on the last day", "[core][subscription]") {
  ActivityAggregator aggregator;
  SubscriptionExpander expander(aggregator, std::nullopt);
  expander.add(sub("x", "2024-01-31", "2024-03-01", 100));
  expander.add(sub("y", "2024-02-01", "2024-02-29", 70));
  expander.add(sub("z", "2024-02-29", nullptr, 30));
  expander.add(sub("w", "2024-03-31", "2024-03-31", 5));
  expander.finish();
  const auto periods = aggregator.finish(csm::MetricOptions{});
  REQUIRE(periods.size() == 3);
  CHECK(periods[0].period == YearMonth::from(2024, 1));
  CHECK(periods[2].period == YearMonth::from(2024, 3));
  CHECK(periods[0].customers_end == 1);
  CHECK(whole(periods[0].mrr_end) == 100);
  CHECK(periods[1].customers_end == 2);
  CHECK(periods[1].new_customers == 1);
  CHECK(whole(periods[1].new_mrr) == 30);
  CHECK(whole(periods[1].mrr_end) == 130);
  CHECK(periods[2].churned_customers == 1);
  CHECK(whole(periods[2].churned_mrr) == 100);
  CHECK(periods[2].customers_end == 1);
  CHECK(whole(periods[2].mrr_end) == 30);
  CHECK(aggregator.stats().customers == 4);  // y and w are known, never active
  CHECK(expander.stats().subscriptions == 4);
  CHECK(expander.stats().open == 1);
  CHECK(expander.stats().never_active == 2);
}

// A customer's revenue in a month is the sum of its active subscriptions; acquisition_cost is
// booked in the start month, even for a subscription that is never active.
//   a1: 2024-01-10 open, 100, cost 300;  a2: 2024-02-05 .. 2024-04-01, 50 (Feb, Mar);
//   b:  2024-02-10 .. 2024-02-11, 20, cost 40 (never active; its cost still counts in Feb).
// Range Jan..Apr (a2's end month). a: Jan 100, Feb 150 (expansion 50), Mar 150, Apr 100
// (contraction 50). acquisition_cost: Jan 300, Feb 40; cac Jan 300/1, Feb 40/0 -> null.
TEST_CASE("several subscriptions of one customer add up", "[core][subscription]") {
  ActivityAggregator aggregator;
  SubscriptionExpander expander(aggregator, std::nullopt);
  auto a1 = sub("a", "2024-01-10", nullptr, 100);
  a1.acquisition_cost = money(300);
  auto b = sub("b", "2024-02-10", "2024-02-11", 20);
  b.acquisition_cost = money(40);
  expander.add(a1);
  expander.add(sub("a", "2024-02-05", "2024-04-01", 50));
  expander.add(b);
  expander.finish();
  const auto periods = aggregator.finish(csm::MetricOptions{});
  REQUIRE(periods.size() == 4);
  CHECK(whole(periods[0].mrr_end) == 100);
  CHECK(whole(periods[1].expansion_mrr) == 50);
  CHECK(whole(periods[1].mrr_end) == 150);
  CHECK(whole(periods[2].mrr_end) == 150);
  CHECK(whole(periods[3].contraction_mrr) == 50);
  CHECK(whole(periods[3].mrr_end) == 100);
  CHECK(whole(periods[0].acquisition_cost) == 300);
  CHECK(whole(periods[1].acquisition_cost) == 40);
  CHECK(periods[0].cac == Approx(300.0));
  CHECK_FALSE(periods[1].cac);
}

// --until: the range ends there; later months and later starts are left out; open subscriptions
// run to it. x: 2024-01-15 open (Jan..Mar); y: 2024-02-01 .. 2024-06-01 (cut after Mar);
// z: 2024-05-01 starts after until: not in the range at all.
TEST_CASE("until ends the range", "[core][subscription]") {
  ActivityAggregator aggregator;
  SubscriptionExpander expander(aggregator, YearMonth::from(2024, 3));
  expander.add(sub("x", "2024-01-15", nullptr, 10));
  expander.add(sub("y", "2024-02-01", "2024-06-01", 20));
  expander.add(sub("z", "2024-05-01", nullptr, 40));
  expander.finish();
  const auto periods = aggregator.finish(csm::MetricOptions{});
  REQUIRE(periods.size() == 3);
  CHECK(periods.back().period == YearMonth::from(2024, 3));
  CHECK(whole(periods.back().mrr_end) == 30);
  CHECK(periods.back().churned_customers == 0);
  CHECK(aggregator.stats().customers == 2);
}

TEST_CASE("until before every start is refused", "[core][subscription]") {
  ActivityAggregator aggregator;
  SubscriptionExpander expander(aggregator, YearMonth::from(2023, 12));
  expander.add(sub("x", "2024-01-15", nullptr, 10));
  CHECK_THROWS_WITH(expander.finish(), "--until 2023-12 is before the month of every start_date");
}

// An open subscription waits until the end of input: a later subscription that ends further out
// still moves the range end, and the open one runs to it. o: 2024-01-01 open; p: 2023-11-01 ..
// 2024-05-01. Range 2023-11 .. 2024-05; o active Jan..May (5 months), p Nov..Apr.
TEST_CASE("open subscriptions run to the range end known at the end of input", "[core][subscription]") {
  ActivityAggregator aggregator;
  SubscriptionExpander expander(aggregator, std::nullopt);
  expander.add(sub("o", "2024-01-01", nullptr, 7));
  expander.add(sub("p", "2023-11-01", "2024-05-01", 3));
  expander.finish();
  const auto periods = aggregator.finish(csm::MetricOptions{});
  REQUIRE(periods.size() == 7);
  CHECK(periods.front().period == YearMonth::from(2023, 11));
  CHECK(periods.back().period == YearMonth::from(2024, 5));
  CHECK(whole(periods.back().mrr_end) == 7);  // p churned in May
  CHECK(periods.back().churned_customers == 1);
  CHECK(whole(periods[2].mrr_end) == 10);  // Jan: 7 + 3
}

// A mistyped year must not become centuries of entries: 2024-01 .. 2124-01 is 1201 months.
TEST_CASE("the range of subscriptions is capped at 1200 months", "[core][subscription]") {
  ActivityAggregator aggregator;
  SubscriptionExpander expander(aggregator, std::nullopt);
  const auto a = sub("a", "2024-01-15", nullptr, 10);
  CHECK_FALSE(expander.range_problem(a));
  expander.add(a);
  const auto ok = sub("b", "2024-02-01", "2123-12-01", 10);  // 2024-01 .. 2123-12: 1200 months
  CHECK_FALSE(expander.range_problem(ok));
  const auto typo = sub("c", "2024-02-01", "2124-01-01", 10);
  const auto problem = expander.range_problem(typo);
  REQUIRE(problem);
  CHECK(std::string(problem->first) == "end_date");
  CHECK(problem->second ==
        "the subscriptions would span 1201 months (2024-01 to 2124-01), more than the 1200 "
        "supported; check the dates, or give --until");
  const auto early = sub("d", "1924-01-01", nullptr, 10);
  REQUIRE(expander.range_problem(early));
  CHECK(std::string(expander.range_problem(early)->first) == "start_date");
  // With --until the range ends there: a far end_date does not matter.
  ActivityAggregator other;
  SubscriptionExpander until(other, YearMonth::from(2024, 12));
  CHECK_FALSE(until.range_problem(typo));
}

// Subscriptions into the at-risk history (any ActivitySink), by hand:
//   p: 2025-01-10 .. (open) 100 and 2025-01-10 .. 2025-04-01 50 -> Jan..Mar 150, Apr.. 100.
//   q: 2025-01-05 .. 2025-03-01 80 and 2025-05-01 .. (open) 80 -> Jan, Feb 80; Mar, Apr none;
//      May.. 80 (a return after a 2-month gap).
//   r: 2025-06-30 .. 2025-07-01 10 -> active on June 30 only: June.
// Without --until the range ends at the latest start or end month, 2025-07 (r's end): p has 100,
// q 80, r nothing -> 2 of 3 customers active. p: the highest of Apr..Jun is 100, not above 100
// by 20 % -> no contraction; flat only 4 months. q: back in May (in Feb..Jul) after Mar, Apr.
// With --until 2025-05 the month is May and r (starting after it) is left out: p's highest of
// Feb..Apr is 150 (latest in Mar), 100 <= 0.8 * 150 = 120 -> contraction, 100 * 50 / 150 =
// 33.3 %; q back in May. Sorted by revenue: p (100), q (80).
TEST_CASE("subscriptions feed the at-risk history as their months' revenue", "[core][subscription]") {
  const auto evaluate = [](std::optional<YearMonth> until) {
    csm::CustomerHistory history;
    SubscriptionExpander expander(history, until);
    expander.add(sub("p", "2025-01-10", nullptr, 100));
    expander.add(sub("p", "2025-01-10", "2025-04-01", 50));
    expander.add(sub("q", "2025-01-05", "2025-03-01", 80));
    expander.add(sub("q", "2025-05-01", nullptr, 80));
    expander.add(sub("r", "2025-06-30", "2025-07-01", 10));
    expander.finish();
    return history.evaluate({});
  };
  const csm::AtRiskResult july = evaluate(std::nullopt);
  CHECK(july.as_of == YearMonth::from(2025, 7));
  CHECK(july.customers == 3);
  CHECK(july.active_customers == 2);
  REQUIRE(july.customers_at_risk.size() == 1);
  CHECK(july.customers_at_risk[0].customer_id == "q");
  CHECK(july.customers_at_risk[0].revenue_at_risk == money(80));
  REQUIRE(july.customers_at_risk[0].gap_return);
  CHECK(july.customers_at_risk[0].gap_return->returned == YearMonth::from(2025, 5));
  CHECK(july.customers_at_risk[0].gap_return->gap_months == 2);
  CHECK(july.customers_at_risk[0].reasons() == std::vector<std::string_view>{"gap_return"});

  const csm::AtRiskResult may = evaluate(YearMonth::from(2025, 5));
  CHECK(may.as_of == YearMonth::from(2025, 5));
  CHECK(may.customers == 2);
  REQUIRE(may.customers_at_risk.size() == 2);
  CHECK(may.customers_at_risk[0].customer_id == "p");
  REQUIRE(may.customers_at_risk[0].contraction);
  CHECK(may.customers_at_risk[0].contraction->previous_max == money(150));
  CHECK(may.customers_at_risk[0].contraction->previous_max_period == YearMonth::from(2025, 3));
  CHECK(may.customers_at_risk[0].contraction->drop_pct == Approx(100.0 / 3));
  CHECK(may.customers_at_risk[1].customer_id == "q");
  REQUIRE(may.customers_at_risk[1].gap_return);
  CHECK(may.customers_at_risk[1].gap_return->returned == YearMonth::from(2025, 5));
}
