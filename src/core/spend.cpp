#include "csm/spend.hpp"

#include <algorithm>

namespace csm {

void SpendTotals::add(const SpendRecord& record) {
  by_month_[record.period.index] += record.amount;
  if (group_column_ == SpendGroupColumn::none) return;
  const std::string_view group =
      group_column_ == SpendGroupColumn::channel ? record.channel : record.segment;
  if (group.empty()) {
    ungrouped_ += record.amount;
    return;
  }
  auto found = by_group_.find(group);
  if (found == by_group_.end()) found = by_group_.emplace(std::string(group), std::map<std::int32_t, MoneySum>{}).first;
  found->second[record.period.index] += record.amount;
}

namespace {

// acquisition_cost of one period set or added; what follows from it is derived again.
template <typename Derive>
void put_cost(PeriodMetrics& m, std::optional<MoneySum> amount, SpendMode mode, Derive&& derive) {
  if (mode == SpendMode::replace) {
    m.acquisition_cost = amount;
  } else if (amount) {
    m.acquisition_cost = m.acquisition_cost.value_or(0) + *amount;
  }
  derive(m);
}

}  // namespace

SpendApplied apply_spend(std::vector<PeriodMetrics>& periods, const SpendTotals& spend,
                         SpendMode mode, const MetricOptions& options) {
  SpendApplied applied;
  const auto& by_month = spend.by_month();
  for (const auto& [month, amount] : by_month) applied.total += amount;
  std::map<std::int32_t, bool> used;
  for (PeriodMetrics& m : periods) {
    const auto found = by_month.find(m.period.index);
    const MoneySum amount = found == by_month.end() ? 0 : found->second;
    if (found != by_month.end()) {
      used[m.period.index] = true;
      applied.applied += amount;
    }
    if (mode == SpendMode::replace && m.acquisition_cost) applied.replaced_record_costs = true;
    put_cost(m, amount, mode, [&](PeriodMetrics& p) { derive_rates(p, options); });
  }
  for (const auto& [month, amount] : by_month) {
    if (!used.count(month)) applied.outside.push_back(YearMonth{month});
  }
  return applied;
}

GroupSpendApplied apply_spend_to_groups(std::vector<GroupPeriods>& groups, const SpendTotals& spend,
                                        SpendMode mode, const MetricOptions& options) {
  GroupSpendApplied applied;
  applied.attributed = !spend.by_group().empty();
  applied.ungrouped = spend.ungrouped();
  const auto derive = [&](PeriodMetrics& p) {
    derive_rates(p, DeriveContext{options, 1, Population::group});
  };
  for (GroupPeriods& g : groups) {
    const auto found = spend.by_group().find(g.group);
    for (PeriodMetrics& m : g.periods) {
      std::optional<MoneySum> amount;  // unknown: the spend does not say which group it was for
      if (applied.attributed) {
        amount = 0;
        if (found != spend.by_group().end()) {
          const auto month = found->second.find(m.period.index);
          if (month != found->second.end()) amount = month->second;
        }
      }
      if (!amount && mode == SpendMode::add) continue;  // the records' costs stay as they are
      put_cost(m, amount, mode, derive);
    }
  }
  for (const auto& entry : spend.by_group()) {
    // A named member, not a structured binding: clang 14 cannot capture a binding in a lambda.
    const std::string& name = entry.first;
    const bool known = std::any_of(groups.begin(), groups.end(),
                                   [&](const GroupPeriods& g) { return g.group == name; });
    if (known) continue;
    applied.unknown.push_back(name);
    for (const auto& [month, amount] : entry.second) applied.unknown_amount += amount;
  }
  return applied;
}

}  // namespace csm
