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

// The page's number formats, written out here independently: thousands separated by commas,
// money with 2 decimals, percent with 1 and a "%", counts whole.
std::string grouped(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  std::string plain = text;
  const std::size_t dot = std::min(plain.find('.'), plain.size());
  for (std::size_t at = dot; at > 3; at -= 3) plain.insert(at - 3, ",");
  return plain;
}
std::string money_text(const nlohmann::json& v) { return grouped(std::stod(v.dump()), 2); }
std::string pct_text(const nlohmann::json& v) { return grouped(v.get<double>(), 1) + "%"; }
std::string count_text(const nlohmann::json& v) { return std::to_string(v.get<long>()); }

// Every value the charts draw for the periods of `compute --format json` with `args`, compared
// with the page of `report` with the same args: the bars, the lines, the bridge of the latest
// period, and the headline.
void check_charts_equal_compute(const std::vector<std::string>& args) {
  std::vector<std::string> report_args = args;
  report_args.insert(report_args.begin(), "-q");
  const Result page = run_report(report_args);
  REQUIRE(page.code == 0);
  std::vector<std::string> compute_args = {"compute", "-q", "--format", "json"};
  compute_args.insert(compute_args.end(), args.begin(), args.end());
  const Result json = run_command(compute_args);
  REQUIRE(json.code == 0);
  const nlohmann::json doc = nlohmann::json::parse(json.out);
  REQUIRE(!doc["periods"].empty());
  const std::string bars = svg_with_id(page.out, "chart-customers");
  const std::string churn = svg_with_id(page.out, "chart-churn");
  const std::string mrr = svg_with_id(page.out, "chart-mrr");
  const std::string retention = svg_with_id(page.out, "chart-retention");
  const std::string cac = svg_with_id(page.out, "chart-cac");
  std::size_t values = 0;
  for (const auto& p : doc["periods"]) {
    const std::string period = p["period"];
    INFO(period);
    for (const auto& [field, label] : {std::pair{"retained_customers", "retained"}, {"new_customers", "new"},
                                       {"reactivated_customers", "reactivated"}, {"churned_customers", "churned"}}) {
      if (p[field].get<long>() > 0) {
        CHECK(has(bars, "<title>" + period + " " + label + ": " + count_text(p[field]) + "</title>"));
        ++values;
      } else {
        CHECK_FALSE(has(bars, "<title>" + period + " " + label + ":"));  // no bar for 0
      }
    }
    const auto line = [&](const std::string& svg, const char* field, const std::string& text) {
      INFO(field);
      if (p[field].is_null()) {
        CHECK_FALSE(has(svg, "<title>" + std::string(field) + " " + period + ":"));  // a gap
      } else {
        CHECK(has(svg, "<title>" + std::string(field) + " " + period + ": " + text + "</title>"));
        ++values;
      }
    };
    line(churn, "churn_rate", p["churn_rate"].is_null() ? "" : pct_text(p["churn_rate"]));
    line(mrr, "mrr_end", money_text(p["mrr_end"]));
    for (const char* field : {"retention_rate", "grr", "nrr"}) {
      line(retention, field, p[field].is_null() ? "" : pct_text(p[field]));
    }
    if (!cac.empty()) line(cac, "cac", p["cac"].is_null() ? "" : grouped(p["cac"].get<double>(), 2));
  }
  const auto& last = doc["periods"].back();
  const std::string bridge = svg_with_id(page.out, "chart-bridge");
  CHECK(has(bridge, "<title>start: " + money_text(last["mrr_start"]) + "</title>"));
  CHECK(has(bridge, "<title>end: " + money_text(last["mrr_end"]) + "</title>"));
  CHECK(has(page.out, "<th scope=\"row\">Active customers</th><td class=\"num\">" + count_text(last["customers_end"]) +
                          "</td>"));
  CHECK(values > doc["periods"].size());  // the comparison compared something
}

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
  // The quarters' numbers are compute --grain quarter's (the quarter rules are compute's, so the
  // expectation comes from it, not from hard-coded quarter values).
  const Result json = run_command({"compute", "--grain", "quarter", "--format", "json", example("activity.csv")});
  REQUIRE(json.code == 0);
  const nlohmann::json doc = nlohmann::json::parse(json.out);
  for (const auto& p : doc["periods"]) {
    INFO(p["period"]);
    if (p["churn_rate"].is_null()) {
      CHECK_FALSE(has(churn, "<title>churn_rate " + p["period"].get<std::string>() + ":"));
    } else {
      CHECK(has(churn, "<title>churn_rate " + p["period"].get<std::string>() + ": " + pct_text(p["churn_rate"]) +
                           "</title>"));
    }
  }
  check_charts_equal_compute({example("activity.csv"), "--grain", "quarter"});
  CHECK(has(page.out, "<th scope=\"col\" class=\"num\">2025-Q4</th><th scope=\"col\" class=\"num\">2025-Q3</th>"));
  CHECK(has(page.out, "<tr><th scope=\"row\">periods</th><td>quarters (--grain quarter)</td></tr>"));
  // The heat map stays monthly unless --cohort-grain says otherwise.
  CHECK(has(svg_with_id(page.out, "chart-cohorts"), "<title>2025-01 (22), 11: 81.8%</title>"));
}

