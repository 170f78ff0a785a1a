// Option text to numbers for every `calc` subcommand, so that every bad value gets the same kind
// of message ("cac: --spend: expected an amount >= 0, got \"-5\"") and exit status 2.

#include "cli/calc_support.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "csm/error.hpp"

namespace csm::cli::calc {
namespace {

// A leading '+' is accepted because people write "+5%"; std::from_chars does not take it.
std::string_view without_plus(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  return text;
}

enum class Kind { amount, rate };

// An amount is a finite number >= 0. A rate is a finite fraction (0.1), or a percentage when it
// ends in '%' (10%), and may be negative; its range is checked by the command that uses it.
double parse_number(std::string_view command, std::string_view option, const std::string& text,
                    Kind kind) {
  if (kind == Kind::rate) {
    // The parser of every RATE option (option_checks.hpp).
    const std::optional<double> rate = parse_rate_text(text);
    if (!rate) {
      fail(command, fmt::format("{}: expected a fraction such as 0.05 or a percentage such as 5%, "
                                "got {}",
                                option, quote_for_message(text)));
    }
    return *rate;
  }
  const std::string_view number = without_plus(text);
  double value = 0.0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value,
                                            std::chars_format::general);
  const bool parsed = error == std::errc{} && end == number.data() + number.size() &&
                      !number.empty() && std::isfinite(value);
  if (!parsed || value < 0.0) {
    fail(command,
         fmt::format("{}: expected an amount >= 0, got {}", option, quote_for_message(text)));
  }
  return value;
}

}  // namespace

[[noreturn]] void fail(std::string_view command, std::string_view message) {
  throw UsageError(fmt::format("{}: {}", command, message));
}

std::int64_t parse_count(std::string_view command, std::string_view option,
                         const std::string& text) {
  const std::string_view digits = without_plus(text);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error == std::errc::result_out_of_range) {
    fail(command, fmt::format("{}: {} is too large for a count", option, quote_for_message(text)));
  }
  if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() ||
      value < 0) {
    fail(command, fmt::format("{}: expected a whole number >= 0, got {}", option,
                              quote_for_message(text)));
  }
  return value;
}

double parse_amount(std::string_view command, std::string_view option, const std::string& text) {
  return parse_number(command, option, text, Kind::amount);
}

double parse_rate(std::string_view command, std::string_view option, const std::string& text) {
  return parse_number(command, option, text, Kind::rate);
}

double parse_discount_rate(std::string_view command, const std::string& text) {
  const double rate = parse_rate(command, "--discount-rate", text);
  if (rate <= -1.0) {
    fail(command, fmt::format("--discount-rate must be greater than -1 (-100%), got {}",
                              quote_for_message(text)));
  }
  return rate;
}

std::string two_decimals(double value) {
  std::string text = fmt::format("{:.2f}", value);
  if (text == "-0.00") text = "0.00";
  return text;
}

std::string percent_text(double value) { return two_decimals(value) + "%"; }

std::string rate_echo(double fraction) { return fmt::format("{:.6g}%", fraction * 100.0); }

void add_format_option(CLI::App& sub, std::string& format) {
  sub.add_option("-f,--format", format, "Output format: text (one line) or json (one object)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

}  // namespace csm::cli::calc
