#include "csm/activity_state.hpp"

#include <algorithm>
#include <stdexcept>

namespace csm {
namespace {

// The customers, movements and MRR of one month or period from its counts.
void fill_counts(PeriodMetrics& m, const MonthCounts& c) {
  m.customers_start = c.start;
  m.churned_customers = c.churned;
  m.new_customers = c.fresh;
  m.reactivated_customers = c.reactivated;
  m.customers_end = c.end;
  m.expanded_customers = c.expanded;
  m.contracted_customers = c.contracted;
  m.mrr_start = c.mrr_start;
  m.mrr_end = c.mrr_end;
  m.new_mrr = c.new_mrr;
  m.reactivation_mrr = c.reactivation_mrr;
  m.expansion_mrr = c.expansion_mrr;
  m.contraction_mrr = c.contraction_mrr;
  m.churned_mrr = c.churned_mrr;
}

// The fields of one month from its counts and its csat and cost sums.
void fill(PeriodMetrics& m, YearMonth month, const MonthCounts& c, const MonthSums& sums,
          bool has_acquisition_cost, bool has_nps, const MetricOptions& options) {
  m.period = month;
  fill_counts(m, c);
  std::int64_t responses = 0;
  std::int64_t satisfied = 0;
  for (int score = 1; score <= 5; ++score) {
    const auto n = static_cast<std::int64_t>(sums.csat_by_score[score - 1]);
    responses += n;
    if (score >= options.csat_threshold) satisfied += n;
  }
  m.csat_responses = responses;
  m.csat_satisfied = satisfied;
  if (has_acquisition_cost) m.acquisition_cost = sums.acquisition_cost;
  if (has_nps) {
    m.nps_promoters = static_cast<std::int64_t>(sums.nps[0]);
    m.nps_passives = static_cast<std::int64_t>(sums.nps[1]);
    m.nps_detractors = static_cast<std::int64_t>(sums.nps[2]);
    m.nps_responses = *m.nps_promoters + *m.nps_passives + *m.nps_detractors;
  }
}

// counts/moves/sums of one series moved to the range first..last (see widen()).
template <typename T>
std::vector<T> shifted(const std::vector<T>& from, std::size_t offset, std::size_t size) {
  std::vector<T> out(size);
  std::copy(from.begin(), from.end(), out.begin() + static_cast<std::ptrdiff_t>(offset));
  return out;
}

void widen_counts(std::vector<MonthCounts>& counts, std::size_t offset, std::size_t size) {
  const std::size_t old_size = counts.size();
  std::vector<MonthCounts> out = shifted(counts, offset, size);
  if (old_size > 0 && offset + old_size < size) {
    // Active in the old last month, no rows after it: they start and churn the month after.
    const MonthCounts& last = counts.back();
    MonthCounts& next = out[offset + old_size];
    next.start += last.end;
    next.mrr_start += last.mrr_end;
    next.churned += last.end;
    next.churned_mrr += last.mrr_end;
  }
  counts = std::move(out);
}

// The same for the periods of a grain of `g` months: the old range old_first..old_last (month
// indexes) becomes first..last.
template <typename Moves>
void widen_periods(std::vector<MonthCounts>& counts, std::vector<Moves>* moves, std::int32_t g,
                   std::int32_t old_first, std::int32_t old_last, std::int32_t first,
                   std::int32_t last) {
  const auto offset = static_cast<std::size_t>(old_first / g - first / g);
  const auto size = static_cast<std::size_t>(last / g - first / g + 1);
  std::vector<MonthCounts> out = shifted(counts, offset, size);
  if (moves != nullptr) *moves = shifted(*moves, offset, size);
  if (!counts.empty() && last > old_last) {
    const std::size_t at = offset + counts.size() - 1;  // the period of the old last month
    if (old_last % g != g - 1) {
      // Its reference month moves past old_last, where these customers have no rows: every
      // customer at its start churns, and nobody is there at its end.
      MonthCounts& p = out[at];
      MonthCounts ended;
      ended.start = p.start;
      ended.mrr_start = p.mrr_start;
      ended.churned = p.start;
      ended.churned_mrr = p.mrr_start;
      p = ended;
      if (moves != nullptr) (*moves)[at] = Moves{};
    } else if (at + 1 < size) {
      const MonthCounts& p = out[at];
      MonthCounts& next = out[at + 1];
      next.start += p.end;
      next.mrr_start += p.mrr_end;
      next.churned += p.end;
      next.churned_mrr += p.mrr_end;
    }
  }
  counts = std::move(out);
}

}  // namespace

std::vector<PeriodMetrics> periods_from_raw(const ActivityRaw& raw, const MetricOptions& options,
                                            std::vector<GroupPeriods>* groups) {
  std::vector<PeriodMetrics> periods;
  if (groups != nullptr) groups->clear();
  if (!raw.stats.first) return periods;
  const std::int32_t first = raw.stats.first->index;
  const std::size_t month_count = raw.counts.size();
  const bool cost = raw.stats.has_acquisition_cost;
  periods.resize(month_count);
  for (std::size_t i = 0; i < month_count; ++i) {
    fill(periods[i], YearMonth{first + static_cast<std::int32_t>(i)}, raw.counts[i], raw.sums[i],
         cost, raw.stats.has_nps, options);
    derive_rates(periods[i], options);
  }
  if (groups == nullptr) return periods;
  for (const GroupRaw& g : raw.groups) {
    GroupPeriods out;
    out.group = g.name;
    out.periods.resize(month_count);
    out.moves = g.moves;
    for (std::size_t i = 0; i < month_count; ++i) {
      fill(out.periods[i], YearMonth{first + static_cast<std::int32_t>(i)}, g.counts[i], g.sums[i],
           cost, raw.stats.has_nps, options);
      derive_rates(out.periods[i], DeriveContext{options, 1, Population::group});
    }
    groups->push_back(std::move(out));
  }
  return periods;
}

void widen(ActivityRaw& raw, YearMonth first, YearMonth last) {
  const auto size = static_cast<std::size_t>(last.index - first.index + 1);
  const std::int32_t g = months_in(raw.grain);
  const auto periods = raw.grain == Grain::month
                           ? std::size_t{0}
                           : static_cast<std::size_t>(last.index / g - first.index / g + 1);
  if (!raw.stats.first) {
    raw.counts.assign(size, MonthCounts{});
    raw.sums.assign(size, MonthSums{});
    raw.period_counts.assign(periods, MonthCounts{});
    for (GroupRaw& group : raw.groups) {
      group.counts.assign(size, MonthCounts{});
      group.moves.assign(size, GroupMoves{});
      group.sums.assign(size, MonthSums{});
      group.period_counts.assign(periods, MonthCounts{});
      group.period_moves.assign(periods, GroupMoves{});
    }
  } else {
    if (first > *raw.stats.first || last < *raw.stats.last) {
      throw std::invalid_argument("widen: the new range does not hold the old one");
    }
    const auto offset = static_cast<std::size_t>(raw.stats.first->index - first.index);
    const std::int32_t old_first = raw.stats.first->index;
    const std::int32_t old_last = raw.stats.last->index;
    widen_counts(raw.counts, offset, size);
    raw.sums = shifted(raw.sums, offset, size);
    if (periods > 0) {
      widen_periods<GroupMoves>(raw.period_counts, nullptr, g, old_first, old_last, first.index,
                                last.index);
    }
    for (GroupRaw& group : raw.groups) {
      widen_counts(group.counts, offset, size);
      group.moves = shifted(group.moves, offset, size);
      group.sums = shifted(group.sums, offset, size);
      if (periods > 0) {
        widen_periods(group.period_counts, &group.period_moves, g, old_first, old_last, first.index,
                      last.index);
      }
    }
  }
  raw.stats.first = first;
  raw.stats.last = last;
}

void add_raw(ActivityRaw& into, const ActivityRaw& other) {
  if (into.grouped != other.grouped) {
    throw std::invalid_argument("adding a grouped aggregation state to an ungrouped one");
  }
  if (into.grain != other.grain) {
    throw std::invalid_argument("adding aggregation states of different grains");
  }
  ActivityStats& s = into.stats;
  const ActivityStats& o = other.stats;
  const bool had_rows = s.first.has_value();
  s.records += o.records;
  s.zero_revenue_records += o.zero_revenue_records;
  s.customers += o.customers;
  s.customer_months += o.customer_months;
  s.has_acquisition_cost = s.has_acquisition_cost || o.has_acquisition_cost;
  s.has_nps = s.has_nps || o.has_nps;
  if (!o.first) {
    // Nothing in months; its groups (if any) have no rows either.
    return;
  }
  ActivityRaw wide = other;
  YearMonth first = *o.first;
  YearMonth last = *o.last;
  if (had_rows) {
    first = std::min(first, *s.first);
    last = std::max(last, *s.last);
    widen(into, first, last);
  } else {
    s.first = first;
    s.last = last;
    const auto size = static_cast<std::size_t>(last.index - first.index + 1);
    into.counts.assign(size, MonthCounts{});
    into.sums.assign(size, MonthSums{});
    const std::int32_t g = months_in(into.grain);
    into.period_counts.assign(into.grain == Grain::month
                                  ? 0
                                  : static_cast<std::size_t>(last.index / g - first.index / g + 1),
                              MonthCounts{});
    into.groups.clear();
  }
  widen(wide, first, last);
  for (std::size_t i = 0; i < into.counts.size(); ++i) {
    into.counts[i] += wide.counts[i];
    into.sums[i] += wide.sums[i];
  }
  for (std::size_t i = 0; i < into.period_counts.size(); ++i) into.period_counts[i] += wide.period_counts[i];
  // Groups: the union by name, in name order.
  std::vector<GroupRaw> merged;
  std::size_t a = 0;
  std::size_t b = 0;
  while (a < into.groups.size() || b < wide.groups.size()) {
    if (b == wide.groups.size() || (a < into.groups.size() && into.groups[a].name < wide.groups[b].name)) {
      merged.push_back(std::move(into.groups[a++]));
    } else if (a == into.groups.size() || wide.groups[b].name < into.groups[a].name) {
      merged.push_back(std::move(wide.groups[b++]));
    } else {
      GroupRaw g = std::move(into.groups[a++]);
      const GroupRaw& h = wide.groups[b++];
      for (std::size_t i = 0; i < g.counts.size(); ++i) {
        g.counts[i] += h.counts[i];
        g.moves[i] += h.moves[i];
        g.sums[i] += h.sums[i];
      }
      for (std::size_t i = 0; i < g.period_counts.size(); ++i) {
        g.period_counts[i] += h.period_counts[i];
        g.period_moves[i] += h.period_moves[i];
      }
      merged.push_back(std::move(g));
    }
  }
  into.groups = std::move(merged);
}

namespace {

// A period of the roll-up: labels, months, csat, acquisition cost and NPS answers from the monthly roll-up
// `summed`, the customers and the MRR from the period-end snapshot counts.
PeriodMetrics from_snapshots(const PeriodMetrics& summed, const MonthCounts& counts) {
  PeriodMetrics p;
  p.period = summed.period;
  fill_counts(p, counts);
  p.csat_responses = summed.csat_responses;
  p.csat_satisfied = summed.csat_satisfied;
  p.acquisition_cost = summed.acquisition_cost;
  p.nps_responses = summed.nps_responses;
  p.nps_promoters = summed.nps_promoters;
  p.nps_passives = summed.nps_passives;
  p.nps_detractors = summed.nps_detractors;
  return p;
}

}  // namespace

GrainPeriods roll_up(const std::vector<PeriodMetrics>& monthly, const ActivityRaw& raw,
                     const MetricOptions& options, std::vector<GroupPeriods>* groups) {
  GrainPeriods out = sum_up(monthly, raw.grain);
  if (raw.grain == Grain::month) return out;
  if (out.periods.size() != raw.period_counts.size()) {
    throw std::logic_error("roll_up: the periods of the months and of the counts differ");
  }
  for (std::size_t i = 0; i < out.periods.size(); ++i) {
    PeriodMetrics& p = out.periods[i];
    p = from_snapshots(p, raw.period_counts[i]);
    derive_rates(p, DeriveContext{options, out.months[i]});
  }
  if (groups == nullptr) return out;
  if (groups->size() != raw.groups.size()) {
    throw std::logic_error("roll_up: the groups of the months and of the counts differ");
  }
  for (std::size_t k = 0; k < groups->size(); ++k) {
    GroupPeriods& group = (*groups)[k];
    const GroupRaw& counts = raw.groups[k];
    GrainPeriods rolled = sum_up(group.periods, raw.grain);
    if (rolled.periods.size() != counts.period_counts.size()) {
      throw std::logic_error("roll_up: the periods of a group's months and counts differ");
    }
    for (std::size_t i = 0; i < rolled.periods.size(); ++i) {
      PeriodMetrics& p = rolled.periods[i];
      p = from_snapshots(p, counts.period_counts[i]);
      derive_rates(p, DeriveContext{options, out.months[i], Population::group});
    }
    group.periods = std::move(rolled.periods);
    group.moves = counts.period_moves;
  }
  return out;
}

namespace {

void add_cohort_list(std::vector<Cohort>& into, const std::vector<Cohort>& other) {
  std::vector<Cohort> out;
  std::size_t a = 0;
  std::size_t b = 0;
  while (a < into.size() || b < other.size()) {
    if (b == other.size() || (a < into.size() && into[a].period < other[b].period)) {
      out.push_back(std::move(into[a++]));
    } else if (a == into.size() || other[b].period < into[a].period) {
      out.push_back(other[b++]);
    } else {
      Cohort c = std::move(into[a++]);
      const Cohort& d = other[b++];
      c.customers += d.customers;
      if (c.ages.size() < d.ages.size()) c.ages.resize(d.ages.size());
      for (std::size_t k = 0; k < d.ages.size(); ++k) {
        c.ages[k].active_customers += d.ages[k].active_customers;
        c.ages[k].revenue += d.ages[k].revenue;
      }
      out.push_back(std::move(c));
    }
  }
  into = std::move(out);
}

std::vector<Cohort> roll_up_list(const std::vector<Cohort>& monthly, std::int32_t first, std::int32_t last,
                                 int g) {
  const std::int32_t first_period = first / g;
  const auto period_count = static_cast<std::size_t>(last / g - first_period + 1);
  std::vector<Cohort> out;
  for (std::size_t c = 0; c < period_count; ++c) {
    const std::int32_t period = first_period + static_cast<std::int32_t>(c);
    Cohort cohort;
    cohort.period = YearMonth{period * g};
    std::vector<const Cohort*> members;
    for (const Cohort& m : monthly) {
      if (m.period.index / g == period) {
        members.push_back(&m);
        cohort.customers += m.customers;
      }
    }
    if (cohort.customers == 0) continue;
    for (std::size_t age = 0; c + age < period_count; ++age) {
      const std::int32_t p = period + static_cast<std::int32_t>(age);
      const std::int32_t reference = std::min((p + 1) * g - 1, last);
      CohortAge cell;
      for (const Cohort* m : members) {
        const auto k = static_cast<std::size_t>(reference - m->period.index);
        if (k < m->ages.size()) {
          cell.active_customers += m->ages[k].active_customers;
          cell.revenue += m->ages[k].revenue;
        }
      }
      cohort.ages.push_back(cell);
    }
    out.push_back(std::move(cohort));
  }
  return out;
}

}  // namespace

void add_month_cohorts(CohortTable& into, const CohortTable& other) {
  add_cohort_list(into.cohorts, other.cohorts);
  std::vector<CohortGroup> merged;
  std::size_t a = 0;
  std::size_t b = 0;
  while (a < into.groups.size() || b < other.groups.size()) {
    if (b == other.groups.size() || (a < into.groups.size() && into.groups[a].group < other.groups[b].group)) {
      merged.push_back(std::move(into.groups[a++]));
    } else if (a == into.groups.size() || other.groups[b].group < into.groups[a].group) {
      merged.push_back(other.groups[b++]);
    } else {
      CohortGroup g = std::move(into.groups[a++]);
      add_cohort_list(g.cohorts, other.groups[b++].cohorts);
      merged.push_back(std::move(g));
    }
  }
  into.groups = std::move(merged);
}

CohortTable roll_up_cohorts(const CohortTable& monthly, YearMonth first, YearMonth last,
                            const CohortOptions& options) {
  CohortTable table;
  table.options = options;
  const int g = months_in(options.grain);
  const std::int32_t first_period = first.index / g;
  const auto period_count = static_cast<std::size_t>(last.index / g - first_period + 1);
  for (std::size_t p = 0; p < period_count; ++p) {
    const std::int32_t begin = std::max(first.index, (first_period + static_cast<std::int32_t>(p)) * g);
    const std::int32_t end = std::min(last.index, (first_period + static_cast<std::int32_t>(p) + 1) * g - 1);
    table.months_covered.push_back(end - begin + 1);
  }
  table.cohorts = roll_up_list(monthly.cohorts, first.index, last.index, g);
  for (const CohortGroup& group : monthly.groups) {
    table.groups.push_back({group.group, roll_up_list(group.cohorts, first.index, last.index, g)});
  }
  derive_cohort_rates(table);
  return table;
}

std::uint64_t shard_hash(std::string_view id) noexcept {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace csm
