// The unit economics of derive_rates (cac_payback_months, ltv_cac, quick_ratio) and apply_spend.
#include <catch2/catch.hpp>

#include "csm/period_metrics.hpp"
#include "csm/spend.hpp"

namespace {

using csm::MetricOptions;
using csm::MoneySum;
using csm::PeriodMetrics;
using csm::YearMonth;

MoneySum money(std::int64_t whole) { return static_cast<MoneySum>(whole) * csm::kMoneyScale; }

// One month, chosen so that every figure is round:
//   S = 10, C = 2, N = 4, A = 1 -> R = 8, E = 13, retention 80 %
//   mrr_start 1000, churned 160, contraction 40, expansion 100, new 350, reactivation 50
//   -> mrr_end = 1000 - 160 - 40 + 100 + 350 + 50 = 1300, arpu = 1300 / 13 = 100
//   acquisition_cost 1200 -> cac = 1200 / 4 = 300
PeriodMetrics month() {
  PeriodMetrics m;
  m.period = YearMonth::from(2024, 5);
  m.customers_start = 10;
  m.churned_customers = 2;
  m.new_customers = 4;
  m.reactivated_customers = 1;
  m.expanded_customers = 1;
  m.contracted_customers = 1;
  m.mrr_start = money(1000);
  m.mrr_end = money(1300);
  m.churned_mrr = money(160);
  m.contraction_mrr = money(40);
  m.expansion_mrr = money(100);
  m.new_mrr = money(350);
  m.reactivation_mrr = money(50);
  m.acquisition_cost = money(1200);
  return m;
}

}  // namespace

TEST_CASE("unit economics: the hand-worked month", "[core][unit_economics]") {
  PeriodMetrics m = month();
  MetricOptions options;
  options.gross_margin = 0.75;
  csm::derive_rates(m, options);
  REQUIRE(m.arpu);
  CHECK(*m.arpu == Approx(100.0));
  CHECK(*m.cac == Approx(300.0));
  // clv = 100 * 0.75 / (1 + 0 - 0.80) = 375
  CHECK(*m.clv == Approx(375.0));
  // payback = 300 / (100 * 0.75) = 4 months; ltv:cac = 375 / 300 = 1.25
  CHECK(*m.cac_payback_months == Approx(4.0));
  CHECK(*m.ltv_cac == Approx(1.25));
  // quick ratio = (350 + 100 + 50) / (160 + 40) = 2.5
  CHECK(*m.quick_ratio == Approx(2.5));

  PeriodMetrics without = month();
  options.quick_ratio_reactivation = false;
  csm::derive_rates(without, options);
  // (350 + 100) / (160 + 40) = 2.25
  CHECK(*without.quick_ratio == Approx(2.25));
}

