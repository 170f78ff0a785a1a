#pragma once
/// Checks that every command applies to its options in the same way: numbers (finite and in
/// range, never NaN or an infinity) and paths (no empty path, no output that is one of the inputs).

#include <CLI/CLI.hpp>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace csm::cli {

/// A finite number from `min` to `max` (above `min` when `above_min`): the one validator of every
/// numeric option. Its message reads "expected a number from 0 to 1, got nan"; NaN, "inf" and
/// numbers too large for a double are refused whatever the range.
CLI::Validator finite_number(double min = -std::numeric_limits<double>::max(),
                             double max = std::numeric_limits<double>::max(), bool above_min = false);

/// The output paths of the parsed command `command` (-o/--output, --emit-state, --customers-csv):
/// none empty, none the same file as an input (files, states, --spend; also through hard or
/// symbolic links: same device and inode) or as another output. Throws UsageError. Called once by
/// run() for whichever command was given.
void check_output_paths(const CLI::App& command);

/// --by COLUMN: a column that the records already read as one of their own fields (customer_id,
/// period, revenue, ..., or the input column of a --column rename) cannot also be the group.
/// Throws UsageError naming the field.
void check_group_column(const std::string& by,
                        const std::vector<std::pair<std::string, std::string>>& renames);

}  // namespace csm::cli
