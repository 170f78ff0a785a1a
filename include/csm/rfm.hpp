#pragma once
/// From transactions to the per-customer summary the "buy 'til you die" models use: x (repeat
/// purchase occasions), t_x (recency), T (age) and the mean repeat spend. Rows arrive one at a
/// time, in any order; the result does not depend on the order.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/month.hpp"
#include "csm/record.hpp"

namespace csm {

/// The unit in which t_x, T and horizons are expressed.
enum class TimeUnit : std::uint8_t { day, week, month };

/// Days in one unit: 1, 7, or 365.25 / 12 = 30.4375 (a month is an average Julian month).
double days_per_unit(TimeUnit unit) noexcept;
/// "day", "week", "month".
std::string_view to_string(TimeUnit unit) noexcept;

/// One customer's summary at the end of the calibration period.
struct RfmCustomer {
  std::string customer_id;
  Date first;                ///< first purchase occasion (<= end)
  Date last;                 ///< last purchase occasion <= end
  std::uint32_t x = 0;       ///< repeat occasions <= end: distinct purchase days - 1
  double t_x = 0;            ///< (last - first) in units
  double T = 0;              ///< (end - first) in units
  MoneySum repeat_amount = 0;      ///< summed amounts of the repeat occasions
  std::optional<double> monetary;  ///< repeat_amount / x; nullopt when x = 0
  std::uint32_t holdout_x = 0;     ///< occasions in (end, holdout_end]; 0 without a holdout
};

/// A customer's history in periods (BG/BB from transactions, `predict --model bg-bb --unit`):
/// x = periods with a purchase after the first one, t_x = the last such period counted from the
/// first (0 when x = 0), n = the period of the end counted from the first.
struct PeriodHistory {
  std::uint32_t x = 0;
  std::uint32_t t_x = 0;
  std::uint32_t n = 0;
};

/// The summary of every customer whose first purchase is on or before `end`.
struct RfmSummary {
  TimeUnit unit = TimeUnit::week;
  Date end;
  std::optional<Date> holdout_end;
  std::vector<RfmCustomer> customers;    ///< ordered by customer_id (bytewise)
  std::uint64_t transactions = 0;        ///< rows read
  std::uint64_t transactions_used = 0;   ///< rows dated on or before end
  std::uint64_t excluded_customers = 0;  ///< customers whose first purchase is after end
  std::uint64_t customers_with_repeats = 0;  ///< customers with x > 0
  std::uint64_t repeat_occasions = 0;        ///< sum of x
  std::uint64_t holdout_occasions = 0;       ///< sum of holdout_x
  /// With a holdout: per whole unit i after end (i = 0, 1, ...), the occasions of the summarised
  /// customers in (end + i units, end + (i + 1) units], clipped at holdout_end.
  std::vector<std::uint64_t> holdout_series;
  /// With a holdout: the repeat occasions of the summarised customers per week, over the
  /// calibration and the holdout (the tracking chart of the papers). Weeks end on `end` and every
  /// 7 days before and after it: weekly_repeats[i] counts the occasions in the week that ends
  /// 7 * (first_week + i) days after `end`, i.e. in (end + 7 (first_week + i) - 7, end + 7
  /// (first_week + i)], the last clipped at holdout_end. first_week (<= 0) is the week of the
  /// earliest first purchase.
  std::int32_t first_week = 0;
  std::vector<std::uint64_t> weekly_repeats;
  /// The latest date of any transaction read (also those after the end or the holdout);
  /// nullopt when there were none.
  std::optional<Date> last_transaction;
  /// With RfmAccumulator::count_periods: each customer's PeriodHistory, in the order of
  /// `customers`; empty otherwise.
  std::vector<PeriodHistory> periods;
};

/// Per-customer accumulation. Each row goes to a log of 16-byte entries (customer index, day,
/// amount) split into 64 buckets by customer; finish() sorts each bucket by (customer, day) and
/// walks it once, so the result does not depend on the row order. While reading, a bucket log
/// is compacted (same customer and day summed into one entry) whenever the log has doubled since
/// the last compaction (first at kFirstCompaction entries): memory is 16 bytes per row up to
/// that point, and after it 16 bytes per distinct (customer, day) plus at most as much again.
class RfmAccumulator {
 public:
  /// Log entries held before the first compaction (16 bytes each: 256 MiB).
  static constexpr std::size_t kFirstCompaction = std::size_t{16} << 20;

  /// Purchases after `holdout_end` (or after `end` without a holdout) are counted and ignored.
  explicit RfmAccumulator(Date end, std::optional<Date> holdout_end = std::nullopt);
  RfmAccumulator(RfmAccumulator&&) noexcept;
  RfmAccumulator& operator=(RfmAccumulator&&) noexcept;
  ~RfmAccumulator();

  void add(const TransactionRecord& record);
  /// Combine another accumulator with the same dates (for readers that split the input).
  void merge(RfmAccumulator&& other);
  std::uint64_t records() const noexcept;
  /// Compact the log first at `entries` entries instead of kFirstCompaction (tests use a few).
  void compact_after(std::size_t entries) noexcept;
  Date end() const noexcept { return end_; }
  std::optional<Date> holdout_end() const noexcept { return holdout_end_; }

  /// The summary in `unit`, sorting and walking the buckets on up to `threads` threads (the
  /// result is the same with any number). Call once.
  RfmSummary finish(TimeUnit unit, unsigned threads = 1);
  /// Make finish() also fill RfmSummary::periods. `period_of` numbers the period of a day
  /// (consecutive periods differ by one, never decreasing with the day); called from several
  /// threads at once.
  void count_periods(std::function<std::int32_t(std::int32_t day)> period_of) {
    period_of_ = std::move(period_of);
  }

 private:
  friend class RfmShards;
  struct Impl;
  Date end_;
  std::optional<Date> holdout_end_;
  std::unique_ptr<Impl> impl_;
  // Parts filled by other threads whose customers are disjoint from impl_'s and each other's
  // (RfmShards): finish() walks them side by side instead of merging their ids.
  std::vector<std::unique_ptr<Impl>> disjoint_;
  std::function<std::int32_t(std::int32_t)> period_of_;  ///< count_periods
};

/// Several threads feeding one summary at once. Each customer belongs to one shard (by the hash
/// of its id): a thread adds rows through its own shard, which keeps the rows of its own
/// customers and passes the others to their shards in batches. The shards so hold disjoint
/// customers, and combine at the end without interning any id twice.
class RfmShards {
 public:
  RfmShards(unsigned count, Date end, std::optional<Date> holdout_end);
  ~RfmShards();
  RfmShards(const RfmShards&) = delete;
  RfmShards& operator=(const RfmShards&) = delete;

  /// Take a row in the thread of `shard` (each thread uses only its own shard number).
  void add(unsigned shard, const TransactionRecord& record);
  /// Take in the rows other threads passed to `shard`; call now and then from its thread.
  void receive(unsigned shard);
  /// The thread of `shard` has no more rows (or stopped on an error): pass on what it holds,
  /// then take in rows until every thread has finished.
  void finish(unsigned shard);
  /// Every shard's rows as one accumulator, once every thread has finished.
  RfmAccumulator take();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csm
