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

void RfmAccumulator::add_to(State& state, std::int32_t day, Money amount) {
  if (day <= end_.days) {
    ++used_;
    state.total += amount;
    if (day < state.first) {
      state.first = day;
      state.first_amount = amount;
    } else if (day == state.first) {
      state.first_amount += amount;
    }
  }
  if (day > limit_) return;
  // Sorted input appends; other orders insert in place (a customer has few purchase days).
  std::vector<std::int32_t>& days = state.days;
  if (days.empty() || day > days.back()) {
    days.push_back(day);
  } else if (day != days.back()) {
    const auto at = std::lower_bound(days.begin(), days.end(), day);
    if (*at != day) days.insert(at, day);
  }
}

void RfmAccumulator::add(const TransactionRecord& record) {
  ++records_;
  const std::uint32_t i = index_.intern(record.customer_id);
  if (i == states_.size()) states_.emplace_back();
  add_to(states_[i], record.date.days, record.amount);
}

void RfmAccumulator::merge(RfmAccumulator&& other) {
  records_ += other.records_;
  used_ += other.used_;
  for (std::uint32_t j = 0; j < other.states_.size(); ++j) {
    const std::uint32_t i = index_.intern(other.index_.id(j));
    if (i == states_.size()) {
      states_.push_back(std::move(other.states_[j]));
      continue;
    }
    State& to = states_[i];
    State& from = other.states_[j];
    to.total += from.total;
    if (from.first < to.first) {
      to.first = from.first;
      to.first_amount = from.first_amount;
    } else if (from.first == to.first && from.first != INT32_MAX) {
      to.first_amount += from.first_amount;
    }
    std::vector<std::int32_t> both;
    both.reserve(to.days.size() + from.days.size());
    std::set_union(to.days.begin(), to.days.end(), from.days.begin(), from.days.end(),
                   std::back_inserter(both));
    to.days = std::move(both);
  }
  other = RfmAccumulator(end_, holdout_end_);
}

RfmSummary RfmAccumulator::finish(TimeUnit unit) {
  RfmSummary out;
  out.unit = unit;
  out.end = end_;
  out.holdout_end = holdout_end_;
  out.transactions = records_;
  out.transactions_used = used_;
  const double per_unit = days_per_unit(unit);

  std::vector<std::uint32_t> order(states_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return index_.id(a) < index_.id(b); });

  const std::int32_t series_end = holdout_end_ ? std::max(limit_, end_.days) : end_.days;
  if (holdout_end_ && series_end > end_.days) {
    const auto units = static_cast<std::size_t>(
        std::ceil(static_cast<double>(series_end - end_.days) / per_unit));
    out.holdout_series.assign(units, 0);
  }

  out.customers.reserve(states_.size());
  for (const std::uint32_t i : order) {
    State& s = states_[i];
    if (s.first == INT32_MAX) {
      ++out.excluded_customers;
      continue;
    }
    RfmCustomer c;
    c.customer_id = std::string(index_.id(i));
    const auto calibration_end = std::upper_bound(s.days.begin(), s.days.end(), end_.days);
    const auto occasions = static_cast<std::uint32_t>(calibration_end - s.days.begin());
    c.first = Date{s.first};
    c.last = Date{*(calibration_end - 1)};
    c.x = occasions - 1;
    c.t_x = static_cast<double>(c.last.days - c.first.days) / per_unit;
    c.T = static_cast<double>(end_.days - c.first.days) / per_unit;
    c.repeat_amount = s.total - s.first_amount;
    if (c.x > 0) c.monetary = to_double(c.repeat_amount) / static_cast<double>(c.x);
    for (auto d = calibration_end; d != s.days.end(); ++d) {
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
    s = State{};  // free the days as we go
  }
  return out;
}

}  // namespace csm
