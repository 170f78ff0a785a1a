#pragma once
/// Writers for `csm-metrics cohorts`: JSON, CSV (long format: one row per cohort and age) and a
/// triangular matrix for a terminal.

#include <optional>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/cohorts.hpp"
#include "csm/io/csv_style.hpp"
#include "csm/io/record_input.hpp"

namespace csm::io {

/// Everything one run of `cohorts` reports.
struct CohortReport {
  std::string version;
  std::string command = "cohorts";  ///< the JSON member "command" (merge writes cohorts' document)
  ReadReport input;
  ActivityStats activity;
  CohortTable table;
  std::string group_by;  ///< --by COLUMN: table.groups are its values; empty: no groups
  std::vector<std::string> warnings;
};

/// One JSON document (docs/metrics.md, "Cohorts"), ending in a newline.
std::string cohorts_to_json(const CohortReport& report);

/// cohort,age,customers,active_customers,revenue,logo_retention,revenue_retention (with --by a
/// first column group: empty for all customers, "(none)" for the empty value, "'(none)" for a
/// value that is literally "(none)"; text from the data as CsvStyle says).
std::string cohorts_to_csv(const CohortReport& report, const CsvStyle& style = {});

enum class CohortMetric { logo, revenue, both };

struct CohortTableStyle {
  CohortMetric metric = CohortMetric::logo;
  bool color = false;
  std::size_t max_ages = 10;  ///< age columns shown (the rest is in JSON and CSV)
};

/// Percentages in a triangle: one row per cohort, its size, one column per age.
std::string cohorts_to_table(const CohortReport& report, const CohortTableStyle& style);

}  // namespace csm::io
