#pragma once
/// The features of `csm-metrics churn-risk`: each customer's monthly history (revenue, csat
/// answers, segment, declared signals), and per customer-month the features known at that month
/// with the churn label where the outcome is known. docs/churn-risk.md defines every feature.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "csm/activity_sink.hpp"
#include "csm/decimal.hpp"
#include "csm/month.hpp"

namespace csm {

struct FeatureTable;

/// Each customer's months with revenue, csat answers, segment and signal sums, from records in
/// any order. Memory grows with customer-months (about 40 bytes each plus 8 per signal).
class ChurnHistory final : public ActivitySink {
 public:
  /// `signals`: the names of the declared signals, in the order of ActivityRecord::signals.
  explicit ChurnHistory(std::vector<std::string> signals);
  ~ChurnHistory() override;
  ChurnHistory(ChurnHistory&&) noexcept;
  ChurnHistory& operator=(ChurnHistory&&) noexcept;

  /// Throws RevenueOverflow when a customer's month adds up to more than kMaxMoney.
  void add(const ActivityRecord& record) override;
  void extend_range(YearMonth first, YearMonth last) override;

  std::optional<YearMonth> first_period() const noexcept { return first_; }
  std::optional<YearMonth> last_period() const noexcept { return last_; }
  std::size_t customer_count() const noexcept { return customers_.size(); }
  const std::vector<std::string>& signals() const noexcept { return signals_; }
  /// Observations (non-blank cells) of each signal.
  const std::vector<std::uint64_t>& signal_observations() const noexcept { return observed_; }
  /// The segment of `customer_id` in `month`: "" when it has none (or no row) that month.
  std::string segment_of(std::string_view customer_id, YearMonth month) const;
  /// Whether the records had an nps column (then the features include nps_latest, nps_lowest_6m
  /// and nps_count, before the signals').
  bool has_nps() const noexcept { return has_nps_; }

  struct Customer;

 private:
  friend struct ChurnFeatureBuilder;
  friend FeatureTable build_features(const ChurnHistory&, YearMonth, YearMonth, int,
                                     const std::function<bool(std::string_view, std::int32_t)>&);
  friend std::vector<std::uint64_t> rows_per_month(const ChurnHistory&, YearMonth, YearMonth);
  std::vector<std::string> signals_;
  std::vector<std::uint64_t> observed_;
  bool has_nps_ = false;  // the input has an nps column: the NPS features are built
  // Looked up by string_view (no allocation per record).
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> ids_;
  std::vector<std::unique_ptr<Customer>> customers_;
  std::vector<std::string> segments_;  // interned names; id = index + 1 (0: none)
  std::unordered_map<std::string, std::uint16_t, Hash, std::equal_to<>> segment_ids_;
  std::optional<YearMonth> first_, last_;
};

/// One feature column: its name and how to word a value of it (docs/churn-risk.md).
struct FeatureInfo {
  enum class Kind : std::uint8_t {
    tenure,
    revenue,
    revenue_change,  ///< months = 1, 3, 6
    largest_drop,
    months_inactive,
    reactivations,
    months_since_return,
    plan_changes,
    months_at_revenue,
    csat_latest,
    csat_lowest,
    csat_count,
    months_since_csat,
    signal_level,
    signal_change,   ///< months = 1 or 3
    signal_trend,
    segment,
    nps_latest,  ///< only when the input has an nps column
    nps_lowest,
    nps_count,
  };
  std::string name;
  Kind kind = Kind::tenure;
  int months = 0;
  std::string subject;  ///< the signal's or the segment's name
};

/// Every customer-month with revenue in first..last, and its features. Values are NaN where there
/// is nothing to compute (XGBoost's "missing"; docs/churn-risk.md says when).
struct FeatureTable {
  std::vector<FeatureInfo> features;
  std::size_t columns() const noexcept { return features.size(); }
  /// Row-major values of the rows that have them (all rows unless build_features had a `keep`).
  std::vector<float> values;
  /// With a `keep`: per row, its index in `values` (in rows), kNoValues when not kept.
  std::vector<std::uint32_t> value_row;
  static constexpr std::uint32_t kNoValues = UINT32_MAX;
  std::vector<std::string> customer_ids;  ///< customers, sorted by id
  std::vector<std::uint32_t> customer;    ///< per row: index into customer_ids
  std::vector<std::int32_t> month;        ///< per row: YearMonth::index
  std::vector<Money> revenue;             ///< per row: revenue in that month
  /// per row: 1 churned within `horizon` months after, 0 stayed, -1 not known by `last`.
  std::vector<std::int8_t> label;
  std::size_t rows() const noexcept { return month.size(); }
  bool has_values(std::size_t r) const noexcept {
    return value_row.empty() || value_row[r] != kNoValues;
  }
  /// The features of row r (which has_values()).
  const float* row(std::size_t r) const noexcept {
    const std::size_t i = value_row.empty() ? r : value_row[r];
    return values.data() + i * columns();
  }
};

/// Up to this many segments get a column each (the most frequent; the others share none).
inline constexpr std::size_t kMaxSegmentFeatures = 16;

/// The features of every customer-month with revenue > 0 in first..last (each computed from months
/// <= its own only), the label of `horizon` months (churn as compute counts it: no revenue in
/// some month t+1..t+horizon; known when t + horizon <= last). Rows: customers by id, months in
/// order. Nothing after `last` is read. Throws std::invalid_argument for horizon < 1.
/// With `keep`, only the rows it accepts (customer id, YearMonth::index) get values (memory: the
/// other rows cost 17 bytes each instead of 4 per feature).
using FeatureFilter = std::function<bool(std::string_view customer_id, std::int32_t month)>;
FeatureTable build_features(const ChurnHistory& history, YearMonth first, YearMonth last,
                            int horizon, const FeatureFilter& keep = {});

/// Customer-months with revenue > 0 per month first..last (index 0 = first): what
/// build_features will have as rows, counted without building them.
std::vector<std::uint64_t> rows_per_month(const ChurnHistory& history, YearMonth first,
                                          YearMonth last);

}  // namespace csm
