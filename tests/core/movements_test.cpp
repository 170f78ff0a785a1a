// Movements (ActivityAggregator::collect_movements) on the file worked out by hand in
// docs/movements.md, and on random data: the lines add up to the counts and MRR of the same
// aggregation's metrics, at every grain, with groups, for any number of threads.

#include "csm/movements.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"

using csm::ActivityAggregator;
using csm::Grain;
using csm::Money;
using csm::MovementList;
using csm::MovementOptions;
using csm::MovementType;
using csm::YearMonth;

namespace {

struct Row {
  std::string id;
  int month;  // of 2025
  double revenue;
  std::string segment;
};

// docs/movements.md: a moves pro -> team in March, c leaves in February and comes back in March,
// d's March row is a closing 0.00.
const std::vector<Row> kTiny = {
    {"a", 1, 100, "pro"},    {"b", 1, 50, "starter"},  {"c", 1, 20, "starter"},
    {"a", 2, 120, "pro"},    {"b", 2, 50, "starter"},  {"d", 2, 30, "starter"},
    {"a", 3, 120, "team"},   {"b", 3, 40, "starter"},  {"c", 3, 25, "starter"},
    {"d", 3, 0, "starter"},  {"a", 4, 150, "team"},    {"b", 4, 40, "starter"},
};

Money money(double units) { return static_cast<Money>(units * 1'000'000 + 0.5); }

MovementList movements(const std::vector<Row>& rows, const MovementOptions& options, bool grouped,
                       unsigned threads = 1) {
  ActivityAggregator a;
  if (grouped) a.group_by_segment();
  a.collect_movements(options);
  for (const Row& r : rows) {
    csm::ActivityRecord record;
    record.customer_id = r.id;
    record.period = YearMonth::from(2025, r.month);
    record.revenue = money(r.revenue);
    record.segment = r.segment;
    a.add(record);
  }
  (void)a.finish_raw(threads);
  return a.take_movements();
}

using Line = std::tuple<std::string, std::string, std::string, Money, Money, std::string>;

std::vector<Line> lines(const MovementList& list) {
  std::vector<Line> out;
  for (const csm::Movement& m : list.movements) {
    out.emplace_back(csm::period_label(m.period, list.grain), std::string(list.customer_id(m.customer)),
                     std::string(csm::to_string(m.type)), m.before, m.after,
                     list.grouped ? list.groups[m.group] : std::string());
  }
  return out;
}

Line line(const char* period, const char* id, const char* type, double before, double after,
          const char* group = "") {
  return {period, id, type, money(before), money(after), group};
}

}  // namespace

TEST_CASE("movements: the hand-worked months", "[movements]") {
  const MovementList list = movements(kTiny, MovementOptions{}, false);
  CHECK(lines(list) == std::vector<Line>{
                           line("2025-01", "a", "new", 0, 100),
                           line("2025-01", "b", "new", 0, 50),
                           line("2025-01", "c", "new", 0, 20),
                           line("2025-02", "a", "expansion", 100, 120),
                           line("2025-02", "c", "churn", 20, 0),
                           line("2025-02", "d", "new", 0, 30),
                           line("2025-03", "b", "contraction", 50, 40),
                           line("2025-03", "c", "reactivation", 0, 25),
                           line("2025-03", "d", "churn", 30, 0),
                           line("2025-04", "a", "expansion", 120, 150),
                           line("2025-04", "c", "churn", 25, 0),
                       });
  CHECK(list.customer_count() == 4);
}

TEST_CASE("movements: groups add the moves, quarters compare the period ends", "[movements]") {
  MovementOptions march;
  march.periods = {YearMonth::from(2025, 3)};
  CHECK(lines(movements(kTiny, march, true)) == std::vector<Line>{
                                                    line("2025-03", "a", "moved_in", 0, 120, "team"),
                                                    line("2025-03", "a", "moved_out", 120, 0, "pro"),
                                                    line("2025-03", "b", "contraction", 50, 40, "starter"),
                                                    line("2025-03", "c", "reactivation", 0, 25, "starter"),
                                                    line("2025-03", "d", "churn", 30, 0, "starter"),
                                                });
  MovementOptions quarters;
  quarters.grain = Grain::quarter;
  CHECK(lines(movements(kTiny, quarters, false)) == std::vector<Line>{
                                                        line("2025-Q1", "a", "new", 0, 120),
                                                        line("2025-Q1", "b", "new", 0, 40),
                                                        line("2025-Q1", "c", "new", 0, 25),
                                                        line("2025-Q2", "a", "expansion", 120, 150),
                                                        line("2025-Q2", "c", "churn", 25, 0),
                                                    });
  MovementOptions filtered;
  filtered.customers = {"c", "nobody"};
  filtered.types = 1u << static_cast<unsigned>(MovementType::churn);
  CHECK(lines(movements(kTiny, filtered, false)) ==
        std::vector<Line>{line("2025-02", "c", "churn", 20, 0), line("2025-04", "c", "churn", 25, 0)});
}

