#pragma once
/// The churn-risk list (`csm-metrics at-risk`): transparent rules over each customer's monthly
/// history, evaluated for the customers active in one month. docs/at-risk.md defines each rule.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "csm/activity_sink.hpp"
#include "csm/decimal.hpp"
#include "csm/month.hpp"

namespace csm {

/// The rules' thresholds (the command-line options). evaluate() checks their ranges.
struct AtRiskOptions {
  std::optional<YearMonth> as_of;        ///< the month evaluated; default: the latest in the data
  int contraction_window = 3;            ///< contraction: months before as_of whose highest revenue counts (>= 1)
  Money contraction_pct = 20'000'000;    ///< contraction: percent in micro-units, 0 < pct < 100: 20 %
  int csat_window = 3;                   ///< low_csat: months looked at, as_of included (>= 1)
  int csat_max = 2;                      ///< low_csat: a response <= this is low (1..5)
  int gap_window = 6;                    ///< gap_return: months in which a return after a gap counts (>= 2)
  int flat_months = 6;                   ///< flat_low_tier: months of unchanged revenue (>= 2)
  Money low_tier_pct = 25'000'000;       ///< flat_low_tier: percentile in micro-units, 0 < pct <= 100: 25
};

/// The nearest-rank percentile rank: the smallest k in 1..n with k >= n * pct / 100 (pct in
/// micro-units, 0 < pct <= 100), i.e. ceil(n * pct / 100), computed exactly. 0 when n is 0.
std::size_t percentile_rank(std::size_t n, Money pct) noexcept;

/// contraction: revenue(as_of) is at least contraction_pct below the largest revenue of the
/// `contraction_window` months before.
struct ContractionEvidence {
  MoneySum previous_max = 0;
  YearMonth previous_max_period;  ///< the latest month with that revenue
  double drop_pct = 0;            ///< 100 (previous_max - latest) / previous_max
};

/// low_csat: responses <= csat_max in the last `csat_window` months (as_of included).
struct LowCsatEvidence {
  int lowest = 0;              ///< lowest score among them
  YearMonth period;            ///< the latest month with a response of that lowest score
  std::uint64_t responses = 0; ///< how many low responses
};

/// gap_return: a month without revenue, then revenue again in the last `gap_window` months.
struct GapReturnEvidence {
  YearMonth returned;      ///< the latest such return month
  int gap_months = 0;      ///< months without revenue right before it
};

/// flat_low_tier: the same revenue for at least flat_months months up to as_of, and at most the
/// low_tier_pct percentile (nearest rank) of the as_of revenue of the active customers.
struct FlatLowTierEvidence {
  int months_unchanged = 0;  ///< consecutive months with this revenue, ending at as_of
  MoneySum tier_limit = 0;   ///< the low_tier_pct percentile
};

struct AtRiskCustomer {
  std::string customer_id;
  MoneySum revenue_at_risk = 0;  ///< revenue in the as_of month
  std::optional<ContractionEvidence> contraction;
  std::optional<LowCsatEvidence> low_csat;
  std::optional<GapReturnEvidence> gap_return;
  std::optional<FlatLowTierEvidence> flat_low_tier;

  /// The names of the rules that fired, in rule order: contraction, low_csat, gap_return,
  /// flat_low_tier.
  std::vector<std::string_view> reasons() const;
};

struct AtRiskResult {
  std::optional<YearMonth> as_of;       ///< nullopt only when there were no records
  std::uint64_t customers = 0;          ///< distinct customer ids in the input
  std::uint64_t active_customers = 0;   ///< revenue > 0 in as_of
  MoneySum tier_limit = 0;              ///< the low_tier_pct percentile used by flat_low_tier
  /// Customers with at least one reason: revenue_at_risk descending, then customer_id.
  std::vector<AtRiskCustomer> customers_at_risk;
};

/// Each customer's revenue per month and csat responses, built from records in any order.
/// Memory grows with customers x months with rows.
class CustomerHistory final : public ActivitySink {
 public:
  CustomerHistory();
  ~CustomerHistory() override;
  CustomerHistory(CustomerHistory&&) noexcept;
  CustomerHistory& operator=(CustomerHistory&&) noexcept;

  /// Throws RevenueOverflow when a customer's month adds up to more than kMaxMoney.
  void add(const ActivityRecord& record) override;
  /// The range of months of the input reaches `last` (subscription records: --until, or an end
  /// month no subscription is active in), so the default as_of is at least `last`.
  void extend_range(YearMonth first, YearMonth last) override;

  /// The latest month of any record (or of the range given to extend_range), if any.
  std::optional<YearMonth> last_period() const noexcept { return last_; }

  /// Apply the rules. Throws std::invalid_argument for options out of range.
  AtRiskResult evaluate(const AtRiskOptions& options) const;

 private:
  struct Customer;
  std::unordered_map<std::string, std::size_t> ids_;
  std::vector<std::unique_ptr<Customer>> customers_;
  std::optional<YearMonth> last_;
};

}  // namespace csm
