#include "csm/activity_aggregator.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "activity_counts.hpp"
#include "activity_groups.hpp"
#include "activity_log.hpp"
#include "csm/activity_state.hpp"
#include "csm/cohorts.hpp"
#include "csm/error.hpp"
#include "csm/parallel.hpp"
#include "movement_walk.hpp"

namespace csm {

void detail::revenue_overflow(std::string_view customer, std::int32_t month) {
  throw RevenueOverflow("customer " + quote_for_message(customer) + ", " + to_string(YearMonth{month}) +
                            ": the month's revenue sum exceeds " + format_money(kMaxMoney),
                        customer, YearMonth{month});
}

namespace {
using detail::CohortCounts;
using detail::GroupMonthCounts;
using detail::group_key;
using detail::group_of_key;
using detail::month_of_key;
using detail::MonthEntry;
using detail::MonthSlots;
using detail::PeriodSlots;
using detail::walk_cohort;
using detail::walk_customer;
using detail::walk_groups;
}  // namespace


ActivityAggregator::ActivityAggregator() { parts_.push_back(std::make_unique<RevenueLog>()); }

void ActivityAggregator::group_by_segment() {
  if (grouping_ == nullptr) grouping_ = std::make_unique<Grouping>();
  for (auto& part : parts_) part->grouped = true;
}

void ActivityAggregator::collect_cohorts(const CohortOptions& options) {
  cohorts_ = std::make_unique<CohortTable>();
  cohorts_->options = options;
}

void ActivityAggregator::collect_movements(const MovementOptions& options) {
  movement_options_ = std::make_unique<MovementOptions>(options);
}

MovementList ActivityAggregator::take_movements() { return std::move(movements_); }

CohortTable ActivityAggregator::take_cohorts() {
  if (cohorts_ == nullptr) return {};
  return std::move(*cohorts_);
}

std::vector<GroupPeriods> ActivityAggregator::take_groups() {
  if (grouping_ == nullptr) return {};
  return std::move(grouping_->result);
}
ActivityAggregator::ActivityAggregator(ActivityAggregator&&) noexcept = default;
ActivityAggregator& ActivityAggregator::operator=(ActivityAggregator&&) noexcept = default;
ActivityAggregator::~ActivityAggregator() = default;

ActivityAggregator::MonthTotals& ActivityAggregator::totals_for(YearMonth month) {
  return detail::at_month(months_base_, months_, month.index);
}

void ActivityAggregator::add(const ActivityRecord& record) { add(record, CustomerIndex::hash(record.customer_id)); }

void ActivityAggregator::add(const ActivityRecord& record, std::uint64_t customer_hash) {
  if (parts_.empty()) {
    parts_.push_back(std::make_unique<RevenueLog>());
    parts_.back()->grouped = grouped();
  }
  const std::int32_t key = count(record);
  parts_.front()->add(record.customer_id, customer_hash, key, record.revenue);
}

std::int32_t ActivityAggregator::count(const ActivityRecord& record) {
  ++stats_.records;
  if (record.revenue == 0) ++stats_.zero_revenue_records;
  if (!stats_.first || record.period < *stats_.first) stats_.first = record.period;
  if (!stats_.last || record.period > *stats_.last) stats_.last = record.period;

  if (record.nps_column) stats_.has_nps = true;
  // An NPS answer's class: 0 promoter (9-10), 1 passive (7-8), 2 detractor (0-6); -1 none.
  const int nps_class = record.nps < 0 || record.nps > 10 ? -1 : record.nps >= 9 ? 0 : record.nps >= 7 ? 1 : 2;
  if (record.csat != 0 || record.acquisition_cost || nps_class >= 0) {
    MonthTotals& totals = totals_for(record.period);
    if (record.csat >= 1 && record.csat <= 5) ++totals.csat_by_score[record.csat - 1];
    if (record.acquisition_cost) {
      totals.acquisition_cost += *record.acquisition_cost;
      stats_.has_acquisition_cost = true;
    }
    if (nps_class >= 0) ++totals.nps[nps_class];
  }
  if (grouping_ == nullptr) return record.period.index;
  const std::uint32_t group = grouping_->id(record.segment);
  if (record.csat != 0 || record.acquisition_cost || nps_class >= 0) {
    MonthTotals& totals = grouping_->totals_for(group, record.period);
    if (record.csat >= 1 && record.csat <= 5) ++totals.csat_by_score[record.csat - 1];
    if (record.acquisition_cost) totals.acquisition_cost += *record.acquisition_cost;
    if (nps_class >= 0) ++totals.nps[nps_class];
  }
  return group_key(record.period.index, group);
}

void ActivityAggregator::merge(ActivityAggregator&& other) {
  if (grouped() != other.grouped()) {
    throw std::logic_error("merging a grouped aggregation with an ungrouped one");
  }
  if (grouping_ != nullptr) {
    // Group ids of another table are renumbered into this one (shards share one table).
    const bool same = grouping_->table == other.grouping_->table;
    std::vector<std::uint32_t> to_here;
    if (!same) {
      for (const std::string& name : other.grouping_->table->snapshot()) {
        to_here.push_back(grouping_->id(name));
      }
      for (auto& part : other.parts_) {
        part->drain();
        for (RevenueLog::Bucket& bucket : part->buckets) {
          for (std::size_t i = 0; i < bucket.size(); ++i) {
            bucket[i].month = group_key(month_of_key(bucket[i].month),
                                        to_here[group_of_key(bucket[i].month)]);
          }
        }
      }
    }
    Grouping& from = *other.grouping_;
    for (std::size_t g = 0; g < from.totals.size(); ++g) {
      const auto here = same ? static_cast<std::uint32_t>(g) : to_here[g];
      for (std::size_t i = 0; i < from.totals[g].size(); ++i) {
        const MonthTotals& source = from.totals[g][i];
        MonthTotals& to =
            grouping_->totals_for(here, YearMonth{from.base[g] + static_cast<std::int32_t>(i)});
        for (int k = 0; k < 5; ++k) to.csat_by_score[k] += source.csat_by_score[k];
        to.acquisition_cost += source.acquisition_cost;
        for (int k = 0; k < 3; ++k) to.nps[k] += source.nps[k];
      }
    }
  }
  for (auto& part : other.parts_) {
    if (part->entries > 0 || part->queued() > 0) parts_.push_back(std::move(part));
  }
  for (std::size_t i = 0; i < other.months_.size(); ++i) {
    const MonthTotals& source = other.months_[i];
    MonthTotals& to = totals_for(YearMonth{other.months_base_ + static_cast<std::int32_t>(i)});
    for (int s = 0; s < 5; ++s) to.csat_by_score[s] += source.csat_by_score[s];
    to.acquisition_cost += source.acquisition_cost;
    for (int k = 0; k < 3; ++k) to.nps[k] += source.nps[k];
  }
  stats_.records += other.stats_.records;
  stats_.zero_revenue_records += other.stats_.zero_revenue_records;
  if (other.stats_.first && (!stats_.first || *other.stats_.first < *stats_.first)) {
    stats_.first = other.stats_.first;
  }
  if (other.stats_.last && (!stats_.last || *other.stats_.last > *stats_.last)) {
    stats_.last = other.stats_.last;
  }
  stats_.has_acquisition_cost = stats_.has_acquisition_cost || other.stats_.has_acquisition_cost;
  stats_.has_nps = stats_.has_nps || other.stats_.has_nps;
  other = ActivityAggregator();
}

void ActivityAggregator::extend_range(YearMonth first, YearMonth last) noexcept {
  if (!stats_.first || first < *stats_.first) stats_.first = first;
  if (!stats_.last || last > *stats_.last) stats_.last = last;
}

std::vector<PeriodMetrics> ActivityAggregator::finish(const MetricOptions& options,
                                                      unsigned threads) {
  // The same code path as `merge` of partial states: counts and sums first, then the metrics.
  const ActivityRaw raw = finish_raw(threads);
  if (grouping_ == nullptr) return periods_from_raw(raw, options);
  std::vector<GroupPeriods> groups;
  std::vector<PeriodMetrics> periods = periods_from_raw(raw, options, &groups);
  grouping_->result = std::move(groups);
  return periods;
}

ActivityRaw ActivityAggregator::finish_raw(unsigned threads, Grain grain) {
  threads = std::max(1u, threads);
  for (auto& part : parts_) part->drain();
  std::erase_if(parts_, [](const std::unique_ptr<RevenueLog>& part) { return part->entries == 0; });
  if (parts_.empty()) {
    parts_.push_back(std::make_unique<RevenueLog>());
    parts_.back()->grouped = grouped();
  }
  // Parts of one shard group own disjoint customers and are walked as they are. Otherwise one
  // numbering of customers is needed: the part with the most customers (the fewest ids to add)
  // takes in the others' ids and rows.
  const bool disjoint = std::all_of(parts_.begin(), parts_.end(), [&](const auto& part) {
    return part->group != 0 && part->group == parts_.front()->group;
  });
  if (!disjoint) {
    std::iter_swap(parts_.begin(),
                   std::max_element(parts_.begin(), parts_.end(), [](const auto& a, const auto& b) {
                     return a->customers.size() < b->customers.size();
                   }));
    for (std::size_t p = 1; p < parts_.size(); ++p) parts_.front()->absorb(*parts_[p]);
    parts_.resize(1);
  }
  stats_.customers = 0;
  for (const auto& part : parts_) stats_.customers += part->customers.size();

  ActivityRaw raw;
  raw.grouped = grouping_ != nullptr;
  raw.grain = grain;
  if (grouping_ != nullptr) grouping_->result.clear();
  if (movement_options_ != nullptr) {
    movements_ = MovementList{};
    movements_.grain = movement_options_->grain;
    movements_.grouped = grouping_ != nullptr;
  }
  if (!stats_.first) {
    raw.stats = stats_;
    return raw;
  }
  const std::int32_t first = stats_.first->index;
  const std::int32_t last = stats_.last->index;
  const auto month_count = static_cast<std::size_t>(last - first + 1);
  const MonthSlots month_slots{first, last - first};
  // Quarters or years: a second walk of each customer over the period-end snapshots.
  const bool by_period = grain != Grain::month;
  const PeriodSlots period_slots(months_in(grain), first, last);
  const auto slot_count = by_period ? static_cast<std::size_t>(period_slots.last_slot + 1) : 0;

  // Groups: their names now, and each id's place in name order (the tie-break of a month with
  // rows of several groups).
  std::vector<std::string> group_names;
  std::vector<std::uint32_t> rank;
  if (grouping_ != nullptr) {
    group_names = grouping_->table->snapshot();
    std::vector<std::uint32_t> order(group_names.size());
    for (std::uint32_t g = 0; g < order.size(); ++g) order[g] = g;
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return group_names[a] < group_names[b]; });
    rank.resize(order.size());
    for (std::uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
  }
  const std::size_t group_count = group_names.size();

