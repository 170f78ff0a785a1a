#pragma once
// What finish_raw's walk over each customer's months counts (ActivityAggregator): the movements
// of every month or period, by group with the moves between groups, and the cohorts. Private to
// csm_core.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "activity_log.hpp"
#include "csm/activity_state.hpp"
#include "csm/decimal.hpp"
#include "movement_walk.hpp"

namespace csm::detail {

// Per-month counts of one walk over customers (MonthCounts, csm/activity_state.hpp) are added
// up across threads (exact integers).

// Counts of one walk (classify_customer) into the per-slot MonthCounts of all customers: each role
// of a customer in a slot adds one to a count and an amount to its sum.
struct CountMonths {
  MonthCounts* counts;
  static void add(std::int64_t& customers, MoneySum& sum, Money amount) noexcept {
    ++customers;
    sum += amount;
  }
  void active(std::int32_t slot, std::uint32_t, Money revenue) noexcept {
    add(counts[slot].end, counts[slot].mrr_end, revenue);
  }
  void carried(std::int32_t slot, std::uint32_t, Money revenue) noexcept {
    add(counts[slot].start, counts[slot].mrr_start, revenue);
  }
  void fresh(std::int32_t slot, std::uint32_t, Money revenue) noexcept {
    add(counts[slot].fresh, counts[slot].new_mrr, revenue);
  }
  void reactivated(std::int32_t slot, std::uint32_t, Money revenue) noexcept {
    add(counts[slot].reactivated, counts[slot].reactivation_mrr, revenue);
  }
  void expanded(std::int32_t slot, std::uint32_t, Money before, Money after) noexcept {
    add(counts[slot].expanded, counts[slot].expansion_mrr, after - before);
  }
  void contracted(std::int32_t slot, std::uint32_t, Money before, Money after) noexcept {
    add(counts[slot].contracted, counts[slot].contraction_mrr, before - after);
  }
  void churned(std::int32_t slot, std::uint32_t, Money before) noexcept {
    add(counts[slot].churned, counts[slot].churned_mrr, before);
  }
};

// One customer's months in order, each month once: its role in every slot of the range.
template <typename Slots>
void walk_customer(const MonthEntry* months, std::size_t n, const Slots& slots, MonthCounts* counts) {
  CountMonths visit{counts};
  classify_customer<false>(months, n, slots, visit);
}

// Per group and month: the counts of the walk and the moves between groups.
struct GroupMonthCounts {
  MonthCounts counts;
  GroupMoves moves;
  GroupMonthCounts& operator+=(const GroupMonthCounts& o) noexcept {
    counts += o.counts;
    moves += o.moves;
    return *this;
  }
};

// Counts of one grouped walk into counts[group * slot_count + slot]: the MonthCounts of each group
// and the moves between groups.
struct CountGroups {
  GroupMonthCounts* counts;
  std::size_t slot_count;
  GroupMonthCounts& at(std::uint32_t group, std::int32_t slot) const noexcept {
    return counts[group * slot_count + static_cast<std::size_t>(slot)];
  }
  void active(std::int32_t slot, std::uint32_t group, Money revenue) noexcept {
    CountMonths{&at(group, slot).counts}.active(0, group, revenue);
  }
  void carried(std::int32_t slot, std::uint32_t group, Money revenue) noexcept {
    CountMonths{&at(group, slot).counts}.carried(0, group, revenue);
  }
  void fresh(std::int32_t slot, std::uint32_t group, Money revenue) noexcept {
    CountMonths{&at(group, slot).counts}.fresh(0, group, revenue);
  }
  void reactivated(std::int32_t slot, std::uint32_t group, Money revenue) noexcept {
    CountMonths{&at(group, slot).counts}.reactivated(0, group, revenue);
  }
  void expanded(std::int32_t slot, std::uint32_t group, Money before, Money after) noexcept {
    CountMonths{&at(group, slot).counts}.expanded(0, group, before, after);
  }
  void contracted(std::int32_t slot, std::uint32_t group, Money before, Money after) noexcept {
    CountMonths{&at(group, slot).counts}.contracted(0, group, before, after);
  }
  void churned(std::int32_t slot, std::uint32_t group, Money before) noexcept {
    CountMonths{&at(group, slot).counts}.churned(0, group, before);
  }
  // A move: out of the previous end's group, into this one, with the revenue it had there.
  void moved(std::int32_t slot, std::uint32_t from, std::uint32_t to, Money before) noexcept {
    GroupMoves& out = at(from, slot).moves;
    ++out.moved_out_customers;
    out.moved_out_mrr += before;
    GroupMoves& in = at(to, slot).moves;
    ++in.moved_in_customers;
    in.moved_in_mrr += before;
  }
};

// One customer's months in order, each once, with the month's group in `customer`: its role in
// the groups of every slot (as walk_customer). Counts go to counts[group * slot_count + slot].
template <typename Slots>
void walk_groups(const MonthEntry* months, std::size_t n, const Slots& slots, std::size_t slot_count,
                 GroupMonthCounts* counts) {
  CountGroups visit{counts, slot_count};
  classify_customer<true>(months, n, slots, visit);
}

// Cohort counts of one walk, sparse: only the cohorts and (cohort, age) cells that occur, so that
// memory follows the customers' months and not the square of the range (cohort and age in
// periods of the grain, counted from the data's first period).
struct CohortCell {
  std::int64_t active = 0;
  MoneySum revenue = 0;
};
struct CohortCounts {
  std::unordered_map<std::uint32_t, std::int64_t> size;        // by cohort
  std::unordered_map<std::uint64_t, CohortCell> cells;         // by cohort << 32 | age
};

// One customer's months in order, each once: its cohort, and the ages at which it is active in
// the reference month (the period's last month, or the data's last month).
inline void walk_cohort(const MonthEntry* months, std::size_t n, std::int32_t last, int grain_months,
                 std::int32_t first_period, bool unbroken_only, CohortCounts& counts) {
  bool seen_active = false;
  bool unbroken = true;
  std::int32_t cohort = 0;
  std::int32_t prev_month = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Money revenue = months[i].revenue;
    if (revenue <= 0) continue;
    const std::int32_t month = months[i].month;
    const std::int32_t period = month / grain_months;
    if (!seen_active) {
      seen_active = true;
      cohort = period - first_period;
      ++counts.size[static_cast<std::uint32_t>(cohort)];
    } else if (month != prev_month + 1) {
      unbroken = false;
    }
    prev_month = month;
    const std::int32_t reference = std::min((period + 1) * grain_months - 1, last);
    if (month != reference || (unbroken_only && !unbroken)) continue;
    const std::uint64_t key = (static_cast<std::uint64_t>(cohort) << 32) |
                              static_cast<std::uint32_t>(period - first_period - cohort);
    CohortCell& cell = counts.cells[key];
    ++cell.active;
    cell.revenue += revenue;
  }
}
}  // namespace csm::detail
