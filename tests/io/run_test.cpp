// The library-level runs (csm/io/run.hpp) on small files whose numbers are worked out by hand.
//
// tests/data/library/tiny_activity.csv (customer, month, revenue, segment):
//   a 2025-01 100 pro    b 2025-01 50 basic
//   a 2025-02 120 pro    c 2025-02 30 basic
//   a 2025-03 120 pro    c 2025-03 30 basic
//   d 2025-04  10 basic
// Month by month: January a, b new (E 2, 150.00); February b churns, c joins, a expands (S 2,
// C 1, N 1, E 2, 150.00); March no change (E 2, 150.00); April a and c churn, d joins (S 2, C 2,
// N 1, E 1, 10.00).

#include "csm/io/run.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "csm/error.hpp"

namespace {

using csm::io::RunMessage;

std::string data(const std::string& name) { return std::string(CSM_TEST_DATA_DIR) + "/" + name; }

const std::string kTiny = data("library/tiny_activity.csv");

csm::Money money(const char* text) {
  csm::Money m = 0;
  REQUIRE(csm::parse_money(text, m) == csm::DecimalError::ok);
  return m;
}

bool has_message(const std::vector<RunMessage>& messages, RunMessage::Level level, const std::string& text) {
  return std::any_of(messages.begin(), messages.end(),
                     [&](const RunMessage& m) { return m.level == level && m.text == text; });
}

}  // namespace

TEST_CASE("run_metrics: the months of a small file, counted by hand", "[run]") {
  csm::io::MetricsRequest request;
  request.inputs = {kTiny};
  request.today = csm::Date{20454};  // 2026-01-01: no month of the file is in the future
  const csm::io::MetricsRun run = csm::io::run_metrics(request);
  const csm::io::MetricsReport& report = run.report;
  CHECK(report.kind == csm::io::RecordKind::activity);
  CHECK(report.input.records == 7);
  REQUIRE(report.periods.size() == 4);
  const csm::PeriodMetrics& feb = report.periods[1];
  CHECK(csm::to_string(feb.period) == "2025-02");
  CHECK(feb.customers_start == 2);
  CHECK(feb.churned_customers == 1);
  CHECK(feb.new_customers == 1);
  CHECK(feb.expanded_customers == 1);
  CHECK(feb.customers_end == 2);
  CHECK(feb.mrr_end == money("150.00"));
  const csm::PeriodMetrics& apr = report.periods[3];
  CHECK(apr.customers_start == 2);
  CHECK(apr.churned_customers == 2);
  CHECK(apr.new_customers == 1);
  CHECK(apr.customers_end == 1);
  CHECK(apr.mrr_end == money("10.00"));
  CHECK(report.groups.empty());
  CHECK(report.activity);
  CHECK(report.activity->customers == 4);
}

TEST_CASE("run_metrics: group_by reads the column as the group", "[run]") {
  csm::io::MetricsRequest request;
  request.inputs = {kTiny};
  request.group_by = "segment";
  const csm::io::MetricsRun run = csm::io::run_metrics(request);
  const csm::io::MetricsReport& report = run.report;
  CHECK(report.group_by == "segment");
  REQUIRE(report.groups.size() == 2);
  CHECK(report.groups[0].group == "basic");
  CHECK(report.groups[1].group == "pro");
  // basic: b in January; b leaves and c joins in February; c leaves and d joins in April.
  const csm::PeriodMetrics& feb = report.groups[0].periods[1];
  CHECK(feb.customers_start == 1);
  CHECK(feb.churned_customers == 1);
  CHECK(feb.new_customers == 1);
  CHECK(feb.mrr_end == money("30.00"));
  const csm::PeriodMetrics& apr = report.groups[0].periods[3];
  CHECK(apr.churned_customers == 1);
  CHECK(apr.new_customers == 1);
  CHECK(apr.mrr_end == money("10.00"));
  // pro: a alone, who leaves in April.
  CHECK(report.groups[1].periods[3].churned_customers == 1);
  CHECK(report.groups[1].periods[3].customers_end == 0);
}

