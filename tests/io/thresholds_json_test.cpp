// The JSON member "thresholds" written by to_json (that every period field is a --fail-if field:
// tests/io/period_fields_output_test.cpp).

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "csm/io/metrics_writer.hpp"
#include "csm/thresholds.hpp"

namespace {

csm::io::MetricsReport two_months() {
  csm::io::MetricsReport r;
  r.version = "0";
  csm::PeriodMetrics a;
  a.period = csm::YearMonth::from(2025, 1);
  a.customers_start = 0;
  csm::PeriodMetrics b;
  b.period = csm::YearMonth::from(2025, 2);
  b.customers_start = 4;
  b.churn_rate = 25.0;
  r.periods = {a, b};
  r.summary = csm::summarize(r.periods);
  return r;
}

}  // namespace

TEST_CASE("thresholds: JSON member only with --fail-if, one object per check", "[io][thresholds]") {
  csm::io::MetricsReport r = two_months();
  CHECK_FALSE(nlohmann::json::parse(csm::io::to_json(r)).contains("thresholds"));

  const std::vector<csm::Threshold> t = {csm::parse_threshold(" churn_rate>=25 ")};
  std::vector<csm::ThresholdSeries> series = {{"", r.periods, r.summary}};
  r.thresholds = csm::evaluate_thresholds(t, series, csm::ThresholdScope::all);
  const auto doc = nlohmann::ordered_json::parse(csm::io::to_json(r));
  REQUIRE(doc.contains("thresholds"));
  const auto& checks = doc["thresholds"];
  REQUIRE(checks.size() == 2);
  std::vector<std::string> keys;
  for (const auto& [key, value] : checks[0].items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"expression", "field", "op", "limit", "period", "value",
                                         "crossed", "note"});
  CHECK(checks[0]["expression"] == "churn_rate>=25");
  CHECK(checks[0]["value"].is_null());
  CHECK(checks[0]["crossed"] == false);
  CHECK(checks[0]["note"] == "no customers at start");
  CHECK(checks[1]["period"] == "2025-02");
  CHECK(checks[1]["limit"] == 25);
  CHECK(checks[1]["value"] == 25);
  CHECK(checks[1]["crossed"] == true);
  CHECK(checks[1]["note"].is_null());

  // A group's series adds "group" after "expression".
  series[0].label = "smb";
  series[0].is_group = true;
  r.thresholds = csm::evaluate_thresholds(t, series, csm::ThresholdScope::latest);
  const auto grouped = nlohmann::ordered_json::parse(csm::io::to_json(r));
  CHECK(grouped["thresholds"][0]["group"] == "smb");
  CHECK(std::next(grouped["thresholds"][0].begin()).key() == "group");

  // The group of rows without a value is "" (not "(none)", which may be a real value).
  series[0].label = "";
  r.thresholds = csm::evaluate_thresholds(t, series, csm::ThresholdScope::latest);
  const auto missing = nlohmann::ordered_json::parse(csm::io::to_json(r));
  CHECK(missing["thresholds"][0]["group"] == "");
}
