// Every field of the table (csm/period_fields.hpp) reaches every output: a key of each JSON
// period object, a CSV column and an --all heading in the table's order, and a --fail-if field;
// the NPS fields only when a period has NPS counts.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "csm/io/metrics_writer.hpp"
#include "csm/period_fields.hpp"
#include "csm/thresholds.hpp"

namespace {

csm::io::MetricsReport report(bool with_nps) {
  csm::io::MetricsReport r;
  r.version = "0";
  csm::PeriodMetrics m;
  m.period = csm::YearMonth::from(2025, 3);
  m.customers_start = 4;
  m.churned_customers = 1;
  m.new_customers = 1;
  m.reactivated_customers = 0;
  if (with_nps) {
    m.nps_responses = 2;
    m.nps_promoters = 1;
    m.nps_passives = 1;
    m.nps_detractors = 0;
  }
  csm::derive_rates(m, csm::MetricOptions{});
  r.periods = {m};
  r.summary = csm::summarize(r.periods);
  return r;
}

std::vector<std::string> table_names(bool with_nps) {
  std::vector<std::string> names;
  for (const csm::PeriodField& f : csm::period_fields()) {
    if (with_nps || !f.nps) names.emplace_back(f.name);
  }
  return names;
}

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(line);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

}  // namespace

TEST_CASE("period fields: every field in every output, in the table's order",
          "[io][period_fields]") {
  for (const bool with_nps : {false, true}) {
    INFO("with_nps " << with_nps);
    const csm::io::MetricsReport r = report(with_nps);
    std::vector<std::string> expected = {"period"};
    const std::vector<std::string> names = table_names(with_nps);
    expected.insert(expected.end(), names.begin(), names.end());

    const auto doc = nlohmann::ordered_json::parse(csm::io::to_json(r));
    std::vector<std::string> keys;
    for (const auto& item : doc["periods"][0].items()) keys.push_back(item.key());
    CHECK(keys == expected);

    const std::string csv = csm::io::to_csv(r, csm::io::CsvStyle{});
    CHECK(split(csv.substr(0, csv.find('\n')), ',') == expected);

    csm::io::TableStyle all;
    all.all_columns = true;
    const std::string table = csm::io::to_table(r, all);
    std::vector<std::string> headings;
    std::istringstream header(table.substr(0, table.find('\n')));
    for (std::string word; header >> word;) headings.push_back(word);
    CHECK(headings == expected);
  }
  const std::vector<std::string>& fail_if = csm::threshold_field_names();
  for (const csm::PeriodField& f : csm::period_fields()) {
    INFO(std::string(f.name));
    CHECK(std::count(fail_if.begin(), fail_if.end(), std::string(f.name)) == 1);
    CHECK(csm::parse_threshold(std::string(f.name) + " > 1").field == f.name);
  }
  // The writers' lists of names are the table's, NPS ones apart.
  CHECK(csm::io::nps_field_names() == std::vector<std::string>{"nps", "nps_responses",
                                                               "nps_promoters", "nps_passives",
                                                               "nps_detractors"});
}
