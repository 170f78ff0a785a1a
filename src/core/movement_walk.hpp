#pragma once
// The one movement classifier (docs/metrics.md, sections 2, 10 and 11): a customer's months, in
// order, become its role in each period of a grain. compute's counts (activity_aggregator.cpp)
// and the lines of `csm-metrics movements` (MovementCollector below) both come from
// classify_customer(), so they cannot disagree.

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/movements.hpp"

namespace csm::detail {

// Where one walk counts. Months: every month is its own slot. Periods (quarters, years): one slot
// per period, and a customer is looked at only in the period's reference month, its last (the
// data's last month for the last period): the period-end snapshots of docs/metrics.md, section 10.
struct MonthSlots {
  std::int32_t first;  // month index of slot 0
  std::int32_t last_slot;
  bool observe(std::int32_t month, std::int32_t& slot) const noexcept {
    slot = month - first;
    return true;
  }
  std::int32_t slot_of(std::int32_t month) const noexcept { return month - first; }
  std::int32_t period_start(std::int32_t slot) const noexcept { return first + slot; }
};

struct PeriodSlots {
  std::int32_t months;  // per period: 3 or 12
  std::int32_t first_period;
  std::int32_t last_month;
  std::int32_t last_slot;
  PeriodSlots(std::int32_t period_months, std::int32_t first, std::int32_t last) noexcept
      : months(period_months),
        first_period(first / period_months),
        last_month(last),
        last_slot(last / period_months - first / period_months) {}
  bool observe(std::int32_t month, std::int32_t& slot) const noexcept {
    const std::int32_t period = month / months;
    slot = period - first_period;
    return month == std::min((period + 1) * months - 1, last_month);
  }
  std::int32_t slot_of(std::int32_t month) const noexcept { return month / months - first_period; }
  std::int32_t period_start(std::int32_t slot) const noexcept { return (first_period + slot) * months; }
};

// One customer's months in order, each month once (`month`, `revenue`; with `Grouped`, the
// month's group id in `customer`): its role in every slot of `slots`, told to `visit`. Active
// means revenue > 0 at a slot's reference month. A customer is new in the slot of its first
// active month if it is active at that slot's reference month; active at a reference month
// without being active at the one before, it is back (reactivated), and it churned in the slot
// after the last one it was active at. Visitor calls (group = 0 without groups):
//   active(slot, group, revenue)          active at the slot's end (E, mrr_end)
//   carried(slot, group, revenue)         active at the end of the slot before (S, mrr_start)
//   fresh / reactivated(slot, group, revenue)
//   expanded / contracted(slot, group, before, after)
//   churned(slot, group, before)          group: the one it was in at its last active end
//   moved(slot, from, to, before)         Grouped only, before any expansion or contraction
template <bool Grouped, typename E, typename Slots, typename Visitor>
void classify_customer(const E* months, std::size_t n, const Slots& slots, Visitor& visit) {
  std::int32_t prev_slot = 0;
  Money prev_revenue = 0;
  std::uint32_t prev_group = 0;
  bool seen_active = false;  // at a reference month
  std::int32_t first_slot = -1;
  for (std::size_t i = 0; i < n; ++i) {
    const Money revenue = months[i].revenue;
    if (revenue <= 0) continue;
    if (first_slot < 0) first_slot = slots.slot_of(months[i].month);
    std::int32_t slot = 0;
    if (!slots.observe(months[i].month, slot)) continue;
    std::uint32_t group = 0;
    if constexpr (Grouped) group = months[i].customer;
    visit.active(slot, group, revenue);
    if (slot == first_slot) {
      visit.fresh(slot, group, revenue);
    } else if (seen_active && prev_slot == slot - 1) {
      if constexpr (Grouped) {
        if (group != prev_group) visit.moved(slot, prev_group, group, prev_revenue);
      }
      if (revenue > prev_revenue) {
        visit.expanded(slot, group, prev_revenue, revenue);
      } else if (revenue < prev_revenue) {
        visit.contracted(slot, group, prev_revenue, revenue);
      }
    } else {
      visit.reactivated(slot, group, revenue);
      if (seen_active) visit.churned(prev_slot + 1, prev_group, prev_revenue);
    }
    if (slot < slots.last_slot) visit.carried(slot + 1, group, revenue);
    seen_active = true;
    prev_slot = slot;
    prev_revenue = revenue;
    prev_group = group;
  }
  if (seen_active && prev_slot < slots.last_slot) visit.churned(prev_slot + 1, prev_group, prev_revenue);
}

// The movements of the customers one thread walks (one per slice of finish_raw), before they are
// put in order with those of the other threads (merge_movements).
class MovementCollector {
 public:
  // One line as the walk finds it: the slot instead of the period, the customer implied.
  struct Line {
    std::int32_t slot;
    MovementType type;
    std::uint32_t group;  // rank of the group (its place in name order)
    Money before;
    Money after;
  };
  // One customer with lines: its id and its lines lines[begin, end), sorted by (slot, type).
  struct Customer {
    std::string_view id;
    std::size_t begin;
    std::size_t end;
  };

