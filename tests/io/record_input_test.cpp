#include "csm/io/record_input.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "memory_inputs.hpp"
#include "scratch_dir.hpp"
#include "csm/summary_metrics.hpp"

namespace {

using csm::InputError;
using csm::SourceError;
using csm::io::InputFormat;
using csm::io::ReadOptions;
using csm::io::ReadReport;
using csm::io::RecordInput;
using csm::io::RecordKind;

// Money amounts as plain integers of micro-units (-1 for null) so that Catch can print them.
std::int64_t micros(const csm::Amount& amount) {
  return amount ? static_cast<std::int64_t>(*amount) : -1;
}

struct ActivityRun {
  ReadReport report;
  std::vector<csm::PeriodMetrics> periods;
  csm::ActivityStats stats;
};

ActivityRun read_activity(const std::vector<std::string>& paths, ReadOptions options = {}) {
  RecordInput input = csm::test::open_input(paths, std::move(options));
  REQUIRE(input.kind() == RecordKind::activity);
  csm::ActivityAggregator aggregator;
  input.read(aggregator);
  ActivityRun run;
  run.report = input.report();
  run.periods = aggregator.finish(csm::MetricOptions{});
  run.stats = aggregator.stats();
  return run;
}

// The message of the InputError that reading throws ("" when it succeeds, "<other>" for any other
// exception), whichever kind the input turns out to be.
std::string read_error(const std::vector<std::string>& paths, ReadOptions options = {}) {
  try {
    RecordInput input = csm::test::open_input(paths, std::move(options));
    if (input.kind() == RecordKind::summary) {
      csm::SummaryAggregator aggregator;
      input.read(aggregator);
    } else {
      csm::ActivityAggregator aggregator;
      input.read(aggregator);
    }
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<other> ") + e.what();
  }
  return "";
}

const char* const kHeader = "customer_id,period,revenue,acquisition_cost,csat\n";
const char* const kGoodRow = "c1,2024-01,10.00,,\n";  // line 2

}  // namespace

// --- Format detection ---------------------------------------------------------------------------

TEST_CASE("record input: every format and extension reads the same two records",
          "[io][record_input]") {
  const std::string csv = "customer_id,period,revenue\na,2024-01,10.10\nb,2024-01,20.20\n";
  const std::string tsv = "customer_id\tperiod\trevenue\na\t2024-01\t10.10\nb\t2024-01\t20.20\n";
  const std::string json =
      "[\n {\"customer_id\": \"a\", \"period\": \"2024-01\", \"revenue\": \"10.10\"},\n"
      " {\"customer_id\": \"b\", \"period\": \"2024-01\", \"revenue\": 20.20}\n]\n";
  const std::string jsonl =
      "{\"customer_id\": \"a\", \"period\": \"2024-01\", \"revenue\": 10.10}\n"
      "{\"customer_id\": \"b\", \"period\": \"2024-01\", \"revenue\": \"20.20\"}\n";
  const std::vector<std::pair<std::string, std::string>> files = {
      {"data.csv", csv},          {"DATA.CSV", csv},          {"data.tsv", tsv},
      {"data.tab", tsv},          {"data.json", json},        {"data.JSON", json},
      {"data.jsonl", jsonl},      {"data.ndjson", jsonl},     {"lines.json", jsonl},
      {"noext", csv},             {"noext-tsv", tsv},         {"noext-json", json},
      {"noext-jsonl", jsonl},     {"data.txt", tsv},          {"data.dat", json},
      {"bom.csv", "\xEF\xBB\xBF" + csv}, {"bom-noext", "\xEF\xBB\xBF" + tsv},
      {"bom-json-noext", "\xEF\xBB\xBF" + json},
  };
  for (const auto& [name, content] : files) {
    csm::test::MemoryDir dir;
    const std::string path = dir.write(name, content);
    INFO(name);
    try {
      const ActivityRun run = read_activity({path});
      CHECK(run.report.records == 2);
      CHECK(run.report.sources == std::vector<std::string>{path});
      REQUIRE(run.periods.size() == 1);
      // 10.10 + 20.20 = 30.30
      CHECK(micros(run.periods[0].mrr_end) == 30'300'000);
      CHECK(run.stats.customers == 2);
    } catch (const std::exception& e) {
      FAIL_CHECK(e.what());
    }
  }
}

