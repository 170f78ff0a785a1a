// Transaction files read in several shares at once give exactly the summary of one stream, the
// same first error with the same line, and the same skipped records.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "csm/error.hpp"
#include "csm/io/predictive_writer.hpp"
#include "csm/io/record_input.hpp"
#include "memory_inputs.hpp"

namespace {

// An input held in memory under a name of its own (RecordInput::from_memory reads it in shares
// as it would a file).
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    static int count = 0;
    path = csm::test::MemoryDir().write("csm-tx-split-" + std::to_string(++count), content);
  }
};

// Purchases of `customers` customers on random days of 2024, some on the same day, shuffled;
// `odd_ids` puts quoted ids with commas and line breaks in; `bad_line` > 0 makes that data row
// (1-based) carry a negative amount.
std::string make_transactions(int customers, bool odd_ids, unsigned seed, int bad_line = 0) {
  std::mt19937 rng(seed);
  std::vector<std::string> rows;
  for (int c = 0; c < customers; ++c) {
    std::string id = "c" + std::to_string(c);
    if (odd_ids && c % 5 == 0) id = "\"Shop, line\nbreak " + std::to_string(c) + "\"";
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      const int day = 1 + static_cast<int>(rng() % 28), month = 1 + static_cast<int>(rng() % 12);
      rows.push_back(id + ",2024-" + (month < 10 ? "0" : "") + std::to_string(month) + "-" +
                     (day < 10 ? "0" : "") + std::to_string(day) + "," +
                     std::to_string(rng() % 200) + "." + std::to_string(10 + rng() % 90));
    }
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  if (bad_line > 0) rows[static_cast<std::size_t>(bad_line - 1)] = "bad,2024-05-05,-1.00";
  std::string text = "customer_id,date,amount\n";
  for (const std::string& r : rows) text += r + "\n";
  return text;
}

struct Result {
  std::string csv;
  std::string error;
  std::vector<std::string> skipped;
};

Result summarise(const std::vector<std::string>& paths, unsigned threads, bool skip_invalid = false) {
  csm::io::ReadOptions options;
  options.threads = threads;
  options.split_min_bytes = 1;  // split even these small files
  options.skip_invalid = skip_invalid;
  options.kind = csm::io::RecordKind::transaction;
  Result result;
  try {
    csm::io::RecordInput input = csm::test::open_input(paths, options);
    csm::Date end, holdout;
    csm::parse_date("2024-08-31", end);
    csm::parse_date("2024-12-31", holdout);
    csm::RfmAccumulator accumulator(end, holdout);
    input.read(accumulator);
    csm::io::RfmReport report;
    report.summary = accumulator.finish(csm::TimeUnit::week);
    result.csv = csm::io::to_csv(report) + std::to_string(report.summary.holdout_occasions) + " " +
                 std::to_string(input.report().records);
    result.skipped = input.report().skipped_messages;
  } catch (const csm::InputError& e) {
    result.error = e.what();
  }
  return result;
}

Result summarise(const std::string& path, unsigned threads, bool skip_invalid = false) {
  return summarise(std::vector<std::string>{path}, threads, skip_invalid);
}

}  // namespace

TEST_CASE("transactions: split reading gives the same summary as one stream", "[io][split][rfm]") {
  for (const bool odd_ids : {false, true}) {
    const TempFile file(make_transactions(2000, odd_ids, 3));
    const Result one = summarise(file.path, 1);
    REQUIRE(one.error.empty());
    for (unsigned threads : {2u, 3u, 5u}) {
      INFO("threads " << threads << (odd_ids ? " with quoted line breaks" : ""));
      const Result many = summarise(file.path, threads);
      CHECK(many.error.empty());
      CHECK(many.csv == one.csv);
    }
  }
}

TEST_CASE("transactions: split reading reports the same error and skips", "[io][split][rfm]") {
  const TempFile file(make_transactions(2000, false, 4, 9000));
  const Result one = summarise(file.path, 1);
  REQUIRE_FALSE(one.error.empty());
  CHECK(one.error.find(":9001: amount: expected a decimal >= 0") != std::string::npos);
  const Result many = summarise(file.path, 4);
  CHECK(many.error == one.error);
  const Result skip_one = summarise(file.path, 1, true), skip_many = summarise(file.path, 4, true);
  CHECK(skip_one.skipped.size() == 1);
  CHECK(skip_many.skipped == skip_one.skipped);
  CHECK(skip_many.csv == skip_one.csv);
}

TEST_CASE("transactions: several files read in shares give the summary of one stream",
          "[io][split][rfm]") {
  // The second file's shards are merged into the first file's (which are disjoint among
  // themselves): customers c0..c1999 appear in both files.
  const TempFile first(make_transactions(2000, false, 5)), second(make_transactions(2000, false, 6));
  const Result one = summarise(std::vector<std::string>{first.path, second.path}, 1);
  REQUIRE(one.error.empty());
  for (unsigned threads : {2u, 3u}) {
    INFO("threads " << threads);
    const Result many = summarise(std::vector<std::string>{first.path, second.path}, threads);
    CHECK(many.error.empty());
    CHECK(many.csv == one.csv);
  }
}
