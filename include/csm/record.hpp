#pragma once
/// The typed records that readers hand to the aggregation, one at a time.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "csm/decimal.hpp"
#include "csm/month.hpp"

namespace csm {

/// One customer's activity in one month (one input row). The views point into the reader's buffer
/// and are valid only until the next record.
struct ActivityRecord {
  std::string_view customer_id;
  YearMonth period;
  Money revenue = 0;                     ///< >= 0; active in the month when the month's sum is > 0
  std::optional<Money> acquisition_cost;  ///< acquisition spend booked in this row's month
  std::uint8_t csat = 0;                 ///< one survey response 1..5; 0 = no response
  std::string_view segment;              ///< empty = none
  std::int8_t nps = -1;                  ///< one NPS answer 0..10; -1 = no answer
  bool nps_column = false;               ///< the input has an nps column (then outputs carry NPS)
  /// The values of the declared signal columns (`churn-risk --signal`), in declaration order;
  /// nullopt = no observation (a blank cell). Empty unless signals were declared.
  std::span<const std::optional<double>> signals;
};

/// One already-aggregated period, as in the articles' examples. Absent columns are nullopt.
struct SummaryRecord {
  YearMonth period;
  std::optional<std::int64_t> customers_start;
  std::optional<std::int64_t> new_customers;
  std::optional<std::int64_t> churned_customers;
  std::optional<std::int64_t> reactivated_customers;
  std::optional<std::int64_t> expanded_customers;
  std::optional<std::int64_t> contracted_customers;
  std::optional<std::int64_t> csat_satisfied;
  std::optional<std::int64_t> csat_responses;
  std::optional<Money> revenue;           ///< recurring revenue of the period (= mrr_end)
  std::optional<Money> acquisition_cost;  ///< acquisition spend of the period
};

/// One purchase (one input row of a transaction file). Purchases of one customer on the same day
/// are one purchase occasion. The id view is valid only until the next record.
struct TransactionRecord {
  std::string_view customer_id;
  Date date;
  Money amount = 0;                       ///< >= 0
  std::optional<std::int64_t> quantity;   ///< >= 0 when given; read and checked, not used yet
};

}  // namespace csm
