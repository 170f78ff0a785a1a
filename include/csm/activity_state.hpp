#pragma once
/// The aggregation state of activity records before the rates: per-month counts and exact money
/// sums, additive across inputs that hold disjoint customers (`compute --emit-state`, `merge`,
/// docs/scale-out.md). compute and merge both finish the metrics with periods_from_raw(), so a
/// merge of customer shards gives the same output as one run.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/cohorts.hpp"
#include "csm/decimal.hpp"
#include "csm/grain.hpp"
#include "csm/group_metrics.hpp"
#include "csm/period_metrics.hpp"

namespace csm {

/// One month's counts of the customer walk (the letters of docs/metrics.md, section 2); also one
/// quarter's or year's, from the customers' state at the period ends (section 10).
struct MonthCounts {
  std::int64_t start = 0, churned = 0, fresh = 0, reactivated = 0, end = 0, expanded = 0,
               contracted = 0;
  MoneySum mrr_start = 0, mrr_end = 0, new_mrr = 0, reactivation_mrr = 0, expansion_mrr = 0,
           contraction_mrr = 0, churned_mrr = 0;

  MonthCounts& operator+=(const MonthCounts& o) noexcept {
    start += o.start, churned += o.churned, fresh += o.fresh, reactivated += o.reactivated;
    end += o.end, expanded += o.expanded, contracted += o.contracted;
    mrr_start += o.mrr_start, mrr_end += o.mrr_end, new_mrr += o.new_mrr;
    reactivation_mrr += o.reactivation_mrr, expansion_mrr += o.expansion_mrr;
    contraction_mrr += o.contraction_mrr, churned_mrr += o.churned_mrr;
    return *this;
  }
};

/// One month's csat responses by score, acquisition cost and NPS answers, as summed from the rows.
struct MonthSums {
  std::uint64_t csat_by_score[5] = {0, 0, 0, 0, 0};
  MoneySum acquisition_cost = 0;
  std::uint64_t nps[3] = {0, 0, 0};  ///< NPS answers: promoters (9-10), passives (7-8), detractors (0-6)
  MonthSums& operator+=(const MonthSums& o) noexcept {
    for (int s = 0; s < 5; ++s) csat_by_score[s] += o.csat_by_score[s];
    acquisition_cost += o.acquisition_cost;
    for (int k = 0; k < 3; ++k) nps[k] += o.nps[k];
    return *this;
  }
};

/// One group's months (same range as the whole).
struct GroupRaw {
  std::string name;
  std::vector<MonthCounts> counts;
  std::vector<GroupMoves> moves;
  std::vector<MonthSums> sums;
  std::vector<MonthCounts> period_counts;  ///< as ActivityRaw::period_counts
  std::vector<GroupMoves> period_moves;    ///< moves between the period ends
};

/// Everything needed to finish the metrics of activity records, month by month from
/// stats.first to stats.last (no months when stats.first is unset).
struct ActivityRaw {
  ActivityStats stats;
  std::vector<MonthCounts> counts;
  std::vector<MonthSums> sums;
  bool grouped = false;
  std::vector<GroupRaw> groups;  ///< sorted by name (byte order)
  /// With a grain coarser than a month: the walk over the periods of that grain, each customer
  /// seen in the period's last month (the data's last month for the last period), from the period
  /// of stats.first to that of stats.last. Empty at month grain.
  Grain grain = Grain::month;
  std::vector<MonthCounts> period_counts;
};

/// The metrics of every month of `raw` (and with `groups`, of every group).
std::vector<PeriodMetrics> periods_from_raw(const ActivityRaw& raw, const MetricOptions& options,
                                            std::vector<GroupPeriods>* groups = nullptr);

/// `raw` over the wider range first..last: months outside are empty, except that the customers
/// active in its last month start and churn in the month after it (they have no later rows).
/// Periods of a coarser grain likewise; when the old last month was not the end of its period,
/// that period's end moves past the customers' last rows, so all its start customers churn.
void widen(ActivityRaw& raw, YearMonth first, YearMonth last);

/// The periods of raw.grain: customers, movements and MRR from raw.period_counts, csat and
/// acquisition cost summed over the months of `monthly` (periods_from_raw of the same raw, after
/// any marketing spend was applied to it), then the rates. With groups, `groups` (the monthly
/// groups of periods_from_raw) are rolled up in place from raw.groups.
GrainPeriods roll_up(const std::vector<PeriodMetrics>& monthly, const ActivityRaw& raw,
                     const MetricOptions& options, std::vector<GroupPeriods>* groups = nullptr);

/// Add `other`, whose customers are not in `into` (another customer shard). Both are widened to
/// the union of their ranges first. Throws std::invalid_argument when one is grouped and the
/// other not.
void add_raw(ActivityRaw& into, const ActivityRaw& other);

/// Add a month-grain cohort table of other customers (another customer shard): cohorts by
/// month, cells by age; groups by name. Rates are not filled.
void add_month_cohorts(CohortTable& into, const CohortTable& other);

/// The cohort table at `options.grain` from the month-grain table of all customers, whose data
/// run from `first` to `last` (the same table collect_cohorts() with that grain gives).
CohortTable roll_up_cohorts(const CohortTable& monthly, YearMonth first, YearMonth last,
                            const CohortOptions& options);

/// 64-bit FNV-1a of the bytes of `id` (offset basis 14695981039346656037, prime 1099511628211):
/// the shard hash of docs/scale-out.md, the same on every machine and version.
std::uint64_t shard_hash(std::string_view id) noexcept;

/// The shard of a customer id among `count` shards: shard_hash(id) % count.
inline std::uint32_t shard_of(std::string_view id, std::uint32_t count) noexcept {
  return static_cast<std::uint32_t>(shard_hash(id) % count);
}

}  // namespace csm
