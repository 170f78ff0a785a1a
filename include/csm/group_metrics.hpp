#pragma once
/// Metrics per group (`compute --by COLUMN`): every field of PeriodMetrics for the customers of
/// one group, plus the customers and MRR that moved in from or out to other groups. A move is not
/// churn: per group, E = S - C - moved_out + moved_in + N + A and mrr_end = mrr_start + new +
/// reactivation + expansion - contraction - churned - moved_out_mrr + moved_in_mrr
/// (docs/metrics.md, "Groups").

#include <cstdint>
#include <string>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/grain.hpp"
#include "csm/period_metrics.hpp"

namespace csm {

/// Customers of one period who were in another group the month before (or went to another).
struct GroupMoves {
  std::int64_t moved_in_customers = 0;
  std::int64_t moved_out_customers = 0;
  MoneySum moved_in_mrr = 0;   ///< the movers' revenue in the month before the move
  MoneySum moved_out_mrr = 0;  ///< the same, seen from the group they left
  GroupMoves& operator+=(const GroupMoves& o) noexcept {
    moved_in_customers += o.moved_in_customers, moved_out_customers += o.moved_out_customers;
    moved_in_mrr += o.moved_in_mrr, moved_out_mrr += o.moved_out_mrr;
    return *this;
  }
};

/// One group's periods; periods[i] and moves[i] belong together.
struct GroupPeriods {
  std::string group;  ///< the column's value; "" for rows without one
  std::vector<PeriodMetrics> periods;
  std::vector<GroupMoves> moves;
};

/// A group's months rolled up to `grain` (as roll_up for all customers, derived with
/// Population::group: retention_rate is 100 R / S; moves are summed).
GroupPeriods roll_up(const GroupPeriods& monthly, Grain grain, const MetricOptions& options);

}  // namespace csm