  // `wanted_slots`: empty for every slot; `customers`: empty for every customer; `rank`: group
  // id -> rank (grouped walks only).
  MovementCollector(std::uint8_t types, std::vector<bool> wanted_slots,
                    const std::unordered_set<std::string_view>* customers,
                    const std::vector<std::uint32_t>* rank)
      : types_(types), wanted_(std::move(wanted_slots)), customers_(customers), rank_(rank) {}

  template <bool Grouped, typename E, typename Slots>
  void walk(std::string_view id, const E* months, std::size_t n, const Slots& slots) {
    if (customers_ != nullptr && customers_->count(id) == 0) return;
    const std::size_t begin = lines_.size();
    Recorder recorder{*this};
    classify_customer<Grouped>(months, n, slots, recorder);
    if (lines_.size() == begin) return;
    // Only a churn found late (at a reactivation) comes out of order: insertion sort.
    for (std::size_t i = begin + 1; i < lines_.size(); ++i) {
      const Line line = lines_[i];
      std::size_t j = i;
      for (; j > begin && later(lines_[j - 1], line); --j) lines_[j] = lines_[j - 1];
      lines_[j] = line;
    }
    customers_with_lines_.push_back({id, begin, lines_.size()});
  }

  // The customers in byte order of their ids (each thread sorts its own).
  void sort_customers() {
    std::sort(customers_with_lines_.begin(), customers_with_lines_.end(),
              [](const Customer& a, const Customer& b) { return a.id < b.id; });
  }

  const std::vector<Line>& lines() const noexcept { return lines_; }
  const std::vector<Customer>& customers() const noexcept { return customers_with_lines_; }

 private:
  static bool later(const Line& a, const Line& b) noexcept {
    return a.slot != b.slot ? a.slot > b.slot : a.type > b.type;
  }

  struct Recorder {
    MovementCollector& c;
    void add(std::int32_t slot, MovementType type, std::uint32_t group, Money before, Money after) {
      if ((c.types_ & (1u << static_cast<unsigned>(type))) == 0) return;
      if (!c.wanted_.empty() && !c.wanted_[static_cast<std::size_t>(slot)]) return;
      const std::uint32_t rank = c.rank_ != nullptr ? (*c.rank_)[group] : 0;
      c.lines_.push_back(Line{slot, type, rank, before, after});
    }
    void active(std::int32_t, std::uint32_t, Money) noexcept {}
    void carried(std::int32_t, std::uint32_t, Money) noexcept {}
    void fresh(std::int32_t slot, std::uint32_t group, Money revenue) {
      add(slot, MovementType::fresh, group, 0, revenue);
    }
    void reactivated(std::int32_t slot, std::uint32_t group, Money revenue) {
      add(slot, MovementType::reactivation, group, 0, revenue);
    }
    void expanded(std::int32_t slot, std::uint32_t group, Money before, Money after) {
      add(slot, MovementType::expansion, group, before, after);
    }
    void contracted(std::int32_t slot, std::uint32_t group, Money before, Money after) {
      add(slot, MovementType::contraction, group, before, after);
    }
    void churned(std::int32_t slot, std::uint32_t group, Money before) {
      add(slot, MovementType::churn, group, before, 0);
    }
    // The mover's revenue at the previous end leaves one group and enters the other; any change
    // of revenue is the expansion or contraction line in its new group.
    void moved(std::int32_t slot, std::uint32_t from, std::uint32_t to, Money before) {
      add(slot, MovementType::moved_in, to, 0, before);
      add(slot, MovementType::moved_out, from, before, 0);
    }
  };

  std::uint8_t types_;
  std::vector<bool> wanted_;
  const std::unordered_set<std::string_view>* customers_;
  const std::vector<std::uint32_t>* rank_;
  std::vector<Line> lines_;
  std::vector<Customer> customers_with_lines_;
};

// The lines of every collector (each sorted with sort_customers()) in one list, in period order
// (slot_start[slot]: the first month of the slot's period), then customer ids in byte order (each
// customer is in one collector only), then types.
MovementList merge_movements(const std::vector<MovementCollector>& collectors,
                             const std::vector<std::int32_t>& slot_start, Grain grain,
                             std::vector<std::string> groups, bool grouped);

}  // namespace csm::detail
