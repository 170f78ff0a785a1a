#include "csm/group_metrics.hpp"


namespace csm {

void derive_group_rates(PeriodMetrics& m, const MetricOptions& options, std::int32_t months) {
  derive_rates(m, options);
  // As formulas::retention_rate with R in place of E - N - A (the same number for all customers).
  if (m.customers_start && m.retained_customers && *m.customers_start > 0) {
    m.retention_rate = 100.0 * static_cast<double>(*m.retained_customers) /
                       static_cast<double>(*m.customers_start);
  }
  // clv and ltv_cac follow the group's retention, not the one derive_rates() made of E - N - A.
  derive_period_clv(m, months, options);
}

GroupPeriods roll_up(const GroupPeriods& monthly, Grain grain, const MetricOptions& options) {
  GroupPeriods out;
  out.group = monthly.group;
  GrainPeriods rolled = roll_up(monthly.periods, grain, options);
  out.periods = std::move(rolled.periods);
  std::size_t month = 0;
  for (std::size_t i = 0; i < rolled.months.size(); ++i) {
    const std::int32_t n = rolled.months[i];
    if (grain != Grain::month) derive_group_rates(out.periods[i], options, n);
    GroupMoves sum;
    for (std::int32_t k = 0; k < n && month < monthly.moves.size(); ++k) sum += monthly.moves[month++];
    out.moves.push_back(sum);
  }
  return out;
}

}  // namespace csm
