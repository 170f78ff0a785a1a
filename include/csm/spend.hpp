#pragma once
/// Marketing spend kept apart from customer records (`compute --spend FILE`): amounts summed per
/// month and put into the periods' acquisition_cost, so that cac and the unit economics use them.

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/month.hpp"
#include "csm/period_metrics.hpp"

namespace csm {

/// One spend row: an amount spent in a month (on a channel or segment, which the totals ignore).
struct SpendRecord {
  YearMonth period;
  Money amount = 0;
  std::string_view channel;  ///< empty = none; valid only until the next record
};

/// How spend combines with acquisition_cost already in the customer records.
enum class SpendMode : std::uint8_t {
  replace,  ///< the spend file's month totals replace the records' acquisition_cost
  add,      ///< they are added to it
};

class SpendTotals {
 public:
  void add(const SpendRecord& record) { by_month_[record.period.index] += record.amount; }
  /// Month index -> summed amount; months without rows are absent.
  const std::map<std::int32_t, MoneySum>& by_month() const noexcept { return by_month_; }

 private:
  std::map<std::int32_t, MoneySum> by_month_;
};

/// What apply_spend() did, for the output's "spend" member and warnings.
struct SpendApplied {
  MoneySum total = 0;                  ///< all spend read
  MoneySum applied = 0;                ///< spend in months of the output
  std::vector<YearMonth> outside;      ///< months with spend but no period in the output
  bool replaced_record_costs = false;  ///< mode replace and some period had acquisition_cost
};

/// Put the spend into each period's acquisition_cost (a period without spend gets 0 in replace
/// mode) and derive cac and the unit economics again.
SpendApplied apply_spend(std::vector<PeriodMetrics>& periods, const SpendTotals& spend,
                         SpendMode mode, const MetricOptions& options);

}  // namespace csm
