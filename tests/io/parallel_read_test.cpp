// Reading one file in several shares at once must give exactly what one stream gives: the same
// metrics, the same first error with the same line, the same skipped records.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/record_input.hpp"
#include "memory_inputs.hpp"

namespace {

// An input held in memory under a name of its own (RecordInput::from_memory reads it in shares
// as it would a file).
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    static int count = 0;
    path = csm::test::MemoryDir().write("csm-split-" + std::to_string(++count), content);
  }
};

// Activity rows of `customers` customers over 24 months, in a scrambled order; `odd_ids` puts
// quoted ids with commas, doubled quotes and line breaks in.
std::string make_csv(int customers, bool odd_ids, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> rows;
  for (int c = 0; c < customers; ++c) {
    std::string id = "cust-" + std::to_string(c);
    if (odd_ids && c % 3 == 0) id = "\"Acme, line\nbreak \"\"" + std::to_string(c) + "\"\"\"";
    const int start = static_cast<int>(rng() % 12);
    const int stop = start + 1 + static_cast<int>(rng() % 12);
    for (int m = start; m < stop; ++m) {
      if (rng() % 10 == 0) continue;  // a gap: churn then reactivation
      const int cents = 1000 + static_cast<int>(rng() % 90000);
      const int month = m % 12 + 1;
      std::string row = id + "," + std::to_string(2024 + m / 12) + (month < 10 ? "-0" : "-") +
                        std::to_string(month) + "," +
                        std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
                        std::to_string(cents % 100) + ",";
      row += (m == start ? "150.00" : "");
      row += ",";
      row += (rng() % 4 == 0 ? std::to_string(1 + rng() % 5) : "");
      rows.push_back(row);
    }
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  std::string text = "customer_id,period,revenue,acquisition_cost,csat\n";
  for (const std::string& r : rows) text += r + "\n";
  return text;
}

struct Result {
  std::string json;
  std::string error;
  std::vector<std::string> skipped;
};

Result compute(const std::string& path, unsigned threads, bool skip_invalid = false) {
  csm::io::ReadOptions options;
  options.threads = threads;
  options.split_min_bytes = 1;  // split even these small files
  options.skip_invalid = skip_invalid;
  options.kind = csm::io::RecordKind::activity;
  Result result;
  try {
    csm::io::RecordInput input = csm::test::open_input({path}, options);
    csm::ActivityAggregator aggregator;
    input.read(aggregator);
    csm::io::MetricsReport report;
    report.periods = aggregator.finish(csm::MetricOptions{}, threads);
    report.activity = aggregator.stats();
    report.input = input.report();
    report.summary = csm::summarize(report.periods);
    result.json = csm::io::to_json(report);
    result.skipped = input.report().skipped_messages;
  } catch (const csm::InputError& e) {
    result.error = e.what();
  }
  return result;
}

}  // namespace

TEST_CASE("split reading gives the same metrics as one stream", "[io][split]") {
  for (const bool odd_ids : {false, true}) {
    const TempFile file(make_csv(3000, odd_ids, 7));
    const Result one = compute(file.path, 1);
    REQUIRE(one.error.empty());
    REQUIRE(one.json.find("\"records\": 0") == std::string::npos);
    for (unsigned threads : {2u, 3u, 4u, 7u}) {
      INFO("threads " << threads << (odd_ids ? " with quoted line breaks" : ""));
      const Result many = compute(file.path, threads);
      CHECK(many.error.empty());
      CHECK(many.json == one.json);
    }
  }
}

TEST_CASE("split reading reports the first bad record with its line", "[io][split]") {
  std::string text = make_csv(2000, true, 11);
  // Break one record near the end and one near the middle: the middle one is reported.
  const auto break_line = [&](double where) {
    std::size_t at = text.find("\ncust-", static_cast<std::size_t>(static_cast<double>(text.size()) * where));
    REQUIRE(at != std::string::npos);
    const std::size_t comma = text.find(',', at + 1);
    const std::size_t revenue = text.find(',', comma + 1) + 1;
    text.insert(revenue, "-");
    return std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at) + 1, '\n') + 1;
  };
  const auto middle_line = break_line(0.5);
  break_line(0.9);
  const TempFile file(text);
  const Result one = compute(file.path, 1);
  REQUIRE(one.error == file.path + ":" + std::to_string(middle_line) +
                           ": revenue: expected a decimal >= 0, got " +
                           one.error.substr(one.error.find("got ") + 4));
  for (unsigned threads : {2u, 3u, 5u}) {
    INFO("threads " << threads);
    CHECK(compute(file.path, threads).error == one.error);
    const Result skipped_one = compute(file.path, 1, true);
    const Result skipped_many = compute(file.path, threads, true);
    CHECK(skipped_many.skipped == skipped_one.skipped);
    CHECK(skipped_many.json == skipped_one.json);
    CHECK(skipped_one.skipped.size() == 2);
  }
}

TEST_CASE("split reading of JSON Lines gives the same metrics and errors", "[io][split]") {
  std::mt19937 rng(5);
  const std::string kBad = "{\"customer_id\": \"x\", \"period\": \"2024-13\", \"revenue\": 1}\n";
  std::string text;
  std::size_t bad_line = 0;
  for (int line = 1; line <= 20000; ++line) {
    const int month = static_cast<int>(rng() % 12) + 1;
    // Escaped line breaks and quotes in ids: a JSON Lines record never spans lines.
    text += "{\"customer_id\": \"c\\n\\\"" + std::to_string(rng() % 3000) + "\", \"period\": \"2024-" +
            (month < 10 ? "0" : "") + std::to_string(month) + "\", \"revenue\": " +
            std::to_string(rng() % 500) + ".25, \"extra\": {\"nested\": [1, 2]}}\n";
    if (line == 12345) {
      text += kBad;
      bad_line = static_cast<std::size_t>(line) + 1;
      ++line;
    }
  }
  std::string good_text = text;
  good_text.erase(good_text.find(kBad), kBad.size());
  const TempFile good(good_text);
  const Result one = compute(good.path, 1);
  REQUIRE(one.error.empty());
  const TempFile bad(text);
  const Result bad_one = compute(bad.path, 1);
  REQUIRE(bad_one.error.rfind(bad.path + ":" + std::to_string(bad_line) + ": period:", 0) == 0);
  for (unsigned threads : {2u, 3u, 8u}) {
    INFO("threads " << threads);
    CHECK(compute(good.path, threads).json == one.json);
    CHECK(compute(bad.path, threads).error == bad_one.error);
  }
}