TEST_CASE("movements: type names", "[movements]") {
  for (int t = 0; t < csm::kMovementTypes; ++t) {
    const auto type = static_cast<MovementType>(t);
    CHECK(csm::parse_movement_type(csm::to_string(type)) == type);
  }
  CHECK(csm::to_string(MovementType::fresh) == "new");
  CHECK_FALSE(csm::parse_movement_type("New").has_value());
}

TEST_CASE("movements: lines add up to the counts of the same walk, any threads", "[movements]") {
  std::mt19937 rng(42);
  std::vector<Row> rows;
  const char* segments[] = {"a", "b", "c"};
  for (int c = 0; c < 300; ++c) {
    for (int m = 1; m <= 12; ++m) {
      if (rng() % 4 == 0) continue;  // gaps: churn and reactivation
      const int rows_here = 1 + static_cast<int>(rng() % 2);
      for (int k = 0; k < rows_here; ++k) {
        rows.push_back({"c" + std::to_string(c), m, static_cast<double>(rng() % 5) * 10.5,
                        segments[rng() % 3]});
      }
    }
  }
  for (const Grain grain : {Grain::month, Grain::quarter, Grain::year}) {
    for (const bool grouped : {false, true}) {
      ActivityAggregator a;
      if (grouped) a.group_by_segment();
      MovementOptions options;
      options.grain = grain;
      a.collect_movements(options);
      for (const Row& r : rows) {
        csm::ActivityRecord record;
        record.customer_id = r.id;
        record.period = YearMonth::from(2025, r.month);
        record.revenue = money(r.revenue);
        record.segment = r.segment;
        a.add(record);
      }
      const csm::ActivityRaw raw = a.finish_raw(1, grain);
      const MovementList list = a.take_movements();
      const auto& counts = grain == Grain::month ? raw.counts : raw.period_counts;
      std::vector<csm::MonthCounts> sums(counts.size());
      const std::int32_t base = csm::period_number(*raw.stats.first, grain);
      for (const csm::Movement& m : list.movements) {
        csm::MonthCounts& s = sums[static_cast<std::size_t>(csm::period_number(m.period, grain) - base)];
        switch (m.type) {
          case MovementType::fresh: ++s.fresh, s.new_mrr += m.change(); break;
          case MovementType::reactivation: ++s.reactivated, s.reactivation_mrr += m.change(); break;
          case MovementType::expansion: ++s.expanded, s.expansion_mrr += m.change(); break;
          case MovementType::contraction: ++s.contracted, s.contraction_mrr -= m.change(); break;
          case MovementType::churn: ++s.churned, s.churned_mrr += m.before; break;
          case MovementType::moved_in: case MovementType::moved_out: break;
        }
      }
      for (std::size_t i = 0; i < counts.size(); ++i) {
        INFO("grain " << static_cast<int>(grain) << " grouped " << grouped << " period " << i);
        CHECK(sums[i].fresh == counts[i].fresh);
        CHECK(sums[i].reactivated == counts[i].reactivated);
        CHECK(sums[i].expanded == counts[i].expanded);
        CHECK(sums[i].contracted == counts[i].contracted);
        CHECK(sums[i].churned == counts[i].churned);
        CHECK(sums[i].new_mrr == counts[i].new_mrr);
        CHECK(sums[i].reactivation_mrr == counts[i].reactivation_mrr);
        CHECK(sums[i].expansion_mrr == counts[i].expansion_mrr);
        CHECK(sums[i].contraction_mrr == counts[i].contraction_mrr);
        CHECK(sums[i].churned_mrr == counts[i].churned_mrr);
      }
      MovementOptions again = options;
      CHECK(lines(movements(rows, again, grouped, 3)) == lines(list));
    }
  }
}

TEST_CASE("append_money: exact text, also past 64 bits", "[movements]") {
  const std::vector<std::pair<csm::MoneySum, std::string>> cases = {
      {0, "0.00"},
      {1, "0.000001"},
      {-1, "-0.000001"},
      {10, "0.00001"},
      {999'999, "0.999999"},
      {1'000'000, "1.00"},
      {-1'500'000, "-1.50"},
      {123'456'789, "123.456789"},
      {INT64_MAX, "9223372036854.775807"},
      {INT64_MIN + 1, "-9223372036854.775807"},
      {static_cast<csm::MoneySum>(INT64_MAX) * INT64_MAX, "85070591730234615847396907784232.501249"},
  };
  for (const auto& [value, want] : cases) {
    std::string text = "x";
    csm::append_money(text, value);
    CHECK(text == "x" + want);
    CHECK(csm::format_money(value) == want);
  }
}