  // Each bucket of each part holds whole customers: threads sort, compact and walk disjoint
  // ranges of (part, bucket); their counts are exact integers, summed after.
  const std::size_t jobs = parts_.size() * RevenueLog::kBuckets;
  const std::size_t slices = threads;
  std::vector<std::vector<MonthCounts>> slice_counts(slices, std::vector<MonthCounts>(month_count));
  std::vector<std::vector<GroupMonthCounts>> slice_group_counts(
      slices, std::vector<GroupMonthCounts>(group_count * month_count));
  std::vector<std::vector<MonthCounts>> slice_period_counts(slices, std::vector<MonthCounts>(slot_count));
  std::vector<std::vector<GroupMonthCounts>> slice_group_period_counts(
      slices, std::vector<GroupMonthCounts>(group_count * slot_count));
  std::vector<std::uint64_t> slice_customer_months(slices, 0);
  // Cohorts: periods of the grain from the data's first to its last.
  const int grain_months = cohorts_ ? months_in(cohorts_->options.grain) : 1;
  const std::int32_t first_period = first / grain_months;
  const auto period_count = static_cast<std::size_t>(last / grain_months - first_period + 1);
  if (cohorts_ != nullptr && last - first + 1 > kMaxCohortMonths) {
    throw InputError("", 0, "period",
                     "the data spans " + std::to_string(last - first + 1) + " months (" +
                         to_string(*stats_.first) + " to " + to_string(*stats_.last) +
                         "); cohorts cover at most " + std::to_string(kMaxCohortMonths));
  }
  std::vector<CohortCounts> slice_cohorts(cohorts_ ? slices : 0);
  const bool unbroken_only = cohorts_ && cohorts_->options.exclude_reactivated;
  // Per group of the customer's first active month: [slice][group].
  std::vector<std::vector<CohortCounts>> slice_group_cohorts(
      cohorts_ && group_count > 0 ? slices : 0, std::vector<CohortCounts>(group_count));
  // Movements: one collector per slice, at the grain asked for, filtered as asked.
  std::vector<detail::MovementCollector> slice_movements;
  const Grain movement_grain = movement_options_ ? movement_options_->grain : Grain::month;
  const PeriodSlots movement_slots(months_in(movement_grain), first, last);
  std::unordered_set<std::string_view> movement_customers;
  if (movement_options_ != nullptr) {
    const MovementOptions& o = *movement_options_;
    const auto count = static_cast<std::size_t>(movement_slots.last_slot + 1);
    std::vector<bool> wanted;
    if (!o.periods.empty()) {
      wanted.assign(count, false);
      for (const YearMonth p : o.periods) {
        const std::int32_t slot = movement_slots.slot_of(p.index);
        if (p.index >= movement_slots.period_start(0) && static_cast<std::size_t>(slot) < count) {
          wanted[static_cast<std::size_t>(slot)] = true;
        }
      }
    }
    for (const std::string& id : o.customers) movement_customers.insert(id);
    for (std::size_t s = 0; s < slices; ++s) {
      slice_movements.emplace_back(o.types, wanted, o.customers.empty() ? nullptr : &movement_customers,
                                   group_count > 0 ? &rank : nullptr);
    }
  }
  parallel_jobs(slices, threads, [&](std::size_t s) {
    // This slice's movements of one customer (ungrouped: the log entries as they are).
    const auto record = [&](auto grouped, std::string_view id, const MonthEntry* m, std::size_t n) {
      if (slice_movements.empty()) return;
      detail::MovementCollector& c = slice_movements[s];
      if (movement_grain == Grain::month) {
        c.walk<decltype(grouped)::value>(id, m, n, month_slots);
      } else {
        c.walk<decltype(grouped)::value>(id, m, n, movement_slots);
      }
    };
    std::vector<MonthEntry> scratch;
    std::vector<std::uint32_t> sort_counts;
    std::vector<MonthEntry> months;  // with groups: one customer's months, the group in `customer`
    MonthCounts* counts = slice_counts[s].data();
    GroupMonthCounts* group_counts = slice_group_counts[s].data();
    MonthCounts* period_counts = slice_period_counts[s].data();
    GroupMonthCounts* group_period_counts = slice_group_period_counts[s].data();
    const auto walk = [&](const MonthEntry* customer_months, std::size_t n) {
      walk_customer(customer_months, n, month_slots, counts);
      if (by_period) walk_customer(customer_months, n, period_slots, period_counts);
    };
    const bool with_cohorts = cohorts_ != nullptr;
    for (std::size_t job = jobs * s / slices; job < jobs * (s + 1) / slices; ++job) {
      RevenueLog& part = *parts_[job / RevenueLog::kBuckets];
      RevenueLog::Bucket& bucket = part.buckets[job % RevenueLog::kBuckets];
      const std::size_t entries = part.compact_bucket(bucket, scratch, sort_counts);
      if (group_count == 0) {
        // The entries are the customers' months as they are.
        slice_customer_months[s] += entries;
        std::size_t i = 0;
        while (i < bucket.size()) {
          std::size_t j = i + 1;
          while (j < bucket.size() && bucket[j].customer == bucket[i].customer) ++j;
          const MonthEntry* customer_months = bucket.data() + i;
          walk(customer_months, j - i);
          record(std::false_type{}, part.customers.id(bucket[i].customer), customer_months, j - i);
          if (with_cohorts) {
            walk_cohort(customer_months, j - i, last, grain_months, first_period, unbroken_only,
                        slice_cohorts[s]);
          }
          i = j;
        }
        continue;
      }
      // Entries are per (customer, month, group), sorted: sum each month over its groups and
      // keep the group with the most revenue (ties: the first name).
      std::size_t i = 0;
      while (i < bucket.size()) {
        const std::uint32_t customer = bucket[i].customer;
        months.clear();
        Money best = 0;
        for (; i < bucket.size() && bucket[i].customer == customer; ++i) {
          const MonthEntry& e = bucket[i];
          const std::int32_t month = month_of_key(e.month);
          const std::uint32_t group = group_of_key(e.month);
          if (months.empty() || months.back().month != month) {
            months.push_back(MonthEntry{group, month, e.revenue});
            best = e.revenue;
            continue;
          }
          MonthEntry& m = months.back();
          const auto sum = checked_add(m.revenue, e.revenue);
          if (!sum) detail::revenue_overflow(part.customers.id(customer), month);
          m.revenue = *sum;
          if (e.revenue > best || (e.revenue == best && rank[group] < rank[m.customer])) {
            best = e.revenue;
            m.customer = group;
          }
        }
        slice_customer_months[s] += months.size();
        walk(months.data(), months.size());
        walk_groups(months.data(), months.size(), month_slots, month_count, group_counts);
        if (by_period) {
          walk_groups(months.data(), months.size(), period_slots, slot_count, group_period_counts);
        }
        record(std::true_type{}, part.customers.id(customer), months.data(), months.size());
        if (cohorts_ != nullptr) {
          walk_cohort(months.data(), months.size(), last, grain_months, first_period,
                      unbroken_only, slice_cohorts[s]);
          const auto joined = std::find_if(months.begin(), months.end(),
                                           [](const MonthEntry& e) { return e.revenue > 0; });
          if (joined != months.end()) {
            walk_cohort(months.data(), months.size(), last, grain_months, first_period,
                        unbroken_only, slice_group_cohorts[s][joined->customer]);
          }
        }
      }
    }
  });

