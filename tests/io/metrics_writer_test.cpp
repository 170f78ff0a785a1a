#include "csm/io/metrics_writer.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

using csm::MoneySum;
using csm::PeriodMetrics;
using csm::YearMonth;
using csm::io::MetricsReport;
using csm::io::period_field_names;
using csm::io::RecordKind;
using csm::io::TableStyle;
using Json = nlohmann::ordered_json;

constexpr MoneySum money(std::int64_t micros) { return static_cast<MoneySum>(micros); }

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The values below are set by hand, not computed, so each expected text is known exactly.
// 2024-01: two new customers, a (100.00) and b (0.30): mrr_end 100.30, arpu 100.30 / 2 = 50.15;
//   3 csat responses, 2 satisfied: csat 200/3; acquisition 500.00 / 2 new = cac 250.
// 2024-02: b churned (0.30), a grew by 0.000001: mrr_end 100.30 - 0.30 + 0.000001 = 100.000001;
//   S = 2, C = 1, X = 1: churn, retention, expansion 50; clv = 100.000001 / (1 - 0.5) = 200.000002.
const double kFebGrr = 100.0 * 100.0 / 100.3;
const double kFebNrr = 100.0 * 100.000001 / 100.3;
const double kJanCsat = 200.0 / 3.0;

MetricsReport sample_report() {
  MetricsReport r;
  r.kind = RecordKind::activity;
  r.version = "0.1.0";
  r.input.kind = RecordKind::activity;
  r.input.sources = {"a.csv"};
  r.input.records = 3;
  r.activity = csm::ActivityStats{};
  r.activity->customers = 2;

  PeriodMetrics jan;
  jan.period = YearMonth::from(2024, 1);
  jan.customers_start = 0;
  jan.churned_customers = 0;
  jan.retained_customers = 0;
  jan.new_customers = 2;
  jan.reactivated_customers = 0;
  jan.customers_end = 2;
  jan.expanded_customers = 0;
  jan.contracted_customers = 0;
  jan.mrr_start = money(0);
  jan.mrr_end = money(100'300'000);
  jan.new_mrr = money(100'300'000);
  jan.reactivation_mrr = money(0);
  jan.expansion_mrr = money(0);
  jan.contraction_mrr = money(0);
  jan.churned_mrr = money(0);
  jan.arpu = 50.15;
  jan.csat = kJanCsat;
  jan.cac = 250.0;
  jan.csat_responses = 3;
  jan.csat_satisfied = 2;
  jan.acquisition_cost = money(500'000'000);

  PeriodMetrics feb;
  feb.period = YearMonth::from(2024, 2);
  feb.customers_start = 2;
  feb.churned_customers = 1;
  feb.retained_customers = 1;
  feb.new_customers = 0;
  feb.reactivated_customers = 0;
  feb.customers_end = 1;
  feb.expanded_customers = 1;
  feb.contracted_customers = 0;
  feb.churn_rate = 50.0;
  feb.retention_rate = 50.0;
  feb.expansion_rate = 50.0;
  feb.mrr_start = money(100'300'000);
  feb.mrr_end = money(100'000'001);
  feb.new_mrr = money(0);
  feb.reactivation_mrr = money(0);
  feb.expansion_mrr = money(1);
  feb.contraction_mrr = money(0);
  feb.churned_mrr = money(300'000);
  feb.grr = kFebGrr;
  feb.nrr = kFebNrr;
  feb.arpu = 100.000001;
  feb.clv = 200.000002;
  feb.csat_responses = 0;
  feb.csat_satisfied = 0;

  r.periods = {jan, feb};
  r.summary.first = jan.period;
  r.summary.last = feb.period;
  r.summary.months = 2;
  r.summary.average_churn_rate = 50.0;
  r.summary.annualized_churn_rate = 99.9755859375;  // 100 (1 - 0.5^12) = 100 - 100/4096
  r.summary.average_grr = kFebGrr;
  r.summary.average_nrr = kFebNrr;
  r.summary.total_new_customers = 2;
  r.summary.total_churned_customers = 1;
  r.summary.total_new_mrr = money(100'300'000);
  r.summary.total_churned_mrr = money(300'000);
  return r;
}

const std::vector<std::string> kContractPeriodFields = {
    "period",          "customers_start",      "churned_customers", "retained_customers",
    "new_customers",   "reactivated_customers", "customers_end",    "expanded_customers",
    "contracted_customers", "churn_rate",      "retention_rate",    "expansion_rate",
    "mrr_start",       "mrr_end",              "new_mrr",           "reactivation_mrr",
    "expansion_mrr",   "contraction_mrr",      "churned_mrr",       "grr",
    "nrr",             "arpu",                 "csat",              "cac",
    "clv",             "csat_responses",       "csat_satisfied",    "acquisition_cost",
    // Issue 4: the unit economics, appended so that the fields before keep their places.
    "cac_payback_months", "ltv_cac",           "quick_ratio"};

const std::vector<std::string> kCountFields = {
    "customers_start", "churned_customers",   "retained_customers", "new_customers",
    "reactivated_customers", "customers_end", "expanded_customers", "contracted_customers",
    "csat_responses",  "csat_satisfied"};

}  // namespace

TEST_CASE("writer: period field names follow the contract", "[io][writer]") {
  CHECK(period_field_names() == kContractPeriodFields);
}

TEST_CASE("writer: JSON parses, with the contract's keys in order", "[io][writer]") {
  const std::string text = csm::io::to_json(sample_report());
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  Json j;
  REQUIRE_NOTHROW(j = Json::parse(text));

  CHECK(keys_of(j) == std::vector<std::string>{"tool", "version", "command", "kind", "settings", "input",
                                               "summary", "periods", "warnings"});
  CHECK(j["tool"] == "csm-metrics");
  CHECK(j["version"] == "0.1.0");
  CHECK(j["command"] == "compute");
  CHECK(j["kind"] == "activity");

  CHECK(keys_of(j["settings"]) ==
        std::vector<std::string>{"csat_threshold", "gross_margin", "discount_rate",
                                 "quick_ratio_reactivation"});
  CHECK(j["settings"]["csat_threshold"].is_number_integer());
  CHECK(j["settings"]["csat_threshold"] == 4);
  CHECK(j["settings"]["gross_margin"].get<double>() == 1.0);
  CHECK(j["settings"]["discount_rate"].get<double>() == 0.0);

  // The contract's input members, in its order (others may sit between them).
  const std::vector<std::string> input_keys = keys_of(j["input"]);
  std::vector<std::string> contract_input = {"sources",     "records",    "skipped_records",
                                             "customers",   "first_period", "last_period",
                                             "months"};
  std::vector<std::string> seen;
  for (const auto& k : input_keys) {
    if (std::find(contract_input.begin(), contract_input.end(), k) != contract_input.end()) {
      seen.push_back(k);
    }
  }
  CHECK(seen == contract_input);
  CHECK(j["input"]["sources"] == Json::array({"a.csv"}));
  CHECK(j["input"]["records"] == 3);
  CHECK(j["input"]["skipped_records"] == 0);
  CHECK(j["input"]["customers"] == 2);
  CHECK(j["input"]["first_period"] == "2024-01");
  CHECK(j["input"]["last_period"] == "2024-02");
  CHECK(j["input"]["months"] == 2);

  CHECK(keys_of(j["summary"]) ==
        std::vector<std::string>{"average_churn_rate", "annualized_churn_rate", "average_grr",
                                 "average_nrr", "total_new_customers", "total_churned_customers",
                                 "total_new_mrr", "total_churned_mrr"});
  CHECK(j["summary"]["annualized_churn_rate"].get<double>() == 99.9755859375);
  CHECK(j["summary"]["average_grr"].get<double>() == kFebGrr);
  CHECK(j["summary"]["total_new_customers"].is_number_integer());

  REQUIRE(j["periods"].is_array());
  REQUIRE(j["periods"].size() == 2);
  for (const Json& p : j["periods"]) CHECK(keys_of(p) == kContractPeriodFields);
  CHECK(j["warnings"] == Json::array());
}

TEST_CASE("writer: JSON counts are integers, undefined values null, rates round-trip",
          "[io][writer]") {
  const Json j = Json::parse(csm::io::to_json(sample_report()));
  const Json& jan = j["periods"][0];
  const Json& feb = j["periods"][1];
  CHECK(jan["period"] == "2024-01");
  CHECK(feb["period"] == "2024-02");
  for (const std::string& name : kCountFields) {
    INFO(name);
    CHECK(jan[name].is_number_integer());
    CHECK(feb[name].is_number_integer());
  }
  CHECK(jan["new_customers"] == 2);
  CHECK(feb["churned_customers"] == 1);

  for (const char* name : {"churn_rate", "retention_rate", "expansion_rate", "grr", "nrr", "clv"}) {
    INFO(name);
    CHECK(jan[name].is_null());
  }
  for (const char* name : {"csat", "cac", "acquisition_cost"}) {
    INFO(name);
    CHECK(feb[name].is_null());
  }
  CHECK(feb["churn_rate"].get<double>() == 50.0);
  CHECK(feb["grr"].get<double>() == kFebGrr);
  CHECK(feb["nrr"].get<double>() == kFebNrr);
  CHECK(jan["csat"].get<double>() == kJanCsat);
  CHECK(jan["arpu"].get<double>() == 50.15);
  CHECK(feb["clv"].get<double>() == 200.000002);
  CHECK(jan["cac"].get<double>() == 250.0);
}

TEST_CASE("writer: JSON money is exact decimal text", "[io][writer]") {
  const std::string text = csm::io::to_json(sample_report());
  CHECK_THAT(text, Catch::Contains("\"mrr_end\": 100.30,"));
  CHECK_THAT(text, Catch::Contains("\"mrr_start\": 0.00,"));
  CHECK_THAT(text, Catch::Contains("\"mrr_end\": 100.000001,"));
  CHECK_THAT(text, Catch::Contains("\"expansion_mrr\": 0.000001,"));
  CHECK_THAT(text, Catch::Contains("\"churned_mrr\": 0.30,"));
  CHECK_THAT(text, Catch::Contains("\"acquisition_cost\": 500.00, \"cac_payback_months\": null"));
  CHECK_THAT(text, Catch::Contains("\"total_new_mrr\": 100.30"));
  CHECK_THAT(text, Catch::Contains("\"total_churned_mrr\": 0.30"));
}

TEST_CASE("writer: JSON money beyond 64 bits stays exact", "[io][writer]") {
  MetricsReport r = sample_report();
  // 10^20 micro-units = 100,000,000,000,000 units (more than INT64_MAX micro-units).
  r.periods[0].mrr_end = static_cast<MoneySum>(100'000'000'000'000'000) * 1000;
  const std::string text = csm::io::to_json(r);
  CHECK_THAT(text, Catch::Contains("\"mrr_end\": 100000000000000.00,"));
  CHECK_NOTHROW(Json::parse(text));
}

TEST_CASE("writer: JSON for summary records has null customers", "[io][writer]") {
  MetricsReport r = sample_report();
  r.kind = RecordKind::summary;
  r.activity.reset();
  const Json j = Json::parse(csm::io::to_json(r));
  CHECK(j["kind"] == "summary");
  CHECK(j["input"]["customers"].is_null());
}

TEST_CASE("writer: JSON with no periods is still a valid document", "[io][writer]") {
  MetricsReport r;
  r.version = "0.1.0";
  const Json j = Json::parse(csm::io::to_json(r));
  CHECK(j["periods"] == Json::array());
  CHECK(j["input"]["first_period"].is_null());
  CHECK(j["summary"]["average_churn_rate"].is_null());
}

TEST_CASE("writer: JSON strings are escaped", "[io][writer]") {
  MetricsReport r = sample_report();
  const std::string odd_source = "dir/we\"ird\\name\t\x01.csv";
  const std::string warning = "line one\nline two \"quoted\" caf\xc3\xa9 \x1f";
  r.input.sources = {odd_source, "<stdin>"};
  r.input.skipped = 7;
  r.warnings = {warning, "skipped 7 invalid records"};
  const Json j = Json::parse(csm::io::to_json(r));
  CHECK(j["input"]["sources"] == Json::array({odd_source, "<stdin>"}));
  CHECK(j["input"]["skipped_records"] == 7);
  CHECK(j["warnings"] == Json::array({warning, "skipped 7 invalid records"}));
}

TEST_CASE("writer: JSON stays valid UTF-8 with a file name that is not", "[io][writer]") {
  // A Latin-1 file name on Linux is legal bytes; the JSON document must still parse.
  MetricsReport r = sample_report();
  r.input.sources = {"caf\xe9.csv"};
  CHECK_NOTHROW(Json::parse(csm::io::to_json(r)));
}

TEST_CASE("writer: CSV header and rows", "[io][writer]") {
  const std::string text = csm::io::to_csv(sample_report());
  const std::vector<std::string> lines = lines_of(text);
  REQUIRE(lines.size() == 3);
  std::string header;
  for (const std::string& name : kContractPeriodFields) header += (header.empty() ? "" : ",") + name;
  CHECK(lines[0] == header);
  // Null is an empty field; money exact; rates shortest round-trip (200/3 = 66.66666666666667).
  CHECK(lines[1] ==
        "2024-01,0,0,0,2,0,2,0,0,,,,0.00,100.30,100.30,0.00,0.00,0.00,0.00,,,50.15,"
        "66.66666666666667,250,,3,2,500.00,,,");
  for (const std::string& line : lines) {
    CHECK(static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) ==
          kContractPeriodFields.size() - 1);
  }
  CHECK(text.back() == '\n');
}

TEST_CASE("writer: CSV rates read back as the same doubles", "[io][writer]") {
  const std::vector<std::string> lines = lines_of(csm::io::to_csv(sample_report()));
  REQUIRE(lines.size() == 3);
  std::vector<std::string> fields;
  std::stringstream row(lines[2]);
  for (std::string f; std::getline(row, f, ',');) fields.push_back(f);
  REQUIRE(fields.size() == kContractPeriodFields.size() - 1);  // last field (null) dropped by getline
  CHECK(fields[0] == "2024-02");
  CHECK(std::stod(fields[19]) == kFebGrr);
  CHECK(std::stod(fields[20]) == kFebNrr);
  CHECK(fields[13] == "100.000001");
  CHECK(fields[18] == "0.30");
  CHECK(fields[22].empty());  // csat: no responses
}

TEST_CASE("writer: CSV with no periods is the header alone", "[io][writer]") {
  MetricsReport r;
  const std::vector<std::string> lines = lines_of(csm::io::to_csv(r));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("period,customers_start,", 0) == 0);
}

