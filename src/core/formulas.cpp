#include "csm/formulas.hpp"

#include <cmath>

// One rule for every formula: a count or an amount that is negative or not finite is not a count
// or an amount, so the result is undefined (nullopt). Consistency between inputs (a part larger
// than its whole) is not checked here: it is a property of the data, and silently turning it into
// null would hide the bad input from the caller, who validates and reports it.

namespace csm::formulas {
namespace {

bool is_amount(double x) noexcept { return std::isfinite(x) && x >= 0.0; }

Rate finite_or_null(double value) noexcept {
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

double as_double(std::int64_t count) noexcept { return static_cast<double>(count); }

// 100 * part / whole for counts. Multiplying first keeps the numerator exact (for counts below
// 2^53 / 100), so the one rounding is the division: 100 * 1 / 3 is the double nearest 100/3.
Rate count_percent(std::int64_t part, std::int64_t whole) noexcept {
  if (part < 0 || whole <= 0) return std::nullopt;
  return 100.0 * as_double(part) / as_double(whole);
}

// The retention model's parameters: retention is a probability, growth cannot shrink the margin
// below zero, and a discount rate of -100 % or less has no present value.
bool retention_model_domain(double margin, double retention, double growth,
                            double discount) noexcept {
  return std::isfinite(margin) && std::isfinite(retention) && std::isfinite(growth) &&
         std::isfinite(discount) && retention >= 0.0 && retention <= 1.0 && growth >= -1.0 &&
         discount > -1.0;
}

}  // namespace

Rate percent(double part, double whole) noexcept {
  if (!std::isfinite(part) || !std::isfinite(whole) || whole == 0.0) return std::nullopt;
  return finite_or_null(100.0 * part / whole);
}

Rate churn_rate(std::int64_t churned, std::int64_t start) noexcept {
  return count_percent(churned, start);
}

Rate retention_rate(std::int64_t start, std::int64_t end, std::int64_t new_customers,
                    std::int64_t reactivated) noexcept {
  if (start <= 0 || end < 0 || new_customers < 0 || reactivated < 0) return std::nullopt;
  // In double, E - N - A cannot overflow, and it is exact for counts below 2^53.
  const double retained = as_double(end) - as_double(new_customers) - as_double(reactivated);
  return 100.0 * retained / as_double(start);
}

Rate expansion_rate(std::int64_t expanded, std::int64_t start) noexcept {
  return count_percent(expanded, start);
}

Rate grr(double mrr_start, double churned_mrr, double contraction_mrr) noexcept {
  if (!is_amount(mrr_start) || !is_amount(churned_mrr) || !is_amount(contraction_mrr) ||
      mrr_start == 0.0) {
    return std::nullopt;
  }
  return finite_or_null(100.0 * (mrr_start - churned_mrr - contraction_mrr) / mrr_start);
}

Rate nrr(double mrr_start, double churned_mrr, double contraction_mrr,
         double expansion_mrr) noexcept {
  if (!is_amount(mrr_start) || !is_amount(churned_mrr) || !is_amount(contraction_mrr) ||
      !is_amount(expansion_mrr) || mrr_start == 0.0) {
    return std::nullopt;
  }
  return finite_or_null(100.0 * (mrr_start - churned_mrr - contraction_mrr + expansion_mrr) /
                        mrr_start);
}

Rate arpu(double mrr_end, std::int64_t customers_end) noexcept {
  if (!is_amount(mrr_end) || customers_end <= 0) return std::nullopt;
  return mrr_end / as_double(customers_end);
}

Rate csat(std::int64_t satisfied, std::int64_t responses) noexcept {
  return count_percent(satisfied, responses);
}

Rate nps(std::int64_t promoters, std::int64_t detractors, std::int64_t responses) noexcept {
  if (responses <= 0 || promoters < 0 || detractors < 0 || promoters > responses ||
      detractors > responses - promoters) {
    return std::nullopt;
  }
  return 100.0 * (as_double(promoters) - as_double(detractors)) / as_double(responses);
}

Rate cac(double spend, std::int64_t acquired) noexcept {
  if (!is_amount(spend) || acquired <= 0) return std::nullopt;
  return spend / as_double(acquired);
}

Rate clv(Rate arpu_value, Rate retention_rate_percent, double gross_margin,
         double discount_rate) noexcept {
  if (!arpu_value || !retention_rate_percent) return std::nullopt;
  const double a = *arpu_value;
  const double r = *retention_rate_percent / 100.0;
  if (!std::isfinite(a) || !std::isfinite(r) || !std::isfinite(gross_margin) ||
      !std::isfinite(discount_rate) || r < 0.0 || discount_rate <= -1.0) {
    return std::nullopt;
  }
  const double denominator = 1.0 + discount_rate - r;
  if (!(denominator > 0.0)) return std::nullopt;
  return finite_or_null(a * gross_margin / denominator);
}

Rate clv_dcf(std::span<const double> revenues, double discount_rate) noexcept {
  if (!std::isfinite(discount_rate) || discount_rate <= -1.0) return std::nullopt;
  const double base = 1.0 + discount_rate;
  double sum = 0.0;
  double t = 0.0;
  for (const double revenue : revenues) {
    if (!std::isfinite(revenue)) return std::nullopt;
    t += 1.0;
    // pow per term rather than a running product: each discount factor is then correctly
    // rounded on its own instead of carrying the error of all the previous ones.
    sum += revenue / std::pow(base, t);
  }
  return finite_or_null(sum);
}

Rate clv_retention(double margin, double retention, double growth, double discount,
                   std::int64_t horizon) noexcept {
  if (!retention_model_domain(margin, retention, growth, discount) || horizon < 0) {
    return std::nullopt;
  }
  if (horizon == 0 || margin == 0.0) return 0.0;
  // The terms form a geometric series: first term a = m / (1+d), ratio q = r (1+g) / (1+d), so
  // the sum is a (1 - q^T) / (1 - q), or a T when q = 1. Written with L = ln q as
  // a expm1(T L) / expm1(L) it costs O(1) for any horizon and stays accurate when q is close to 1,
  // where 1 - q^T and 1 - q would both lose their digits to cancellation.
  const double first = margin / (1.0 + discount);
  if (retention == 0.0 || growth == -1.0) return finite_or_null(first);  // q = 0: only t = 1
  const double log_ratio = std::log(retention) + std::log1p(growth) - std::log1p(discount);
  if (log_ratio == 0.0) return finite_or_null(first * static_cast<double>(horizon));
  const double series = std::expm1(static_cast<double>(horizon) * log_ratio) /
                        std::expm1(log_ratio);
  return finite_or_null(first * series);
}

Rate clv_retention_closed(double margin, double retention, double growth,
                          double discount) noexcept {
  if (!retention_model_domain(margin, retention, growth, discount)) return std::nullopt;
  // For finite doubles a - b > 0 exactly when a > b, so this is the documented test
  // r (1 + g) >= 1 + d on the same rounded values the CLI reports.
  const double denominator = (1.0 + discount) - retention * (1.0 + growth);
  if (!(denominator > 0.0)) return std::nullopt;
  return finite_or_null(margin / denominator);
}

}  // namespace csm::formulas