  if (movement_options_ != nullptr) {
    parallel_jobs(slices, threads, [&](std::size_t s) { slice_movements[s].sort_customers(); });
    std::vector<std::int32_t> starts;
    for (std::int32_t slot = 0; slot <= movement_slots.last_slot; ++slot) {
      starts.push_back(movement_grain == Grain::month ? month_slots.period_start(slot)
                                                      : movement_slots.period_start(slot));
    }
    std::vector<std::string> names = group_names;
    std::sort(names.begin(), names.end());
    movements_ = detail::merge_movements(slice_movements, starts, movement_grain, std::move(names),
                                         grouping_ != nullptr);
  }

  std::vector<MonthCounts> totals(month_count);
  raw.period_counts.assign(slot_count, MonthCounts{});
  stats_.customer_months = 0;
  for (std::size_t s = 0; s < slices; ++s) {
    for (std::size_t i = 0; i < month_count; ++i) totals[i] += slice_counts[s][i];
    for (std::size_t i = 0; i < slot_count; ++i) raw.period_counts[i] += slice_period_counts[s][i];
    stats_.customer_months += slice_customer_months[s];
  }

  const auto totals_at = [](const std::vector<MonthTotals>& series, std::int32_t base,
                            YearMonth month) -> const MonthTotals* {
    const std::int64_t offset = month.index - base;
    return (!series.empty() && offset >= 0 && static_cast<std::size_t>(offset) < series.size())
               ? &series[static_cast<std::size_t>(offset)]
               : nullptr;
  };

