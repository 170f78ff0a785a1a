#pragma once
/// The command-line side of threshold alerts (`compute --fail-if`): usage errors that point at the
/// problem, notes for null values, and the crossed thresholds on stderr.

#include <ostream>
#include <string>
#include <vector>

#include "csm/grain.hpp"
#include "csm/thresholds.hpp"

namespace csm::cli {

/// Parse every --fail-if expression. Throws UsageError naming the option, the position (with a
/// caret under the expression) and, for an unknown field, the nearest name and every valid one;
/// also for a group-only field (moved_in_customers, ...) when the run has no groups (`grouped`
/// false: no --by).
std::vector<Threshold> parse_fail_if(const std::vector<std::string>& expressions, bool grouped = false);

/// The valid field names as indented lines of at most `width` characters, for messages.
std::string field_name_lines(std::size_t width = 100);

/// One note per check whose value is null, e.g. "churn_rate is null in 2024-05: no customers at
/// start" (for stderr and the JSON warnings).
std::vector<std::string> threshold_notes(const std::vector<ThresholdCheck>& checks,
                                         Grain grain = Grain::month);

/// Print one "csm-metrics: threshold crossed: ..." line per crossed check (periods labelled at
/// `grain`); true if any crossed.
bool print_crossings(const std::vector<ThresholdCheck>& checks, std::ostream& err,
                     Grain grain = Grain::month);

}  // namespace csm::cli
