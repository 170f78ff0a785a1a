#include "csm/rfm.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>

namespace csm {

double days_per_unit(TimeUnit unit) noexcept {
  switch (unit) {
    case TimeUnit::day:
      return 1.0;
    case TimeUnit::week:
      return 7.0;
    case TimeUnit::month:
      return 365.25 / 12.0;
  }
  return 1.0;
}

std::string_view to_string(TimeUnit unit) noexcept {
  switch (unit) {
    case TimeUnit::day:
      return "day";
    case TimeUnit::week:
      return "week";
    case TimeUnit::month:
      return "month";
  }
  return "?";
}

RfmAccumulator::RfmAccumulator(Date end, std::optional<Date> holdout_end)
    : end_(end),
      holdout_end_(holdout_end),
      limit_(holdout_end && holdout_end->days > end.days ? holdout_end->days : end.days) {}

std::span<const std::int32_t> RfmAccumulator::days_of(const State& state) const {
  if (state.day_count <= kInlineDays) return {state.day, state.day_count};
  const std::vector<std::int32_t>& days = days_[static_cast<std::size_t>(state.day[0])];
  return {days.data(), days.size()};
}

void RfmAccumulator::insert_day(State& state, std::int32_t day) {
  if (state.day_count <= kInlineDays) {
    std::int32_t* begin = state.day;
    std::int32_t* end = state.day + state.day_count;
    // Sorted input appends; other orders insert in place.
    std::int32_t* at = std::lower_bound(begin, end, day);
    if (at != end && *at == day) return;
    if (state.day_count < kInlineDays) {
      std::copy_backward(at, end, end + 1);
      *at = day;
      ++state.day_count;
      return;
    }
    // The 7th distinct day: move them all to a side array.
    std::vector<std::int32_t> all(begin, end);
    all.insert(all.begin() + (at - begin), day);
    state.day[0] = static_cast<std::int32_t>(days_.size());
    days_.push_back(std::move(all));
    state.day_count = kInlineDays + 1;
    return;
  }
  std::vector<std::int32_t>& days = days_[static_cast<std::size_t>(state.day[0])];
  if (day > days.back()) {
    days.push_back(day);
  } else {
    const auto at = std::lower_bound(days.begin(), days.end(), day);
    if (*at == day) return;
    days.insert(at, day);
  }
  ++state.day_count;
}

void RfmAccumulator::apply(const Interned& row) {
  State& state = states_[row.customer];
  if (row.day <= end_.days) {
    ++used_;
    state.total += row.amount;
    if (row.day < state.first) {
      state.first = row.day;
      state.first_amount = row.amount;
    } else if (row.day == state.first) {
      state.first_amount += row.amount;
    }
  }
  if (row.day <= limit_) insert_day(state, row.day);
}

void RfmAccumulator::take(Pending& p) {
  const std::uint32_t i = index_.intern(p.id, p.hash);
  if (i == states_.size()) states_.emplace_back();
  __builtin_prefetch(&states_[i], 1);
  if (interned_count_ == kStates) {
    apply(interned_[interned_next_]);
    interned_next_ = (interned_next_ + 1) % kStates;
    --interned_count_;
  }
  interned_[(interned_next_ + interned_count_) % kStates] = {i, p.day, p.amount};
  ++interned_count_;
}

void RfmAccumulator::flush() {
  while (queued_ > 0) {
    take(queue_[next_]);
    next_ = (next_ + 1) % kQueue;
    --queued_;
  }
  while (interned_count_ > 0) {
    apply(interned_[interned_next_]);
    interned_next_ = (interned_next_ + 1) % kStates;
    --interned_count_;
  }
}

void RfmAccumulator::add(const TransactionRecord& record) {
  ++records_;
  if (queued_ == kQueue) {
    take(queue_[next_]);
    next_ = (next_ + 1) % kQueue;
    --queued_;
  }
  Pending& p = queue_[(next_ + queued_) % kQueue];
  p.id.assign(record.customer_id);
  p.hash = CustomerIndex::hash(p.id);
  index_.prefetch(p.hash);
  p.day = record.date.days;
  p.amount = record.amount;
  ++queued_;
}

void RfmAccumulator::merge(RfmAccumulator&& other) {
  flush();
  other.flush();
  records_ += other.records_;
  used_ += other.used_;
  for (std::uint32_t j = 0; j < other.states_.size(); ++j) {
    const std::uint32_t i = index_.intern(other.index_.id(j));
    if (i == states_.size()) states_.emplace_back();
    State& to = states_[i];
    const State& from = other.states_[j];
    to.total += from.total;
    if (from.first < to.first) {
      to.first = from.first;
      to.first_amount = from.first_amount;
    } else if (from.first == to.first && from.first != INT32_MAX) {
      to.first_amount += from.first_amount;
    }
    const std::span<const std::int32_t> theirs = other.days_of(from);
    if (theirs.size() <= 2) {
      for (const std::int32_t day : theirs) insert_day(to, day);
      continue;
    }
    // Many days: one sorted union instead of an insertion per day.
    const std::span<const std::int32_t> ours = days_of(to);
    std::vector<std::int32_t> both;
    both.reserve(ours.size() + theirs.size());
    std::set_union(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(both));
    const auto count = static_cast<std::uint32_t>(both.size());
    if (count <= kInlineDays) {
      std::copy(both.begin(), both.end(), to.day);
    } else if (to.day_count > kInlineDays) {
      days_[static_cast<std::size_t>(to.day[0])] = std::move(both);
    } else {
      to.day[0] = static_cast<std::int32_t>(days_.size());
      days_.push_back(std::move(both));
    }
    to.day_count = count;
  }
  other = RfmAccumulator(end_, holdout_end_);
}

RfmSummary RfmAccumulator::finish(TimeUnit unit) {
  RfmSummary out;
  out.unit = unit;
  out.end = end_;
  out.holdout_end = holdout_end_;
  flush();
  out.transactions = records_;
  out.transactions_used = used_;
  const double per_unit = days_per_unit(unit);

  // Customers in bytewise id order, so that any row order gives the same output. The first 8
  // bytes, big-endian, decide most comparisons without touching the ids.
  struct Key {
    std::uint64_t head;
    std::uint32_t index;
  };
  std::vector<std::string_view> ids(states_.size());
  std::vector<Key> keys(states_.size());
  for (std::uint32_t i = 0; i < ids.size(); ++i) {
    ids[i] = index_.id(i);
    std::uint64_t head = 0;
    for (std::size_t b = 0; b < 8; ++b) {
      head = (head << 8) | (b < ids[i].size() ? static_cast<unsigned char>(ids[i][b]) : 0u);
    }
    keys[i] = {head, i};
  }
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    if (a.head != b.head) return a.head < b.head;
    return ids[a.index] < ids[b.index];
  });
  std::vector<std::uint32_t> order(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) order[i] = keys[i].index;
  std::vector<Key>().swap(keys);

  const std::int32_t series_end = holdout_end_ ? std::max(limit_, end_.days) : end_.days;
  if (holdout_end_ && series_end > end_.days) {
    const auto units = static_cast<std::size_t>(
        std::ceil(static_cast<double>(series_end - end_.days) / per_unit));
    out.holdout_series.assign(units, 0);
  }

  out.customers.reserve(states_.size());
  for (const std::uint32_t i : order) {
    const State& s = states_[i];
    if (s.first == INT32_MAX) {
      ++out.excluded_customers;
      continue;
    }
    RfmCustomer c;
    c.customer_id = std::string(index_.id(i));
    const std::span<const std::int32_t> days = days_of(s);
    const auto calibration_end = std::upper_bound(days.begin(), days.end(), end_.days);
    const auto occasions = static_cast<std::uint32_t>(calibration_end - days.begin());
    c.first = Date{s.first};
    c.last = Date{*(calibration_end - 1)};
    c.x = occasions - 1;
    c.t_x = static_cast<double>(c.last.days - c.first.days) / per_unit;
    c.T = static_cast<double>(end_.days - c.first.days) / per_unit;
    c.repeat_amount = s.total - s.first_amount;
    if (c.x > 0) c.monetary = to_double(c.repeat_amount) / static_cast<double>(c.x);
    for (auto d = calibration_end; d != days.end(); ++d) {
      ++c.holdout_x;
      // Unit i holds the days in (end + i units, end + (i + 1) units].
      const double offset = static_cast<double>(*d - end_.days) / per_unit;
      auto bucket = static_cast<std::size_t>(std::ceil(offset)) - 1;
      if (bucket >= out.holdout_series.size()) bucket = out.holdout_series.size() - 1;
      ++out.holdout_series[bucket];
    }
    if (c.x > 0) ++out.customers_with_repeats;
    out.repeat_occasions += c.x;
    out.holdout_occasions += c.holdout_x;
    out.customers.push_back(std::move(c));
  }
  return out;
}

}  // namespace csm