  const auto sums_at = [&](const std::vector<MonthTotals>& series, std::int32_t base,
                           YearMonth month) {
    MonthSums sums;
    if (const MonthTotals* t = totals_at(series, base, month)) {
      for (int k = 0; k < 5; ++k) sums.csat_by_score[k] = t->csat_by_score[k];
      sums.acquisition_cost = t->acquisition_cost;
      for (int k = 0; k < 3; ++k) sums.nps[k] = t->nps[k];
    }
    return sums;
  };
  raw.counts = std::move(totals);
  raw.sums.resize(month_count);
  for (std::size_t i = 0; i < month_count; ++i) {
    raw.sums[i] = sums_at(months_, months_base_, YearMonth{first + static_cast<std::int32_t>(i)});
  }

  if (cohorts_ != nullptr) {
    CohortTable& table = *cohorts_;
    table.cohorts.clear();
    table.months_covered.clear();
    for (std::size_t p = 0; p < period_count; ++p) {
      const std::int32_t begin = std::max(first, (first_period + static_cast<std::int32_t>(p)) * grain_months);
      const std::int32_t end = std::min(last, (first_period + static_cast<std::int32_t>(p) + 1) * grain_months - 1);
      table.months_covered.push_back(end - begin + 1);
    }
    // The cohorts of counts kept in several slices, each cohort with every age up to the last
    // period (the table is printed whole): their sizes first, so that a table too large to
    // print is refused before it is made.
    const auto cohorts_of = [](const std::vector<const CohortCounts*>& parts) {
      std::map<std::uint32_t, std::int64_t> sizes;
      for (const CohortCounts* part : parts) {
        for (const auto& [cohort, n] : part->size) sizes[cohort] += n;
      }
      return sizes;
    };
    std::uint64_t cells = 0;
    const auto count_cells = [&](const std::map<std::uint32_t, std::int64_t>& sizes) {
      for (const auto& entry : sizes) cells += period_count - entry.first;
      if (cells > kMaxCohortCells) {
        throw InputError("", 0, "",
                         "the cohort tables would hold more than " +
                             std::to_string(kMaxCohortCells) +
                             " cells (cohorts x ages, all groups); use a coarser --grain, "
                             "fewer groups with --by, or a shorter range of months");
      }
    };
    const auto build = [&](const std::vector<const CohortCounts*>& parts,
                           const std::map<std::uint32_t, std::int64_t>& sizes) {
      std::vector<Cohort> cohorts;
      std::unordered_map<std::uint32_t, std::size_t> place;
      for (const auto& [c, customers] : sizes) {
        Cohort cohort;
        cohort.period = YearMonth{(first_period + static_cast<std::int32_t>(c)) * grain_months};
        cohort.customers = customers;
        cohort.ages.resize(period_count - c);
        place[c] = cohorts.size();
        cohorts.push_back(std::move(cohort));
      }
      for (const CohortCounts* part : parts) {
        for (const auto& [key, cell] : part->cells) {
          CohortAge& age = cohorts[place.at(static_cast<std::uint32_t>(key >> 32))]
                               .ages[static_cast<std::size_t>(key & 0xffffffffu)];
          age.active_customers += cell.active;
          age.revenue += cell.revenue;
        }
      }
      return cohorts;
    };
    std::vector<const CohortCounts*> parts;
    for (const CohortCounts& part : slice_cohorts) parts.push_back(&part);
    const std::map<std::uint32_t, std::int64_t> sizes = cohorts_of(parts);
    count_cells(sizes);
    std::vector<std::uint32_t> by_name(group_count);
    for (std::uint32_t g = 0; g < group_count; ++g) by_name[rank[g]] = g;
    std::vector<std::map<std::uint32_t, std::int64_t>> group_sizes;
    for (const std::uint32_t g : by_name) {
      std::vector<const CohortCounts*> group_parts;
      for (const auto& slice : slice_group_cohorts) group_parts.push_back(&slice[g]);
      group_sizes.push_back(cohorts_of(group_parts));
      count_cells(group_sizes.back());
    }
    table.cohorts = build(parts, sizes);
    table.groups.clear();
    for (std::size_t i = 0; i < by_name.size(); ++i) {
      const std::uint32_t g = by_name[i];
      parts.clear();
      for (const auto& slice : slice_group_cohorts) parts.push_back(&slice[g]);
      table.groups.push_back({group_names[g], build(parts, group_sizes[i])});
    }
    derive_cohort_rates(table);
  }