TEST_CASE("run_metrics: quarters compare the customers at the period ends", "[run]") {
  csm::io::MetricsRequest request;
  request.inputs = {kTiny};
  request.grain = csm::Grain::quarter;
  const csm::io::MetricsRun run = csm::io::run_metrics(request);
  const csm::io::MetricsReport& report = run.report;
  CHECK(report.grain == csm::Grain::quarter);
  REQUIRE(report.periods.size() == 2);
  // Q1 ends in March with a and c; Q2 (April only) with d: a and c churned, d is new.
  CHECK(report.periods[0].customers_end == 2);
  CHECK(report.periods[0].mrr_end == money("150.00"));
  CHECK(report.periods[1].customers_start == 2);
  CHECK(report.periods[1].churned_customers == 2);
  CHECK(report.periods[1].new_customers == 1);
  CHECK(report.periods[1].customers_end == 1);
  REQUIRE(report.period_months.size() == 2);
  CHECK(report.period_months[1] == 1);
  CHECK(std::find(report.warnings.begin(), report.warnings.end(),
                  "2025-Q2: the data covers 1 of its 3 months") != report.warnings.end());
  // The summary is of the months, whatever the grain.
  CHECK(report.summary.months == 4);
}

TEST_CASE("run_metrics: spend becomes acquisition_cost, with its notes as messages", "[run]") {
  csm::io::MetricsRequest request;
  request.inputs = {kTiny};
  request.spend = data("library/tiny_spend.csv");
  const csm::io::MetricsRun run = csm::io::run_metrics(request);
  const csm::io::MetricsReport& report = run.report;
  REQUIRE(report.spend);
  // January 300.00 for 2 new customers; February 100.00 + 50.00 for 1; July is outside the data.
  CHECK(report.periods[0].acquisition_cost == money("300.00"));
  CHECK(report.periods[0].cac.value_or(-1) == Approx(150.0));
  CHECK(report.periods[1].acquisition_cost == money("150.00"));
  CHECK(report.periods[1].cac.value_or(-1) == Approx(150.0));
  const std::string outside = "spend in months outside the data left out: 2025-07 (20.00)";
  CHECK(has_message(run.messages, RunMessage::Level::warning, outside));
  CHECK(std::find(report.warnings.begin(), report.warnings.end(), outside) != report.warnings.end());
}

TEST_CASE("run_metrics: skipped records are messages, not output", "[run]") {
  csm::io::MetricsRequest request;
  request.inputs = {data("e2e/two_bad_rows.csv")};
  request.read.skip_invalid = true;
  const csm::io::MetricsRun run = csm::io::run_metrics(request);
  CHECK(run.report.input.records == 3);
  CHECK(run.report.input.skipped == 2);
  const auto skipped = std::count_if(run.messages.begin(), run.messages.end(),
                                     [](const RunMessage& m) { return m.level == RunMessage::Level::skipped; });
  CHECK(skipped == 2);
  CHECK(std::find(run.report.warnings.begin(), run.report.warnings.end(), "skipped 2 invalid records") !=
        run.report.warnings.end());
}

TEST_CASE("run_metrics: requests the records cannot satisfy", "[run]") {
  csm::io::MetricsRequest request;
  SECTION("--by on summary records") {
    request.inputs = {data("../../examples/summary.csv")};
    request.group_by = "segment";
    CHECK_THROWS_AS(csm::io::run_metrics(request), csm::io::RequestError);
  }
  SECTION("a group column the records read as a field") {
    request.inputs = {kTiny};
    request.group_by = "Revenue";
    CHECK_THROWS_WITH(csm::io::run_metrics(request),
                      Catch::Contains("--by \"Revenue\": that column is read as the records' revenue"));
  }
  SECTION("a grouping column that is not there") {
    request.inputs = {kTiny};
    request.group_by = "plan";
    CHECK_THROWS_AS(csm::io::run_metrics(request), csm::InputError);
  }
  SECTION("transaction records") {
    request.inputs = {data("../../examples/transactions.csv")};
    request.command = "compute";
    CHECK_THROWS_WITH(csm::io::run_metrics(request), Catch::Contains("compute reads activity"));
  }
}

