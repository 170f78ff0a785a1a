// Subscription records through the readers: detection, field checks, and the same metrics as
// the activity records they stand for.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "memory_inputs.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/record_input.hpp"
#include "csm/spend.hpp"

namespace {

using csm::io::ReadOptions;
using csm::io::RecordInput;
using csm::io::RecordKind;

// The JSON of a run, with only what depends on the records' meaning: the periods and summary.
std::string metrics_json(const std::string& path, ReadOptions options = {}) {
  RecordInput input = csm::test::open_input({path}, std::move(options));
  csm::ActivityAggregator aggregator;
  input.read(aggregator);
  csm::io::MetricsReport report;
  report.periods = aggregator.finish(csm::MetricOptions{});
  report.summary = csm::summarize(report.periods);
  return csm::io::to_json(report);
}

std::string read_error(const std::string& path, ReadOptions options = {}) {
  try {
    metrics_json(path, std::move(options));
  } catch (const csm::InputError& e) {
    return e.what();
  }
  return "";
}

// Written by hand, month by month (active on the month's last day; end_date exclusive):
//   a 2024-01-15 open 100 (cost 300)      -> Jan..May 100
//   a 2024-03-01 .. 2024-04-01 50.5       -> Mar
//   b 2024-01-31 .. 2024-03-31 80 (120)   -> Jan, Feb (not active on Mar 31)
//   c 2024-02-10 .. 2024-02-20 70 (90)    -> never active; its cost is booked in Feb
//   b 2024-05-02 open 60                  -> May (a reactivation)
//   e 2024-02-01 .. 2024-05-01 25.25 (10) -> Feb, Mar, Apr
// The range ends in May (the latest start or end month).
const char* const kSubscriptions =
    "customer_id,start_date,end_date,mrr,segment,acquisition_cost\n"
    "a,2024-01-15,,100,pro,300\n"
    "a,2024-03-01,2024-04-01,50.5,pro,\n"
    "b,2024-01-31,2024-03-31,80,basic,120\n"
    "c,2024-02-10,2024-02-20,70,basic,90\n"
    "b,2024-05-02,,60,basic,\n"
    "e,2024-02-01,2024-05-01,25.25,,10\n";
const char* const kActivity =
    "customer_id,period,revenue,acquisition_cost\n"
    "a,2024-01,100,300\n"
    "a,2024-02,100,\n"
    "a,2024-03,150.5,\n"
    "a,2024-04,100,\n"
    "a,2024-05,100,\n"
    "b,2024-01,80,120\n"
    "b,2024-02,80,\n"
    "b,2024-05,60,\n"
    "c,2024-02,0,90\n"
    "e,2024-02,25.25,10\n"
    "e,2024-03,25.25,\n"
    "e,2024-04,25.25,\n";

}  // namespace

TEST_CASE("subscription records give the metrics of the equivalent activity records",
          "[io][subscription]") {
  csm::test::MemoryDir dir;
  const std::string subs = dir.write("subs.csv", kSubscriptions);
  const std::string activity = dir.write("activity.csv", kActivity);
  RecordInput detect = csm::test::open_input({subs}, {});
  CHECK(detect.kind() == RecordKind::subscription);
  const std::string from_subscriptions = metrics_json(subs);
  CHECK(from_subscriptions == metrics_json(activity));
  CHECK(from_subscriptions.find("\"period\": \"2024-05\"") != std::string::npos);

  // The same subscriptions as JSON Lines, end_date null or absent for open ones.
  const std::string jsonl = dir.write(
      "subs.jsonl",
      "{\"customer_id\": \"a\", \"start_date\": \"2024-01-15\", \"end_date\": null, \"mrr\": 100, "
      "\"acquisition_cost\": 300}\n"
      "{\"customer_id\": \"a\", \"start_date\": \"2024-03-01\", \"end_date\": \"2024-04-01\", "
      "\"mrr\": \"50.5\"}\n"
      "{\"customer_id\": \"b\", \"start_date\": \"2024-01-31\", \"end_date\": \"2024-03-31\", "
      "\"mrr\": 80, \"acquisition_cost\": 120}\n"
      "{\"customer_id\": \"c\", \"start_date\": \"2024-02-10\", \"end_date\": \"2024-02-20\", "
      "\"mrr\": 70, \"acquisition_cost\": 90}\n"
      "{\"customer_id\": \"b\", \"start_date\": \"2024-05-02\", \"mrr\": 60}\n"
      "{\"customer_id\": \"e\", \"start_date\": \"2024-02-01\", \"end_date\": \"2024-05-01\", "
      "\"mrr\": 25.25, \"acquisition_cost\": 10}\n");
  CHECK(metrics_json(jsonl) == from_subscriptions);
}

