#include "csm/period_metrics.hpp"

#include <cmath>

#include "csm/formulas.hpp"

namespace csm {

void derive_rates(PeriodMetrics& m, const MetricOptions& options) noexcept {
  namespace f = formulas;
  if (!m.retained_customers && m.customers_start && m.churned_customers) {
    m.retained_customers = *m.customers_start - *m.churned_customers;
  }
  if (!m.customers_end && m.retained_customers && m.new_customers && m.reactivated_customers) {
    m.customers_end = *m.retained_customers + *m.new_customers + *m.reactivated_customers;
  }
  const auto money = [](const Amount& a) { return to_double(*a); };

  if (m.customers_start && m.churned_customers) {
    m.churn_rate = f::churn_rate(*m.churned_customers, *m.customers_start);
  }
  if (m.customers_start && m.customers_end && m.new_customers && m.reactivated_customers) {
    m.retention_rate = f::retention_rate(*m.customers_start, *m.customers_end, *m.new_customers,
                                         *m.reactivated_customers);
  }
  if (m.customers_start && m.expanded_customers) {
    m.expansion_rate = f::expansion_rate(*m.expanded_customers, *m.customers_start);
  }
  if (m.mrr_start && m.churned_mrr && m.contraction_mrr) {
    m.grr = f::grr(money(m.mrr_start), money(m.churned_mrr), money(m.contraction_mrr));
    if (m.expansion_mrr) {
      m.nrr = f::nrr(money(m.mrr_start), money(m.churned_mrr), money(m.contraction_mrr),
                     money(m.expansion_mrr));
    }
  }
  if (m.mrr_end && m.customers_end) m.arpu = f::arpu(money(m.mrr_end), *m.customers_end);
  if (m.csat_satisfied && m.csat_responses) {
    m.csat = f::csat(*m.csat_satisfied, *m.csat_responses);
  }
  if (m.nps_promoters && m.nps_detractors && m.nps_responses) {
    m.nps = f::nps(*m.nps_promoters, *m.nps_detractors, *m.nps_responses);
  }
  if (m.acquisition_cost && m.new_customers) {
    m.cac = f::cac(money(m.acquisition_cost), *m.new_customers);
  }
  m.clv = f::clv(m.arpu, m.retention_rate, options.gross_margin, options.discount_rate);

  // Unit economics; each is null when an input is null or its denominator is 0.
  if (m.cac && m.arpu && *m.arpu * options.gross_margin != 0) {
    m.cac_payback_months = *m.cac / (*m.arpu * options.gross_margin);
  }
  if (m.clv && m.cac && *m.cac != 0) m.ltv_cac = *m.clv / *m.cac;
  const bool gains_known = m.new_mrr && m.expansion_mrr &&
                           (m.reactivation_mrr || !options.quick_ratio_reactivation);
  if (gains_known && m.churned_mrr && m.contraction_mrr) {
    MoneySum gains = *m.new_mrr + *m.expansion_mrr;
    if (options.quick_ratio_reactivation) gains += *m.reactivation_mrr;
    const MoneySum losses = *m.churned_mrr + *m.contraction_mrr;
    if (losses != 0) m.quick_ratio = to_double(gains) / to_double(losses);
  }
}

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