TEST_CASE("add_group_column: once, and not for segment", "[run]") {
  csm::io::ReadOptions read;
  csm::io::add_group_column("plan", read);
  csm::io::add_group_column("plan", read);  // already there: nothing more
  REQUIRE(read.renames.size() == 1);
  CHECK(read.renames[0] == std::make_pair(std::string("segment"), std::string("plan")));
  CHECK(read.required_columns == std::vector<std::string>{"segment"});
  csm::io::ReadOptions plain;
  csm::io::add_group_column("SEGMENT", plain);
  CHECK(plain.renames.empty());
  CHECK(plain.required_columns == std::vector<std::string>{"segment"});
}

TEST_CASE("run_cohorts: the January cohort of the small file", "[run]") {
  csm::io::CohortsRequest request;
  request.inputs = {kTiny};
  const csm::io::CohortsRun run = csm::io::run_cohorts(request);
  const csm::CohortTable& table = run.report.table;
  // Cohorts: January {a, b}, February {c}, April {d}; nobody joined in March.
  REQUIRE(table.cohorts.size() == 3);
  const csm::Cohort& jan = table.cohorts[0];
  CHECK(jan.customers == 2);
  REQUIRE(jan.ages.size() == 4);
  CHECK(jan.ages[1].active_customers == 1);  // a in February
  CHECK(jan.ages[1].revenue == money("120.00"));
  CHECK(jan.ages[3].active_customers == 0);  // April: a has left
  CHECK(table.cohorts[1].customers == 1);
}

TEST_CASE("run_at_risk: the latest month of the small file", "[run]") {
  csm::io::AtRiskRequest request;
  request.inputs = {kTiny};
  const csm::io::AtRiskRun run = csm::io::run_at_risk(request);
  REQUIRE(run.report.result.as_of);
  CHECK(csm::to_string(*run.report.result.as_of) == "2025-04");
  CHECK(run.report.options.as_of == run.report.result.as_of);
  CHECK(run.report.result.customers == 4);
  CHECK(run.report.result.active_customers == 1);  // d
}

TEST_CASE("run_metrics: thresholds are checked in the run, notes as messages", "[run]") {
  csm::io::MetricsRequest request;
  request.inputs = {kTiny};
  request.thresholds = {csm::parse_threshold("churned_customers > 1"), csm::parse_threshold("nrr < 100")};
  SECTION("the latest month") {
    const csm::io::MetricsRun run = csm::io::run_metrics(request);
    REQUIRE(run.report.thresholds);
    REQUIRE(run.report.thresholds->size() == 2);
    // April: a and c churned (2 > 1); its MRR kept of March's 150.00 is 0: nrr 0 < 100.
    const csm::ThresholdCheck& churned = (*run.report.thresholds)[0];
    CHECK(csm::to_string(*churned.period) == "2025-04");
    CHECK(churned.crossed);
    REQUIRE(churned.value);
    CHECK(std::stod(*churned.value) == Approx(2.0));
    CHECK((*run.report.thresholds)[1].crossed);
    REQUIRE((*run.report.thresholds)[1].value);
    CHECK(std::stod(*(*run.report.thresholds)[1].value) == Approx(0.0));
  }
  SECTION("every month: January has no MRR at start, so its nrr is null (a note)") {
    request.threshold_scope = csm::ThresholdScope::all;
    const csm::io::MetricsRun run = csm::io::run_metrics(request);
    REQUIRE(run.report.thresholds);
    CHECK(run.report.thresholds->size() == 8);
    const auto null_note = std::find_if(run.messages.begin(), run.messages.end(), [](const RunMessage& m) {
      return m.level == RunMessage::Level::note && m.text.starts_with("--fail-if nrr < 100: nrr is null in 2025-01");
    });
    CHECK(null_note != run.messages.end());
  }
}
