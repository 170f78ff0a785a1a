// Micro-benchmarks of the hot steps of `compute`: decimal and period parsing, the CSV reader,
// the customer index and the aggregation. Data is made here with a fixed seed.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/customer_index.hpp"
#include "csm/decimal.hpp"
#include "csm/io/csv_reader.hpp"
#include "csm/month.hpp"

namespace {

std::vector<std::string> ids(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("C" + std::to_string(1000000 + i));
  return out;
}

std::string activity_csv(std::size_t rows, std::size_t customers) {
  std::mt19937 rng(2);
  std::string text = "customer_id,period,revenue,acquisition_cost,csat,segment\n";
  for (std::size_t i = 0; i < rows; ++i) {
    text += "C" + std::to_string(1000000 + rng() % customers) + ",2024-" +
            std::to_string(10 + rng() % 3) + "," + std::to_string(rng() % 900) + ".99,,,pro\n";
  }
  return text;
}

void parse_money(benchmark::State& state) {
  const std::vector<std::string> values = {"104.74", "0.000001", "12000.5", "99", "3141.59"};
  csm::Money out = 0;
  for (auto _ : state) {
    for (const std::string& v : values) benchmark::DoNotOptimize(csm::parse_money(v, out));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}
BENCHMARK(parse_money);

void parse_period(benchmark::State& state) {
  csm::YearMonth out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(csm::parse_period("2024-07", out));
    benchmark::DoNotOptimize(csm::parse_period("2024-07-15", out));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(parse_period);

void intern_shuffled(benchmark::State& state) {
  const auto all = ids(static_cast<std::size_t>(state.range(0)));
  std::vector<std::size_t> order(all.size() * 4);
  std::mt19937 rng(1);
  for (std::size_t& i : order) i = rng() % all.size();
  for (auto _ : state) {
    csm::CustomerIndex index;
    for (std::size_t i : order) benchmark::DoNotOptimize(index.intern(all[i]));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(order.size()));
}
BENCHMARK(intern_shuffled)->Arg(10000)->Arg(400000);

struct CountRows final : csm::io::RowConsumer {
  std::size_t rows = 0;
  void row(std::span<const csm::io::Cell>, const csm::io::Location&) override { ++rows; }
};

void csv_reader(benchmark::State& state) {
  const std::string text = activity_csv(200000, 40000);
  const csm::io::ColumnMap columns({{"customer_id", true}, {"period", true}, {"revenue", true}});
  for (auto _ : state) {
    CountRows consumer;
    csm::io::CsvReader reader(columns, consumer, "bench.csv", ',');
    reader.parse(text, true);
    benchmark::DoNotOptimize(consumer.rows);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(csv_reader);

void aggregate(benchmark::State& state) {
  const auto all = ids(40000);
  std::mt19937 rng(3);
  std::vector<csm::ActivityRecord> records(400000);
  for (csm::ActivityRecord& r : records) {
    r.customer_id = all[rng() % all.size()];
    r.period = csm::YearMonth::from(2024, static_cast<int>(1 + rng() % 12));
    r.revenue = static_cast<csm::Money>(rng() % 1000) * csm::kMoneyScale;
  }
  for (auto _ : state) {
    csm::ActivityAggregator aggregator;
    for (const csm::ActivityRecord& r : records) aggregator.add(r);
    benchmark::DoNotOptimize(aggregator.finish(csm::MetricOptions{}));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(records.size()));
}
BENCHMARK(aggregate);

}  // namespace
