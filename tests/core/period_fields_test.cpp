// The table of period fields (csm/period_fields.hpp) and the one derive_rates() pass over it.
// Expected values worked out by hand.

#include "csm/period_fields.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "csm/grain.hpp"

using csm::DeriveContext;
using csm::MetricOptions;
using csm::PeriodField;
using csm::PeriodMetrics;
using csm::Population;

namespace {

constexpr csm::Money kUnit = 1'000'000;

// A quarter in which retention (E - N - A) / S = (68 - 4 - 0) / 125 = 51.2 %, whose monthly
// equivalent is 0.512^(1/3) = 80 %; R = S - C = 125 - 61 = 64, so the group retention R / S is
// also 51.2 % here; arpu = 6800 / 68 = 100.
PeriodMetrics quarter() {
  PeriodMetrics m;
  m.period = csm::YearMonth::from(2024, 1);
  m.customers_start = 125;
  m.churned_customers = 61;
  m.new_customers = 4;
  m.reactivated_customers = 0;
  m.expanded_customers = 10;
  m.contracted_customers = 5;
  m.mrr_start = 12'500 * kUnit;
  m.mrr_end = 6'800 * kUnit;
  m.new_mrr = 400 * kUnit;
  m.reactivation_mrr = 0;
  m.expansion_mrr = 500 * kUnit;
  m.contraction_mrr = 100 * kUnit;
  m.churned_mrr = 6'500 * kUnit;  // 12500 - 6500 - 100 + 500 + 400 = 6800
  m.csat_responses = 20;
  m.csat_satisfied = 15;
  m.acquisition_cost = 1'000 * kUnit;
  m.nps_responses = 10;
  m.nps_promoters = 6;
  m.nps_passives = 1;
  m.nps_detractors = 3;
  return m;
}

// Whether two periods hold the same value in every field of the table.
bool same_fields(const PeriodMetrics& a, const PeriodMetrics& b) {
  for (const PeriodField& field : csm::period_fields()) {
    const bool same = std::visit([&](auto member) { return a.*member == b.*member; }, field.member);
    if (!same) {
      UNSCOPED_INFO("field " << std::string(field.name));
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("period fields: names unique, NPS fields last, a roll-up rule for every input",
          "[period_fields]") {
  std::set<std::string> names;
  bool nps_seen = false;
  for (const PeriodField& field : csm::period_fields()) {
    INFO(std::string(field.name));
    CHECK(names.insert(std::string(field.name)).second);
    CHECK(!field.label.empty());
    if (nps_seen) CHECK(field.nps);  // no other field after the first NPS one
    nps_seen = nps_seen || field.nps;
    if (field.derive == nullptr) {
      // Read or counted: it rolls up by a rule and has no formula.
      CHECK(field.roll_up != csm::RollUp::derived);
      CHECK(field.formula.empty());
    } else {
      CHECK(!field.formula.empty());
      // Derived afresh for a quarter, except E, which is the last month's (docs/metrics.md).
      CHECK((field.roll_up == csm::RollUp::derived) == (field.name != "customers_end"));
    }
    CHECK(csm::find_period_field(field.name) == &field);
  }
  CHECK(names.size() == 35);
  CHECK(csm::find_period_field("churn") == nullptr);
}

TEST_CASE("period fields: each derivation reads only the fields above it", "[period_fields]") {
  // Were a field derived from one below it, that one would still be null (derive_rates clears
  // the derived rates first) and a second run of the derivations, without clearing, would change
  // the first field.
  PeriodMetrics once = quarter();
  csm::derive_rates(once, MetricOptions{});
  PeriodMetrics twice = once;
  for (const PeriodField& field : csm::period_fields()) {
    if (field.derive != nullptr) field.derive(twice, DeriveContext{});
  }
  CHECK(same_fields(once, twice));
  // Every field of this quarter is defined.
  for (const PeriodField& field : csm::period_fields()) {
    INFO(std::string(field.name));
    CHECK(std::visit([&](auto member) { return (once.*member).has_value(); }, field.member));
  }
}

TEST_CASE("derive_rates: one pass with the period's months and population", "[period_fields]") {
  SECTION("a month of all customers") {
    PeriodMetrics m = quarter();
    csm::derive_rates(m, DeriveContext{});
    CHECK(*m.retained_customers == 64);
    CHECK(*m.customers_end == 68);
    CHECK(*m.retention_rate == Approx(51.2));
    CHECK(*m.arpu == Approx(100.0));
    CHECK(*m.clv == Approx(100.0 / (1 - 0.512)));  // 204.918...
    CHECK(*m.cac == Approx(250.0));
    CHECK(*m.ltv_cac == Approx(100.0 / (1 - 0.512) / 250.0));
    CHECK(*m.cac_payback_months == Approx(2.5));  // 250 / (100 x 1)
    CHECK(*m.nps == Approx(30.0));                // 100 (6 - 3) / 10
  }
  SECTION("a quarter: clv from the monthly retention 0.512^(1/3) = 0.8") {
    PeriodMetrics m = quarter();
    csm::derive_rates(m, DeriveContext{MetricOptions{}, 3});
    CHECK(*m.retention_rate == Approx(51.2));
    CHECK(*m.clv == Approx(500.0));    // 100 / (1 - 0.8)
    CHECK(*m.ltv_cac == Approx(2.0));  // 500 / 250
    CHECK(*m.cac_payback_months == Approx(2.5));
  }
  SECTION("a group: retention 100 R / S, and clv and ltv_cac follow it") {
    PeriodMetrics m = quarter();
    // Two customers moved in from another group: E = R + N + A + 2 = 70, so that
    // (E - N - A) / S = 66 / 125 = 52.8 % but the group keeps R / S = 64 / 125 = 51.2 %.
    m.customers_end = 70;
    m.mrr_end = 7'000 * kUnit;  // arpu 100
    csm::derive_rates(m, DeriveContext{MetricOptions{}, 3, Population::group});
    CHECK(*m.retention_rate == Approx(51.2));
    CHECK(*m.clv == Approx(500.0));
    CHECK(*m.ltv_cac == Approx(2.0));
    csm::derive_rates(m, DeriveContext{MetricOptions{}, 3, Population::all});
    CHECK(*m.retention_rate == Approx(52.8));
  }
  SECTION("gross margin and discount rate reach clv and the payback") {
    PeriodMetrics m = quarter();
    MetricOptions options;
    options.gross_margin = 0.5;
    options.discount_rate = 0.05;
    csm::derive_rates(m, DeriveContext{options, 3});
    CHECK(*m.clv == Approx(50.0 / 0.25));         // 100 x 0.5 / (1 + 0.05 - 0.8)
    CHECK(*m.cac_payback_months == Approx(5.0));  // 250 / (100 x 0.5)
  }
}

TEST_CASE("derive_rates: a second call gives what one call on the new inputs gives",
          "[period_fields]") {
  PeriodMetrics m = quarter();
  csm::derive_rates(m, MetricOptions{});
  // An input changes (apply_spend replaces acquisition_cost) and another goes missing.
  m.acquisition_cost.reset();
  m.customers_start.reset();
  csm::derive_rates(m, MetricOptions{});
  PeriodMetrics fresh = quarter();
  fresh.acquisition_cost.reset();
  fresh.customers_start.reset();
  fresh.retained_customers = 64;  // kept from the first call: R is derived only when missing
  fresh.customers_end = 68;
  csm::derive_rates(fresh, MetricOptions{});
  CHECK(same_fields(m, fresh));
  CHECK(!m.churn_rate);  // no S: the 48.8 % of the first call is gone
  CHECK(!m.cac);
  CHECK(!m.ltv_cac);
}

TEST_CASE("period fields: null reasons", "[period_fields]") {
  const auto reason = [](std::string_view name, const PeriodMetrics& m) {
    return std::string(csm::null_reason(*csm::find_period_field(name), m));
  };
  PeriodMetrics m;
  CHECK(reason("customers_start", m) == "not determined by the input");
  CHECK(reason("churn_rate", m) == "not determined by the input");
  CHECK(reason("cac", m) == "the input has no acquisition_cost");
  CHECK(reason("nps_promoters", m) == "the input has no nps column");
  CHECK(reason("clv", m) == "arpu is null");
  m.customers_start = 0;
  m.nps_responses = 0;
  m.acquisition_cost = 0;
  m.new_customers = 0;
  m.arpu = 10.0;
  CHECK(reason("churn_rate", m) == "no customers at start");
  CHECK(reason("retention_rate", m) == "no customers at start");
  CHECK(reason("nps", m) == "no nps answers");
  CHECK(reason("cac", m) == "no new customers");
  CHECK(reason("clv", m) == "retention_rate is null");
}
