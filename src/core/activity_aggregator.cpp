#include "csm/activity_aggregator.hpp"

#include <algorithm>

namespace csm {
namespace {

constexpr std::uint64_t kMonthMask = (1ull << 17) - 1;

// Months are stored relative to year 1 so that every valid YearMonth fits in 17 bits.
constexpr std::int32_t kFirstMonthIndex = 12;  // 0001-01

}  // namespace

ActivityAggregator::ActivityAggregator() = default;

ActivityAggregator::MonthTotals& ActivityAggregator::totals_for(YearMonth month) {
  if (months_.empty()) {
    months_base_ = month.index;
    months_.resize(1);
  } else if (month.index < months_base_) {
    const auto extra = static_cast<std::size_t>(months_base_ - month.index);
    months_.insert(months_.begin(), extra, MonthTotals{});
    months_base_ = month.index;
  } else if (static_cast<std::size_t>(month.index - months_base_) >= months_.size()) {
    months_.resize(static_cast<std::size_t>(month.index - months_base_) + 1);
  }
  return months_[static_cast<std::size_t>(month.index - months_base_)];
}

void ActivityAggregator::add(const ActivityRecord& record) {
  const std::uint32_t customer = customers_.intern(record.customer_id);
  const auto month_offset = static_cast<std::uint64_t>(record.period.index - kFirstMonthIndex);
  log_.push_back(Entry{(static_cast<std::uint64_t>(customer) << kMonthBits) | month_offset,
                       record.revenue});
  if (log_.size() >= 2 * compacted_size_ + (1u << 20)) compact();

  ++stats_.records;
  if (record.revenue == 0) ++stats_.zero_revenue_records;
  if (!stats_.first || record.period < *stats_.first) stats_.first = record.period;
  if (!stats_.last || record.period > *stats_.last) stats_.last = record.period;

  if (record.csat != 0 || record.acquisition_cost) {
    MonthTotals& totals = totals_for(record.period);
    if (record.csat >= 1 && record.csat <= 5) ++totals.csat_by_score[record.csat - 1];
    if (record.acquisition_cost) {
      totals.acquisition_cost += *record.acquisition_cost;
      stats_.has_acquisition_cost = true;
    }
  }
}

void ActivityAggregator::compact() {
  std::sort(log_.begin(), log_.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key; });
  std::size_t out = 0;
  for (std::size_t i = 0; i < log_.size(); ++i) {
    if (out > 0 && log_[out - 1].key == log_[i].key) {
      const auto sum = checked_add(log_[out - 1].revenue, log_[i].revenue);
      if (!sum) {
        const auto customer = static_cast<std::uint32_t>(log_[i].key >> kMonthBits);
        const YearMonth month{static_cast<std::int32_t>(log_[i].key & kMonthMask) +
                              kFirstMonthIndex};
        throw RevenueOverflow("customer " + std::string(customers_.id(customer)) + ", " +
                              to_string(month) + ": the month's revenue sum exceeds " +
                              format_money(kMaxMoney));
      }
      log_[out - 1].revenue = *sum;
    } else {
      log_[out++] = log_[i];
    }
  }
  log_.resize(out);
  compacted_size_ = out;
}

