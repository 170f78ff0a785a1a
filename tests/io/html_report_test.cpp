#include "csm/io/html_report.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

namespace {

using csm::MoneySum;
using csm::PeriodMetrics;
using csm::YearMonth;
using csm::io::CohortRetention;
using csm::io::GroupBreakdown;
using csm::io::ReportInput;
using csm::io::to_html;

MoneySum units(std::int64_t whole) { return static_cast<MoneySum>(whole) * 1'000'000; }

// Two months set by hand (not computed), so every expected text below is known:
// 2025-01: 10 new customers, mrr_end 1000.00, no rates (S = 0), csat 80 %.
// 2025-02: S 10, churned 1, new 2 -> E 11; mrr 1000 -> 1200 = 1000 + 300 new + 0 reactivation
//          + 50 expansion - 30 contraction - 120 churned; churn 10 %, retention 90 %;
//          grr (1000 - 120 - 30) / 1000 = 85 %, nrr 90 %; csat null (no responses).
ReportInput sample() {
  ReportInput in;
  in.metrics.version = "9.9.9";
  in.metrics.input.sources = {"customers.csv"};
  in.metrics.input.records = 23;
  in.metrics.activity = csm::ActivityStats{};
  in.metrics.activity->customers = 12;
  PeriodMetrics jan;
  jan.period = YearMonth::from(2025, 1);
  jan.customers_start = 0;
  jan.churned_customers = 0;
  jan.retained_customers = 0;
  jan.new_customers = 10;
  jan.reactivated_customers = 0;
  jan.customers_end = 10;
  jan.mrr_start = 0;
  jan.mrr_end = units(1000);
  jan.new_mrr = units(1000);
  jan.reactivation_mrr = 0;
  jan.expansion_mrr = 0;
  jan.contraction_mrr = 0;
  jan.churned_mrr = 0;
  jan.arpu = 100;
  jan.csat = 80;
  PeriodMetrics feb;
  feb.period = YearMonth::from(2025, 2);
  feb.customers_start = 10;
  feb.churned_customers = 1;
  feb.retained_customers = 9;
  feb.new_customers = 2;
  feb.reactivated_customers = 0;
  feb.customers_end = 11;
  feb.churn_rate = 10;
  feb.retention_rate = 90;
  feb.mrr_start = units(1000);
  feb.mrr_end = units(1200);
  feb.new_mrr = units(300);
  feb.reactivation_mrr = 0;
  feb.expansion_mrr = units(50);
  feb.contraction_mrr = units(30);
  feb.churned_mrr = units(120);
  feb.grr = 85;
  feb.nrr = 90;
  feb.arpu = 1200.0 / 11;
  in.metrics.periods = {jan, feb};
  in.metrics.summary = csm::summarize(in.metrics.periods);
  return in;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// The <svg> element with this id, whole.
std::string svg_with_id(const std::string& html, const std::string& id) {
  const std::size_t at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const std::size_t start = html.rfind("<svg", at);
  return html.substr(start, html.find("</svg>", at) + 6 - start);
}

}  // namespace

TEST_CASE("html report: one page with every section, in order", "[report]") {
  const std::string html = to_html(sample());
  CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
  CHECK(html.size() > 1000);
  CHECK(html.substr(html.size() - 8) == "</html>\n");
  std::size_t last = 0;
  for (const char* id : {"headline", "customers", "revenue", "satisfaction", "settings"}) {
    const std::size_t at = html.find(std::string("<section") + (std::string(id) == "headline" ? " class=\"first\"" : "") +
                                     " id=\"" + id + "\">");
    INFO(id);
    REQUIRE(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }
  // Charts of the brief, each with a <title>, a <desc> and an aria-label.
  for (const char* id : {"chart-customers", "chart-churn", "chart-bridge", "chart-mrr", "chart-retention"}) {
    INFO(id);
    const std::string svg = svg_with_id(html, id);
    REQUIRE(!svg.empty());
    CHECK(has(svg, "<title>"));
    CHECK(has(svg, "<desc id=\"" + std::string(id) + "-desc\">"));
    CHECK(has(svg, "aria-label=\""));
    CHECK(has(svg, "role=\"img\""));
  }
  CHECK(count(html, "<svg") == count(html, "</svg>"));
  // Every figure says how to read it.
  CHECK(count(html, "<figure>") ==
        count(html, "<figcaption>How to read:") + count(html, "</h3>\n<p class=\"note\">"));
  // Self-contained: no scripts, no external references, print rules present.
  CHECK(!has(html, "<script"));
  CHECK(!has(html, "<link"));
  CHECK(!has(html, "src="));
  CHECK(!has(html, "href="));
  CHECK(count(html, "http") == count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(has(html, "@media print"));
  CHECK(has(html, "break-before: page"));
  // Optional parts are absent when not given.
  CHECK(!has(html, "id=\"cohorts\""));
  CHECK(!has(html, "id=\"groups\""));
}

TEST_CASE("html report: headline numbers against the month before", "[report]") {
  const std::string html = to_html(sample());
  // Churn rate rose from - (S = 0) to 10 %: no change shown, only the value.
  CHECK(has(html, "<th scope=\"row\">Churn rate</th><td class=\"num\">10.0%</td><td class=\"num\">&ndash;</td>"
                  "<td class=\"num\">&ndash;</td>"));
  // Active customers 10 -> 11: up, better; the arrow and the word carry it, not only colour.
  CHECK(has(html, "<th scope=\"row\">Active customers</th><td class=\"num\">11</td><td class=\"num\">10</td>"
                  "<td class=\"num better\"><span aria-hidden=\"true\">&#9650; </span>"
                  "<span class=\"sr-only\">up </span>+1</td>"));
  // Churned customers 0 -> 1: up, which is worse.
  CHECK(has(html, "<th scope=\"row\">Churned customers</th><td class=\"num\">1</td><td class=\"num\">0</td>"
                  "<td class=\"num worse\">"));
  // MRR 1,000.00 -> 1,200.00: +200.00.
  CHECK(has(html, "<td class=\"num\">1,200.00</td><td class=\"num\">1,000.00</td><td class=\"num better\">"
                  "<span aria-hidden=\"true\">&#9650; </span><span class=\"sr-only\">up </span>+200.00</td>"));
  // ARPU 100.00 -> 109.09 (1200 / 11).
  CHECK(has(html, "+9.09</td>"));
  // New customers 10 -> 2: down, worse.
  CHECK(has(html, "<td class=\"num worse\"><span aria-hidden=\"true\">&#9660; </span><span class=\"sr-only\">"
                  "down </span>\xe2\x88\x92" "8</td>"));
}

TEST_CASE("html report: the MRR bridge of the latest month", "[report]") {
  const std::string svg = svg_with_id(to_html(sample()), "chart-bridge");
  REQUIRE(!svg.empty());
  for (const char* label : {"<title>start: 1,000.00</title>", "<title>new: +300.00</title>",
                            "<title>reactivation: 0.00</title>", "<title>expansion: +50.00</title>",
                            "<title>contraction: \xe2\x88\x92" "30.00</title>",
                            "<title>churned: \xe2\x88\x92" "120.00</title>", "<title>end: 1,200.00</title>"}) {
    INFO(label);
    CHECK(has(svg, label));
  }
}

TEST_CASE("html report: null values are gaps and empty charts become notes", "[report]") {
  const std::string html = to_html(sample());
  // churn_rate is null in January: its line starts at February, the second category.
  const std::string churn = svg_with_id(html, "chart-churn");
  const std::smatch m = [&] {
    std::smatch found;
    std::regex_search(churn, found, std::regex(R"re(<path class="line" d="([^"]*)")re"));
    return found;
  }();
  REQUIRE(!m.empty());
  CHECK(count(m[1], "M") == 1);
  CHECK(count(m[1], "L") == 0);  // one value: a marker, no segment down to zero
  CHECK(count(churn, "class=\"marker\"") == 1);
  // CSAT has a value in January only: drawn. CAC has none: a note instead of a chart.
  CHECK(!svg_with_id(html, "chart-csat").empty());
  CHECK(svg_with_id(html, "chart-cac").empty());
  CHECK(has(html, "Not shown: no month has both acquisition spend and new customers"));

  ReportInput no_csat = sample();
  for (PeriodMetrics& p : no_csat.metrics.periods) p.csat.reset();
  const std::string without = to_html(no_csat);
  CHECK(svg_with_id(without, "chart-csat").empty());
  CHECK(has(without, "Not shown: the input has no csat responses in any month."));

  ReportInput summary_like = sample();
  summary_like.metrics.periods.back().expansion_mrr.reset();
  CHECK(svg_with_id(to_html(summary_like), "chart-bridge").empty());
  CHECK(has(to_html(summary_like), "Not available: the bridge needs revenue movements"));
}

TEST_CASE("html report: text from the input is escaped everywhere", "[report]") {
  const std::string hostile = "<script>&\"'";
  ReportInput in = sample();
  in.title = hostile;
  in.metrics.input.sources = {hostile + ".csv", "a\xff.csv"};
  in.metrics.warnings = {hostile};
  in.cohorts = CohortRetention{{hostile, "2025-02"}, {5, 7}, {"0", "1"}, {{100.0, 60.0}, {100.0}}, hostile};
  in.groups = GroupBreakdown{hostile, {{hostile, in.metrics.periods}, {"smb", in.metrics.periods}}};
  const std::string html = to_html(in);
  CHECK(!has(html, "<script"));
  CHECK(!has(html, "\"'"));
  CHECK(!has(html, "\xff"));
  CHECK(has(html, "<title>&lt;script&gt;&amp;&quot;&#39;</title>"));
  CHECK(has(html, "<code>&lt;script&gt;&amp;&quot;&#39;.csv</code>"));
  CHECK(has(html, "<code>a\xef\xbf\xbd.csv</code>"));
  CHECK(count(html, "&lt;script&gt;&amp;&quot;&#39;") >= 8);
}

TEST_CASE("html report: cohort and group sections when given", "[report]") {
  ReportInput in = sample();
  in.cohorts = CohortRetention{{"2025-01", "2025-02"}, {10, 2}, {"0", "1"}, {{100.0, 90.0}, {100.0}}, ""};
  GroupBreakdown groups;
  groups.by = "segment";
  groups.groups = {{"smb", in.metrics.periods}, {"enterprise", {in.metrics.periods.back()}}};
  in.groups = groups;
  const std::string html = to_html(in);
  const std::string heat = svg_with_id(html, "chart-cohorts");
  REQUIRE(!heat.empty());
  CHECK(has(heat, ">2025-01 (10)</text>"));    // the cohort and its size
  CHECK(has(heat, "<title>2025-01 (10), 1: 90.0%</title>"));
  CHECK(count(heat, "<rect x=") == 3 + 5);     // 3 cells + the 5 key swatches
  CHECK(html.find("id=\"cohorts\"") < html.find("id=\"groups\""));
  CHECK(html.find("id=\"groups\"") < html.find("id=\"settings\""));
  CHECK(has(html, "<h2>By segment</h2>"));
  for (const char* id : {"chart-groups-customers", "chart-groups-mrr", "chart-groups-churn", "chart-groups-nrr"}) {
    INFO(id);
    const std::string svg = svg_with_id(html, id);
    REQUIRE(!svg.empty());
    CHECK(count(svg, "class=\"panel\"") == 2);
  }
  // enterprise has only February: on the shared month axis its January is a gap, so its
  // customers line is a single point.
  const std::string customers = svg_with_id(html, "chart-groups-customers");
  CHECK(has(customers, "<title>enterprise 2025-02: 11</title>"));
  CHECK(!has(customers, "<title>enterprise 2025-01"));
  // The table of the latest month per group.
  CHECK(has(html, "<tr><th scope=\"row\">enterprise</th><td>2025-02</td><td class=\"num\">11</td>"));
}

TEST_CASE("html report: same input, same bytes; a time only when asked", "[report]") {
  CHECK(to_html(sample()) == to_html(sample()));
  CHECK(!has(to_html(sample()), " on 20"));
  ReportInput stamped = sample();
  stamped.timestamp = "2026-11-23 18:00 UTC";
  CHECK(has(to_html(stamped), "Made by csm-metrics 9.9.9 on 2026-11-23 18:00 UTC."));
}

TEST_CASE("html report: an input without months", "[report]") {
  ReportInput in;
  in.metrics.version = "9.9.9";
  const std::string html = to_html(in);
  CHECK(has(html, "The input has no months, so there is nothing to report."));
  CHECK(count(html, "<svg") == count(html, "</svg>"));
}

namespace {

// A cohort of `customers` joining in `period`, with the logo retention of each age given.
csm::Cohort cohort_of(YearMonth period, std::int64_t customers, const std::vector<double>& retention) {
  csm::Cohort c;
  c.period = period;
  c.customers = customers;
  for (const double r : retention) {
    csm::CohortAge age;
    age.logo_retention = r;
    c.ages.push_back(age);
  }
  return c;
}

}  // namespace

TEST_CASE("html report: the heat map of a cohort table", "[report]") {
  csm::CohortTable table;
  // Three monthly cohorts over three months: ages 3, 2 and 1 observed; 100 %, 75 %, 50 % etc.
  table.cohorts = {cohort_of(YearMonth::from(2025, 1), 4, {100, 75, 50}),
                   cohort_of(YearMonth::from(2025, 2), 2, {100, 50}),
                   cohort_of(YearMonth::from(2025, 3), 1, {100})};
  table.months_covered = {1, 1, 1};
  const CohortRetention c = csm::io::cohort_retention(table);
  CHECK(c.cohorts == std::vector<std::string>{"2025-01", "2025-02", "2025-03"});
  CHECK(c.sizes == std::vector<std::int64_t>{4, 2, 1});
  CHECK(c.ages == std::vector<std::string>{"0", "1", "2"});
  REQUIRE(c.percent.size() == 3);
  CHECK(c.percent[0] == std::vector<std::optional<double>>{100.0, 75.0, 50.0});
  // Ages not observed yet are blank (nullopt), so every row is as wide as the oldest.
  CHECK(c.percent[2] == std::vector<std::optional<double>>{100.0, std::nullopt, std::nullopt});
  CHECK(!has(c.note, "latest"));

  ReportInput in = sample();
  in.cohorts = c;
  const std::string heat = svg_with_id(to_html(in), "chart-cohorts");
  CHECK(has(heat, "<title>2025-01 (4), 2: 50.0%</title>"));
  CHECK(has(heat, "months since the cohort&#39;s first month"));
}

TEST_CASE("html report: many cohorts: the latest 24, and a note saying so", "[report]") {
  csm::CohortTable table;
  // 30 monthly cohorts 2023-01 .. 2025-06, cohort i observed for 30 - i ages.
  for (int i = 0; i < 30; ++i) {
    table.cohorts.push_back(cohort_of(YearMonth::from(2023 + i / 12, i % 12 + 1), 10,
                                      std::vector<double>(static_cast<std::size_t>(30 - i), 90.0)));
  }
  const CohortRetention c = csm::io::cohort_retention(table);
  REQUIRE(c.cohorts.size() == 24);
  CHECK(c.cohorts.front() == "2023-07");  // 30 - 24 = 6 cohorts left out: 2023-01 .. 2023-06
  CHECK(c.cohorts.back() == "2025-06");
  CHECK(c.ages.size() == 24);             // the oldest shown (i = 6) has 30 - 6 ages
  CHECK(has(c.note, "The latest 24 of 30 cohorts are shown"));
}

TEST_CASE("html report: quarterly cohorts and periods are labelled at their grain", "[report]") {
  csm::CohortTable table;
  table.options.grain = csm::Grain::quarter;
  table.cohorts = {cohort_of(YearMonth::from(2025, 1), 3, {100, 66.7}), cohort_of(YearMonth::from(2025, 4), 1, {100})};
  table.months_covered = {3, 2};  // the last quarter has 2 of its 3 months
  const CohortRetention c = csm::io::cohort_retention(table);
  CHECK(c.cohorts == std::vector<std::string>{"2025-Q1", "2025-Q2"});
  CHECK(has(c.note, "The last quarter covers 2 of its 3 months"));

  ReportInput in = sample();
  in.cohorts = c;
  in.metrics.grain = csm::Grain::quarter;  // the sample's two months read as two quarters' labels
  const std::string html = to_html(in);
  CHECK(has(svg_with_id(html, "chart-cohorts"), "quarters since the cohort&#39;s first quarter"));
  CHECK(has(html, "<th scope=\"col\" class=\"num\">2025-Q1</th>"));
  CHECK(has(html, "Periods are quarters"));
  CHECK(has(svg_with_id(html, "chart-churn"), ">quarter</text>"));
  CHECK(has(svg_with_id(html, "chart-churn"), "Quarters 2025-Q1 to 2025-Q1."));
}

TEST_CASE("html report: one month: whole-number count axes, no comparison", "[report]") {
  ReportInput in = sample();
  in.metrics.periods.resize(1);  // January only: 10 new customers
  in.metrics.periods[0].new_customers = 1;
  in.metrics.periods[0].customers_end = 1;
  in.metrics.summary = csm::summarize(in.metrics.periods);
  const std::string html = to_html(in);
  const std::string bars = svg_with_id(html, "chart-customers");
  REQUIRE(!bars.empty());
  // One customer: the axis is 0 .. 1 in steps of 1, not 0, 0.2, ..., 1.
  CHECK(has(bars, "text-anchor=\"end\">1</text>"));
  CHECK(has(bars, "text-anchor=\"end\">0</text>"));
  CHECK_FALSE(has(bars, ">0.2</text>"));
  CHECK_FALSE(has(bars, ">0.5</text>"));
  CHECK(has(html, "Only one month of data"));
}

TEST_CASE("html report: notes name the grain's period", "[report]") {
  ReportInput in = sample();
  in.metrics.grain = csm::Grain::year;
  for (PeriodMetrics& p : in.metrics.periods) {
    p.churn_rate.reset();
    p.retention_rate.reset();
    p.grr.reset();
    p.nrr.reset();
  }
  const std::string html = to_html(in);
  CHECK(has(html, "Not available: no year has customers at its start."));
  CHECK(has(html, "Not available: no year has customers or revenue at its start."));
  CHECK_FALSE(has(html, "no month has"));
  CHECK(has(html, "Not shown: no year has both acquisition spend and new customers"));
}

TEST_CASE("html report: the settings record how to make the page again", "[report]") {
  ReportInput in = sample();
  csm::io::ReportSettings settings;
  settings.input_format = "csv";
  settings.kind = "subscription";
  settings.columns = {"customer_id=account", "mrr=MRR"};
  settings.skip_invalid = true;
  settings.until = YearMonth::from(2025, 12);
  settings.spend_file = "spend.csv";
  settings.cohort_grain = csm::Grain::quarter;
  settings.command = {"csm-metrics", "report", "my file.csv", "--column", "mrr=MRR", "--title", "it's"};
  in.settings = settings;
  in.metrics.kind = csm::io::RecordKind::subscription;
  in.metrics.options.quick_ratio_reactivation = false;
  csm::io::SpendReport spend;
  spend.mode = csm::SpendMode::add;
  spend.input.records = 3;
  spend.applied.applied = units(1500);
  in.metrics.spend = spend;
  in.cohorts = CohortRetention{{"2025-Q1"}, {10}, {"0"}, {{100.0}}, ""};
  const std::string html = to_html(in);
  const auto row = [&](const std::string& name, const std::string& value) {
    INFO(name);
    CHECK(has(html, "<tr><th scope=\"row\">" + name + "</th><td>" + value + "</td></tr>"));
  };
  row("input format", "csv (--input-format)");
  row("record kind", "subscription (--kind subscription)");
  row("column mappings", "<code>--column customer_id=account</code><br><code>--column mrr=MRR</code>");
  row("invalid records", "skipped and counted (--skip-invalid)");
  row("subscriptions run to", "2025-12 (--until)");
  row("cohorts", "quarters (--cohort-grain quarter)");
  row("marketing spend", "<code>spend.csv</code>, added to the records' acquisition_cost (--spend-mode add); "
                         "3 records, 1,500.00 applied");
  row("quick ratio", "gains without reactivation_mrr (--quick-ratio-without-reactivation)");
  // Shell words: a space or a quote gets single quotes (' inside as '\'').
  row("made with", "<code>csm-metrics report &#39;my file.csv&#39; --column mrr=MRR --title &#39;it&#39;\\&#39;&#39;s&#39;</code>");

  ReportInput plain = sample();
  plain.settings = csm::io::ReportSettings{};
  const std::string defaults = to_html(plain);
  CHECK(has(defaults, "<tr><th scope=\"row\">column mappings</th><td>none (the canonical column names)</td></tr>"));
  CHECK(has(defaults, "<tr><th scope=\"row\">invalid records</th><td>stop the run (no --skip-invalid)</td></tr>"));
  CHECK(has(defaults, "<tr><th scope=\"row\">marketing spend</th><td>none (the records' acquisition_cost; no --spend)</td></tr>"));
  CHECK_FALSE(has(defaults, "subscriptions run to"));  // activity records
}
