// The at-risk writers: JSON that parses with every member, CSV quoting, the table's words.

#include "csm/io/at_risk_writer.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using csm::AtRiskCustomer;
using csm::YearMonth;
using csm::io::AtRiskReport;

namespace {

constexpr csm::Money kUnit = 1'000'000;

AtRiskReport sample() {
  AtRiskReport r;
  r.version = "9.9";
  r.input.sources = {"in.csv"};
  r.input.records = 10;
  r.input.kind = csm::io::RecordKind::subscription;
  r.result.as_of = YearMonth::from(2025, 8);
  r.result.customers = 5;
  r.result.active_customers = 4;
  r.result.tier_limit = 50 * kUnit;
  AtRiskCustomer a;
  a.customer_id = "Acme, \"Inc\"";
  a.revenue_at_risk = 1234'500'000;  // 1,234.50
  a.contraction = csm::ContractionEvidence{2000 * kUnit, YearMonth::from(2025, 6), 38.275};
  a.low_csat = csm::LowCsatEvidence{1, YearMonth::from(2025, 7), 3};
  AtRiskCustomer b;
  b.customer_id = "b";
  b.revenue_at_risk = 20 * kUnit;
  b.gap_return = csm::GapReturnEvidence{YearMonth::from(2025, 5), 1};
  b.flat_low_tier = csm::FlatLowTierEvidence{7, 50 * kUnit};
  r.result.customers_at_risk = {a, b};
  return r;
}

}  // namespace

TEST_CASE("at-risk writer: JSON members and evidence", "[io][at_risk]") {
  const auto doc = nlohmann::json::parse(csm::io::to_json(sample()));
  // The envelope (docs/cli.md, "JSON output"): the command, then the kind of records read.
  CHECK(doc["tool"] == "csm-metrics");
  CHECK(doc["command"] == "at-risk");
  CHECK(doc["kind"] == "subscription");
  CHECK(doc["input"]["record_kind"] == "subscription");
  CHECK(doc["settings"]["as_of"] == "2025-08");
  CHECK(doc["settings"]["contraction_pct"] == 20);
  CHECK(doc["settings"]["top"].is_null());
  CHECK(doc["input"]["customers_at_risk"] == 2);
  REQUIRE(doc["customers"].size() == 2);
  const auto& a = doc["customers"][0];
  CHECK(a["customer_id"] == "Acme, \"Inc\"");
  CHECK(a["revenue_at_risk"] == 1234.5);
  CHECK(a["reasons"] == nlohmann::json::array({"contraction", "low_csat"}));
  CHECK(a["contraction"]["previous_max_period"] == "2025-06");
  CHECK(a["low_csat"]["responses"] == 3);
  CHECK(a["gap_return"].is_null());
  CHECK(doc["customers"][1]["flat_low_tier"]["months_unchanged"] == 7);
  // Money keeps its exact decimal text.
  CHECK(csm::io::to_json(sample()).find("\"revenue_at_risk\": 1234.50") != std::string::npos);
}

TEST_CASE("at-risk writer: --top keeps the first rows", "[io][at_risk]") {
  AtRiskReport r = sample();
  r.top = 1;
  const auto doc = nlohmann::json::parse(csm::io::to_json(r));
  CHECK(doc["customers"].size() == 1);
  CHECK(doc["input"]["customers_at_risk"] == 2);
  CHECK(csm::io::to_csv(r).find("\nb,") == std::string::npos);
}

TEST_CASE("at-risk writer: CSV quotes ids and the reasons list", "[io][at_risk]") {
  const std::string text = csm::io::to_csv(sample());
  CHECK(text.find("\"Acme, \"\"Inc\"\"\",1234.50,\"contraction,low_csat\",2000.00,2025-06,38.275,1,"
                  "2025-07,3,,,,\n") != std::string::npos);
  CHECK(text.find("\nb,20.00,\"gap_return,flat_low_tier\",,,,,,,2025-05,1,7,50.00\n") !=
        std::string::npos);
}

TEST_CASE("at-risk writer: the table groups a customer's reasons", "[io][at_risk]") {
  const std::string text = csm::io::to_table(sample());
  CHECK(text.find("1,234.50") != std::string::npos);
  CHECK(text.find("down 38.3% from 2,000.00 in 2025-06") != std::string::npos);
  CHECK(text.find("csat 1 in 2025-07 (3 low responses)") != std::string::npos);
  CHECK(text.find("2 of 4 customers active in 2025-08 at risk, 1,254.50 of monthly revenue") !=
        std::string::npos);
  AtRiskReport none = sample();
  none.result.customers_at_risk.clear();
  CHECK(csm::io::to_table(none).rfind("no customer active in 2025-08 shows a warning sign\n", 0) == 0);
}
