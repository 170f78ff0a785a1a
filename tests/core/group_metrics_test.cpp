// compute --by: metrics per group on a small dataset worked out by hand (a customer moving
// between segments, a customer-month split over two segments), the sums that add up to the
// all-customers figures and those that do not, merge() of aggregators with their own group ids,
// and quarters per group.

#include "csm/group_metrics.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"

using csm::ActivityAggregator;
using csm::GroupPeriods;
using csm::PeriodMetrics;
using csm::YearMonth;

namespace {

struct Row {
  std::string id;
  int month;  // of 2024
  std::int64_t revenue;
  std::string segment;
  int csat = 0;
};

csm::Money money(std::int64_t units) { return units * 1'000'000; }

void feed(ActivityAggregator& a, const std::vector<Row>& rows) {
  for (const Row& r : rows) {
    csm::ActivityRecord record;
    record.customer_id = r.id;
    record.period = YearMonth::from(2024, r.month);
    record.revenue = money(r.revenue);
    record.segment = r.segment;
    record.csat = static_cast<std::uint8_t>(r.csat);
    a.add(record);
  }
}

struct Grouped {
  std::vector<PeriodMetrics> all;
  std::vector<GroupPeriods> groups;
};

Grouped run(const std::vector<Row>& rows, unsigned threads = 1) {
  ActivityAggregator a;
  a.group_by_segment();
  feed(a, rows);
  Grouped g;
  g.all = a.finish(csm::MetricOptions{}, threads);
  g.groups = a.take_groups();
  return g;
}

const GroupPeriods& group(const Grouped& g, const std::string& name) {
  const auto it = std::find_if(g.groups.begin(), g.groups.end(),
                               [&](const GroupPeriods& p) { return p.group == name; });
  REQUIRE(it != g.groups.end());
  return *it;
}

// a: pro 100, pro 100, team 120 (moves in March, and expands)   b: basic 50, 60, 0 (churns)
// c: (none) Feb 30, Mar 30        d: team 10 in Jan, back in Mar with 10
const std::vector<Row> kRows = {
    {"a", 1, 100, "pro", 5}, {"a", 2, 100, "pro"},  {"a", 3, 120, "team", 4},
    {"b", 1, 50, "basic"},   {"b", 2, 60, "basic", 2}, {"b", 3, 0, "basic"},
    {"c", 2, 30, ""},        {"c", 3, 30, ""},      {"d", 1, 10, "team"}, {"d", 3, 10, "team"}};

}  // namespace

