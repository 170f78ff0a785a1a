#pragma once
/// From transactions to the per-customer summary the "buy 'til you die" models use: x (repeat
/// purchase occasions), t_x (recency), T (age) and the mean repeat spend. Rows arrive one at a
/// time, in any order; the result does not depend on the order.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "csm/customer_index.hpp"
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
};

/// Per-customer accumulation. Memory: one 64-byte entry per customer plus the id, which holds up
/// to 6 distinct purchase days; a customer with more keeps all their days in a side array (4
/// bytes per distinct purchase day on or before the last date of interest). Nothing per row. The
/// days are kept because counting distinct days exactly in any row order needs them (a row may
/// repeat a day seen earlier).
class RfmAccumulator {
 public:
  /// Purchases after `holdout_end` (or after `end` without a holdout) are counted and ignored.
  explicit RfmAccumulator(Date end, std::optional<Date> holdout_end = std::nullopt);

  void add(const TransactionRecord& record);
  /// Combine another accumulator with the same dates (for readers that split the input).
  void merge(RfmAccumulator&& other);
  std::uint64_t records() const noexcept { return records_; }
  Date end() const noexcept { return end_; }
  std::optional<Date> holdout_end() const noexcept { return holdout_end_; }

  /// The summary in `unit`. Call once.
  RfmSummary finish(TimeUnit unit);

 private:
  static constexpr std::uint32_t kInlineDays = 6;
  // One cache line per customer.
  struct alignas(64) State {
    MoneySum total = 0;           // amounts dated <= end
    MoneySum first_amount = 0;    // amounts dated on `first`
    std::int32_t first = INT32_MAX;  // earliest day <= end; INT32_MAX = none
    std::uint32_t day_count = 0;     // distinct days <= limit
    // Ascending distinct days while day_count <= kInlineDays; else days_[day[0]] holds them.
    std::int32_t day[kInlineDays] = {};
  };
  // Rows wait in short queues between hashing their id (prefetching its slot), interning it
  // (prefetching the customer's entry) and updating the entry, so that several cache misses on
  // shuffled input are in flight at once.
  struct Pending {
    std::uint64_t hash = 0;
    std::int32_t day = 0;
    Money amount = 0;
    std::string id;
  };
  struct Interned {
    std::uint32_t customer = 0;
    std::int32_t day = 0;
    Money amount = 0;
  };
  static constexpr std::size_t kQueue = 16;
  static constexpr std::size_t kStates = 8;

  void take(Pending& p);
  void apply(const Interned& row);
  void flush();
  void insert_day(State& state, std::int32_t day);
  std::span<const std::int32_t> days_of(const State& state) const;

  Date end_;
  std::optional<Date> holdout_end_;
  std::int32_t limit_;
  CustomerIndex index_;
  std::vector<State> states_;
  std::vector<std::vector<std::int32_t>> days_;  // customers with more than kInlineDays days
  Pending queue_[kQueue];
  std::size_t queued_ = 0, next_ = 0;
  Interned interned_[kStates];
  std::size_t interned_count_ = 0, interned_next_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t used_ = 0;
};

}  // namespace csm
