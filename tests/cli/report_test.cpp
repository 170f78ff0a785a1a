// `csm-metrics report` through csm::cli::run(): the page on stdout, the input options of compute,
// and the exit statuses.
#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run.hpp"

namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result run_report(std::vector<std::string> args) {
  args.insert(args.begin(), {"csm-metrics", "report"});
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::ostringstream out;
  std::ostringstream err;
  const int code = csm::cli::run(static_cast<int>(args.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

std::string data_file(const std::string& name) { return std::string(CSM_TEST_DATA_DIR) + "/" + name; }

std::string example(const std::string& name) { return std::string(CSM_TEST_DATA_DIR) + "/../../examples/" + name; }

Result run_command(std::vector<std::string> args) {
  args.insert(args.begin(), "csm-metrics");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::ostringstream out;
  std::ostringstream err;
  const int code = csm::cli::run(static_cast<int>(args.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

// The <svg> element with this id, whole.
std::string svg_with_id(const std::string& html, const std::string& id) {
  const std::size_t at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const std::size_t start = html.rfind("<svg", at);
  return html.substr(start, html.find("</svg>", at) + 6 - start);
}

// A percent as the heat map prints it: one decimal and "%".
std::string percent_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", value);
  return text;
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("report: the page on stdout, nothing on stderr", "[cli][report]") {
  const Result r = run_report({data_file("e2e/small.csv"), "--title", "Q1 <draft>"});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(r.out.find("<title>Q1 &lt;draft&gt;</title>") != std::string::npos);
  // small.csv: 2025-01 to 2025-03; in March b comes back -> the headline shows 1 reactivated.
  CHECK(r.out.find("2025-01 to 2025-03 &middot; 3 months") != std::string::npos);
  CHECK(r.out.find("<th scope=\"row\">Reactivated customers</th><td class=\"num\">1</td>") != std::string::npos);
}

TEST_CASE("report: takes the input and metric options of compute", "[cli][report]") {
  const Result threshold = run_report({data_file("e2e/small.csv"), "--csat-threshold", "5"});
  REQUIRE(threshold.code == 0);
  CHECK(threshold.out.find("a response &ge; 5 is satisfied") != std::string::npos);
  CHECK(threshold.out.find("scoring 5 or more") != std::string::npos);
  CHECK(run_report({data_file("e2e/small.csv"), "--input-format", "csv", "--kind", "activity",
                    "--gross-margin", "0.8", "--discount-rate", "0.01"})
            .code == 0);
  // Option values in any case, as CLI11 accepts them (compute's maps once failed on "CSV").
  CHECK(run_report({data_file("e2e/small.csv"), "--input-format", "CSV", "--kind", "Activity"}).code == 0);
}

TEST_CASE("report: exit statuses", "[cli][report]") {
  CHECK(run_report({data_file("e2e/small.csv"), "--csat-threshold", "9"}).code == 2);
  CHECK(run_report({data_file("e2e/small.csv"), "--column", "nonsense"}).code == 2);
  const Result missing = run_report({data_file("no-such-file.csv")});
  CHECK(missing.code == 66);
  CHECK(missing.out.empty());
  const Result bad = run_report({data_file("e2e/two_bad_rows.csv")});
  CHECK(bad.code == 65);
  CHECK(bad.out.empty());
  const Result skipped = run_report({data_file("e2e/two_bad_rows.csv"), "--skip-invalid", "-q"});
  CHECK(skipped.code == 0);
  CHECK(skipped.err.empty());
  CHECK(skipped.out.find("skipped 2 invalid records") != std::string::npos);
}

TEST_CASE("report: the cohort heat map equals `cohorts --format json`", "[cli][report]") {
  const Result page = run_report({example("activity.csv")});
  REQUIRE(page.code == 0);
  const Result cohorts = run_command({"cohorts", "--format", "json", example("activity.csv")});
  REQUIRE(cohorts.code == 0);
  const nlohmann::json doc = nlohmann::json::parse(cohorts.out);
  const std::string heat = svg_with_id(page.out, "chart-cohorts");
  REQUIRE(!heat.empty());
  REQUIRE(doc["cohorts"].size() == 12);  // 2025-01 .. 2025-12: one cohort per month (< 24: all shown)
  for (const auto& c : doc["cohorts"]) {
    const std::string row = c["cohort"].get<std::string>() + " (" + std::to_string(c["customers"].get<long>()) + ")";
    INFO(row);
    CHECK(has(heat, ">" + row + "</text>"));
    for (const auto& age : c["ages"]) {
      const std::string cell = "<title>" + row + ", " + std::to_string(age["age"].get<int>()) + ": " +
                               percent_text(age["logo_retention"].get<double>()) + "</title>";
      CHECK(has(heat, cell));
    }
  }
  // One cell by hand from examples/activity.csv: the 2025-01 cohort is the 22 customers with a
  // row in January; in 2025-12 (age 11) copperleaf-studio, fieldstone-realty, marigold-events and
  // redwood-accounting have no revenue, 18 of 22 are active: 100 * 18 / 22 = 81.8 %.
  CHECK(has(heat, "<title>2025-01 (22), 11: 81.8%</title>"));
  // Every cohort's age 0 is 100 %.
  CHECK(has(heat, "<title>2025-01 (22), 0: 100.0%</title>"));
}

TEST_CASE("report --cohort-grain quarter: quarterly cohorts", "[cli][report]") {
  const Result page = run_report({example("activity.csv"), "--cohort-grain", "quarter"});
  REQUIRE(page.code == 0);
  const Result cohorts = run_command({"cohorts", "--grain", "quarter", "--format", "json", example("activity.csv")});
  REQUIRE(cohorts.code == 0);
  const nlohmann::json doc = nlohmann::json::parse(cohorts.out);
  const std::string heat = svg_with_id(page.out, "chart-cohorts");
  const auto& first = doc["cohorts"][0];
  REQUIRE(first["cohort"] == "2025-Q1");
  const std::string row = "2025-Q1 (" + std::to_string(first["customers"].get<long>()) + ")";
  for (const auto& age : first["ages"]) {
    CHECK(has(heat, "<title>" + row + ", " + std::to_string(age["age"].get<int>()) + ": " +
                        percent_text(age["logo_retention"].get<double>()) + "</title>"));
  }
  CHECK(has(heat, "quarters since the cohort&#39;s first quarter"));
}

TEST_CASE("report --by segment: one panel per segment, their latest months", "[cli][report]") {
  const Result page = run_report({example("activity.csv"), "--by", "segment"});
  REQUIRE(page.code == 0);
  CHECK(page.err.empty());
  CHECK(has(page.out, "<h2>By segment</h2>"));
  const std::string churn = svg_with_id(page.out, "chart-groups-churn");
  REQUIRE(!churn.empty());
  for (const char* segment : {"enterprise", "mid-market", "smb"}) {
    INFO(segment);
    CHECK(has(churn, std::string(">") + segment + "</text>"));
  }
  // November by hand: mid-market had 13 active customers in October and lost
  // redwood-accounting: churn 100 / 13 = 7.7 %.
  CHECK(has(churn, "<title>mid-market 2025-11: 7.7%</title>"));
  // The per-group numbers are compute --by's.
  const Result json = run_command({"compute", "--by", "segment", "--format", "json", example("activity.csv")});
  REQUIRE(json.code == 0);
  const nlohmann::json doc = nlohmann::json::parse(json.out);
  for (const auto& g : doc["groups"]) {
    const auto& last = g["periods"].back();
    INFO(g["group"]);
    CHECK(has(page.out, "<tr><th scope=\"row\">" + g["group"].get<std::string>() + "</th><td>" +
                            last["period"].get<std::string>() + "</td><td class=\"num\">" +
                            std::to_string(last["customers_end"].get<long>()) + "</td>"));
  }
  CHECK(has(page.out, "<tr><th scope=\"row\">groups</th><td>by <code>segment</code> (--by)</td></tr>"));
  // Without --by, no group section; a missing column is an input error, as for compute.
  CHECK(!has(run_report({example("activity.csv")}).out, "id=\"groups\""));
  CHECK(run_report({example("activity.csv"), "--by", "plan"}).code != 0);
  CHECK(run_report({example("summary.csv"), "--by", "segment"}).code == 2);
}

TEST_CASE("report --grain quarter: the charts by quarter, the same numbers as compute", "[cli][report]") {
  const Result page = run_report({example("activity.csv"), "--grain", "quarter"});
  REQUIRE(page.code == 0);
  const std::string churn = svg_with_id(page.out, "chart-churn");
  // 2025-Q4 by hand: 30 customers active in 2025-09, 2 gone by December: 100 * 2 / 30 = 6.7 %.
  CHECK(has(churn, "<title>churn_rate 2025-Q4: 6.7%</title>"));
  CHECK(has(page.out, "<th scope=\"col\" class=\"num\">2025-Q4</th><th scope=\"col\" class=\"num\">2025-Q3</th>"));
  CHECK(has(page.out, "<tr><th scope=\"row\">periods</th><td>quarters (--grain quarter)</td></tr>"));
  // The heat map stays monthly unless --cohort-grain says otherwise.
  CHECK(has(svg_with_id(page.out, "chart-cohorts"), "<title>2025-01 (22), 11: 81.8%</title>"));
}