TEST_CASE("groups: a move between segments is not churn", "[groups]") {
  const Grouped g = run(kRows);
  REQUIRE(g.all.size() == 3);
  REQUIRE(g.groups.size() == 4);
  // Sorted by name, byte order: "" < "basic" < "pro" < "team".
  CHECK(g.groups[0].group.empty());
  CHECK(g.groups[1].group == "basic");
  CHECK(g.groups[3].group == "team");

  // March, by hand. pro: S 1 (a, 100), a moved to team: out 1, moved_out_mrr 100, C 0, E 0,
  // mrr_end = 100 - 100 = 0; churn 0 %, retention 100 % (a is still a customer).
  const GroupPeriods& pro = group(g, "pro");
  const PeriodMetrics& pro3 = pro.periods[2];
  CHECK(pro3.customers_start == 1);
  CHECK(pro3.churned_customers == 0);
  CHECK(pro3.customers_end == 0);
  CHECK(pro3.mrr_start == money(100));
  CHECK(pro3.mrr_end == 0);
  CHECK(pro.moves[2].moved_out_customers == 1);
  CHECK(pro.moves[2].moved_out_mrr == money(100));
  CHECK(pro.moves[2].moved_in_customers == 0);
  CHECK(*pro3.churn_rate == Approx(0.0));
  CHECK(*pro3.retention_rate == Approx(100.0));

  // team in March: S 0 (d left in Feb); a moved in (moved_in_mrr = its February 100) and
  // expanded by 20 in team; d reactivated with 10. E = 0 - 0 - 0 + 1 + 0 + 1 = 2;
  // mrr_end = 0 + 0 + 10 + 20 - 0 - 0 - 0 + 100 = 130.
  const GroupPeriods& team = group(g, "team");
  const PeriodMetrics& team3 = team.periods[2];
  CHECK(team3.customers_start == 0);
  CHECK(team3.customers_end == 2);
  CHECK(team3.reactivated_customers == 1);
  CHECK(team3.expanded_customers == 1);
  CHECK(team3.expansion_mrr == money(20));
  CHECK(team3.reactivation_mrr == money(10));
  CHECK(team3.mrr_end == money(130));
  CHECK(team.moves[2].moved_in_customers == 1);
  CHECK(team.moves[2].moved_in_mrr == money(100));
  CHECK(team3.csat_responses == 1);  // a's March response, on a team row
  CHECK(team3.csat_satisfied == 1);
  // team in February: d churned (its group was team in January).
  CHECK(team.periods[1].churned_customers == 1);
  CHECK(team.periods[1].churned_mrr == money(10));

  // basic: expands 50 -> 60 in Feb, churns in March (revenue 0).
  const GroupPeriods& basic = group(g, "basic");
  CHECK(basic.periods[1].expansion_mrr == money(10));
  CHECK(basic.periods[2].churned_customers == 1);
  CHECK(basic.periods[2].churned_mrr == money(60));
  CHECK(*basic.periods[2].churn_rate == Approx(100.0));

  // The empty value is a group of its own: c, new in February.
  CHECK(g.groups[0].periods[1].new_customers == 1);
  CHECK(g.groups[0].periods[2].customers_start == 1);
}

