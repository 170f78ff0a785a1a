#pragma once
/// Time grains coarser than a month: quarters and years (docs/metrics.md, "Quarters and years").
/// Activity records compare each customer at the period ends (ActivityAggregator::finish_raw with
/// a grain, roll_up in csm/activity_state.hpp); roll_up() here is the roll-up of monthly metrics
/// alone, for summary records: movements are summed over the months of a period, customers_start
/// and mrr_start are those of its first month, customers_end and mrr_end those of its last.
/// Either way E = S - C + N + A and the MRR bridge hold for the period as they do for a month.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csm/month.hpp"
#include "csm/period_metrics.hpp"

namespace csm {

enum class Grain : std::uint8_t { month, quarter, year };

/// "month", "quarter" or "year".
std::string_view to_string(Grain grain) noexcept;
/// Parse "month", "quarter" or "year"; nullopt otherwise.
std::optional<Grain> parse_grain(std::string_view text) noexcept;

/// Months in one period of the grain (1, 3, 12).
int months_in(Grain grain) noexcept;
/// The first month of the period of `grain` that holds `month`.
YearMonth period_start(YearMonth month, Grain grain) noexcept;
/// A number for the period of `grain` holding `month`; consecutive periods differ by one.
std::int32_t period_number(YearMonth month, Grain grain) noexcept;
/// The first month of the period numbered `number` (inverse of period_number).
YearMonth period_from_number(std::int32_t number, Grain grain) noexcept;
/// The label of the period that starts with `first`: "2024-03", "2024-Q1" or "2024".
std::string period_label(YearMonth first, Grain grain);

/// Monthly metrics rolled up to a grain. periods[i].period is the first month of period i.
struct GrainPeriods {
  std::vector<PeriodMetrics> periods;
  std::vector<std::int32_t> months;  ///< months of the input inside period i (< months_in: partial)
};

/// Roll monthly metrics (in month order, as compute gives them) up to `grain`. A field that is
/// null in any month of the period is null for the period. Rates are derived from the rolled-up
/// counts; clv uses the monthly equivalent of the period's retention (docs/metrics.md). With
/// Grain::month the periods come back unchanged, each with months = 1.
/// `population` says whose retention the periods' retention_rate is (Population::group for the
/// periods of one group of --by).
GrainPeriods roll_up(const std::vector<PeriodMetrics>& monthly, Grain grain,
                     const MetricOptions& options, Population population = Population::all);

/// roll_up() before derive_rates(): each field rolled up by its PeriodField::roll_up rule
/// (csm/period_fields.hpp), the derived fields null. With Grain::month the months come back as
/// they are.
GrainPeriods sum_up(const std::vector<PeriodMetrics>& monthly, Grain grain);

/// clv from a period's arpu and retention_rate when the period spans `months` months: the
/// retention is turned into its monthly equivalent r^(1/months) first (nullopt when r < 0).
Rate clv_for_period(Rate arpu, Rate retention_rate, std::int32_t months,
                    const MetricOptions& options) noexcept;

}  // namespace csm
