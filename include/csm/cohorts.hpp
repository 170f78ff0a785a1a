#pragma once
/// Cohorts (`csm-metrics cohorts`): customers grouped by the period of their first active month,
/// and for each later period (age k = 0, 1, 2, ...) how many of them are active and what revenue
/// they bring (docs/metrics.md, "Cohorts"). Filled by the same one-pass aggregation as compute
/// (ActivityAggregator::collect_cohorts).

#include <cstdint>
#include <string>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/grain.hpp"
#include "csm/month.hpp"
#include "csm/period_metrics.hpp"

namespace csm {

/// The most months from the data's first to its last month that a cohort table covers (100
/// years): a mistyped year (0202 for 2025) is refused instead of turning into thousands of
/// cohorts and ages. docs/reliability.md, "Limits".
inline constexpr std::int32_t kMaxCohortMonths = 1200;
/// The most cells (cohort x age, all groups together) the cohort tables of one run may hold: a
/// table is printed whole, each cell about 60 bytes in memory.
inline constexpr std::uint64_t kMaxCohortCells = 2'000'000;

struct CohortOptions {
  Grain grain = Grain::month;
  /// Count a customer at age k only if it was active in every month from its first through the
  /// reference month of age k (never churned so far). Default: any customer active then.
  bool exclude_reactivated = false;
};

struct CohortAge {
  std::int64_t active_customers = 0;  ///< cohort customers active in the age's reference month
  MoneySum revenue = 0;               ///< their revenue in that month
  Rate logo_retention;                ///< 100 active_customers / cohort customers
  Rate revenue_retention;             ///< 100 revenue / revenue at age 0; null when that is 0
};

struct Cohort {
  YearMonth period;             ///< first month of the cohort's period
  std::int64_t customers = 0;   ///< first active in the period
  std::vector<CohortAge> ages;  ///< ages[k]: k periods later, up to the last period of the data
};

/// The cohorts of the customers whose first active month was in one group (compute --by rules).
struct CohortGroup {
  std::string group;
  std::vector<Cohort> cohorts;
};

struct CohortTable {
  CohortOptions options;
  std::vector<Cohort> cohorts;  ///< in period order; periods in which nobody joined are left out
  std::vector<CohortGroup> groups;  ///< with a grouped aggregation: by group, sorted by name
  /// The reference month of period i of the data (its last month, or the data's last month) is
  /// first period + i; months_covered[i] = months of the data in period i.
  std::vector<std::int32_t> months_covered;
};

/// Fill the rates of every age from the counts.
void derive_cohort_rates(CohortTable& table) noexcept;

}  // namespace csm
