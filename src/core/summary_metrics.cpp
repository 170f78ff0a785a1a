#include "csm/summary_metrics.hpp"

namespace csm {

bool SummaryAggregator::add(const SummaryRecord& record) {
  return rows_.emplace(record.period.index, record).second;
}

std::vector<PeriodMetrics> SummaryAggregator::finish(const MetricOptions& options) const {
  std::vector<PeriodMetrics> periods;
  periods.reserve(rows_.size());
  for (const auto& [index, row] : rows_) {
    PeriodMetrics m;
    m.period = row.period;
    m.customers_start = row.customers_start;
    m.churned_customers = row.churned_customers;
    m.new_customers = row.new_customers;
    // The articles' summaries have no reactivation: an absent column means none.
    m.reactivated_customers = row.reactivated_customers.value_or(0);
    m.expanded_customers = row.expanded_customers;
    m.contracted_customers = row.contracted_customers;
    m.csat_satisfied = row.csat_satisfied;
    m.csat_responses = row.csat_responses;
    if (row.revenue) m.mrr_end = *row.revenue;
    if (row.acquisition_cost) m.acquisition_cost = *row.acquisition_cost;
    // Revenue at the start of a month is the previous month's revenue, when that row exists.
    const auto before = rows_.find(index - 1);
    if (before != rows_.end() && before->second.revenue) m.mrr_start = *before->second.revenue;
    derive_rates(m, options);
    periods.push_back(m);
  }
  return periods;
}

}  // namespace csm
