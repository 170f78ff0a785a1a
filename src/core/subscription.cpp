#include "csm/subscription.hpp"

#include <algorithm>
#include <stdexcept>

namespace csm {

SubscriptionExpander::SubscriptionExpander(ActivityAggregator& out, std::optional<YearMonth> until)
    : aggregator_(&out), until_(until) {}

SubscriptionExpander::SubscriptionExpander(ActivitySink& out, std::optional<YearMonth> until)
    : sink_(&out), until_(until) {}

std::optional<std::pair<const char*, std::string>> SubscriptionExpander::range_problem(
    const SubscriptionRecord& record) const {
  const YearMonth start = month_of(record.start);
  if (until_ && start > *until_) return std::nullopt;  // left out
  YearMonth first = first_ ? std::min(*first_, start) : start;
  YearMonth last = until_ ? *until_ : (last_ ? std::max(*last_, start) : start);
  const char* field = "start_date";
  if (!until_ && record.end && month_of(*record.end) > last) {
    last = month_of(*record.end);
    field = "end_date";
  }
  if (first_ && start < *first_) field = "start_date";
  const std::int32_t span = last.index - first.index + 1;
  if (span <= kMaxRangeMonths) return std::nullopt;
  return std::make_pair(field, "the subscriptions would span " + std::to_string(span) +
                                   " months (" + to_string(first) + " to " + to_string(last) +
                                   "), more than the " + std::to_string(kMaxRangeMonths) +
                                   " supported; check the dates, or give --until");
}

void SubscriptionExpander::add(const SubscriptionRecord& record) {
  ++stats_.subscriptions;
  if (record.mrr == 0) ++stats_.zero_mrr;
  YearMonth start = month_of(record.start);
  // Past --until: not in the range at all.
  if (until_ && start > *until_) {
    ++stats_.outside;
    return;
  }
  std::optional<Money> acquisition_cost = record.acquisition_cost;
  if (since_ && start < *since_) {
    // Ended before --since (active on no month's last day from then on): no trace at all.
    if (record.end && month_of(*record.end).prev() < *since_) {
      ++stats_.outside;
      return;
    }
    start = *since_;
    acquisition_cost.reset();  // booked in its start month, which is left out
  }
  if (!first_ || start < *first_) first_ = start;
  if (!last_ || start > *last_) last_ = start;
  if (record.end) {
    const YearMonth end = month_of(*record.end);
    if (!until_ && end > *last_) last_ = end;
    YearMonth last_active = end.prev();
    if (until_ && last_active > *until_) last_active = *until_;
    expand(record.customer_id, start, last_active, record.mrr, acquisition_cost, record.segment);
    return;
  }
  ++stats_.open;
  if (until_) {
    expand(record.customer_id, start, *until_, record.mrr, acquisition_cost, record.segment);
    return;
  }
  // Open, and the end of the range is not known yet: keep it until finish().
  Waiting w{text_.size(), static_cast<std::uint32_t>(record.customer_id.size()),
            static_cast<std::uint32_t>(record.segment.size()), start, record.mrr,
            acquisition_cost};
  text_.append(record.customer_id);
  text_.append(record.segment);
  waiting_.push_back(w);
}

void SubscriptionExpander::expand(std::string_view customer, YearMonth start,
                                  YearMonth last_active, Money mrr,
                                  std::optional<Money> acquisition_cost, std::string_view segment) {
  ActivityRecord row;
  row.customer_id = customer;
  row.segment = segment;
  if (last_active < start) {
    // Active on no month's last day: one zero-revenue row, so that the customer is known and the
    // acquisition cost is booked in the start month.
    ++stats_.never_active;
    row.period = start;
    row.revenue = 0;
    row.acquisition_cost = acquisition_cost;
    emit(row);
    return;
  }
  for (YearMonth m = start; m <= last_active; m = m.next()) {
    row.period = m;
    row.revenue = mrr;
    row.acquisition_cost = m == start ? acquisition_cost : std::nullopt;
    emit(row);
  }
}

void SubscriptionExpander::finish(bool allow_empty_range) {
  const std::optional<YearMonth> last = until_ ? until_ : last_;
  if (!first_) {
    if (until_ && stats_.subscriptions > 0 && !allow_empty_range) {
      throw std::invalid_argument("--until " + to_string(*until_) +
                                  " is before the month of every start_date");
    }
    return;
  }
  for (const Waiting& w : waiting_) {
    const std::string_view id(text_.data() + w.text, w.id_length);
    const std::string_view segment(text_.data() + w.text + w.id_length, w.segment_length);
    expand(id, w.start, *last, w.mrr, w.acquisition_cost, segment);
  }
  std::vector<Waiting>().swap(waiting_);
  std::string().swap(text_);
  if (aggregator_ != nullptr) {
    aggregator_->extend_range(*first_, *last);
  } else {
    sink_->extend_range(*first_, *last);
  }
}

}  // namespace csm
