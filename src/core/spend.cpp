#include "csm/spend.hpp"

namespace csm {

SpendApplied apply_spend(std::vector<PeriodMetrics>& periods, const SpendTotals& spend,
                         SpendMode mode, const MetricOptions& options) {
  SpendApplied applied;
  const auto& by_month = spend.by_month();
  for (const auto& [month, amount] : by_month) applied.total += amount;
  std::map<std::int32_t, bool> used;
  for (PeriodMetrics& m : periods) {
    const auto found = by_month.find(m.period.index);
    const MoneySum amount = found == by_month.end() ? 0 : found->second;
    if (found != by_month.end()) {
      used[m.period.index] = true;
      applied.applied += amount;
    }
    if (mode == SpendMode::replace) {
      if (m.acquisition_cost) applied.replaced_record_costs = true;
      m.acquisition_cost = amount;
    } else {
      m.acquisition_cost = m.acquisition_cost.value_or(0) + amount;
    }
    // What depends on acquisition_cost is derived again; the rest comes out the same.
    m.cac.reset();
    m.cac_payback_months.reset();
    m.ltv_cac.reset();
    derive_rates(m, options);
  }
  for (const auto& [month, amount] : by_month) {
    if (!used.count(month)) applied.outside.push_back(YearMonth{month});
  }
  return applied;
}

}  // namespace csm
