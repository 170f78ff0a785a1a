#pragma once
/// Checks that every command applies to its options in the same way: numbers (finite and in
/// range, never NaN or an infinity) and paths (no empty path, no output that is one of the inputs).

#include <CLI/CLI.hpp>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/month.hpp"

namespace csm::cli {

/// A finite number from `min` to `max` (above `min` when `above_min`): the one validator of every
/// numeric option. Its message reads "expected a number from 0 to 1, got nan"; NaN, "inf" and
/// numbers too large for a double are refused whatever the range.
CLI::Validator finite_number(double min = -std::numeric_limits<double>::max(),
                             double max = std::numeric_limits<double>::max(), bool above_min = false);

/// A rate as a person writes it: a fraction (0.8, +0.8, 8e-1) or a percentage (80%, 12.5%); a
/// percentage is the same number as its fraction ("80%" and "0.8" give the same double). None for
/// anything else, NaN, infinities and numbers too large for a double. The one parser of rates:
/// `calc` and every RATE option use it.
std::optional<double> parse_rate_text(std::string_view text);

/// A rate option (RATE in --help): parse_rate_text in [min, max] (above `min` when `above_min`),
/// rewriting the value to the fraction. Use with ->transform(). Its message reads "expected a
/// number from 0 to 1 or a percentage from 0% to 100%, got \"2\"".
CLI::Validator rate_number(double min, double max, bool above_min = false);

/// The value of a RATE option read as text (a hidden alias: CLI11 leaves a hidden option's name
/// out of its messages, so aliases are checked after parsing): as rate_number, or a UsageError
/// "OPTION: expected ...".
double rate_value(const std::string& option, const std::string& text, double min, double max);

/// Records of a kind the command cannot use (transactions to compute, summaries to cohorts, ...):
/// an InputError (exit 65) naming the first input ("<stdin>" for standard input), whose kind was
/// detected; the message says what the records are and which command reads them.
[[noreturn]] void throw_wrong_kind(const std::vector<std::string>& files, const std::string& message);

/// The output paths of the parsed command `command` (-o/--output, --emit-state, --customers-csv):
/// none empty, none the same file as an input (files, states, --spend; also through hard or
/// symbolic links: same device and inode) or as another output. Throws UsageError. Called once by
/// run() for whichever command was given.
void check_output_paths(const CLI::App& command);

/// A month option (--as-of of at-risk and churn-risk): YYYY-MM, blanks around it allowed; else a
/// UsageError "OPTION 'VALUE': expected a month YYYY-MM, e.g. 2025-06".
YearMonth parse_month_option(const char* option, const std::string& value);

}  // namespace csm::cli
