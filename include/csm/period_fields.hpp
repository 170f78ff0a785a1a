#pragma once
/// The one list of period fields: every number of a PeriodMetrics that compute writes, in output
/// order, with its unit, how it is derived and why it can be null. The writers (table, CSV, JSON),
/// `--fail-if` (csm/thresholds.hpp) and the HTML report iterate it, and derive_rates() runs the
/// derivations in its order (a field is derived only from fields before it).
///
/// Adding a per-period field: a member in PeriodMetrics (csm/period_metrics.hpp), a row in the
/// table (src/core/period_fields.cpp) with its derivation and null rule, and its test
/// (tests/core/period_fields_test.cpp; the formula's own test in tests/core/formulas_test.cpp).

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "csm/period_metrics.hpp"

namespace csm {

/// What a field's number is, for printing and comparing it.
enum class FieldUnit : std::uint8_t {
  count,      ///< whole customers or answers (Count)
  money,      ///< exact money per month (Amount)
  money_per,  ///< money per customer as a double (Rate): arpu, cac, clv
  percent,    ///< percent (Rate), e.g. churn_rate 4.2 for 4.2 %
  points,     ///< NPS points -100..100 (Rate), printed as a percent is
  ratio,      ///< a plain ratio or a number of months (Rate): ltv_cac, quick_ratio
};

/// How a month's field becomes a quarter's or a year's (roll_up in csm/grain.hpp).
enum class RollUp : std::uint8_t {
  derived,  ///< derived again from the rolled-up fields
  sum,      ///< summed over the months (null if null in any month)
  first,    ///< that of the first month (customers_start, mrr_start)
  last,     ///< that of the last month (customers_end, mrr_end)
};

/// Where a field lives in PeriodMetrics; the alternative says its type.
using PeriodMember =
    std::variant<Count PeriodMetrics::*, Amount PeriodMetrics::*, Rate PeriodMetrics::*>;

/// One row of the table.
struct PeriodField {
  std::string_view name;   ///< JSON key, CSV column, --all heading and --fail-if name
  std::string_view label;  ///< for people, e.g. "Churn rate" (the HTML report)
  PeriodMember member;
  FieldUnit unit;
  /// One of the NPS fields: written only when the input has an nps column (every one of them
  /// is null otherwise).
  bool nps = false;
  /// How the field rolls up to a quarter or a year; RollUp::derived for every field with a
  /// derivation except customers_end.
  RollUp roll_up = RollUp::derived;
  int better = 0;  ///< +1 higher is better, -1 lower is better, 0 neither (the report's arrows)
  /// How it is derived, in the notation of docs/metrics.md; empty for a field read or counted
  /// from the input.
  std::string_view formula = {};
  /// Sets the field from the fields before it and the context; nullptr for an input. Leaves it
  /// null when an input is null or a denominator is 0.
  void (*derive)(PeriodMetrics& m, const DeriveContext& context) noexcept = nullptr;
  /// Why the field is null in `m` (a note of --fail-if); nullptr: "not determined by the input".
  std::string_view (*null_reason)(const PeriodMetrics& m) noexcept = nullptr;
};

/// Every period field in output order (the NPS fields last).
std::span<const PeriodField> period_fields() noexcept;

/// The field named `name`, or nullptr.
const PeriodField* find_period_field(std::string_view name) noexcept;

/// Why `field` is null in `m`, in words ("no customers at start").
std::string_view null_reason(const PeriodField& field, const PeriodMetrics& m) noexcept;

/// The figures over the whole range (RangeSummary), in the order of the JSON "summary" object;
/// `--fail-if` names them "summary.<name>".
using SummaryMember =
    std::variant<Count RangeSummary::*, Amount RangeSummary::*, Rate RangeSummary::*>;
struct SummaryField {
  std::string_view name;
  SummaryMember member;
};
std::span<const SummaryField> summary_fields() noexcept;

}  // namespace csm
