#pragma once
// What the `calc` subcommands share: reading option text into numbers with one kind of message,
// the text of results, and the shape of a subcommand (its CLI11 app, format and computation).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "csm/formulas.hpp"

namespace csm::cli::calc {

// Insertion-ordered so that "metric" comes first and "value" last, as documented.
using Json = nlohmann::ordered_json;

struct Result {
  Json json;
  std::string text;
};

/// Throws UsageError "COMMAND: MESSAGE" (exit 2).
[[noreturn]] void fail(std::string_view command, std::string_view message);

/// A whole number >= 0 ("+5" accepted).
std::int64_t parse_count(std::string_view command, std::string_view option, const std::string& text);
/// A finite amount >= 0.
double parse_amount(std::string_view command, std::string_view option, const std::string& text);
/// A finite fraction (0.1) or percentage (10%), possibly negative; the command checks its range.
double parse_rate(std::string_view command, std::string_view option, const std::string& text);
/// --discount-rate: a rate > -1.
double parse_discount_rate(std::string_view command, const std::string& text);

/// Money and rates in text output: two decimals, and never "-0.00".
std::string two_decimals(double value);
std::string percent_text(double value);
/// An input rate echoed back: 0.05 -> "5%", without the noise of binary fractions.
std::string rate_echo(double fraction);

inline constexpr std::string_view kTooLarge = "the result is too large to represent";

/// One `calc` subcommand: its app (parsed() tells whether it was chosen), its --format value and
/// the computation, run after parsing.
struct Command {
  CLI::App* app = nullptr;
  const std::string* format = nullptr;
  std::function<Result()> compute;
};

void add_format_option(CLI::App& sub, std::string& format);

// The subcommands (calc_clv.cpp, calc_rates.cpp, calc_unit_economics.cpp).
Command add_clv_dcf(CLI::App& calc);
Command add_clv(CLI::App& calc);
Command add_cac(CLI::App& calc);
Command add_csat(CLI::App& calc);
Command add_nps(CLI::App& calc);
Command add_retention(CLI::App& calc);
using ShareFormula = formulas::Rate (*)(std::int64_t, std::int64_t) noexcept;
/// churn, expansion: 100 * part / start.
Command add_share_of_start(CLI::App& calc, std::string_view name, std::string_view metric,
                           std::string_view description, std::string_view part_option,
                           std::string_view part_help, ShareFormula formula);
/// grr, nrr, arpu, ltv-cac, payback, quick-ratio.
void add_unit_economics(CLI::App& calc, std::vector<Command>& commands);

}  // namespace csm::cli::calc
