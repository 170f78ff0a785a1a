// Records fed through ActivityShards from several threads give exactly the metrics of one
// aggregator fed everything.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "csm/activity_aggregator.hpp"

namespace {

struct Row {
  std::string id;
  int month;
  csm::Money revenue;
  std::uint8_t csat;
};

std::vector<Row> rows(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<Row> out;
  for (std::size_t i = 0; i < n; ++i) {
    // Some ids long enough to leave the table slot's inline head; some revenue zero.
    std::string id = (i % 7 == 0 ? "a-customer-with-a-long-identifier-" : "c") +
                     std::to_string(rng() % 900);
    out.push_back({id, static_cast<int>(1 + rng() % 12),
                   static_cast<csm::Money>(rng() % 5) * 25'000'000, static_cast<std::uint8_t>(rng() % 6)});
  }
  return out;
}

csm::ActivityRecord record(const Row& r) {
  csm::ActivityRecord rec;
  rec.customer_id = r.id;
  rec.period = csm::YearMonth::from(2024, r.month);
  rec.revenue = r.revenue;
  rec.csat = r.csat;
  return rec;
}

bool same(const std::vector<csm::PeriodMetrics>& a, const std::vector<csm::PeriodMetrics>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& x = a[i];
    const auto& y = b[i];
    if (x.period != y.period || x.customers_start != y.customers_start ||
        x.churned_customers != y.churned_customers || x.new_customers != y.new_customers ||
        x.reactivated_customers != y.reactivated_customers || x.customers_end != y.customers_end ||
        x.expanded_customers != y.expanded_customers ||
        x.contracted_customers != y.contracted_customers || x.mrr_start != y.mrr_start ||
        x.mrr_end != y.mrr_end || x.new_mrr != y.new_mrr ||
        x.reactivation_mrr != y.reactivation_mrr || x.expansion_mrr != y.expansion_mrr ||
        x.contraction_mrr != y.contraction_mrr || x.churned_mrr != y.churned_mrr ||
        x.csat_responses != y.csat_responses || x.csat_satisfied != y.csat_satisfied) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("shards fed from several threads equal one aggregator", "[aggregate][shards]") {
  const std::vector<Row> all = rows(20000, 9);
  csm::ActivityAggregator one;
  for (const Row& r : all) one.add(record(r));
  const auto expected = one.finish(csm::MetricOptions{});
  REQUIRE(one.stats().customers > 1000);

  for (unsigned threads : {1u, 2u, 3u, 5u}) {
    INFO("threads " << threads);
    csm::ActivityShards shards(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (std::size_t i = t; i < all.size(); i += threads) {
          shards.add(t, record(all[i]));
          if (i % 1000 == 0) shards.receive(t);
        }
        shards.finish(t);
      });
    }
    for (std::thread& th : pool) th.join();
    csm::ActivityAggregator combined;
    for (unsigned t = 0; t < threads; ++t) combined.merge(shards.take(t));
    const auto got = combined.finish(csm::MetricOptions{}, 2);
    CHECK(same(got, expected));
    CHECK(combined.stats().customers == one.stats().customers);
    CHECK(combined.stats().records == one.stats().records);
    CHECK(combined.stats().customer_months == one.stats().customer_months);
  }
}

TEST_CASE("shards from two reads combine with a plain aggregator", "[aggregate][shards]") {
  // Parts of different shard groups overlap in customers: finish() merges them by id.
  const std::vector<Row> all = rows(6000, 4);
  csm::ActivityAggregator one;
  for (const Row& r : all) one.add(record(r));
  const auto expected = one.finish(csm::MetricOptions{});

  csm::ActivityAggregator combined;
  for (std::size_t i = 0; i < 2000; ++i) combined.add(record(all[i]));
  for (std::size_t begin : {std::size_t{2000}, std::size_t{4000}}) {
    csm::ActivityShards shards(2);
    std::thread second([&] {
      for (std::size_t i = begin + 1; i < begin + 2000; i += 2) shards.add(1, record(all[i]));
      shards.finish(1);
    });
    for (std::size_t i = begin; i < begin + 2000; i += 2) shards.add(0, record(all[i]));
    shards.finish(0);
    second.join();
    combined.merge(shards.take(0));
    combined.merge(shards.take(1));
  }
  CHECK(same(combined.finish(csm::MetricOptions{}, 2), expected));
  CHECK(combined.stats().customers == one.stats().customers);
}
