#pragma once
/// Subscription records (one row per subscription, with a start and an optional end date) turned
/// into the activity records of the months each subscription is active in, so that every metric
/// of the activity input applies to them unchanged.
///
/// The convention (docs/metrics.md, "Subscription records"): a subscription is active in a month
/// when it is active on the month's last day, i.e. start_date <= last day and (no end_date, or
/// end_date > last day). end_date is the first day it is no longer active. So the active months
/// are month(start_date) .. month(end_date) - 1, and a subscription that starts and ends in the
/// same month is active in none.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_sink.hpp"
#include "csm/decimal.hpp"
#include "csm/month.hpp"

namespace csm {

/// One subscription (one input row). The views are valid only until the next record.
struct SubscriptionRecord {
  std::string_view customer_id;
  Date start;
  std::optional<Date> end;                ///< exclusive; nullopt = still active
  Money mrr = 0;                          ///< >= 0, monthly recurring revenue
  std::optional<Money> acquisition_cost;  ///< booked in the start month
  std::string_view segment;               ///< empty = none
};

/// What the expansion saw, for the "input" member of the output.
struct SubscriptionStats {
  std::uint64_t subscriptions = 0;
  std::uint64_t zero_mrr = 0;   ///< subscriptions with mrr 0
  std::uint64_t open = 0;       ///< subscriptions without an end_date
  std::uint64_t never_active = 0;  ///< active on no month's last day (in the range)
  std::uint64_t outside = 0;  ///< starting after --until or ended before --since: left out
};

/// Feeds an ActivityAggregator (or any ActivitySink, e.g. the at-risk history) with one record per
/// (subscription, active month). Subscriptions
/// with an end date (or all of them, when `until` is given) are expanded as they arrive; open ones
/// wait, compactly (about 48 bytes plus the id and segment each), until finish() knows where the
/// range ends.
class SubscriptionExpander {
 public:
  /// `until`: the last month of the range; without it, the latest month of any start_date or
  /// end_date.
  SubscriptionExpander(ActivityAggregator& out, std::optional<YearMonth> until);
  SubscriptionExpander(ActivitySink& out, std::optional<YearMonth> until);

  /// The most months the range may span: every open subscription costs one entry per month of
  /// it, so a mistyped year (2925) must not turn into centuries of entries.
  static constexpr std::int32_t kMaxRangeMonths = 1200;

  /// Why taking `record` would make the range longer than kMaxRangeMonths, naming the field that
  /// does it ("start_date" or "end_date"), or nullopt when it is fine. The reader asks first.
  std::optional<std::pair<const char*, std::string>> range_problem(
      const SubscriptionRecord& record) const;

  /// Take one subscription (end, when given, must not be before start, and range_problem() must
  /// be empty: the reader checks).
  void add(const SubscriptionRecord& record);

  /// --since: months before `since` are left out (a subscription that ended before it leaves no
  /// trace). Call before the first add().
  void set_since(YearMonth since) noexcept { since_ = since; }
  /// Expand the waiting open subscriptions and set the aggregator's range of months. Throws
  /// std::invalid_argument when `until` is before every start month, unless `allow_empty_range`
  /// (a customer shard of `compute --emit-state`, whose subscriptions may all start later while
  /// other shards' do not).
  void finish(bool allow_empty_range = false);

  const SubscriptionStats& stats() const noexcept { return stats_; }

 private:
  void expand(std::string_view customer, YearMonth start, YearMonth last_active, Money mrr,
              std::optional<Money> acquisition_cost, std::string_view segment);

  struct Waiting {
    std::uint64_t text;  // offset of the id in text_, the segment right after it
    std::uint32_t id_length;
    std::uint32_t segment_length;
    YearMonth start;
    Money mrr;
    std::optional<Money> acquisition_cost;
  };

  void emit(const ActivityRecord& row) {
    if (aggregator_ != nullptr) {
      aggregator_->add(row);
    } else {
      sink_->add(row);
    }
  }

  ActivityAggregator* aggregator_ = nullptr;  // one of the two is set
  ActivitySink* sink_ = nullptr;
  std::optional<YearMonth> until_;
  std::optional<YearMonth> since_;
  std::optional<YearMonth> first_;  // earliest start month (within until)
  std::optional<YearMonth> last_;   // latest start or end month
  std::vector<Waiting> waiting_;
  std::string text_;
  SubscriptionStats stats_;
};

}  // namespace csm
