#pragma once
// The row log of ActivityAggregator: one customer-log (customer_log.hpp) of (customer, month,
// revenue) entries per stream of records. Private to csm_core.

#include <cstdint>
#include <limits>
#include <string_view>

#include "csm/activity_aggregator.hpp"
#include "csm/decimal.hpp"
#include "customer_log.hpp"

namespace csm {
namespace detail {

/// The revenue of one row; after compaction, of one customer-month.
struct alignas(16) MonthEntry {
  std::uint32_t customer;  // index in the log's CustomerIndex
  std::int32_t month;      // YearMonth::index (with groups: group_key)
  Money revenue;
};
static_assert(sizeof(MonthEntry) == ActivityAggregator::kBytesPerCustomerMonth);

// With groups, a log entry's month field holds month << kGroupBits | group id, so that the log,
// its sort and its compaction stay as they are and sum each (customer, month, group).
constexpr int kGroupBits = 14;
static_assert(ActivityAggregator::kMaxGroups == (std::uint32_t{1} << kGroupBits));
constexpr std::uint32_t kGroupMask = ActivityAggregator::kMaxGroups - 1;
// Month indexes are 12..119999 (years 1..9999): shifted, they still fit in an int32.
static_assert((std::int64_t{119999} << kGroupBits | kGroupMask) <= INT32_MAX);

inline std::int32_t group_key(std::int32_t month, std::uint32_t group) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(month) << kGroupBits | group);
}
inline std::int32_t month_of_key(std::int32_t key) noexcept { return key >> kGroupBits; }
inline std::uint32_t group_of_key(std::int32_t key) noexcept {
  return static_cast<std::uint32_t>(key) & kGroupMask;
}

/// A customer's month whose revenue sum does not fit in a Money.
[[noreturn]] void revenue_overflow(std::string_view customer, std::int32_t month);

/// Below this many entries a revenue log is compacted only at the end.
constexpr std::size_t kFirstRevenueCompaction = std::size_t{8} << 20;

}  // namespace detail

/// Everything one stream of records has taken: its own customer index and its row log. Logs fed
/// by different threads are combined only in finish().
struct ActivityAggregator::RevenueLog
    : detail::CustomerLog<ActivityAggregator::RevenueLog, detail::MonthEntry, std::size_t{1} << 16> {
  RevenueLog() : CustomerLog(detail::kFirstRevenueCompaction) {}

  // Logs of one ActivityShards group hold disjoint customers (0 = not part of a group).
  std::uint64_t group = 0;
  // The month fields are group keys (see detail::kGroupBits).
  bool grouped = false;

  void add(std::string_view id, std::int32_t key, Money revenue) {
    CustomerLog::add(id, CustomerIndex::hash(id), key, revenue);
  }
  using CustomerLog::add;

  // CustomerLog's policy: every row is logged, months are put in order by insertion (a customer
  // has few after compaction), a sum past Money is an error, and absorb() appends the rows as
  // they are (they are compacted as they are walked).
  static constexpr auto kKey = &detail::MonthEntry::month;
  static constexpr auto kValue = &detail::MonthEntry::revenue;
  static constexpr std::size_t kInsertionSortRun = std::numeric_limits<std::size_t>::max();
  static constexpr bool kAbsorbThroughLog = false;
  static constexpr bool logs(std::int32_t) noexcept { return true; }
  [[noreturn]] void sum_overflows(const detail::MonthEntry& e) const {
    detail::revenue_overflow(customers.id(e.customer), grouped ? detail::month_of_key(e.month) : e.month);
  }
};

}  // namespace csm
