#pragma once
/// `csm-metrics retention`: the survival-table reader (cohort,period,active) and the writers of
/// the fits (JSON, CSV, a table for a terminal). docs/retention.md describes every member.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csm/contractual.hpp"

namespace csm::io {

/// Survival counts by cohort, cohorts sorted by name (the same for any row order).
struct SurvivalTable {
  std::vector<std::string> cohorts;
  std::vector<std::vector<double>> active;  ///< active[i][t]: cohort i, period t = 0, 1, ...
};

/// Whether `first_line` is the header of a survival table: the columns cohort, period and
/// active (any order and case, nothing else).
bool is_survival_table_header(std::string_view first_line);

/// Parse a survival table (CSV with the header above). Throws InputError located at the row
/// (source:line: field: ...) for a bad number, a duplicate or missing period, or a count that
/// increases from one period to the next.
SurvivalTable parse_survival_table(std::string_view text, const std::string& source);

struct RetentionCohortResult {
  std::string cohort;
  double customers = 0;
  std::vector<double> active;        ///< observed: periods 0..L
  std::optional<RetentionFit> fit;   ///< nullopt: not fitted (note says why)
  std::string note;
  std::size_t fitted_periods = 0;    ///< K: periods 1..K fitted
  std::size_t last_period = 0;       ///< survival is listed for periods 0..last_period
  std::optional<double> derl;
  double derl_renewals = 0;
};

/// The value of a cohort's active customers (--customers-csv).
struct BaseValue {
  std::string cohort;
  std::uint64_t active_customers = 0;
  double mrr = 0;                         ///< their MRR in the last month
  std::optional<double> residual_value;   ///< sum of MRR x gross margin x DERL
};

struct RetentionReport {
  std::string version;
  /// The JSON member "kind": the records read (activity, subscription) or "survival_table".
  std::string kind = "survival_table";
  std::string model_option;          ///< sbg, bdw or auto
  std::optional<std::size_t> fit_periods;
  std::size_t project = 0;
  double discount_rate = 0.1;
  std::vector<RetentionCohortResult> cohorts;
  std::optional<RetentionCohortResult> pooled;
  std::vector<BaseValue> base_value;  ///< with --customers-csv, by cohort
  std::vector<std::string> notes;
};

/// Holdout error of one cohort: the periods after the fitted ones that were observed.
struct HoldoutError {
  std::size_t periods = 0;
  double mean_absolute_error = 0;  ///< in percentage points of the cohort
  double mape = 0;                 ///< mean |expected - actual| / actual, percent
};
std::optional<HoldoutError> holdout_error(const RetentionCohortResult& cohort);

std::string retention_to_json(const RetentionReport& report);
/// cohort,period,actual,expected,model,... one row per cohort and period.
std::string retention_to_csv(const RetentionReport& report);
std::string retention_to_table(const RetentionReport& report);

}  // namespace csm::io