TEST_CASE("subscription records: report and until", "[io][subscription]") {
  csm::test::MemoryDir dir;
  const std::string subs = dir.write("subs.csv", kSubscriptions);
  RecordInput input = csm::test::open_input({subs}, {});
  csm::ActivityAggregator aggregator;
  input.read(aggregator);
  REQUIRE(input.report().subscriptions);
  CHECK(input.report().records == 6);
  CHECK(input.report().subscriptions->subscriptions == 6);
  CHECK(input.report().subscriptions->open == 2);
  CHECK(input.report().subscriptions->never_active == 1);

  // --until 2024-03: the activity rows up to March only.
  ReadOptions until;
  until.until = csm::YearMonth::from(2024, 3);
  const std::string expected = dir.write(
      "cut.csv",
      "customer_id,period,revenue,acquisition_cost\n"
      "a,2024-01,100,300\na,2024-02,100,\na,2024-03,150.5,\nb,2024-01,80,120\nb,2024-02,80,\n"
      "c,2024-02,0,90\ne,2024-02,25.25,10\ne,2024-03,25.25,\n");
  CHECK(metrics_json(subs, until) == metrics_json(expected));
}

TEST_CASE("subscription records: field errors", "[io][subscription]") {
  csm::test::MemoryDir dir;
  const std::string header = "customer_id,start_date,end_date,mrr\n";
  const std::string backwards = dir.write("a.csv", header + "a,2024-03-01,2024-02-28,10\n");
  CHECK(read_error(backwards) ==
        backwards + ":2: end_date: expected a date on or after start_date (2024-03-01), got 2024-02-28");
  const std::string month_only = dir.write("b.csv", header + "a,2024-03,,10\n");
  CHECK(read_error(month_only) ==
        month_only + ":2: start_date: expected a date as YYYY-MM-DD, got \"2024-03\"");
  const std::string bad_day = dir.write("c.csv", header + "a,2024-01-01,2023-02-29,10\n");
  CHECK(read_error(bad_day) ==
        bad_day + ":2: end_date: expected a day that exists in its month, got \"2023-02-29\"");
  const std::string no_mrr = dir.write("d.csv", "customer_id,start_date\na,2024-01-01\n");
  CHECK(read_error(no_mrr) == no_mrr +
                                  ":1: missing required column \"mrr\" (the header has: "
                                  "customer_id, start_date; map another column with --column "
                                  "mrr=NAME)");
  const std::string negative = dir.write("e.csv", header + "a,2024-01-01,,-5\n");
  CHECK(read_error(negative).find(":2: mrr: expected a decimal >= 0") != std::string::npos);

  // end_date == start_date is fine (active in no month); skipped records are counted.
  ReadOptions skip;
  skip.skip_invalid = true;
  const std::string mixed = dir.write(
      "f.csv", header + "a,2024-01-01,2024-01-01,10\nb,2024-01-05,2024-01-04,10\nc,2024-01-05,,10\n");
  RecordInput input = csm::test::open_input({mixed}, skip);
  csm::ActivityAggregator aggregator;
  input.read(aggregator);
  CHECK(input.report().records == 2);
  CHECK(input.report().skipped == 1);
}

TEST_CASE("subscription kind is detected through a renamed start_date", "[io][subscription]") {
  csm::test::MemoryDir dir;
  const std::string path =
      dir.write("r.csv", "customer_id,Begin,end_date,mrr\na,2024-01-01,,10\n");
  ReadOptions options;
  options.renames = {{"start_date", "Begin"}};
  RecordInput input = csm::test::open_input({path}, options);
  CHECK(input.kind() == RecordKind::subscription);
  RecordInput plain = csm::test::open_input({path}, {});
  CHECK(plain.kind() == RecordKind::activity);
}

TEST_CASE("spend records: sums per month, located errors", "[io][spend]") {
  csm::test::MemoryDir dir;
  ReadOptions options;
  options.kind = RecordKind::spend;
  const std::string good = dir.write(
      "spend.csv", "Period,Amount,channel\n2024-01,100.50,ads\n2024-01-15,20,events\n2024-03,0,\n");
  RecordInput input = csm::test::open_input({good}, options);
  csm::SpendTotals totals;
  input.read(totals);
  CHECK(input.report().records == 3);
  REQUIRE(totals.by_month().size() == 2);
  CHECK(totals.by_month().at(csm::YearMonth::from(2024, 1).index) == 120'500'000);
  CHECK(totals.by_month().at(csm::YearMonth::from(2024, 3).index) == 0);

  const auto error_of = [&](const std::string& path) -> std::string {
    try {
      RecordInput bad = csm::test::open_input({path}, options);
      csm::SpendTotals ignored;
      bad.read(ignored);
    } catch (const csm::InputError& e) {
      return e.what();
    }
    return "";
  };
  const std::string negative = dir.write("neg.csv", "period,amount\n2024-01,5\n2024-02,-5\n");
  CHECK(error_of(negative) ==
        negative + ":3: amount: expected a decimal >= 0, got \"-5\"");
  const std::string bad_month = dir.write("month.jsonl", "{\"period\": \"2024-13\", \"amount\": 1}\n");
  CHECK(error_of(bad_month) == bad_month + ":1: period: expected a month 01..12, got \"2024-13\"");
  const std::string no_amount = dir.write("none.csv", "period,cost\n2024-01,5\n");
  CHECK(error_of(no_amount).find("missing required column \"amount\"") != std::string::npos);
}
