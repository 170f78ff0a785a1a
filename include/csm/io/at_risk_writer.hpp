#pragma once
/// Writers for the churn-risk list (`csm-metrics at-risk`): JSON, CSV and a table for people.
/// docs/at-risk.md describes every field.

#include <cstddef>
#include <string>
#include <vector>

#include "csm/at_risk.hpp"
#include "csm/io/csv_style.hpp"
#include "csm/io/record_input.hpp"

namespace csm::io {

/// Everything one run of `at-risk` reports.
struct AtRiskReport {
  AtRiskOptions options;  ///< as_of set to the month evaluated
  std::size_t top = 0;    ///< 0 = every customer at risk; else at most this many rows
  ReadReport input;
  AtRiskResult result;
  std::vector<std::string> warnings;
  std::string version;
};

/// One JSON document ending in a newline; one line per customer.
std::string to_json(const AtRiskReport& report);

/// A header line and one row per customer at risk; a rule's columns are empty when it did not
/// fire. The customer id is text from the data: see CsvStyle.
std::string to_csv(const AtRiskReport& report, const CsvStyle& style = {});

/// One line per customer and reason, with the evidence in words, and the rules under it.
std::string to_table(const AtRiskReport& report);

}  // namespace csm::io