void ActivityAggregator::merge(ActivityAggregator&& other) {
  std::vector<std::uint32_t> remap(other.customers_.size());
  for (std::uint32_t i = 0; i < remap.size(); ++i) remap[i] = customers_.intern(other.customers_.id(i));
  log_.reserve(log_.size() + other.log_.size());
  for (const Entry& e : other.log_) {
    const std::uint64_t customer = remap[e.key >> kMonthBits];
    log_.push_back(Entry{(customer << kMonthBits) | (e.key & kMonthMask), e.revenue});
  }
  if (!other.months_.empty()) {
    for (std::size_t i = 0; i < other.months_.size(); ++i) {
      const MonthTotals& from = other.months_[i];
      MonthTotals& to = totals_for(YearMonth{other.months_base_ + static_cast<std::int32_t>(i)});
      for (int s = 0; s < 5; ++s) to.csat_by_score[s] += from.csat_by_score[s];
      to.acquisition_cost += from.acquisition_cost;
    }
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
  other = ActivityAggregator();
}

std::vector<PeriodMetrics> ActivityAggregator::finish(const MetricOptions& options) {
  compact();
  stats_.customers = customers_.size();
  stats_.customer_months = log_.size();
  std::vector<PeriodMetrics> periods;
  if (!stats_.first) return periods;

  const std::int32_t first = stats_.first->index;
  const std::int32_t last = stats_.last->index;
  const auto count = static_cast<std::size_t>(last - first + 1);
  periods.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    PeriodMetrics& m = periods[i];
    m.period = YearMonth{first + static_cast<std::int32_t>(i)};
    m.customers_start = m.churned_customers = m.new_customers = m.reactivated_customers = 0;
    m.customers_end = m.expanded_customers = m.contracted_customers = 0;
    m.mrr_start = m.mrr_end = m.new_mrr = m.reactivation_mrr = 0;
    m.expansion_mrr = m.contraction_mrr = m.churned_mrr = 0;
  }
  auto at = [&](std::int32_t month_index) -> PeriodMetrics& {
    return periods[static_cast<std::size_t>(month_index - first)];
  };

  // One walk over each customer's active months, in month order. Each active month p decides the
  // customer's role in p (new, reactivated, retained) and in p + 1 (retained or churned).
  std::size_t i = 0;
  while (i < log_.size()) {
    const std::uint64_t customer = log_[i].key >> kMonthBits;
    std::int32_t prev_month = 0;
    Money prev_revenue = 0;
    bool seen_active = false;
    for (; i < log_.size() && (log_[i].key >> kMonthBits) == customer; ++i) {
      const Money revenue = log_[i].revenue;
      if (revenue <= 0) continue;
      const std::int32_t month = static_cast<std::int32_t>(log_[i].key & kMonthMask) + kFirstMonthIndex;
      PeriodMetrics& m = at(month);
      ++*m.customers_end;
      *m.mrr_end += revenue;
      if (!seen_active) {
        ++*m.new_customers;
        *m.new_mrr += revenue;
      } else if (prev_month == month - 1) {
        if (revenue > prev_revenue) {
          ++*m.expanded_customers;
          *m.expansion_mrr += revenue - prev_revenue;
        } else if (revenue < prev_revenue) {
          ++*m.contracted_customers;
          *m.contraction_mrr += prev_revenue - revenue;
        }
      } else {
        ++*m.reactivated_customers;
        *m.reactivation_mrr += revenue;
        PeriodMetrics& gone = at(prev_month + 1);  // churned the month after its last active one
        ++*gone.churned_customers;
        *gone.churned_mrr += prev_revenue;
      }
      if (month < last) {
        PeriodMetrics& next = at(month + 1);
        ++*next.customers_start;
        *next.mrr_start += revenue;
      }
      seen_active = true;
      prev_month = month;
      prev_revenue = revenue;
    }
    if (seen_active && prev_month < last) {
      PeriodMetrics& gone = at(prev_month + 1);
      ++*gone.churned_customers;
      *gone.churned_mrr += prev_revenue;
    }
  }

  for (PeriodMetrics& m : periods) {
    const std::int64_t offset = m.period.index - months_base_;
    const MonthTotals* totals = (!months_.empty() && offset >= 0 &&
                                 static_cast<std::size_t>(offset) < months_.size())
                                    ? &months_[static_cast<std::size_t>(offset)]
                                    : nullptr;
    std::int64_t responses = 0;
    std::int64_t satisfied = 0;
    if (totals) {
      for (int score = 1; score <= 5; ++score) {
        const auto n = static_cast<std::int64_t>(totals->csat_by_score[score - 1]);
        responses += n;
        if (score >= options.csat_threshold) satisfied += n;
      }
    }
    m.csat_responses = responses;
    m.csat_satisfied = satisfied;
    if (stats_.has_acquisition_cost) m.acquisition_cost = totals ? totals->acquisition_cost : 0;
    derive_rates(m, options);
  }
  return periods;
}

}  // namespace csm