TEST_CASE("unit economics: null rules", "[core][unit_economics]") {
  const MetricOptions options;
  SECTION("no new customers: cac, payback and ltv:cac are null") {
    PeriodMetrics m = month();
    m.new_customers = 0;
    m.new_mrr = money(0);
    m.mrr_end = money(950);
    csm::derive_rates(m, options);
    CHECK_FALSE(m.cac);
    CHECK_FALSE(m.cac_payback_months);
    CHECK_FALSE(m.ltv_cac);
    CHECK(m.quick_ratio);  // (0 + 100 + 50) / 200 = 0.75
    CHECK(*m.quick_ratio == Approx(0.75));
  }
  SECTION("cac 0: payback 0 months, ltv:cac null") {
    PeriodMetrics m = month();
    m.acquisition_cost = money(0);
    csm::derive_rates(m, options);
    CHECK(*m.cac == 0.0);
    CHECK(*m.cac_payback_months == 0.0);
    CHECK_FALSE(m.ltv_cac);
  }
  SECTION("no acquisition cost at all: all three cac-based fields null") {
    PeriodMetrics m = month();
    m.acquisition_cost.reset();
    csm::derive_rates(m, options);
    CHECK_FALSE(m.cac);
    CHECK_FALSE(m.cac_payback_months);
    CHECK_FALSE(m.ltv_cac);
  }
  SECTION("gross margin 0: payback null (never paid back)") {
    PeriodMetrics m = month();
    MetricOptions zero = options;
    zero.gross_margin = 0;
    csm::derive_rates(m, zero);
    CHECK_FALSE(m.cac_payback_months);
    CHECK(*m.clv == 0.0);
    CHECK(*m.ltv_cac == 0.0);  // 0 / 300
  }
  SECTION("no losses: quick ratio null") {
    PeriodMetrics m = month();
    m.churned_mrr = money(0);
    m.contraction_mrr = money(0);
    m.churned_customers = 0;
    m.contracted_customers = 0;
    csm::derive_rates(m, options);
    CHECK_FALSE(m.quick_ratio);
  }
  SECTION("summary-like input without MRR movements: quick ratio null") {
    PeriodMetrics m = month();
    m.new_mrr.reset();
    csm::derive_rates(m, options);
    CHECK_FALSE(m.quick_ratio);
  }
  SECTION("no active customers: arpu and payback null") {
    PeriodMetrics m;
    m.customers_start = 0;
    m.churned_customers = 0;
    m.new_customers = 0;
    m.reactivated_customers = 0;
    m.mrr_end = money(0);
    m.acquisition_cost = money(10);
    csm::derive_rates(m, options);
    CHECK_FALSE(m.arpu);
    CHECK_FALSE(m.cac_payback_months);
  }
}

// Spend 600 in May and 90 in July (outside the data), records' own acquisition_cost 1200 in May.
TEST_CASE("apply_spend: replace, add, and months outside the data", "[core][unit_economics]") {
  csm::SpendTotals spend;
  spend.add({YearMonth::from(2024, 5), 400 * csm::kMoneyScale, "ads", ""});
  spend.add({YearMonth::from(2024, 5), 200 * csm::kMoneyScale, "events", ""});
  spend.add({YearMonth::from(2024, 7), 90 * csm::kMoneyScale, "", ""});
  const MetricOptions options;

  std::vector<PeriodMetrics> replaced = {month()};
  csm::derive_rates(replaced[0], options);
  const csm::SpendApplied r = csm::apply_spend(replaced, spend, csm::SpendMode::replace, options);
  CHECK(*replaced[0].acquisition_cost == money(600));
  CHECK(*replaced[0].cac == Approx(150.0));              // 600 / 4
  CHECK(*replaced[0].cac_payback_months == Approx(1.5));  // 150 / (100 * 1)
  CHECK(*replaced[0].ltv_cac == Approx(500.0 / 150.0));   // clv = 100 / 0.2 = 500
  CHECK(r.replaced_record_costs);
  CHECK(r.total == money(690));
  CHECK(r.applied == money(600));
  REQUIRE(r.outside.size() == 1);
  CHECK(r.outside[0] == YearMonth::from(2024, 7));

  std::vector<PeriodMetrics> added = {month()};
  csm::derive_rates(added[0], options);
  const csm::SpendApplied a = csm::apply_spend(added, spend, csm::SpendMode::add, options);
  CHECK(*added[0].acquisition_cost == money(1800));  // 1200 + 600
  CHECK(*added[0].cac == Approx(450.0));
  CHECK_FALSE(a.replaced_record_costs);

  // A month without spend gets 0 in replace mode; records without costs are not "replaced".
  std::vector<PeriodMetrics> bare = {month()};
  bare[0].period = YearMonth::from(2024, 6);
  bare[0].acquisition_cost.reset();
  const csm::SpendApplied b = csm::apply_spend(bare, spend, csm::SpendMode::replace, options);
  CHECK(*bare[0].acquisition_cost == 0);
  CHECK(*bare[0].cac == 0.0);
  CHECK_FALSE(b.replaced_record_costs);
  CHECK(b.outside.size() == 2);
}
