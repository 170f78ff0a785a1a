// Partial states (csm/activity_state.hpp): customer shards finished separately and added give
// the metrics of one aggregation of everything; the boundary rule of widen(); the shard hash.
#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"

namespace {

csm::ActivityRecord rec(const std::string& id, int month, csm::Money revenue, std::string_view segment = {}) {
  csm::ActivityRecord r;
  r.customer_id = id;
  r.period = csm::YearMonth::from(2024, month);
  r.revenue = revenue;
  r.segment = segment;
  return r;
}

constexpr csm::Money kUnit = 1'000'000;

}  // namespace

TEST_CASE("shard_hash is 64-bit FNV-1a", "[state]") {
  // Published FNV-1a 64 test vectors: "" is the offset basis; "a" and "foobar".
  CHECK(csm::shard_hash("") == 14695981039346656037ULL);
  CHECK(csm::shard_hash("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(csm::shard_hash("foobar") == 0x85944171f73967e8ULL);
  CHECK(csm::shard_of("a", 2) == 0xaf63dc4c8601ec8cULL % 2);
}

TEST_CASE("a shard that ends early: its last customers start and churn in the month after", "[state]") {
  // Shard A: customer a, 10 in 2024-01 only. Shard B: customer b, 5 in 2024-03.
  csm::ActivityAggregator a;
  a.add(rec("a", 1, 10 * kUnit));
  csm::ActivityAggregator b;
  b.add(rec("b", 3, 5 * kUnit));
  csm::ActivityRaw raw = a.finish_raw();
  csm::add_raw(raw, b.finish_raw());
  REQUIRE(raw.counts.size() == 3);  // 2024-01..2024-03
  // 2024-02: a was active in 2024-01 (S = 1) and is gone (C = 1, churned_mrr 10).
  CHECK(raw.counts[1].start == 1);
  CHECK(raw.counts[1].churned == 1);
  CHECK(raw.counts[1].churned_mrr == 10 * kUnit);
  CHECK(raw.counts[1].end == 0);
  // 2024-03: b is new; nobody starts.
  CHECK(raw.counts[2].start == 0);
  CHECK(raw.counts[2].fresh == 1);
  CHECK(raw.stats.customers == 2);
  CHECK(raw.stats.records == 2);
}

TEST_CASE("customer shards added equal one aggregation, with groups", "[state]") {
  std::mt19937 rng(7);
  const std::vector<std::string> segments = {"pro", "", "basic"};
  std::vector<csm::ActivityRecord> records;
  std::vector<std::string> ids;
  for (int i = 0; i < 600; ++i) ids.push_back("c" + std::to_string(rng() % 150));
  for (int i = 0; i < 600; ++i) {
    records.push_back(rec(ids[static_cast<std::size_t>(i)], static_cast<int>(1 + rng() % 12),
                          static_cast<csm::Money>(rng() % 4) * kUnit, segments[rng() % 3]));
    records.back().csat = static_cast<std::uint8_t>(rng() % 6);
  }
  for (const std::uint32_t n : {1u, 2u, 3u, 7u}) {
    csm::ActivityAggregator whole;
    whole.group_by_segment();
    std::vector<csm::ActivityAggregator> shards(n);
    for (auto& s : shards) s.group_by_segment();
    for (const auto& r : records) {
      whole.add(r);
      shards[csm::shard_of(r.customer_id, n)].add(r);
    }
    const csm::MetricOptions options;
    const auto expected = whole.finish(options);
    const auto expected_groups = whole.take_groups();
    csm::ActivityRaw raw;
    raw.grouped = true;
    for (auto& s : shards) csm::add_raw(raw, s.finish_raw());
    std::vector<csm::GroupPeriods> groups;
    const auto got = csm::periods_from_raw(raw, options, &groups);
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].customers_start == expected[i].customers_start);
      CHECK(got[i].churned_customers == expected[i].churned_customers);
      CHECK(got[i].new_customers == expected[i].new_customers);
      CHECK(got[i].reactivated_customers == expected[i].reactivated_customers);
      CHECK(got[i].mrr_end == expected[i].mrr_end);
      CHECK(got[i].churned_mrr == expected[i].churned_mrr);
      CHECK(got[i].csat_responses == expected[i].csat_responses);
    }
    REQUIRE(groups.size() == expected_groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) {
      CHECK(groups[g].group == expected_groups[g].group);
      for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(groups[g].periods[i].customers_end == expected_groups[g].periods[i].customers_end);
        CHECK(groups[g].moves[i].moved_in_mrr == expected_groups[g].moves[i].moved_in_mrr);
      }
    }
    CHECK(raw.stats.customers == whole.stats().customers);
    CHECK(raw.stats.customer_months == whole.stats().customer_months);
  }
}