TEST_CASE("report takes compute's --until, --spend and --spend-mode: the charts are compute's numbers",
          "[cli][report]") {
  const std::string subscriptions = example("subscriptions.csv");
  const std::string spend = example("spend.csv");
  SECTION("subscription records") { check_charts_equal_compute({subscriptions}); }
  SECTION("--until 2025-12") { check_charts_equal_compute({subscriptions, "--until", "2025-12"}); }
  SECTION("--until 2025-12 --spend") {
    check_charts_equal_compute({subscriptions, "--until", "2025-12", "--spend", spend});
  }
  SECTION("--spend-mode add, --grain quarter") {
    check_charts_equal_compute({subscriptions, "--spend", spend, "--spend-mode", "add", "--grain", "quarter"});
  }
  SECTION("activity records with --spend and --by") {
    check_charts_equal_compute({example("activity.csv"), "--spend", spend, "--by", "segment"});
  }
  SECTION("by hand: --until 2025-12 runs the open subscriptions to December") {
    // examples/subscriptions.csv: open in June are acme-corp 199 + 49, birchwood-homes 199,
    // cedar-analytics 899, evergreen-legal 199, fjord-outdoor 49, harbor-pine 49, juniper-health
    // 199: 248 + 199 + 899 + 199 + 49 + 49 + 199 = 1,842.00 in every month to December.
    const Result page = run_report({subscriptions, "--until", "2025-12"});
    REQUIRE(page.code == 0);
    CHECK(has(svg_with_id(page.out, "chart-mrr"), "<title>mrr_end 2025-12: 1,842.00</title>"));
    CHECK(has(page.out, "2025-01 to 2025-12 &middot; 12 months"));
    CHECK(has(page.out, "<tr><th scope=\"row\">subscriptions run to</th><td>2025-12 (--until)</td></tr>"));
    // Without --until the range ends in June (granite-peak-it's end month).
    CHECK(has(run_report({subscriptions}).out, "2025-01 to 2025-06 &middot; 6 months"));
  }
  SECTION("by hand: --spend replaces acquisition_cost in the CAC line") {
    // spend.csv: 2025-01 1200.00 + 400.00 = 1,600.00, 2025-02 1,500.00. New (first month with
    // revenue): in January acme-corp, Bluefin Labs and birchwood-homes (started 01-06, 01-20 and
    // 01-31, all active on Jan 31); in February cedar-analytics only (delta-dental's 02-14 ..
    // 02-28 is active on no month's last day). CAC 1,600.00 / 3 = 533.33 and 1,500.00 / 1.
    const Result page = run_report({subscriptions, "--spend", spend, "-q"});
    REQUIRE(page.code == 0);
    const std::string cac = svg_with_id(page.out, "chart-cac");
    CHECK(has(cac, "<title>cac 2025-01: 533.33</title>"));
    CHECK(has(cac, "<title>cac 2025-02: 1,500.00</title>"));
    CHECK(has(page.out, "<code>" + spend + "</code>, replacing the records' acquisition_cost (--spend-mode replace)"));
  }
  SECTION("--quick-ratio-without-reactivation is accepted and recorded") {
    const Result page = run_report({subscriptions, "--quick-ratio-without-reactivation"});
    REQUIRE(page.code == 0);
    CHECK(has(page.out, "gains without reactivation_mrr (--quick-ratio-without-reactivation)"));
    CHECK(has(page.out, "--quick-ratio-without-reactivation</code>"));  // in the command that makes it again
  }
  SECTION("refusals as in compute") {
    // --until applies to every kind since issue 16 (compute's e2e tests check its numbers).
    CHECK(run_report({subscriptions, "--until", "2025-6"}).code == 2);
    CHECK(run_report({subscriptions, "--spend-mode", "add"}).code == 2);  // needs --spend
    CHECK(run_report({subscriptions, "--spend", data_file("no-such-spend.csv")}).code == 66);
  }
}

TEST_CASE("report: the settings table has what it takes to make the page again", "[cli][report]") {
  const Result page = run_report({data_file("e2e/small.csv"), "--cohort-grain", "quarter", "--column",
                                  "revenue=revenue", "--skip-invalid", "--input-format", "csv", "--grain", "Quarter",
                                  "--csat-threshold", "5", "--title", "Q1 & more"});
  REQUIRE(page.code == 0);
  const auto row = [&](const std::string& name, const std::string& value) {
    INFO(name);
    CHECK(has(page.out, "<tr><th scope=\"row\">" + name + "</th><td>" + value + "</td></tr>"));
  };
  row("input format", "csv (--input-format)");
  row("record kind", "activity (detected; --kind auto)");
  row("column mappings", "<code>--column revenue=revenue</code>");
  row("invalid records", "skipped and counted (--skip-invalid)");
  row("cohorts", "quarters (--cohort-grain quarter)");
  row("periods", "quarters (--grain quarter)");
  row("made with", "<code>csm-metrics report " + data_file("e2e/small.csv") +
                       " --input-format csv --column revenue=revenue --skip-invalid --csat-threshold 5 --grain quarter "
                       "--cohort-grain quarter --title &#39;Q1 &amp; more&#39;</code>");
  // The command makes the same page (it has no time stamp and no -o).
  const Result again = run_report({data_file("e2e/small.csv"), "--input-format", "csv", "--column", "revenue=revenue",
                                   "--skip-invalid", "--csat-threshold", "5", "--grain", "quarter", "--cohort-grain",
                                   "quarter", "--title", "Q1 & more"});
  REQUIRE(again.code == 0);
  CHECK(again.out == page.out);
}