TEST_CASE("groups: what adds up to all customers and what does not", "[groups]") {
  // A random dataset in which customers change segment now and then.
  std::mt19937 rng(7);
  std::vector<Row> rows;
  const char* segments[] = {"a", "b", "c", ""};
  for (int c = 0; c < 300; ++c) {
    int segment = static_cast<int>(rng() % 4);
    for (int m = 1; m <= 12; ++m) {
      if (rng() % 5 == 0) continue;                    // inactive this month
      if (rng() % 6 == 0) segment = static_cast<int>(rng() % 4);  // moves
      rows.push_back({"c" + std::to_string(c), m, static_cast<std::int64_t>(rng() % 4) * 10,
                      segments[segment], static_cast<int>(rng() % 6)});
      if (rng() % 10 == 0) {  // a second row in another segment in the same month
        rows.push_back({"c" + std::to_string(c), m, static_cast<std::int64_t>(rng() % 3) * 10,
                        segments[rng() % 4]});
      }
    }
  }
  const Grouped g = run(rows);
  REQUIRE(g.groups.size() == 4);
  std::int64_t moved_total = 0;
  bool some_group_not_closed = false;
  for (std::size_t i = 0; i < g.all.size(); ++i) {
    const PeriodMetrics& all = g.all[i];
    std::int64_t s = 0, c = 0, n = 0, a = 0, e = 0, x = 0, k = 0, in = 0, out = 0, responses = 0;
    csm::MoneySum start = 0, end = 0, exp = 0, con = 0, churned = 0, in_mrr = 0, out_mrr = 0;
    for (const GroupPeriods& grp : g.groups) {
      const PeriodMetrics& p = grp.periods[i];
      const csm::GroupMoves& mv = grp.moves[i];
      // The group's own bridge holds exactly.
      CHECK(*p.customers_end == *p.customers_start - *p.churned_customers - mv.moved_out_customers +
                                    mv.moved_in_customers + *p.new_customers +
                                    *p.reactivated_customers);
      CHECK(*p.mrr_end == *p.mrr_start + *p.new_mrr + *p.reactivation_mrr + *p.expansion_mrr -
                              *p.contraction_mrr - *p.churned_mrr - mv.moved_out_mrr +
                              mv.moved_in_mrr);
      // ...but not E = R + N + A, as soon as someone moved.
      if (*p.customers_end != *p.retained_customers + *p.new_customers + *p.reactivated_customers) {
        some_group_not_closed = true;
      }
      s += *p.customers_start, c += *p.churned_customers, n += *p.new_customers;
      a += *p.reactivated_customers, e += *p.customers_end, x += *p.expanded_customers;
      k += *p.contracted_customers, in += mv.moved_in_customers, out += mv.moved_out_customers;
      responses += *p.csat_responses;
      start += *p.mrr_start, end += *p.mrr_end, exp += *p.expansion_mrr, con += *p.contraction_mrr;
      churned += *p.churned_mrr, in_mrr += mv.moved_in_mrr, out_mrr += mv.moved_out_mrr;
    }
    CHECK(s == *all.customers_start);
    CHECK(c == *all.churned_customers);
    CHECK(n == *all.new_customers);
    CHECK(a == *all.reactivated_customers);
    CHECK(e == *all.customers_end);
    CHECK(x == *all.expanded_customers);
    CHECK(k == *all.contracted_customers);
    CHECK(responses == *all.csat_responses);
    CHECK(start == *all.mrr_start);
    CHECK(end == *all.mrr_end);
    CHECK(exp == *all.expansion_mrr);
    CHECK(con == *all.contraction_mrr);
    CHECK(churned == *all.churned_mrr);
    CHECK(in == out);
    CHECK(in_mrr == out_mrr);
    moved_total += in;
  }
  CHECK(moved_total > 0);
  CHECK(some_group_not_closed);

  // The all-customers figures are those of an ungrouped run; rows in another order, or read on
  // several threads, give the same groups.
  ActivityAggregator plain;
  feed(plain, rows);
  const auto ungrouped = plain.finish(csm::MetricOptions{});
  REQUIRE(ungrouped.size() == g.all.size());
  for (std::size_t i = 0; i < g.all.size(); ++i) {
    CHECK(ungrouped[i].mrr_end == g.all[i].mrr_end);
    CHECK(ungrouped[i].churned_customers == g.all[i].churned_customers);
    CHECK(ungrouped[i].expansion_mrr == g.all[i].expansion_mrr);
  }
  std::vector<Row> shuffled = rows;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  // Two aggregators with their own group numbering, merged.
  ActivityAggregator first;
  ActivityAggregator second;
  first.group_by_segment();
  second.group_by_segment();
  feed(first, std::vector<Row>(shuffled.rbegin(), shuffled.rbegin() + 500));
  feed(second, std::vector<Row>(shuffled.rbegin() + 500, shuffled.rend()));
  first.merge(std::move(second));
  first.finish(csm::MetricOptions{}, 2);
  const auto merged = first.take_groups();
  REQUIRE(merged.size() == g.groups.size());
  for (std::size_t i = 0; i < merged.size(); ++i) {
    CHECK(merged[i].group == g.groups[i].group);
    for (std::size_t m = 0; m < merged[i].periods.size(); ++m) {
      CHECK(merged[i].periods[m].mrr_end == g.groups[i].periods[m].mrr_end);
      CHECK(merged[i].periods[m].churned_customers == g.groups[i].periods[m].churned_customers);
      CHECK(merged[i].periods[m].csat_responses == g.groups[i].periods[m].csat_responses);
      CHECK(merged[i].moves[m].moved_in_mrr == g.groups[i].moves[m].moved_in_mrr);
    }
  }
}

