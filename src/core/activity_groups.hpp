#pragma once
// The groups of a grouped ActivityAggregator (--by): the names and ids shared by the aggregators
// of one reading, and each aggregator's totals by group and month. Private to csm_core.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/group_metrics.hpp"

namespace csm {
namespace detail {

// Group names and their ids, shared by the aggregators of one reading (several threads).
struct GroupTable {
  std::mutex mutex;
  std::vector<std::string> names;
  std::unordered_map<std::string, std::uint32_t> ids;

  std::uint32_t intern(std::string_view name) {
    const std::lock_guard<std::mutex> lock(mutex);
    const auto found = ids.find(std::string(name));
    if (found != ids.end()) return found->second;
    if (names.size() >= ActivityAggregator::kMaxGroups) {
      throw TooManyGroups("more than " + std::to_string(ActivityAggregator::kMaxGroups) +
                          " distinct values in the grouping column");
    }
    const auto id = static_cast<std::uint32_t>(names.size());
    names.emplace_back(name);
    ids.emplace(std::string(name), id);
    return id;
  }
  std::vector<std::string> snapshot() {
    const std::lock_guard<std::mutex> lock(mutex);
    return names;
  }
};

struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// The element for `month` of a series of months that starts at month index `base`, the series
// grown (at either end) to hold it.
template <typename T>
T& at_month(std::int32_t& base, std::vector<T>& months, std::int32_t month) {
  if (months.empty()) {
    base = month;
    months.resize(1);
  } else if (month < base) {
    months.insert(months.begin(), static_cast<std::size_t>(base - month), T{});
    base = month;
  } else if (static_cast<std::size_t>(month - base) >= months.size()) {
    months.resize(static_cast<std::size_t>(month - base) + 1);
  }
  return months[static_cast<std::size_t>(month - base)];
}

}  // namespace detail

struct ActivityAggregator::Grouping {
  std::shared_ptr<detail::GroupTable> table = std::make_shared<detail::GroupTable>();
  std::unordered_map<std::string, std::uint32_t, detail::NameHash, std::equal_to<>> cache;  // this thread's
  std::vector<std::int32_t> base;                 // by group id: month index of totals[g][0]
  std::vector<std::vector<MonthTotals>> totals;   // by group id, then month
  std::vector<GroupPeriods> result;

  std::uint32_t id(std::string_view name) {
    const auto found = cache.find(name);
    if (found != cache.end()) return found->second;
    const std::uint32_t id = table->intern(name);
    cache.emplace(std::string(name), id);
    return id;
  }
  MonthTotals& totals_for(std::uint32_t group, YearMonth month) {
    if (group >= totals.size()) {
      totals.resize(group + 1);
      base.resize(group + 1, 0);
    }
    return detail::at_month(base[group], totals[group], month.index);
  }
};

}  // namespace csm
