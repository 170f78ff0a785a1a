#include "csm/period_metrics.hpp"

#include <cmath>

namespace csm {

RangeSummary summarize(const std::vector<PeriodMetrics>& periods) noexcept {
  RangeSummary s;
  if (periods.empty()) return s;
  s.first = periods.front().period;
  s.last = periods.back().period;
  s.months = static_cast<std::int64_t>(periods.size());

  const auto mean = [&](Rate PeriodMetrics::*field) -> Rate {
    double sum = 0;
    int n = 0;
    for (const PeriodMetrics& m : periods) {
      if (m.*field) {
        sum += *(m.*field);
        ++n;
      }
    }
    return n ? Rate(sum / n) : std::nullopt;
  };
  const auto total_count = [&](Count PeriodMetrics::*field) -> Count {
    Count total;
    for (const PeriodMetrics& m : periods) {
      if (m.*field) total = total.value_or(0) + *(m.*field);
    }
    return total;
  };
  const auto total_amount = [&](Amount PeriodMetrics::*field) -> Amount {
    Amount total;
    for (const PeriodMetrics& m : periods) {
      if (m.*field) total = total.value_or(0) + *(m.*field);
    }
    return total;
  };

  s.average_churn_rate = mean(&PeriodMetrics::churn_rate);
  if (s.average_churn_rate) {
    s.annualized_churn_rate = 100.0 * (1.0 - std::pow(1.0 - *s.average_churn_rate / 100.0, 12));
  }
  s.average_grr = mean(&PeriodMetrics::grr);
  s.average_nrr = mean(&PeriodMetrics::nrr);
  s.total_new_customers = total_count(&PeriodMetrics::new_customers);
  s.total_churned_customers = total_count(&PeriodMetrics::churned_customers);
  s.total_new_mrr = total_amount(&PeriodMetrics::new_mrr);
  s.total_churned_mrr = total_amount(&PeriodMetrics::churned_mrr);
  return s;
}

}  // namespace csm
