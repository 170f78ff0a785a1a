#pragma once
/// From activity records to monthly metrics. Records arrive one at a time, in any order; memory
/// grows with distinct customers and customer-months, not with rows. Sums are exact integers, so
/// the result does not depend on the order of the rows, and two aggregators fed different parts of
/// the input can be merged into the same result as one fed everything.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "csm/customer_index.hpp"
#include "csm/cohorts.hpp"
#include "csm/decimal.hpp"
#include "csm/grain.hpp"
#include "csm/group_metrics.hpp"
#include "csm/month.hpp"
#include "csm/movements.hpp"
#include "csm/period_metrics.hpp"
#include "csm/record.hpp"

namespace csm {

struct ActivityRaw;  // csm/activity_state.hpp

/// What went into the metrics, for the "input" member of the output.
struct ActivityStats {
  std::uint64_t records = 0;
  std::uint64_t zero_revenue_records = 0;
  std::uint64_t customers = 0;         ///< distinct customer ids, active or not
  std::uint64_t customer_months = 0;   ///< distinct (customer, month) pairs with rows
  std::optional<YearMonth> first;      ///< earliest period of any row
  std::optional<YearMonth> last;       ///< latest period of any row
  bool has_acquisition_cost = false;   ///< some row carried an acquisition_cost value
  bool has_nps = false;                ///< the input has an nps column (ActivityRecord::nps_column)
};

/// A (customer, month) whose summed revenue does not fit in a Money.
/// It names the customer and month, so that the caller can find the row that crossed the limit.
class RevenueOverflow : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  RevenueOverflow(const std::string& message, std::string_view customer, YearMonth month)
      : std::runtime_error(message), customer_(customer), month_(month) {}
  /// The customer and month, when the sum is one customer's month (empty otherwise).
  const std::string& customer() const noexcept { return customer_; }
  std::optional<YearMonth> month() const noexcept { return month_; }

 private:
  std::string customer_;
  std::optional<YearMonth> month_;
};

/// More distinct group values than a grouped aggregation can tell apart.
class TooManyGroups : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class ActivityAggregator {
 public:
  /// Distinct values of the grouping column a grouped aggregation takes.
  static constexpr std::uint32_t kMaxGroups = std::uint32_t{1} << 14;

  ActivityAggregator();
  ActivityAggregator(ActivityAggregator&&) noexcept;
  ActivityAggregator& operator=(ActivityAggregator&&) noexcept;
  ~ActivityAggregator();

  /// Take one record. May throw RevenueOverflow (see finish()) when it compacts its log, and
  /// std::length_error past CustomerIndex::kMaxCustomers.
  void add(const ActivityRecord& record);
  /// The same, given CustomerIndex::hash(record.customer_id) (a reader that hashed it already).
  void add(const ActivityRecord& record, std::uint64_t customer_hash);

  /// Fold in everything `other` has taken; the result is as if this one had taken it all. Cheap:
  /// the work of combining is done by finish(), on all cores.
  void merge(ActivityAggregator&& other);

  /// The months run at least from `first` to `last`, rows or not (for inputs whose range is not
  /// only the months of their rows, such as subscriptions that ended).
  void extend_range(YearMonth first, YearMonth last) noexcept;

  /// The metrics of every month from the first to the last, continuously. Uses up to `threads`
  /// threads. Throws RevenueOverflow when a customer's monthly revenue sum exceeds kMaxMoney.
  std::vector<PeriodMetrics> finish(const MetricOptions& options, unsigned threads = 1);

  /// The counts and sums finish() makes its metrics of (csm/activity_state.hpp), for a partial
  /// state or a roll-up to `grain` (which also counts the period-end snapshots of that grain);
  /// the cohorts too, with collect_cohorts(). Call instead of finish(), not with it.
  ActivityRaw finish_raw(unsigned threads = 1, Grain grain = Grain::month);

  /// Valid after finish().
  const ActivityStats& stats() const noexcept { return stats_; }