TEST_CASE("adding a grouped state to an ungrouped one is refused", "[state]") {
  csm::ActivityRaw plain;
  csm::ActivityRaw grouped;
  grouped.grouped = true;
  CHECK_THROWS_AS(csm::add_raw(plain, grouped), std::invalid_argument);
}

TEST_CASE("month cohort tables of customer shards, added and rolled up, equal the direct table", "[state]") {
  std::mt19937 rng(11);
  std::vector<csm::ActivityRecord> records;
  std::vector<std::string> ids;
  const std::vector<std::string> segments = {"a", "b"};
  for (int i = 0; i < 400; ++i) ids.push_back("k" + std::to_string(rng() % 90));
  for (int i = 0; i < 400; ++i) {
    // Months 2..11 of 2024: the range starts and ends inside quarters.
    records.push_back(rec(ids[static_cast<std::size_t>(i)], static_cast<int>(2 + rng() % 10),
                          static_cast<csm::Money>(rng() % 3) * kUnit, segments[rng() % 2]));
  }
  for (const csm::Grain grain : {csm::Grain::month, csm::Grain::quarter, csm::Grain::year}) {
    for (const bool exclude : {false, true}) {
      csm::CohortOptions options;
      options.grain = grain;
      options.exclude_reactivated = exclude;
      csm::ActivityAggregator whole;  // the direct computation at the grain
      whole.group_by_segment();
      whole.collect_cohorts(options);
      csm::CohortOptions monthly = options;
      monthly.grain = csm::Grain::month;
      std::vector<csm::ActivityAggregator> shards(3);
      for (auto& s : shards) {
        s.group_by_segment();
        s.collect_cohorts(monthly);
      }
      for (const auto& r : records) {
        whole.add(r);
        shards[csm::shard_of(r.customer_id, 3)].add(r);
      }
      (void)whole.finish(csm::MetricOptions{});
      const csm::CohortTable expected = whole.take_cohorts();
      csm::CohortTable sum;
      std::optional<csm::YearMonth> first;
      std::optional<csm::YearMonth> last;
      for (auto& s : shards) {
        (void)s.finish(csm::MetricOptions{});
        if (!first || *s.stats().first < *first) first = s.stats().first;
        if (!last || *last < *s.stats().last) last = s.stats().last;
        csm::add_month_cohorts(sum, s.take_cohorts());
      }
      const csm::CohortTable got = csm::roll_up_cohorts(sum, *first, *last, options);
      CHECK(got.months_covered == expected.months_covered);
      REQUIRE(got.cohorts.size() == expected.cohorts.size());
      for (std::size_t c = 0; c < got.cohorts.size(); ++c) {
        CHECK(got.cohorts[c].period == expected.cohorts[c].period);
        CHECK(got.cohorts[c].customers == expected.cohorts[c].customers);
        REQUIRE(got.cohorts[c].ages.size() == expected.cohorts[c].ages.size());
        for (std::size_t a = 0; a < got.cohorts[c].ages.size(); ++a) {
          CHECK(got.cohorts[c].ages[a].active_customers == expected.cohorts[c].ages[a].active_customers);
          CHECK(got.cohorts[c].ages[a].revenue == expected.cohorts[c].ages[a].revenue);
        }
      }
      REQUIRE(got.groups.size() == expected.groups.size());
      for (std::size_t g = 0; g < got.groups.size(); ++g) {
        CHECK(got.groups[g].group == expected.groups[g].group);
        CHECK(got.groups[g].cohorts.size() == expected.groups[g].cohorts.size());
      }
    }
  }
}
