#pragma once
/// The customer-success formulas as pure functions. Rates are percentages (5.0 = 5 %). A result
/// whose denominator is zero, or that is otherwise undefined, is nullopt; never NaN or infinity.
/// Each function is one line of docs/metrics.md.

#include <cstdint>
#include <optional>
#include <span>

namespace csm::formulas {

using Rate = std::optional<double>;

/// 100 * part / whole; nullopt when whole == 0.
Rate percent(double part, double whole) noexcept;

/// 100 * churned / start.
Rate churn_rate(std::int64_t churned, std::int64_t start) noexcept;
/// 100 * (end - new - reactivated) / start: the standard "(E - N) / S" retention, with
/// reactivated customers counted with the new ones.
Rate retention_rate(std::int64_t start, std::int64_t end, std::int64_t new_customers,
                    std::int64_t reactivated) noexcept;
/// 100 * expanded / start.
Rate expansion_rate(std::int64_t expanded, std::int64_t start) noexcept;

/// Gross revenue retention, percent: 100 * (start - churned - contraction) / start.
Rate grr(double mrr_start, double churned_mrr, double contraction_mrr) noexcept;
/// Net revenue retention, percent: 100 * (start - churned - contraction + expansion) / start.
Rate nrr(double mrr_start, double churned_mrr, double contraction_mrr,
         double expansion_mrr) noexcept;

/// Average revenue per active customer: mrr_end / customers_end.
Rate arpu(double mrr_end, std::int64_t customers_end) noexcept;
/// Percent of survey responses that are satisfied.
Rate csat(std::int64_t satisfied, std::int64_t responses) noexcept;
/// Net Promoter Score: 100 * (promoters - detractors) / responses, -100..100; nullopt when
/// responses <= 0 or the parts are negative or add up to more than responses.
Rate nps(std::int64_t promoters, std::int64_t detractors, std::int64_t responses) noexcept;
/// Customer acquisition cost: spend / customers acquired.
Rate cac(double spend, std::int64_t acquired) noexcept;

/// Per-period clv of the monthly report: arpu * margin / (1 + d - retention_rate / 100).
/// nullopt when arpu or retention is nullopt or 1 + d - r <= 0.
Rate clv(Rate arpu, Rate retention_rate_percent, double gross_margin,
         double discount_rate) noexcept;

/// Discounted cash flow: sum over t = 1..n of revenues[t-1] / (1 + d)^t; nullopt when d <= -1,
/// an input is not finite, or the sum overflows.
Rate clv_dcf(std::span<const double> revenues, double discount_rate) noexcept;

/// Retention model with horizon T: sum over t = 1..T of m (1+g)^(t-1) r^(t-1) / (1+d)^t;
/// nullopt when d <= -1, r is outside 0..1, g < -1, T < 0, an input is not finite, or the sum
/// overflows.
Rate clv_retention(double margin, double retention, double growth, double discount,
                   std::int64_t horizon) noexcept;
/// Retention model without horizon: m / (1 + d - r (1 + g)); nullopt when r (1 + g) >= 1 + d
/// (the series does not converge).
Rate clv_retention_closed(double margin, double retention, double growth,
                          double discount) noexcept;

}  // namespace csm::formulas