namespace {

// A run of months with the given figures; the counts satisfy E = S - C + N + A and the money
// identity, and the rates come from the core's derive_rates.
MetricsReport realistic(std::int64_t customers, std::int64_t new_per_month,
                        std::int64_t churn_per_month, std::int64_t react_per_month,
                        std::int64_t mrr_units, std::int64_t months) {
  MetricsReport r;
  r.version = "0.1.0";
  r.activity = csm::ActivityStats{};
  r.activity->customers = static_cast<std::uint64_t>(customers * 2);
  r.input.records = static_cast<std::uint64_t>(customers * months);
  std::int64_t start = customers;
  std::int64_t mrr = mrr_units * 1'000'000 + 780'000;  // .78
  for (std::int64_t i = 0; i < months; ++i) {
    PeriodMetrics m;
    m.period = YearMonth{YearMonth::from(2023, 1).index + static_cast<std::int32_t>(i)};
    m.customers_start = start;
    m.churned_customers = churn_per_month;
    m.new_customers = new_per_month;
    m.reactivated_customers = react_per_month;
    m.expanded_customers = start / 10;
    m.contracted_customers = start / 20;
    const std::int64_t end = start - churn_per_month + new_per_month + react_per_month;
    m.customers_end = end;
    m.mrr_start = money(mrr);
    const std::int64_t churned = mrr / start * churn_per_month;
    const std::int64_t expansion = mrr / 50;
    const std::int64_t contraction = mrr / 100;
    const std::int64_t added = mrr / start * (new_per_month + react_per_month);
    m.churned_mrr = money(churned);
    m.expansion_mrr = money(expansion);
    m.contraction_mrr = money(contraction);
    m.new_mrr = money(added);
    m.reactivation_mrr = money(0);
    mrr = mrr - churned - contraction + expansion + added;
    m.mrr_end = money(mrr);
    m.csat_responses = end / 3;
    m.csat_satisfied = end / 4;
    m.acquisition_cost = money(new_per_month * 1'234'560'000);
    csm::derive_rates(m, r.options);
    r.periods.push_back(m);
    start = end;
  }
  r.summary = csm::summarize(r.periods);
  return r;
}

void check_fits_80(const std::string& table) {
  std::string widest;
  for (const std::string& line : lines_of(table)) {
    if (line.size() > widest.size()) widest = line;
  }
  INFO("table:\n" << table << "widest line: [" << widest << "]");
  CHECK(widest.size() <= 80);
}

}  // namespace

TEST_CASE("writer: the default table fits 80 columns for a many-customer business",
          "[io][writer]") {
  // 4,321 customers, 250 new, 98 churned, 12 back a month, MRR about 123,456.78, 24 months.
  const MetricsReport r = realistic(4321, 250, 98, 12, 123'456, 24);
  const std::string table = csm::io::to_table(r, TableStyle{});
  check_fits_80(table);
  // Every month's MRR is shown with six digits before the point, e.g. "123,456.78".
  CHECK(std::regex_search(table, std::regex(" [1-9][0-9]{2},[0-9]{3}\\.[0-9]{2} ")));
}

TEST_CASE("writer: the default table fits 80 columns for a few large accounts",
          "[io][writer]") {
  // 120 customers paying about 7,000 a month each, 2 won and 1 lost a month, net revenue
  // retention just above 100 % (1/120 churned + 1 % contraction - 2 % expansion): MRR from
  // 800,000.78 to about 990,000 in 12 months (six digits), a 4-digit arpu such as 6,666.67 and
  // nrr% such as 100.2.
  const MetricsReport r = realistic(120, 2, 1, 0, 800'000, 12);
  const std::string table = csm::io::to_table(r, TableStyle{});
  check_fits_80(table);
  CHECK(std::regex_search(table, std::regex(" [1-9][0-9]{2},[0-9]{3}\\.[0-9]{2} ")));
  CHECK(std::regex_search(table, std::regex(" [1-9],[0-9]{3}\\.[0-9]{2} ")));
}

TEST_CASE("writer: table columns line up and show rounded values", "[io][writer]") {
  const std::string table = csm::io::to_table(sample_report(), TableStyle{});
  const std::vector<std::string> lines = lines_of(table);
  REQUIRE(lines.size() >= 3);
  // Header and the two period rows have the same width (right-aligned numbers).
  CHECK(lines[1].size() == lines[0].size());
  CHECK(lines[2].size() == lines[0].size());
  CHECK(lines[1].rfind("2024-01", 0) == 0);
  CHECK(lines[2].rfind("2024-02", 0) == 0);
  CHECK_THAT(lines[1], Catch::Contains("100.30"));
  CHECK_THAT(lines[1], Catch::Contains("50.15"));   // arpu
  CHECK_THAT(lines[1], Catch::Contains("66.7"));    // csat 66.666..% to one decimal
  CHECK_THAT(lines[2], Catch::Contains("50.0"));    // churn%
  CHECK_THAT(lines[1], Catch::Contains(" -"));      // undefined churn% shown as "-"
  CHECK(table.find('\x1b') == std::string::npos);
}

TEST_CASE("writer: table colours only when asked", "[io][writer]") {
  TableStyle plain;
  CHECK(csm::io::to_table(sample_report(), plain).find('\x1b') == std::string::npos);
  plain.all_columns = true;
  CHECK(csm::io::to_table(sample_report(), plain).find('\x1b') == std::string::npos);
  TableStyle color;
  color.color = true;
  CHECK(csm::io::to_table(sample_report(), color).find("\x1b[") != std::string::npos);
}

TEST_CASE("writer: table --all shows every field", "[io][writer]") {
  TableStyle all;
  all.all_columns = true;
  const std::string table = csm::io::to_table(sample_report(), all);
  const std::string header = lines_of(table).at(0);
  for (const std::string& name : period_field_names()) {
    INFO(name);
    CHECK_THAT(header, Catch::Contains(name));
  }
  CHECK_THAT(table, Catch::Contains("100.00"));
}

TEST_CASE("writer: table footer counts records, customers, months, skipped", "[io][writer]") {
  MetricsReport r = sample_report();
  r.input.records = 1234567;
  r.input.skipped = 3;
  const std::string table = csm::io::to_table(r, TableStyle{});
  CHECK_THAT(table, Catch::Contains("1,234,567 records"));
  CHECK_THAT(table, Catch::Contains("2 customers"));
  CHECK_THAT(table, Catch::Contains("2 months"));
  CHECK_THAT(table, Catch::Contains("3 invalid records skipped"));
}