TEST_CASE("record input: --input-format overrides the extension", "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path = dir.write("export.json", "customer_id,period,revenue\na,2024-01,5\n");
  ReadOptions options;
  options.format = InputFormat::csv;
  const ActivityRun run = read_activity({path}, options);
  CHECK(run.report.records == 1);
  CHECK(micros(run.periods[0].mrr_end) == 5'000'000);

  // And the wrong override fails instead of guessing.
  ReadOptions wrong;
  wrong.format = InputFormat::json;
  CHECK_FALSE(read_error({path}, wrong).empty());
}

// --- Kind detection -----------------------------------------------------------------------------

namespace {

// Two summary periods. 2024-02: S = 105, C = 3, N = 8, A = 0, so R = 102 and E = 105 - 3 + 8 = 110;
// mrr_start is 2024-01's revenue 1000.00 and mrr_end 1100.50.
void check_summary_periods(const std::vector<csm::PeriodMetrics>& periods) {
  REQUIRE(periods.size() == 2);
  const csm::PeriodMetrics& feb = periods[1];
  CHECK(csm::to_string(feb.period) == "2024-02");
  CHECK(feb.customers_start == 105);
  CHECK(feb.churned_customers == 3);
  CHECK(feb.retained_customers == 102);
  CHECK(feb.new_customers == 8);
  CHECK(feb.reactivated_customers == 0);
  CHECK(feb.customers_end == 110);
  CHECK(micros(feb.mrr_start) == 1'000'000'000);
  CHECK(micros(feb.mrr_end) == 1'100'500'000);
  CHECK(micros(periods[0].mrr_start) == -1);  // no row before 2024-01
}

std::vector<csm::PeriodMetrics> read_summary(const std::string& path, ReadOptions options = {}) {
  RecordInput input = csm::test::open_input({path}, std::move(options));
  REQUIRE(input.kind() == RecordKind::summary);
  csm::SummaryAggregator aggregator;
  input.read(aggregator);
  CHECK(input.report().records == 2);
  return aggregator.finish(csm::MetricOptions{});
}

}  // namespace

TEST_CASE("record input: a customers_start column means summary records", "[io][record_input]") {
  const std::string rows = "2024-01,100,10,5,1000.00\n2024-02,105,8,3,1100.50\n";
  const std::vector<std::pair<std::string, std::string>> files = {
      {"plain.csv", "period,customers_start,new_customers,churned_customers,revenue\n" + rows},
      {"case.csv", "Period, Customers_Start ,NEW_CUSTOMERS,churned_customers,Revenue\n" + rows},
      {"quoted.csv",
       "\"period\",\"customers_start\",\"new_customers\",\"churned_customers\",\"revenue\"\r\n" +
           rows},
  };
  for (const auto& [name, content] : files) {
    csm::test::MemoryDir dir;
    INFO(name);
    check_summary_periods(read_summary(dir.write(name, content)));
  }
}

TEST_CASE("record input: summary detection in JSON and JSON Lines", "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string objects =
      "{\"period\": \"2024-01\", \"customers_start\": 100, \"new_customers\": 10, "
      "\"churned_customers\": 5, \"revenue\": \"1000.00\"}\n"
      "{\"period\": \"2024-02\", \"customers_start\": 105, \"new_customers\": 8, "
      "\"churned_customers\": 3, \"revenue\": 1100.50}\n";
  check_summary_periods(read_summary(dir.write("s.jsonl", objects)));
  std::string array = "[" + objects + "]";
  array.replace(array.find("}\n{"), 3, "},\n{");
  check_summary_periods(read_summary(dir.write("s.json", array)));
}

TEST_CASE("record input: summary detected with customers_start first after a BOM",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path = dir.write(
      "bom.csv",
      "\xEF\xBB\xBF"
      "customers_start,period,new_customers,churned_customers,revenue\n"
      "100,2024-01,10,5,1000.00\n105,2024-02,8,3,1100.50\n");
  check_summary_periods(read_summary(path));
}

TEST_CASE("record input: summary detected when blank lines precede the header",
          "[io][record_input]") {
  // The CSV reader skips leading blank lines, so kind detection has to as well.
  csm::test::MemoryDir dir;
  const std::string path =
      dir.write("blank.csv",
                "\n\r\nperiod,customers_start,new_customers,churned_customers,revenue\n"
                "2024-01,100,10,5,1000.00\n2024-02,105,8,3,1100.50\n");
  check_summary_periods(read_summary(path));
}

TEST_CASE("record input: a renamed customers_start column still means summary",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path =
      dir.write("renamed.csv",
                "Month,Start,Won,Lost,MRR\n2024-01,100,10,5,1000.00\n2024-02,105,8,3,1100.50\n");
  ReadOptions options;
  options.renames = {{"period", "Month"},
                     {"customers_start", "Start"},
                     {"new_customers", "Won"},
                     {"churned_customers", "Lost"},
                     {"revenue", "MRR"}};
  check_summary_periods(read_summary(path, options));
}

TEST_CASE("record input: similar names and values do not make a file summary",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  // customers_start appears only inside a longer column name and in a data row.
  const std::string path = dir.write(
      "activity.csv",
      "customer_id,period,revenue,customers_started_note\n"
      "customers_start,2024-01,1,customers_start\n");
  const ActivityRun run = read_activity({path});
  CHECK(run.report.records == 1);
  CHECK(run.report.kind == RecordKind::activity);
}

TEST_CASE("record input: a forced kind that does not fit names the missing column",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path = dir.write("a.csv", "customer_id,period,revenue\na,2024-01,1\n");
  ReadOptions options;
  options.kind = RecordKind::summary;
  CHECK(read_error({path}, options) ==
        path +
            ":1: missing required column \"customers_start\" (the header has: customer_id, "
            "period, revenue; map another column with --column customers_start=NAME)");
}

// --- Bad values, strict -------------------------------------------------------------------------

TEST_CASE("record input: each bad value stops the run with file, line, field and value",
          "[io][record_input]") {
  struct Case {
    std::string row;  // line 3, after the header and one good row
    std::string message;
  };
  const std::vector<Case> cases = {
      {"c2,2024-01,-3.00,,", "revenue: expected a decimal >= 0, got \"-3.00\""},
      {"c2,2024-01,NaN,,", "revenue: expected a decimal >= 0 such as 1234.56, got \"NaN\""},
      {"c2,2024-01,nan,,", "revenue: expected a decimal >= 0 such as 1234.56, got \"nan\""},
      {"c2,2024-01,Inf,,", "revenue: expected a decimal >= 0 such as 1234.56, got \"Inf\""},
      {"c2,2024-01,-Infinity,,",
       "revenue: expected a decimal >= 0 such as 1234.56, got \"-Infinity\""},
      {"c2,2024-01,1e400,,", "revenue: expected a decimal >= 0 such as 1234.56, got \"1e400\""},
      {"c2,2024-01,1E2,,", "revenue: expected a decimal >= 0 such as 1234.56, got \"1E2\""},
      {"c2,2024-01,abc,,", "revenue: expected a decimal >= 0 such as 1234.56, got \"abc\""},
      {"c2,2024-01,\"1,000.00\",,",
       "revenue: expected a decimal >= 0 without thousands separators (1234.56), got \"1,000.00\""},
      {"c2,2024-01,$12,,", "revenue: expected a decimal >= 0 such as 1234.56, got \"$12\""},
      {"c2,2024-01,1.2.3,,", "revenue: expected a decimal >= 0 such as 1234.56, got \"1.2.3\""},
      {"c2,2024-01,.,,", "revenue: expected a decimal >= 0 such as 1234.56, got \".\""},
      // The hint names the opt-in that rounds (issue 16, --round-money).
      {"c2,2024-01,1.1234567,,", "revenue: expected at most 6 decimal places, got \"1.1234567\" "
                                 "(float noise from a script? --round-money rounds amounts to the "
                                 "micro-unit)"},
      {"c2,2024-01,10000000000000,,",
       "revenue: expected at most 9223372036854.775807, got \"10000000000000\""},
      {"c2,2024-01,99999999999999999999999999,,",
       "revenue: expected at most 9223372036854.775807, got \"99999999999999999999999999\""},
      {"c2,2024-01,,,", "revenue: empty (a required field)"},
      {"c2,2024-01,  ,,", "revenue: empty (a required field)"},
      {"c2,2024-13,1,,", "period: expected a month 01..12, got \"2024-13\""},
      {"c2,2024-00,1,,", "period: expected a month 01..12, got \"2024-00\""},
      {"c2,2023-02-30,1,,", "period: expected a day that exists in its month, got \"2023-02-30\""},
      {"c2,2023-02-29,1,,", "period: expected a day that exists in its month, got \"2023-02-29\""},
      {"c2,2024-04-31,1,,", "period: expected a day that exists in its month, got \"2024-04-31\""},
      {"c2,2024-1,1,,",
       "period: expected a month as YYYY-MM or a date as YYYY-MM-DD, got \"2024-1\""},
      {"c2,2024/01,1,,",
       "period: expected a month as YYYY-MM or a date as YYYY-MM-DD, got \"2024/01\""},
      {"c2,Jan 2024,1,,",
       "period: expected a month as YYYY-MM or a date as YYYY-MM-DD, got \"Jan 2024\""},
      {"c2,0000-01,1,,", "period: expected a year 0001..9999, got \"0000-01\""},
      {"c2,,1,,", "period: empty (a required field)"},
      {"c2,2024-01,1,,0", "csat: expected a whole number 1..5 (one survey response), got \"0\""},
      {"c2,2024-01,1,,6", "csat: expected a whole number 1..5 (one survey response), got \"6\""},
      {"c2,2024-01,1,,4.5",
       "csat: expected a whole number 1..5 (one survey response), got \"4.5\""},
      {"c2,2024-01,1,,x", "csat: expected a whole number 1..5 (one survey response), got \"x\""},
      {"c2,2024-01,1,,-1", "csat: expected a whole number 1..5 (one survey response), got \"-1\""},
      {"c2,2024-01,1,,45", "csat: expected a whole number 1..5 (one survey response), got \"45\""},
      {"c2,2024-01,1,-1,", "acquisition_cost: expected a decimal >= 0, got \"-1\""},
      {"c2,2024-01,1,free,",
       "acquisition_cost: expected a decimal >= 0 such as 1234.56, got \"free\""},
      {",2024-01,1,,", "customer_id: empty (a required field)"},
      {"\"   \",2024-01,1,,", "customer_id: empty (a required field)"},
      {"\"\",2024-01,1,,", "customer_id: empty (a required field)"},
      {"c2,2024-01,1,", "expected 5 fields as in the header, found 4"},
      {"c2,2024-01,1,,,", "expected 5 fields as in the header, found 6"},
  };
  for (const Case& c : cases) {
    csm::test::MemoryDir dir;
    const std::string path = dir.write("customers.csv", kHeader + std::string(kGoodRow) + c.row + "\n");
    INFO(c.row);
    CHECK(read_error({path}) == path + ":3: " + c.message);
  }
}

TEST_CASE("record input: values at the edge of the rules are accepted", "[io][record_input]") {
  csm::test::MemoryDir dir;
  // revenue:  1000000000000 (10^12) + 12.50 + 3 + 1.123456 + 0 + 0 = 1000000000016.623456
  const std::string path = dir.write(
      "edge.csv", std::string(kHeader) +
                      "a,2024-02-29,1000000000000,,1\n"   // leap day, 10^12, csat 1
                      "b,2024-02, 12.50 ,0,\" 5 \"\n"      // spaces around numbers
                      "c,2024-02,+3,,\n"                   // explicit plus, no response
                      "d,2024-02,1.1234560,,\n"            // a 7th decimal that is zero
                      "e,2024-02,-0.00,,\n"                // negative zero is zero
                      "f,2024-02,0,,\n");
  const ActivityRun run = read_activity({path});
  CHECK(run.report.records == 6);
  REQUIRE(run.periods.size() == 1);
  CHECK(micros(run.periods[0].mrr_end) == 1'000'000'000'016'623'456);
  CHECK(run.periods[0].csat_responses == 2);
  CHECK(run.periods[0].csat_satisfied == 1);  // 5 >= 4, 1 < 4
  CHECK(run.stats.zero_revenue_records == 2);
}

TEST_CASE("record input: JSON values of the wrong type", "[io][record_input]") {
  struct Case {
    std::string object;  // second line of a JSON Lines file
    std::string message;
  };
  const std::string good = "{\"customer_id\": \"a\", \"period\": \"2024-01\", \"revenue\": 1}\n";
  const std::vector<Case> cases = {
      // Whole-number ids are read as their digits (issue 16); a fraction is not an id.
      {R"({"customer_id": 42.5, "period": "2024-01", "revenue": 1})",
       "customer_id: expected a string, got a number 42.5"},
      {R"({"customer_id": "b", "period": 202401, "revenue": 1})",
       "period: expected a string, got a number 202401"},
      {R"({"customer_id": "b", "period": "2024-01", "revenue": -3.00})",
       "revenue: expected a decimal >= 0, got \"-3.00\""},
      {R"({"customer_id": "b", "period": "2024-01", "revenue": 1e400})",
       "revenue: expected a decimal >= 0 such as 1234.56, got \"1e400\""},
      {R"({"customer_id": "b", "period": "2024-01", "revenue": true})",
       "revenue: expected a decimal >= 0, got a boolean"},
      {R"({"customer_id": "b", "period": "2024-01", "revenue": [1]})",
       "revenue: expected a decimal >= 0, got an object or array"},
      {R"({"customer_id": "b", "period": "2024-01", "revenue": null})",
       "revenue: empty (a required field)"},
      {R"({"customer_id": "b", "period": "2024-01"})", "revenue: missing (a required field)"},
      {R"({"customer_id": "b", "period": "2024-01", "revenue": 1, "csat": 6})",
       "csat: expected a whole number 1..5 (one survey response), got \"6\""},
      {R"({"customer_id": "b", "period": "2024-01", "revenue": 1, "csat": "x"})",
       "csat: expected a whole number 1..5 (one survey response), got \"x\""},
      {R"({"customer_id": "b", "period": "2024-01", "revenue": 1, "csat": false})",
       "csat: expected a whole number 1..5 (one survey response), got a boolean"},
  };
  for (const Case& c : cases) {
    csm::test::MemoryDir dir;
    const std::string path = dir.write("r.jsonl", good + c.object + "\n");
    INFO(c.object);
    CHECK(read_error({path}) == path + ":2: " + c.message);
  }
}

// --- Whole-file problems ------------------------------------------------------------------------

TEST_CASE("record input: a missing file is a SourceError naming it", "[io][record_input]") {
  csm::test::ScratchDir dir;
  const std::string path = dir.path("nope.csv");
  RecordInput automatic({path}, {});
  CHECK_THROWS_MATCHES(automatic.kind(), SourceError,
                       Catch::Matchers::Message(path + ": cannot open: No such file or directory"));
  ReadOptions forced;
  forced.kind = RecordKind::activity;
  RecordInput given({path}, forced);
  csm::ActivityAggregator aggregator;
  CHECK_THROWS_MATCHES(given.read(aggregator), SourceError,
                       Catch::Matchers::Message(path + ": cannot open: No such file or directory"));
}

TEST_CASE("record input: a directory is a SourceError", "[io][record_input]") {
  csm::test::ScratchDir dir;
  const std::string path = dir.path("sub");
  REQUIRE(::mkdir(path.c_str(), 0755) == 0);
  RecordInput input({path}, {});
  CHECK_THROWS_MATCHES(input.kind(), SourceError,
                       Catch::Matchers::Message(path + ": is a directory, expected a file"));
}

TEST_CASE("record input: an unreadable file is a SourceError", "[io][record_input]") {
  if (::geteuid() == 0) {
    WARN("running as root: permissions are not enforced, test skipped");
    return;
  }
  csm::test::ScratchDir dir;
  const std::string path = dir.write("secret.csv", "customer_id,period,revenue\na,2024-01,1\n");
  REQUIRE(::chmod(path.c_str(), 0) == 0);
  RecordInput input({path}, {});
  CHECK_THROWS_MATCHES(input.kind(), SourceError,
                       Catch::Matchers::Message(path + ": cannot open: Permission denied"));
}

TEST_CASE("record input: empty, header-only and blank files", "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string empty = dir.write("empty.csv", "");
  CHECK(read_error({empty}) == empty + ": empty input: expected a header line or JSON records");
  const std::string empty_json = dir.write("empty.json", "");
  CHECK(read_error({empty_json}) ==
        empty_json + ": empty input: expected a header line or JSON records");

  const std::string header = dir.write("header.csv", "customer_id,period,revenue\n");
  CHECK(read_error({header}) == header + ": no records: expected at least one data record");
  const std::string header_no_lf = dir.write("header2.csv", "customer_id,period,revenue");
  CHECK(read_error({header_no_lf}) ==
        header_no_lf + ": no records: expected at least one data record");
  const std::string header_blank = dir.write("header3.csv", "customer_id,period,revenue\n\n\r\n");
  CHECK(read_error({header_blank}) ==
        header_blank + ": no records: expected at least one data record");

  const std::string blank = dir.write("blank.csv", "\n\r\n\n");
  CHECK(read_error({blank}) == blank + ": no header line: the input holds only blank lines");
}

TEST_CASE("record input: a whitespace-only file reads as blank, not as a header of spaces",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string spaces = dir.write("spaces.csv", "   \n \t \n");
  CHECK(read_error({spaces}) == spaces + ": no header line: the input holds only blank lines");
}

// --- Skipping -----------------------------------------------------------------------------------

TEST_CASE("record input: --skip-invalid counts all and keeps the first five messages",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path = dir.write(
      "mixed.csv", std::string(kHeader) +
                       "a,2024-01,-3.00,,\n"   // 2
                       "b,2024-13,1,,\n"       // 3
                       "c,2024-01,1\n"          // 4: too few fields
                       ",2024-01,1,,\n"         // 5
                       "e,2024-01,1,,6\n"       // 6
                       "f,2024-01,1,,4.5\n"     // 7: not kept (sixth)
                       "ok1,2024-01,10.25,,5\n"  // 8
                       "g,2024-01,NaN,,\n"      // 9
                       "ok2,2024-02,20.50,,\n"   // 10
                       "h,2023-02-30,1,,\n");   // 11
  ReadOptions options;
  options.skip_invalid = true;
  const ActivityRun run = read_activity({path}, options);
  CHECK(run.report.records == 2);
  CHECK(run.report.skipped == 8);
  CHECK(run.report.skipped_messages ==
        std::vector<std::string>{
            path + ":2: revenue: expected a decimal >= 0, got \"-3.00\"",
            path + ":3: period: expected a month 01..12, got \"2024-13\"",
            path + ":4: expected 5 fields as in the header, found 3",
            path + ":5: customer_id: empty (a required field)",
            path + ":6: csat: expected a whole number 1..5 (one survey response), got \"6\"",
        });
  // Skipped rows leave no trace in the metrics: ok1 (10.25) in 2024-01, ok2 (20.50) in 2024-02.
  REQUIRE(run.periods.size() == 2);
  CHECK(micros(run.periods[0].mrr_end) == 10'250'000);
  CHECK(run.periods[0].customers_end == 1);
  CHECK(run.periods[0].csat_responses == 1);
  CHECK(micros(run.periods[1].mrr_end) == 20'500'000);
  CHECK(run.stats.customers == 2);
}

TEST_CASE("record input: --skip-invalid with nothing valid left is an error",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path =
      dir.write("bad.csv", std::string(kHeader) + "a,2024-01,-1,,\nb,x,1,,\nc,2024-01,1,,9\n");
  ReadOptions options;
  options.skip_invalid = true;
  CHECK(read_error({path}, options) ==
        path + ": no valid records: all 3 records were invalid and skipped");
}

TEST_CASE("record input: --skip-invalid does not skip a broken file structure",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path =
      dir.write("q.csv", std::string(kHeader) + kGoodRow + "\"c2,2024-01,1,,\n");
  ReadOptions options;
  options.skip_invalid = true;
  CHECK(read_error({path}, options) ==
        path + ":3: unterminated quoted field: expected a closing '\"' before the end of the "
               "input");
}

// --- Renames ------------------------------------------------------------------------------------

TEST_CASE("record input: --column maps other column names", "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path = dir.write(
      "export.csv", "Account,Month,MRR,revenue\nacme,2024-03,99.90,1\nbeta,2024-03,0.10,2\n");
  ReadOptions options;
  options.renames = {{"customer_id", "Account"}, {"period", "month"}, {"revenue", "mrr"}};
  const ActivityRun run = read_activity({path}, options);
  CHECK(run.report.records == 2);
  // MRR, not the now-ignored revenue column: 99.90 + 0.10 = 100.00.
  CHECK(micros(run.periods[0].mrr_end) == 100'000'000);
}

TEST_CASE("record input: a bad value in a renamed column is reported under the input name",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path = dir.write("export.csv", "customer_id,period,MRR\nacme,2024-03,-5\n");
  ReadOptions options;
  options.renames = {{"revenue", "MRR"}};
  CHECK(read_error({path}, options) == path + ":2: MRR: expected a decimal >= 0, got \"-5\"");
}

TEST_CASE("record input: --column with an unknown canonical name is invalid_argument",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string path = dir.write("a.csv", "customer_id,period,revenue\na,2024-01,1\n");
  for (const auto& [canonical, input] : std::vector<std::pair<std::string, std::string>>{
           {"foo", "bar"}, {"customers_start", "Start"}, {"", "x"}}) {
    ReadOptions options;
    options.renames = {{canonical, input}};
    options.kind = RecordKind::activity;
    RecordInput reader = csm::test::open_input({path}, options);
    csm::ActivityAggregator aggregator;
    INFO(canonical);
    CHECK_THROWS_AS(
        [&] {
          reader.kind();
          reader.read(aggregator);
        }(),
        std::invalid_argument);
  }
  ReadOptions options;
  options.renames = {{"foo", "bar"}};
  RecordInput reader = csm::test::open_input({path}, options);
  csm::ActivityAggregator aggregator;
  CHECK_THROWS_WITH(
      [&] {
        reader.kind();
        reader.read(aggregator);
      }(),
      "--column foo=bar: foo is not a column of activity records (they have: customer_id, "
      "period, revenue, acquisition_cost, csat, segment, nps)");
}

// --- Several files ------------------------------------------------------------------------------

TEST_CASE("record input: several files of different formats are one stream",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string a = dir.write("a.csv", "customer_id,period,revenue\nx,2024-01,10\ny,2024-01,20\n");
  // Another column order in the second file.
  const std::string b = dir.write("b.tsv", "revenue\tcustomer_id\tperiod\n15\tx\t2024-02\n");
  const std::string c = dir.write("c.jsonl", "{\"customer_id\":\"z\",\"period\":\"2024-02\",\"revenue\":5}\n");
  const ActivityRun run = read_activity({a, b, c});
  CHECK(run.report.records == 4);
  CHECK(run.report.sources == std::vector<std::string>{a, b, c});
  CHECK(run.stats.customers == 3);
  REQUIRE(run.periods.size() == 2);
  // 2024-01: x 10 + y 20 = 30. 2024-02: x 15 (contracted from 10? no: 15 > 10, expanded), z 5
  // new, y churned: S = 2, C = 1, N = 1, E = 2, mrr_end = 15 + 5 = 20.
  CHECK(micros(run.periods[0].mrr_end) == 30'000'000);
  CHECK(run.periods[1].customers_start == 2);
  CHECK(run.periods[1].churned_customers == 1);
  CHECK(run.periods[1].new_customers == 1);
  CHECK(run.periods[1].expanded_customers == 1);
  CHECK(run.periods[1].customers_end == 2);
  CHECK(micros(run.periods[1].mrr_end) == 20'000'000);
}

TEST_CASE("record input: errors in a later file name that file and its own line",
          "[io][record_input]") {
  csm::test::ScratchDir dir;
  const std::string a = dir.write("a.csv", "customer_id,period,revenue\nx,2024-01,10\ny,2024-01,20\n");
  const std::string b = dir.write("b.csv", "customer_id,period,revenue\nz,2024-02,-3.00\n");
  CHECK(read_error({a, b}) == b + ":2: revenue: expected a decimal >= 0, got \"-3.00\"");

  const std::string empty = dir.write("empty.csv", "");
  CHECK(read_error({a, empty}) == empty + ": empty input: expected a header line or JSON records");

  const std::string missing = dir.path("missing.csv");
  CHECK(read_error({a, missing}) ==
        "<other> " + missing + ": cannot open: No such file or directory");
}

TEST_CASE("record input: skipped records are counted across files", "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string a = dir.write("a.csv", "customer_id,period,revenue\nx,2024-01,-1\ny,2024-01,20\n");
  const std::string b = dir.write("b.csv", "customer_id,period,revenue\nz,2024-02,oops\nw,2024-02,1\n");
  ReadOptions options;
  options.skip_invalid = true;
  const ActivityRun run = read_activity({a, b}, options);
  CHECK(run.report.records == 2);
  CHECK(run.report.skipped == 2);
  CHECK(run.report.skipped_messages ==
        std::vector<std::string>{
            a + ":2: revenue: expected a decimal >= 0, got \"-1\"",
            b + ":2: revenue: expected a decimal >= 0 such as 1234.56, got \"oops\""});
}

TEST_CASE("record input: a header-only file among others is fine", "[io][record_input]") {
  csm::test::MemoryDir dir;
  const std::string a = dir.write("a.csv", "customer_id,period,revenue\n");
  const std::string b = dir.write("b.csv", "customer_id,period,revenue\nz,2024-02,1\n");
  const ActivityRun run = read_activity({a, b});
  CHECK(run.report.records == 1);
}

// --- Sizes beyond one read block ----------------------------------------------------------------

TEST_CASE("record input: a file larger than the read block keeps lines and sums exact",
          "[io][record_input]") {
  csm::test::MemoryDir dir;
  // 40,000 records, each spanning two lines (a line break inside the quoted segment), so record i
  // starts on line 2 + 2i; the invalid record after them is on line 2 + 2 * 40000 = 80002.
  // Revenue of record i is i cents: the sum is 0.01 * (0 + ... + 39999) = 0.01 * 799,980,000
  // = 7,999,800.00.
  constexpr int kRecords = 40'000;
  std::string text = "customer_id,period,revenue,segment\n";
  for (int i = 0; i < kRecords; ++i) {
    text += "cust-" + std::to_string(i) + ",2024-05," + std::to_string(i / 100) + "." +
            (i % 100 < 10 ? "0" : "") + std::to_string(i % 100) + ",\"enterprise\nwest\"\n";
  }
  text += "late,2024-05,-1,\n";
  REQUIRE(text.size() > (3u << 20) / 2);  // well past one 1 MiB block
  const std::string path = dir.write("big.csv", text);
  ReadOptions options;
  options.skip_invalid = true;
  const ActivityRun run = read_activity({path}, options);
  CHECK(run.report.records == kRecords);
  CHECK(run.report.skipped_messages ==
        std::vector<std::string>{path + ":80002: revenue: expected a decimal >= 0, got \"-1\""});
  REQUIRE(run.periods.size() == 1);
  CHECK(micros(run.periods[0].mrr_end) == 7'999'800'000'000);
  // Record 0 has revenue 0.00, so it is not active: 39,999 active customers.
  CHECK(run.periods[0].customers_end == kRecords - 1);
}

TEST_CASE("record input: one record longer than the read block", "[io][record_input]") {
  csm::test::MemoryDir dir;
  // A 3 MiB quoted segment with 10 line breaks in it: the record on line 2 ends on line 12, so the
  // invalid record after it is on line 13.
  std::string segment(3u << 20, 's');
  for (std::size_t k = 1; k <= 10; ++k) segment[k * 100'000] = '\n';
  const std::string path = dir.write(
      "long.csv", "customer_id,period,revenue,segment\nbig,2024-01,1.5,\"" + segment +
                      "\"\nbad,2024-01,x,\nok,2024-01,2,\n");
  ReadOptions options;
  options.skip_invalid = true;
  const ActivityRun run = read_activity({path}, options);
  CHECK(run.report.records == 2);
  CHECK(run.report.skipped_messages ==
        std::vector<std::string>{
            path + ":13: revenue: expected a decimal >= 0 such as 1234.56, got \"x\""});
  CHECK(micros(run.periods[0].mrr_end) == 3'500'000);
}
