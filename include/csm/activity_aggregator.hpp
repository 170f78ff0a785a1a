#pragma once
/// From activity records to monthly metrics. Records arrive one at a time, in any order; memory
/// grows with distinct customers and customer-months, not with rows. Sums are exact integers, so
/// the result does not depend on the order of the rows, and two aggregators fed different parts of
/// the input can be merged into the same result as one fed everything.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "csm/customer_index.hpp"
#include "csm/decimal.hpp"
#include "csm/month.hpp"
#include "csm/period_metrics.hpp"
#include "csm/record.hpp"

namespace csm {

/// What went into the metrics, for the "input" member of the output.
struct ActivityStats {
  std::uint64_t records = 0;
  std::uint64_t zero_revenue_records = 0;
  std::uint64_t customers = 0;         ///< distinct customer ids, active or not
  std::uint64_t customer_months = 0;   ///< distinct (customer, month) pairs with rows
  std::optional<YearMonth> first;      ///< earliest period of any row
  std::optional<YearMonth> last;       ///< latest period of any row
  bool has_acquisition_cost = false;   ///< some row carried an acquisition_cost value
};

/// A (customer, month) whose summed revenue does not fit in a Money.
class RevenueOverflow : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ActivityAggregator {
 public:
  ActivityAggregator();

  /// Take one record. May throw RevenueOverflow (see finish()) when it compacts its log.
  void add(const ActivityRecord& record);

  /// Fold in everything `other` has taken; the result is as if this one had taken it all.
  void merge(ActivityAggregator&& other);

  /// The metrics of every month from the first to the last, continuously. Throws RevenueOverflow
  /// when a customer's monthly revenue sum exceeds kMaxMoney.
  std::vector<PeriodMetrics> finish(const MetricOptions& options);

  /// Valid after finish().
  const ActivityStats& stats() const noexcept { return stats_; }

 private:
  // Revenue of one row, keyed by customer index and month so that sorting groups a customer's
  // months in order. The log is compacted (sorted, duplicates summed) as it grows, which keeps it
  // about one entry per customer-month.
  struct Entry {
    std::uint64_t key;  // customer << kMonthBits | month offset
    Money revenue;
  };
  static constexpr int kMonthBits = 17;  // months of years 0001..9999 fit

  struct MonthTotals {
    std::uint64_t csat_by_score[5] = {0, 0, 0, 0, 0};
    MoneySum acquisition_cost = 0;
  };

  MonthTotals& totals_for(YearMonth month);
  void compact();

  CustomerIndex customers_;
  std::vector<Entry> log_;
  std::size_t compacted_size_ = 0;
  std::vector<MonthTotals> months_;  // index = month.index - months_base_
  std::int32_t months_base_ = 0;
  ActivityStats stats_;
};

}  // namespace csm