TEST_CASE("groups: a month split over two groups goes to the larger, ties to the first name",
          "[groups]") {
  // x in Jan: 30 in "b" and 20 + 20 in "a": a has 40 in all, so a. In Feb: 25 in "b", 25 in "a":
  // a tie, so "a" (the smaller name) whatever the row order: no move, no churn anywhere.
  for (const bool reversed : {false, true}) {
    std::vector<Row> rows = {{"x", 1, 30, "b"}, {"x", 1, 20, "a"}, {"x", 1, 20, "a"},
                             {"x", 2, 25, "b"}, {"x", 2, 25, "a"}};
    if (reversed) std::reverse(rows.begin(), rows.end());
    const Grouped g = run(rows);
    const GroupPeriods& a = group(g, "a");
    const GroupPeriods& b = group(g, "b");
    CHECK(a.periods[0].customers_end == 1);
    CHECK(a.periods[0].mrr_end == money(70));  // the customer's whole month
    CHECK(b.periods[0].customers_end == 0);
    CHECK(a.periods[1].customers_end == 1);
    CHECK(a.periods[1].contraction_mrr == money(20));  // 70 -> 50
    CHECK(a.moves[1].moved_out_customers == 0);
  }
}

TEST_CASE("groups: quarters keep the group bridge", "[groups][grain]") {
  const Grouped g = run(kRows);
  const GroupPeriods q = csm::roll_up(group(g, "team"), csm::Grain::quarter, csm::MetricOptions{});
  REQUIRE(q.periods.size() == 1);
  // team Q1: S = Jan's S = 0; N 1 (d), C 1 (d in Feb), A 1, in 1 (a): E = 0-1-0+1+1+1 = 2.
  const PeriodMetrics& p = q.periods[0];
  CHECK(p.customers_start == 0);
  CHECK(p.new_customers == 1);
  CHECK(p.churned_customers == 1);
  CHECK(p.reactivated_customers == 1);
  CHECK(q.moves[0].moved_in_customers == 1);
  CHECK(q.moves[0].moved_in_mrr == money(100));
  CHECK(p.customers_end == 2);
  CHECK(p.mrr_end == money(130));
}

TEST_CASE("groups: more distinct values than kMaxGroups is an error", "[groups]") {
  ActivityAggregator a;
  a.group_by_segment();
  std::vector<Row> rows;
  for (std::uint32_t g = 0; g < ActivityAggregator::kMaxGroups; ++g) {
    rows.push_back({"c", 1, 1, "g" + std::to_string(g)});
  }
  feed(a, rows);  // exactly kMaxGroups values: fine
  CHECK_THROWS_AS(feed(a, {{"c", 1, 1, "one too many"}}), csm::TooManyGroups);
}

TEST_CASE("groups: clv and ltv_cac follow the group's retention", "[groups]") {
  // A group's month: S 10, C 1, one customer moved out (retained for the group: R = S - C = 9),
  // none moved in, N 2, A 0, E = 10 - 1 - 1 + 2 = 10. For all customers retention would be
  // (E - N - A) / S = 80 %; the group's is R / S = 90 %. arpu 1000 / 10 = 100, cac 300 / 2 = 150.
  // clv = 100 / (1 - 0.9) = 1000, ltv_cac = 1000 / 150 = 6.67 (not 100 / 0.2 / 150 = 3.33).
  csm::PeriodMetrics m;
  m.customers_start = 10;
  m.churned_customers = 1;
  m.new_customers = 2;
  m.reactivated_customers = 0;
  m.customers_end = 10;
  m.expanded_customers = 0;
  m.contracted_customers = 0;
  m.mrr_start = money(1000);
  m.mrr_end = money(1000);
  m.new_mrr = money(200);
  m.reactivation_mrr = 0;
  m.expansion_mrr = 0;
  m.contraction_mrr = 0;
  m.churned_mrr = money(100);
  m.acquisition_cost = money(300);
  csm::derive_rates(m, csm::DeriveContext{csm::MetricOptions{}, 1, csm::Population::group});
  CHECK(*m.retention_rate == Approx(90.0));
  CHECK(*m.cac == Approx(150.0));
  CHECK(*m.clv == Approx(1000.0));
  CHECK(*m.ltv_cac == Approx(1000.0 / 150.0));
}
