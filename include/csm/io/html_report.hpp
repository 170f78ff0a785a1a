#pragma once
/// The HTML report: one self-contained page (inline CSS and SVG; no scripts, fonts, images or
/// network) with the headline numbers, charts of the monthly metrics, and the settings and input
/// they came from. docs/report.md describes every section. Same input, same bytes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "csm/cohorts.hpp"
#include "csm/grain.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/period_metrics.hpp"

namespace csm::io {

/// Cohort retention for the heat map: one row per cohort (e.g. the customers whose first month
/// is the row's month), one column per age (months since the cohort's first month), each cell the
/// percent of the cohort active at that age; nullopt = not observed (yet).
struct CohortRetention {
  std::vector<std::string> cohorts;                         ///< row labels, e.g. "2025-01"
  std::vector<std::int64_t> sizes;                          ///< customers per cohort; empty = not shown
  std::vector<std::string> ages;                            ///< column labels, e.g. "0", "1", ...
  std::vector<std::vector<std::optional<double>>> percent;  ///< [cohort][age]
  std::string note;                                         ///< e.g. how cohorts were defined
  Grain grain = Grain::month;                               ///< what a cohort and an age span
};

/// Cohorts shown in the heat map at most; with more, the latest ones (the note says so).
inline constexpr std::size_t kMaxHeatMapCohorts = 24;

/// The heat map of a cohort table (logo retention): its latest `max_cohorts` cohorts, labelled at
/// the table's grain, with a note on the cohorts left out and on a last period the data covers
/// only in part.
CohortRetention cohort_retention(const CohortTable& table, std::size_t max_cohorts = kMaxHeatMapCohorts);

/// The metrics of one group (e.g. one segment of `--by segment`).
struct GroupMetrics {
  std::string name;
  std::vector<PeriodMetrics> periods;
};

/// Metrics per group, drawn as small multiples on shared axes plus a table of the latest month.
struct GroupBreakdown {
  std::string by;  ///< what the groups are, e.g. "segment"
  std::vector<GroupMetrics> groups;
};

/// How the page was made, beyond what MetricsReport holds, for the settings table: with it and
/// the input files the page can be made again (`command` is a run that does that).
struct ReportSettings {
  std::string input_format = "auto";     ///< --input-format as given
  std::string kind = "auto";             ///< --kind as given
  std::vector<std::string> columns;      ///< --column NAME=INPUT, as given
  bool skip_invalid = false;             ///< --skip-invalid
  std::optional<YearMonth> until;        ///< --until (subscription records)
  std::optional<std::string> spend_file; ///< --spend FILE
  Grain cohort_grain = Grain::month;     ///< --cohort-grain
  std::vector<std::string> command;      ///< the arguments of an equivalent run, "csm-metrics" first
};

/// An MRR forecast drawn after the last observed months (`report --forecast N`; made by
/// csm::forecast_mrr, docs/retention.md): the point forecast and its interval for each month.
struct ForecastView {
  std::vector<std::string> observed_labels;  ///< the last observed months (empty: none drawn)
  std::vector<double> observed_mrr;          ///< their mrr_end
  std::vector<std::string> labels;           ///< the forecast months, the first after the data
  std::vector<double> customers, customers_low, customers_high;
  std::vector<double> mrr, mrr_low, mrr_high;
  double interval = 0.8;  ///< central probability of the intervals
  std::string method;     ///< how the forecast was made, in words
};

/// Everything the page shows. The optional parts are left out of the page when absent.
struct ReportInput {
  MetricsReport metrics;
  std::optional<ReportSettings> settings;  ///< the settings rows beyond metrics' own
  std::string title = "Customer-success report";
  std::optional<std::string> timestamp;  ///< shown in the footer only when set (--timestamp)
  std::optional<CohortRetention> cohorts;
  std::optional<GroupBreakdown> groups;
  std::optional<ForecastView> forecast;
  /// `report --churn-risk`: the section made by churn_risk_section (csm/io/html_churn_risk.hpp).
  std::optional<std::string> churn_risk_html;
};

/// The whole page, from <!DOCTYPE html> to </html>; all text from the input is escaped.
std::string to_html(const ReportInput& input);

}  // namespace csm::io