  /// Also compute the metrics per group, a group being the records' `segment` (the column chosen
  /// with --by). Call before the first add(). A customer-month belongs to the group of its rows
  /// with the largest revenue that month (ties: the smallest group name). Throws TooManyGroups
  /// from add() past kMaxGroups distinct values.
  void group_by_segment();
  bool grouped() const noexcept { return grouping_ != nullptr; }
  /// After finish() of a grouped aggregation: every group, sorted by name (byte order).
  std::vector<GroupPeriods> take_groups();

  /// Also build the cohort table in finish() (any time before finish()).
  void collect_cohorts(const CohortOptions& options);
  /// After finish() with collect_cohorts(): the cohorts.
  CohortTable take_cohorts();

  /// Also list the movements of each customer in finish() / finish_raw() (any time before):
  /// the lines of `csm-metrics movements`, from the walk that counts the metrics (with groups,
  /// grouped, with moves). Their grain is options.grain, whatever finish_raw's.
  void collect_movements(const MovementOptions& options);
  /// After finish() or finish_raw() with collect_movements(): the movements.
  MovementList take_movements();

  /// Bytes held per customer-month (one log entry), for docs/performance.md.
  static constexpr std::size_t kBytesPerCustomerMonth = 16;

 private:
  // Everything one stream of records has taken: its own customer index and its row log
  // (src/core/activity_log.hpp). Logs fed by different threads are combined only in finish().
  struct RevenueLog;
  struct MonthTotals {
    std::uint64_t csat_by_score[5] = {0, 0, 0, 0, 0};
    MoneySum acquisition_cost = 0;
    std::uint64_t nps[3] = {0, 0, 0};  // promoters, passives, detractors
  };

  MonthTotals& totals_for(YearMonth month);
  // The record's share of stats_ and months_ (and of its group's totals); returns the key its
  // revenue is logged under: the month index, or with groups the month and the group id.
  std::int32_t count(const ActivityRecord& record);
  friend class ActivityShards;
  struct Grouping;  // groups: ids, the totals by group and month, the result
  std::unique_ptr<Grouping> grouping_;
  std::unique_ptr<CohortTable> cohorts_;  // requested and, after finish(), filled
  std::unique_ptr<MovementOptions> movement_options_;  // requested
  MovementList movements_;                              // after finish()

  std::vector<std::unique_ptr<RevenueLog>> parts_;  // parts_[0] takes add()
  std::vector<MonthTotals> months_;           // index = month.index - months_base_
  std::int32_t months_base_ = 0;
  ActivityStats stats_;
};

/// Several threads feeding one aggregation at once. Each customer belongs to one shard (by the
/// hash of its id). A thread adds records through its own shard, which keeps the rows of its own
/// customers and passes the others to their shards in batches; so the shards hold disjoint
/// customers and combine at the end without merging any (ActivityAggregator::merge, finish).
class ActivityShards {
 public:
  /// With `like` grouped, the shards group too (and share its group ids).
  explicit ActivityShards(unsigned count, const ActivityAggregator* like = nullptr);
  ~ActivityShards();
  ActivityShards(const ActivityShards&) = delete;
  ActivityShards& operator=(const ActivityShards&) = delete;

  /// Take a record in the thread of `shard` (each thread uses only its own shard number).
  void add(unsigned shard, const ActivityRecord& record);
  /// The same, given CustomerIndex::hash(record.customer_id) (a reader that hashed it already).
  void add(unsigned shard, const ActivityRecord& record, std::uint64_t customer_hash);
  /// Take in the rows other threads passed to `shard`; call now and then from its thread.
  void receive(unsigned shard);
  /// The thread of `shard` has no more records (or stopped on an error): pass on what it holds,
  /// then take in rows until every thread has finished.
  void finish(unsigned shard);
  /// Shard `shard`'s aggregator, once every thread has finished.
  ActivityAggregator take(unsigned shard);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csm
