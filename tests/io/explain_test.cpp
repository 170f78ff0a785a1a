// The data report of --explain / check, from inputs held in memory through the readers.
#include "csm/io/explain.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "csm/io/metrics_writer.hpp"
#include "memory_inputs.hpp"

namespace {

using csm::io::ReadOptions;
using csm::io::RecordInput;
using csm::io::RecordKind;

// The test inputs, held in memory (RecordInput::from_memory).
std::string write_temp(const std::string& name, const std::string& bytes) {
  return csm::test::MemoryDir().write(name, bytes);
}

csm::io::ExplainReport explain(const std::string& path, ReadOptions options = {}) {
  csm::InputProfile profile;
  options.profile = &profile;
  options.skip_invalid = true;
  RecordInput input = csm::test::open_input({path}, options);
  const RecordKind kind = input.kind();
  std::vector<csm::PeriodMetrics> periods;
  std::optional<csm::ActivityStats> stats;
  if (kind == RecordKind::summary) {
    csm::SummaryAggregator aggregator;
    input.read(aggregator);
    periods = aggregator.finish({});
  } else {
    csm::ActivityAggregator aggregator;
    input.read(aggregator);
    periods = aggregator.finish({});
    stats = aggregator.stats();
  }
  return csm::io::make_explain(kind, input.report(), stats, periods, profile);
}

}  // namespace

// Line 2 and 3 are the same row after parsing (10.0 = 10.00); line 4 differs in csat, line 5 in
// the period's day, so neither is a duplicate; line 6 repeats line 2 exactly. Lines 7-9 are
// invalid: a revenue, a csat, a row with too few fields. Rows fall in Jan and Apr only.
TEST_CASE("explain: activity rows", "[io][explain]") {
  const std::string path = write_temp(
      "a.csv",
      "customer_id,period,revenue,csat\n"
      "a,2024-01,10.0,\n"
      "a,2024-01,10.00,\n"
      "a,2024-01,10,5\n"
      "a,2024-01-15,10,\n"
      "a,2024-01,10.0,\n"
      "b,2024-04,x,\n"
      "b,2024-04,0,7\n"
      "c\n"
      "b,2024-04,0,\n");
  const auto r = explain(path);
  CHECK(r.rows_read == 9);
  CHECK(r.rows_used == 6);
  CHECK(r.rows_skipped == 3);
  CHECK(r.customers == 2u);
  CHECK(r.months == 4);
  REQUIRE(r.months_without_rows.size() == 2);
  CHECK(to_string(r.months_without_rows[0]) == "2024-02");
  CHECK(to_string(r.months_without_rows[1]) == "2024-03");
  CHECK(r.duplicate_rows == 2u);
  CHECK(r.zero_revenue_rows == 1);
  CHECK(r.invalid_by_field == std::map<std::string, std::uint64_t>{
                                  {"(record)", 1}, {"csat", 1}, {"revenue", 1}});
  CHECK(csm::io::explain_text(r) ==
        "input report (activity records)\n"
        "  rows read                        9  (6 used, 3 invalid and skipped)\n"
        "  customers                        2\n"
        "  months                           4  (2024-01 to 2024-04)\n"
        "  months with no rows              2  2024-02, 2024-03\n"
        "  duplicate rows                   2  (identical in every field to an earlier row)\n"
        "  zero-revenue rows                1\n"
        "  invalid values                   3  (record) 1, csat 1, revenue 1\n");

  // The JSON member, through the writer.
  csm::io::MetricsReport report;
  report.explain = r;
  const std::string json = csm::io::to_json(report);
  CHECK(json.find("\"months_without_rows\": [\"2024-02\", \"2024-03\"],") != std::string::npos);
  CHECK(json.find("\"invalid_by_field\": {\"(record)\": 1, \"csat\": 1, \"revenue\": 1}") !=
        std::string::npos);
}

// Subscriptions: a month "without rows" is a month in which none is active. x: Jan..Feb,
// y: Apr (starts Apr 2, ends May 1), so March is empty and May (the end month) too. The row
// of x is given twice.
TEST_CASE("explain: subscription rows", "[io][explain]") {
  const std::string path = write_temp(
      "s.csv",
      "customer_id,start_date,end_date,mrr\n"
      "x,2024-01-10,2024-03-01,10\n"
      "x,2024-01-10,2024-03-01,10.000\n"
      "y,2024-04-02,2024-05-01,0\n");
  const auto r = explain(path);
  CHECK(r.kind == RecordKind::subscription);
  CHECK(r.rows_used == 3);
  CHECK(r.duplicate_rows == 1u);
  CHECK(r.zero_revenue_rows == 1);
  REQUIRE(r.months_without_rows.size() == 3);  // Mar; Apr (y has mrr 0: not active); May
  CHECK(to_string(r.months_without_rows[0]) == "2024-03");
  CHECK(to_string(r.months_without_rows[2]) == "2024-05");
}

TEST_CASE("explain: summary rows", "[io][explain]") {
  const std::string path = write_temp(
      "m.csv",
      "period,customers_start,new_customers,churned_customers,revenue\n"
      "2024-01,10,1,0,100\n"
      "2024-03,11,0,1,0\n");
  const auto r = explain(path);
  CHECK(r.kind == RecordKind::summary);
  CHECK_FALSE(r.customers);
  CHECK_FALSE(r.duplicate_rows);
  CHECK(r.months == 3);
  REQUIRE(r.months_without_rows.size() == 1);
  CHECK(to_string(r.months_without_rows[0]) == "2024-02");
  CHECK(r.zero_revenue_rows == 1);
}
