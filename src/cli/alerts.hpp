#pragma once
/// The command-line side of threshold alerts (`compute --fail-if`): usage errors that point at the
/// problem and the crossed thresholds on stderr (the checks and their notes are the run's:
/// io::check_thresholds).

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

/// Print one "csm-metrics: threshold crossed: ..." line per crossed check (periods labelled at
/// `grain`); true if any crossed.
bool print_crossings(const std::vector<ThresholdCheck>& checks, std::ostream& err,
                     Grain grain = Grain::month);

}  // namespace csm::cli
