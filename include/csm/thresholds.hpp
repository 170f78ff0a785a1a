#pragma once
/// Threshold alerts (`compute --fail-if 'churn_rate > 5'`): parse an expression, check it against
/// computed periods. Pure: no printing; the CLI prints the crossings and sets exit status 1.

#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/group_metrics.hpp"
#include "csm/month.hpp"
#include "csm/period_metrics.hpp"

namespace csm {

enum class CompareOp { less, less_equal, greater, greater_equal, equal, not_equal };

/// How a field is compared: counts and money exactly (in micro-units), rates as doubles.
enum class FieldKind { count, money, rate };

/// One parsed `FIELD OP NUMBER`.
struct Threshold {
  std::string expression;  ///< as given, surrounding spaces removed
  std::string field;       ///< "churn_rate", or "summary.average_churn_rate"
  bool summary = false;    ///< a field of the range summary, checked once per series
  bool group_only = false; ///< a field only groups have (moved_in_customers, ...): needs --by
  FieldKind kind = FieldKind::rate;
  CompareOp op = CompareOp::greater;
  MoneySum exact_limit = 0;  ///< counts and money: the limit in micro-units
  double limit = 0;          ///< rates: the limit; others: its nearest double
};

/// A malformed expression or an unknown field. `position` (0-based, into the trimmed
/// expression) and `length` mark the culprit; `suggestion` is the nearest field name, if any.
class ThresholdError : public std::invalid_argument {
 public:
  ThresholdError(std::string message, std::size_t position, std::size_t length,
                 std::string suggestion = {});
  std::size_t position() const noexcept { return position_; }
  std::size_t length() const noexcept { return length_; }
  const std::string& suggestion() const noexcept { return suggestion_; }

 private:
  std::size_t position_;
  std::size_t length_;
  std::string suggestion_;
};

/// Parse `FIELD OP NUMBER` (OP one of < <= > >= == !=, spaces optional; NUMBER a plain decimal
/// such as 5, -2.5 or 0.25, no exponent). Throws ThresholdError.
Threshold parse_threshold(std::string_view expression);

/// The field names an expression may use on every series: the period fields, then
/// "summary.<field>".
const std::vector<std::string>& threshold_field_names();

/// The fields only a group's periods have (compute --by): the customers and MRR that moved in
/// from or out to other groups.
const std::vector<std::string>& group_threshold_field_names();

/// The column headings of the compute table that an expression may use for the field under them
/// (heading, field): "mrr" is mrr_end, "churn%" churn_rate, "active" customers_end, ...; also
/// "churned" for churned_customers.
const std::vector<std::pair<std::string, std::string>>& threshold_heading_names();

/// The name in threshold_field_names(), group_threshold_field_names() or the headings of
/// threshold_heading_names() nearest to `name` (edit distance), or "" if none is close.
std::string nearest_field_name(std::string_view name);

enum class ThresholdScope { latest, all };

/// The periods of one series to check, with its label ("" for the whole input; a group's name
/// once results are grouped). A group also has its moves (moves[i] belongs to periods[i]); the
/// whole input has none, and group-only fields are not checked on it.
struct ThresholdSeries {
  std::string label;
  std::span<const PeriodMetrics> periods;
  RangeSummary summary;
  std::span<const GroupMoves> moves = {};
  bool is_group = false;  ///< a group's series (its label may be "": rows without a value)
};

/// One threshold checked on one period (or on a range summary).
struct ThresholdCheck {
  Threshold threshold;
  std::string group;                ///< the series label
  std::optional<YearMonth> period;  ///< nullopt for a summary field
  std::optional<std::string> value; ///< the value as exact JSON number text; nullopt = null
  bool crossed = false;             ///< the comparison holds (never for null)
  std::string null_reason;          ///< why the value is null, e.g. "no customers at start"
  bool is_group = false;            ///< checked on a group (`group` is its value, maybe "")
};

/// Check every threshold on every series: period fields on the last period (`latest`) or on
/// each period (`all`), summary fields once per series, group-only fields only on series with
/// moves. Order: series, then threshold, then period.
std::vector<ThresholdCheck> evaluate_thresholds(const std::vector<Threshold>& thresholds,
                                                const std::vector<ThresholdSeries>& series,
                                                ThresholdScope scope);

/// The limit as a JSON number: rates in shortest double form, money as exact decimal text,
/// counts as an integer when whole.
std::string limit_text(const Threshold& threshold);

/// "<", "<=", ...
std::string_view to_string(CompareOp op) noexcept;

}  // namespace csm
