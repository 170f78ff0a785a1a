#pragma once
/// Marketing spend kept apart from customer records (`compute --spend FILE`): amounts summed per
/// month and put into the periods' acquisition_cost, so that cac and the unit economics use them.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/group_metrics.hpp"
#include "csm/month.hpp"
#include "csm/period_metrics.hpp"

namespace csm {

/// One spend row: an amount spent in a month, on a channel or segment (which the totals ignore).
struct SpendRecord {
  YearMonth period;
  Money amount = 0;
  std::string_view channel;  ///< empty = none; valid only until the next record
  std::string_view segment;  ///< the group column of `compute --by` (renamed to "segment")
};

/// How spend combines with acquisition_cost already in the customer records.
enum class SpendMode : std::uint8_t {
  replace,  ///< the spend file's month totals replace the records' acquisition_cost
  add,      ///< they are added to it
};

/// Which spend column names the group of a row, for `compute --by`.
enum class SpendGroupColumn : std::uint8_t { none, segment, channel };

class SpendTotals {
 public:
  explicit SpendTotals(SpendGroupColumn group_column = SpendGroupColumn::none)
      : group_column_(group_column) {}
  void add(const SpendRecord& record);
  /// Month index -> summed amount; months without rows are absent.
  const std::map<std::int32_t, MoneySum>& by_month() const noexcept { return by_month_; }
  /// With a group column: group -> month index -> summed amount, for the rows with a group.
  const std::map<std::string, std::map<std::int32_t, MoneySum>, std::less<>>& by_group() const noexcept {
    return by_group_;
  }
  /// With a group column: the spend of rows whose group is empty (in the totals only).
  MoneySum ungrouped() const noexcept { return ungrouped_; }
  SpendGroupColumn group_column() const noexcept { return group_column_; }

 private:
  SpendGroupColumn group_column_;
  std::map<std::int32_t, MoneySum> by_month_;
  std::map<std::string, std::map<std::int32_t, MoneySum>, std::less<>> by_group_;
  MoneySum ungrouped_ = 0;
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

/// What apply_spend_to_groups() did.
struct GroupSpendApplied {
  bool attributed = false;               ///< the spend names groups: each group got its own
  std::vector<std::string> unknown;      ///< groups in the spend file without customers
  MoneySum unknown_amount = 0;           ///< their spend (in the totals, in no group)
  MoneySum ungrouped = 0;                ///< spend of rows without a group (totals only)
};

/// The same for the groups of `compute --by` (months, before any roll-up). When the spend names
/// groups (a group column with values), each group's months get that group's spend as apply_spend
/// does for all customers. When it does not, replace mode leaves the groups' acquisition_cost
/// unknown (null: the spend cannot be split between them) and add mode leaves it as it was.
GroupSpendApplied apply_spend_to_groups(std::vector<GroupPeriods>& groups, const SpendTotals& spend,
                                        SpendMode mode, const MetricOptions& options);

}  // namespace csm
