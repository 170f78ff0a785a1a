#pragma once
/// Writers for the computed metrics: JSON for scripts, CSV for spreadsheets, an aligned table for
/// people. They return text; where it goes (stdout, a file) is the caller's business.

#include <optional>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/data_quality.hpp"
#include "csm/io/csv_style.hpp"
#include "csm/io/explain.hpp"
#include "csm/grain.hpp"
#include "csm/group_metrics.hpp"
#include "csm/io/record_input.hpp"
#include "csm/period_metrics.hpp"
#include "csm/thresholds.hpp"
#include "csm/spend.hpp"

namespace csm::io {

/// The spend file of `--spend` and what was done with it.
struct SpendReport {
  ReadReport input;
  SpendMode mode = SpendMode::replace;
  SpendApplied applied;
};

/// Everything one run of `compute` reports.
struct MetricsReport {
  RecordKind kind = RecordKind::activity;
  MetricOptions options;
  ReadReport input;
  std::optional<ActivityStats> activity;  ///< set for activity records
  std::vector<PeriodMetrics> periods;
  RangeSummary summary;
  Grain grain = Grain::month;                ///< periods are months, quarters or years
  std::vector<std::int32_t> period_months;   ///< with a coarser grain: months of data per period
  std::string group_by;                      ///< --by COLUMN; empty: no groups
  std::vector<GroupPeriods> groups;          ///< with --by: per group, sorted by name
  std::vector<RangeSummary> group_summaries; ///< summarize() of each group's months
  std::vector<std::string> warnings;
  std::vector<DataWarning> data_warnings;  ///< data-quality warnings (also in `warnings` as text)
  std::string version;
  std::string command = "compute";  ///< the JSON member "command": compute or check (merge: compute)
  /// The --fail-if checks; set only when thresholds were given (the JSON member "thresholds").
  std::optional<std::vector<ThresholdCheck>> thresholds;
  std::optional<SpendReport> spend;  ///< set with --spend
  std::optional<ExplainReport> explain;  ///< set with --explain: the member "explain"
};

/// The field names of one period, in output order (the JSON keys and the CSV header).
const std::vector<std::string>& period_field_names();

/// The NPS fields (nps, nps_responses, nps_promoters, nps_passives, nps_detractors), written after
/// period_field_names() only when has_nps(): the input has an nps column (docs/metrics.md).
const std::vector<std::string>& nps_field_names();

/// Whether any period (of all customers or a group) has NPS counts: the input had an nps column.
bool has_nps(const MetricsReport& report);

/// One JSON document (docs/output.md describes the schema), ending in a newline.
std::string to_json(const MetricsReport& report);

/// The document of `check --format json`: tool, version, command, kind, explain, warnings.
std::string to_explain_json(const MetricsReport& report);

/// A header line with period_field_names() and one line per period; null is an empty field.
/// With --by, the group column is text from the data: see CsvStyle.
std::string to_csv(const MetricsReport& report, const CsvStyle& style = {});

struct TableStyle {
  bool all_columns = false;  ///< every field instead of the key columns
  bool color = false;        ///< ANSI colours (only for a terminal)
  bool unicode = false;      ///< trend lines in Unicode blocks (a UTF-8 locale), else ASCII
};

/// Aligned columns for a terminal, with a summary line under the table.
std::string to_table(const MetricsReport& report, const TableStyle& style);

}  // namespace csm::io
