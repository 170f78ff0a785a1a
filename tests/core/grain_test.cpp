// Quarters and years (csm/grain.hpp, csm/activity_state.hpp): labels; summary records rolled up
// by summing their months, and activity records compared at the period ends, each on a small
// dataset worked out by hand (with customers who join and leave inside one quarter); null
// propagation; the monthly-equivalent retention behind clv; shards with different ranges.

#include "csm/grain.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"

using csm::Grain;
using csm::GrainPeriods;
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

TEST_CASE("summary records: quarters sum the movements of their months", "[grain]") {
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

// Activity records at a coarser grain: each customer is looked at in the last month of each
// period (the data's last month for the last period), the snapshots of docs/metrics.md section 10.
namespace {

struct Row {
  std::string id;
  int month;  // of 2024
  std::int64_t revenue;
  std::string segment;
};

csm::ActivityRaw raw_of(const std::vector<Row>& rows, Grain grain, bool grouped) {
  csm::ActivityAggregator aggregator;
  if (grouped) aggregator.group_by_segment();
  for (const Row& row : rows) {
    csm::ActivityRecord r;
    r.customer_id = row.id;
    r.period = YearMonth::from(2024, row.month);
    r.revenue = money(row.revenue);
    r.segment = row.segment;
    aggregator.add(r);
  }
  return aggregator.finish_raw(1, grain);
}

// a: Jan 100, Mar 100, Jun 150 (moves from pro to ent in June)   b: Mar, Apr, May 80 (pro)
// c: Feb 30 (pro; joins and leaves inside Q1)   f: Jan 20, Jun 25 (basic; back in Q2)
// g: May 60, Jun 40 (basic)   h: Mar 50, Jun 30 (basic)
const std::vector<Row> kHalfYear = {
    {"a", 1, 100, "pro"},  {"a", 3, 100, "pro"},  {"a", 6, 150, "ent"},  {"b", 3, 80, "pro"},
    {"b", 4, 80, "pro"},   {"b", 5, 80, "pro"},   {"c", 2, 30, "pro"},   {"f", 1, 20, "basic"},
    {"f", 6, 25, "basic"}, {"g", 5, 60, "basic"}, {"g", 6, 40, "basic"}, {"h", 3, 50, "basic"},
    {"h", 6, 30, "basic"}};

GrainPeriods quarters_of(const csm::ActivityRaw& raw, std::vector<csm::GroupPeriods>* groups) {
  const auto monthly = csm::periods_from_raw(raw, csm::MetricOptions{}, groups);
  return csm::roll_up(monthly, raw, csm::MetricOptions{}, groups);
}

}  // namespace

TEST_CASE("quarters of activity records compare the customers at the period ends", "[grain]") {
  const csm::ActivityRaw raw = raw_of(kHalfYear, Grain::quarter, false);
  const GrainPeriods q = quarters_of(raw, nullptr);
  REQUIRE(q.periods.size() == 2);
  CHECK(q.months == std::vector<std::int32_t>{3, 3});

  // Q1, seen in March: a 100, b 80, h 50 active, all first active in Q1: N 3, E 3, mrr 230.
  // c (Feb only) and f (Jan only) joined and left inside the quarter: neither new nor churned.
  const PeriodMetrics& q1 = q.periods[0];
  CHECK(q1.customers_start == 0);
  CHECK(q1.new_customers == 3);
  CHECK(q1.new_mrr == money(230));
  CHECK(q1.churned_customers == 0);
  CHECK(q1.reactivated_customers == 0);
  CHECK(q1.customers_end == 3);
  CHECK(q1.mrr_end == money(230));
  CHECK(!q1.churn_rate);

  // Q2, March against June: S = {a 100, b 80, h 50} = 230. In June a 150 (expanded +50),
  // h 30 (contracted -20), b gone (churned 80, although active in April and May), g new (40),
  // f back (25; first active in Q1, not at the end of Q1: reactivated, with no churn counted).
  // E = R + N + A = 2 + 1 + 1 = 4; mrr_end = 230 - 80 - 20 + 50 + 40 + 25 = 245.
  const PeriodMetrics& q2 = q.periods[1];
  CHECK(q2.customers_start == 3);
  CHECK(q2.mrr_start == money(230));
  CHECK(q2.churned_customers == 1);
  CHECK(q2.churned_mrr == money(80));
  CHECK(q2.retained_customers == 2);
  CHECK(q2.expanded_customers == 1);
  CHECK(q2.expansion_mrr == money(50));
  CHECK(q2.contracted_customers == 1);
  CHECK(q2.contraction_mrr == money(20));
  CHECK(q2.new_customers == 1);
  CHECK(q2.new_mrr == money(40));
  CHECK(q2.reactivated_customers == 1);
  CHECK(q2.reactivation_mrr == money(25));
  CHECK(q2.customers_end == 4);
  CHECK(q2.mrr_end == money(245));
  CHECK(*q2.churn_rate == Approx(100.0 / 3));
  CHECK(*q2.retention_rate == Approx(200.0 / 3));
  CHECK(*q2.grr == Approx(100.0 * 130 / 230));  // (230 - 80 - 20) / 230
  CHECK(*q2.nrr == Approx(100.0 * 180 / 230));  // (230 - 80 - 20 + 50) / 230
  CHECK(*q2.arpu == Approx(61.25));             // 245 / 4
  CHECK(*q2.quick_ratio == Approx(1.15));       // (40 + 50 + 25) / (80 + 20)
  CHECK(*q2.clv == Approx(61.25 / (1.0 - std::cbrt(2.0 / 3))));

  // The year, seen in June against nothing before: every customer active in June is new.
  const csm::ActivityRaw year_raw = raw_of(kHalfYear, Grain::year, false);
  const GrainPeriods y = quarters_of(year_raw, nullptr);
  REQUIRE(y.periods.size() == 1);
  CHECK(y.months == std::vector<std::int32_t>{6});
  CHECK(y.periods[0].customers_start == 0);
  CHECK(y.periods[0].new_customers == 4);
  CHECK(y.periods[0].churned_customers == 0);
  CHECK(y.periods[0].customers_end == 4);
  CHECK(y.periods[0].mrr_end == money(245));
}

TEST_CASE("quarters per group: a move between the period ends is not churn", "[grain]") {
  const csm::ActivityRaw raw = raw_of(kHalfYear, Grain::quarter, true);
  std::vector<csm::GroupPeriods> groups;
  const GrainPeriods q = quarters_of(raw, &groups);
  REQUIRE(groups.size() == 3);
  REQUIRE(groups[0].group == "basic");
  REQUIRE(groups[1].group == "ent");
  REQUIRE(groups[2].group == "pro");
  for (const auto& g : groups) REQUIRE(g.periods.size() == 2);

  // pro, Q2: S = {a 100, b 80}; a is in ent in June (moved out, 100), b churned (80): E 0.
  const PeriodMetrics& pro = groups[2].periods[1];
  CHECK(pro.customers_start == 2);
  CHECK(pro.churned_customers == 1);
  CHECK(pro.churned_mrr == money(80));
  CHECK(groups[2].moves[1].moved_out_customers == 1);
  CHECK(groups[2].moves[1].moved_out_mrr == money(100));
  CHECK(pro.customers_end == 0);
  CHECK(*pro.churn_rate == Approx(50.0));
  // ent, Q2: a moved in with 100 and grew to 150 there.
  const PeriodMetrics& ent = groups[1].periods[1];
  CHECK(ent.customers_start == 0);
  CHECK(groups[1].moves[1].moved_in_customers == 1);
  CHECK(groups[1].moves[1].moved_in_mrr == money(100));
  CHECK(ent.expansion_mrr == money(50));
  CHECK(ent.customers_end == 1);
  CHECK(ent.mrr_end == money(150));
  // basic, Q2: S = {h 50}; h contracted to 30, g new (40), f back (25): E 3, mrr 95.
  const PeriodMetrics& basic = groups[0].periods[1];
  CHECK(basic.customers_start == 1);
  CHECK(basic.contraction_mrr == money(20));
  CHECK(basic.new_customers == 1);
  CHECK(basic.reactivated_customers == 1);
  CHECK(basic.customers_end == 3);
  CHECK(basic.mrr_end == money(95));
  // Q1: pro a and b new (c left inside the quarter), basic h new.
  CHECK(groups[2].periods[0].new_customers == 2);
  CHECK(groups[0].periods[0].new_customers == 1);
  CHECK(groups[1].periods[0].customers_end == 0);

  // The groups add up to all customers, except that moves cancel out.
  for (std::size_t i = 0; i < 2; ++i) {
    std::int64_t start = 0, end = 0, churned = 0, fresh = 0;
    for (const auto& g : groups) {
      start += *g.periods[i].customers_start;
      end += *g.periods[i].customers_end;
      churned += *g.periods[i].churned_customers;
      fresh += *g.periods[i].new_customers;
    }
    CHECK(start == *q.periods[i].customers_start);
    CHECK(end == *q.periods[i].customers_end);
    CHECK(churned == *q.periods[i].churned_customers);
    CHECK(fresh == *q.periods[i].new_customers);
  }
}

TEST_CASE("quarters of customer shards with different ranges add up to one aggregation", "[grain]") {
  // Shards whose data end before the whole's: b (March to May, inside Q2), c (February only,
  // inside Q1) and k (January to March, at the end of Q1). The whole runs to June.
  std::vector<Row> rows = kHalfYear;
  rows.push_back({"k", 1, 10, "pro"});
  rows.push_back({"k", 3, 10, "pro"});
  const auto only = [&](const std::vector<std::string>& ids) {
    std::vector<Row> out;
    for (const Row& r : rows) {
      if (std::find(ids.begin(), ids.end(), r.id) != ids.end()) out.push_back(r);
    }
    return out;
  };
  for (const bool grouped : {false, true}) {
    for (const Grain grain : {Grain::quarter, Grain::year}) {
      const csm::ActivityRaw whole = raw_of(rows, grain, grouped);
      csm::ActivityRaw sum;
      sum.grouped = grouped;
      sum.grain = grain;
      for (const auto& ids : std::vector<std::vector<std::string>>{
               {"b"}, {"c"}, {"k"}, {"a", "f", "g", "h"}}) {
        csm::add_raw(sum, raw_of(only(ids), grain, grouped));
      }
      REQUIRE(sum.period_counts.size() == whole.period_counts.size());
      for (std::size_t i = 0; i < whole.period_counts.size(); ++i) {
        const csm::MonthCounts& a = sum.period_counts[i];
        const csm::MonthCounts& b = whole.period_counts[i];
        INFO("grouped " << grouped << ", grain " << csm::to_string(grain) << ", period " << i);
        CHECK(a.start == b.start);
        CHECK(a.churned == b.churned);
        CHECK(a.fresh == b.fresh);
        CHECK(a.reactivated == b.reactivated);
        CHECK(a.end == b.end);
        CHECK(a.expanded == b.expanded);
        CHECK(a.contracted == b.contracted);
        CHECK(a.mrr_start == b.mrr_start);
        CHECK(a.mrr_end == b.mrr_end);
        CHECK(a.churned_mrr == b.churned_mrr);
        CHECK(a.new_mrr == b.new_mrr);
        CHECK(a.expansion_mrr == b.expansion_mrr);
        CHECK(a.contraction_mrr == b.contraction_mrr);
        CHECK(a.reactivation_mrr == b.reactivation_mrr);
      }
      REQUIRE(sum.groups.size() == whole.groups.size());
      for (std::size_t g = 0; g < whole.groups.size(); ++g) {
        for (std::size_t i = 0; i < whole.groups[g].period_counts.size(); ++i) {
          INFO("group " << whole.groups[g].name << ", period " << i);
          CHECK(sum.groups[g].period_counts[i].start == whole.groups[g].period_counts[i].start);
          CHECK(sum.groups[g].period_counts[i].churned == whole.groups[g].period_counts[i].churned);
          CHECK(sum.groups[g].period_counts[i].end == whole.groups[g].period_counts[i].end);
          CHECK(sum.groups[g].period_counts[i].mrr_end == whole.groups[g].period_counts[i].mrr_end);
          CHECK(sum.groups[g].period_moves[i].moved_out_customers ==
                whole.groups[g].period_moves[i].moved_out_customers);
          CHECK(sum.groups[g].period_moves[i].moved_in_mrr == whole.groups[g].period_moves[i].moved_in_mrr);
        }
      }
    }
  }
  // And by hand for Q2 of the whole: k (active in March) churned in Q2 with 10, b with 80.
  const csm::ActivityRaw whole = raw_of(rows, Grain::quarter, false);
  CHECK(whole.period_counts[1].start == 4);
  CHECK(whole.period_counts[1].churned == 2);
  CHECK(whole.period_counts[1].churned_mrr == money(90));
}