  if (grouping_ != nullptr) {
    std::vector<std::uint32_t> by_name(group_count);
    for (std::uint32_t g = 0; g < group_count; ++g) by_name[rank[g]] = g;
    for (const std::uint32_t g : by_name) {
      GroupRaw out;
      out.name = group_names[g];
      out.counts.resize(month_count);
      out.moves.resize(month_count);
      out.sums.resize(month_count);
      out.period_counts.resize(slot_count);
      out.period_moves.resize(slot_count);
      for (std::size_t i = 0; i < slot_count; ++i) {
        GroupMonthCounts sum;
        for (std::size_t s = 0; s < slices; ++s) sum += slice_group_period_counts[s][g * slot_count + i];
        out.period_counts[i] = sum.counts;
        out.period_moves[i] = sum.moves;
      }
      const bool has_totals = g < grouping_->totals.size();
      for (std::size_t i = 0; i < month_count; ++i) {
        GroupMonthCounts sum;
        for (std::size_t s = 0; s < slices; ++s) sum += slice_group_counts[s][g * month_count + i];
        out.counts[i] = sum.counts;
        out.moves[i] = sum.moves;
        if (has_totals) {
          out.sums[i] = sums_at(grouping_->totals[g], grouping_->base[g],
                                YearMonth{first + static_cast<std::int32_t>(i)});
        }
      }
      raw.groups.push_back(std::move(out));
    }
  }
  raw.stats = stats_;
  return raw;
}

}  // namespace csm
