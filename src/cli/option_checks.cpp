#include "cli/option_checks.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "csm/error.hpp"
#include "csm/io/record_input.hpp"
#include "csm/month.hpp"

namespace csm::cli {
namespace {

// Shortest text of a bound: 0, 1, 1000000 (never 309 digits).
std::string bound_text(double value) {
  char buffer[64];
  const bool whole = std::fabs(value) < 1e15 && value == std::floor(value);
  const auto [end, error] = whole ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 0)
                                  : std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc{} ? std::string(buffer, end) : std::to_string(value);
}

std::string range_text(double min, double max, bool above_min) {
  constexpr double kMax = std::numeric_limits<double>::max();
  const bool low = min > -kMax;
  const bool high = max < kMax;
  if (low && high && !above_min) return "a number from " + bound_text(min) + " to " + bound_text(max);
  if (low && high) return "a number above " + bound_text(min) + ", at most " + bound_text(max);
  if (low) return std::string("a number ") + (above_min ? "> " : ">= ") + bound_text(min);
  if (high) return "a number <= " + bound_text(max);
  return "a finite number";
}

// The range as --help shows it after the type: "in [0, 1]", "in (0, 100000]", ">= 0".
std::string range_brief(double min, double max, bool above_min) {
  constexpr double kMax = std::numeric_limits<double>::max();
  const bool low = min > -kMax;
  const bool high = max < kMax;
  if (low && high) {
    return std::string("in ") + (above_min ? "(" : "[") + bound_text(min) + ", " + bound_text(max) + "]";
  }
  if (low) return std::string(above_min ? "> " : ">= ") + bound_text(min);
  if (high) return "<= " + bound_text(max);
  return "finite";
}

}  // namespace

CLI::Validator finite_number(double min, double max, bool above_min) {
  const std::string expected = range_text(min, max, above_min);
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        std::string_view text = input;
        if (!text.empty() && text.front() == '+') text.remove_prefix(1);
        double value = 0.0;
        const auto [end, error] =
            std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
        const bool parsed = error == std::errc{} && end == text.data() + text.size() && !text.empty();
        if (!parsed || !std::isfinite(value) || value < min || value > max ||
            (above_min && value <= min)) {
          return "expected " + expected + ", got " + quote_for_message(input);
        }
        return std::string();
      },
      range_brief(min, max, above_min));
}

std::optional<double> parse_rate_text(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::string number(text);
  // "12.5%" is read as 12.5e-2, so that it rounds once, to the double nearest 0.125, exactly as
  // "0.125" does (dividing the rounded 12.5 by 100 can be one bit off for other numbers).
  const bool exponent = number.find_first_of("eE") != std::string::npos;
  if (percent && !exponent) number += "e-2";
  double value = 0.0;
  const auto [end, error] =
      std::from_chars(number.data(), number.data() + number.size(), value, std::chars_format::general);
  if (error != std::errc{} || end != number.data() + number.size() || !std::isfinite(value)) return std::nullopt;
  if (percent && exponent) value /= 100.0;
  return value;
}

CLI::Validator rate_number(double min, double max, bool above_min) {
  const std::string expected = range_text(min, max, above_min);
  constexpr double kMax = std::numeric_limits<double>::max();
  const std::string as_percent =
      min > -kMax && max < kMax && !above_min
          ? " or a percentage from " + bound_text(min * 100.0) + "% to " + bound_text(max * 100.0) + "%"
          : " or a percentage";
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        const std::optional<double> value = parse_rate_text(input);
        if (!value || *value < min || *value > max || (above_min && *value <= min)) {
          return "expected " + expected + as_percent + ", got " + quote_for_message(input);
        }
        char buffer[64];
        const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, *value);
        if (error == std::errc{}) input.assign(buffer, end);
        return std::string();
      },
      range_brief(min, max, above_min) + " or %");
}

void throw_wrong_kind(const std::vector<std::string>& files, const std::string& message) {
  throw InputError(files.empty() || files.front() == "-" ? "<stdin>" : files.front(), 0, "", message);
}

double rate_value(const std::string& option, const std::string& text, double min, double max) {
  std::string value = text;
  const std::string error = rate_number(min, max)(value);
  if (!error.empty()) throw UsageError(option + ": " + error);
  return *parse_rate_text(text);
}

namespace {

struct FileId {
  dev_t device;
  ino_t inode;
  bool operator==(const FileId&) const = default;
};

// A regular file's identity (stat follows symbolic links); none for devices, pipes and missing files.
std::optional<FileId> regular_file(const std::string& path) {
  struct stat st {};
  const int status = path == "-" ? ::fstat(STDIN_FILENO, &st) : ::stat(path.c_str(), &st);
  if (status != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

std::vector<std::string> values(const CLI::App& command, const std::string& name) {
  const CLI::Option* option = command.get_option_no_throw(name);
  if (option == nullptr || option->count() == 0) return {};
  return option->results();
}

}  // namespace

void check_output_paths(const CLI::App& command) {
  struct Output {
    std::string option;
    std::string path;
  };
  std::vector<Output> outputs;
  for (const char* name : {"--output", "--emit-state", "--customers-csv"}) {
    for (const std::string& path : values(command, name)) {
      const std::string shown = std::string_view(name) == "--output" ? "-o/--output" : name;
      if (path.empty()) {
        throw UsageError(shown + ": an empty path; give a file name, or '-' for standard output");
      }
      if (path != "-") outputs.push_back({shown, path});
    }
  }
  if (outputs.empty()) return;
  std::vector<std::string> inputs;
  for (const char* name : {"files", "states", "--spend"}) {
    for (std::string& path : values(command, name)) inputs.push_back(std::move(path));
  }
  // No file at all reads standard input (a redirected file counts as an input).
  if (values(command, "files").empty() && values(command, "states").empty()) inputs.emplace_back("-");
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Output& out = outputs[i];
    const std::optional<FileId> id = regular_file(out.path);
    for (const std::string& in : inputs) {
      if (id && regular_file(in) == id) {
        throw UsageError(out.option + " " + quote_for_message(out.path) + " is the input " +
                         (in == "-" ? std::string("on standard input") : quote_for_message(in)) +
                         ": writing it would replace the data being read; write to another file");
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      const Output& other = outputs[j];
      // Neither exists yet: the same path, however written, is the same file.
      std::error_code ec1, ec2, ec3;
      const bool same =
          id ? regular_file(other.path) == id
             : !std::filesystem::exists(out.path, ec3) && !ec3 &&
                   std::filesystem::weakly_canonical(out.path, ec1) ==
                       std::filesystem::weakly_canonical(other.path, ec2) &&
                   !ec1 && !ec2;
      if (same) {
        throw UsageError(out.option + " and " + other.option + " name the same file " +
                         quote_for_message(out.path) + "; give each its own file");
      }
    }
  }
}

YearMonth parse_month_option(const char* option, const std::string& value) {
  YearMonth month;
  std::string_view text = value;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.size() != 7 || parse_period(text, month) != PeriodError::ok) {
    throw UsageError(std::string(option) + " " + quote_for_message(value) +
                     ": expected a month YYYY-MM, e.g. 2025-06");
  }
  return month;
}

}  // namespace csm::cli
