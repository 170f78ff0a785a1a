// `csm-metrics at-risk`: the customers active in the latest month that show a warning sign.

#include <unistd.h>

#include <cmath>
#include <map>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/run.hpp"
#include "csm/at_risk.hpp"
#include "csm/error.hpp"
#include "csm/io/at_risk_writer.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/record_input.hpp"

namespace csm::cli {
namespace {

struct AtRiskCliOptions {
  std::vector<std::string> files;
  std::string format = "table";
  std::string input_format = "auto";
  std::vector<std::string> columns;
  bool skip_invalid = false;
  std::string output;
  bool quiet = false;
  std::string as_of;
  int window = 3;
  double contraction_pct = 20;
  int csat_max = 2;
  int gap_window = 6;
  int flat_months = 6;
  std::size_t top = 0;
};

int at_risk(const AtRiskCliOptions& options, Streams io) {
  if (options.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError(
        "no input: give a file (csm-metrics at-risk customers.csv), pipe records in, or use '-' "
        "to type them");
  }
  io::AtRiskReport report;
  report.version = CSM_VERSION;
  report.top = options.top;
  AtRiskOptions& rules = report.options;
  rules.window = options.window;
  rules.csat_max = options.csat_max;
  rules.gap_window = options.gap_window;
  rules.flat_months = options.flat_months;
  // Percent to micro-units; the option allows at most 6 decimals' worth of precision.
  rules.contraction_pct = static_cast<Money>(std::llround(options.contraction_pct * 1e6));
  if (!options.as_of.empty()) {
    YearMonth month;
    std::string_view text = options.as_of;
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.size() != 7 || parse_period(text, month) != PeriodError::ok) {
      throw UsageError("--as-of " + quote_for_message(options.as_of) +
                       ": expected a month YYYY-MM, e.g. 2025-06");
    }
    rules.as_of = month;
  }

  io::ReadOptions read;
  static const std::map<std::string, io::InputFormat> input_formats = {
      {"auto", io::InputFormat::automatic}, {"csv", io::InputFormat::csv},
      {"tsv", io::InputFormat::tsv},        {"json", io::InputFormat::json},
      {"jsonl", io::InputFormat::jsonl},    {"ndjson", io::InputFormat::jsonl}};
  read.format = input_formats.at(options.input_format);
  read.kind = io::RecordKind::automatic;
  read.renames = parse_renames(options.columns);
  read.skip_invalid = options.skip_invalid;
  read.threads = 1;  // the history is filled in one stream

  io::RecordInput input(options.files, read);
  CustomerHistory history;
  try {
    if (input.kind() == io::RecordKind::summary) {
      throw InputError(options.files.empty() ? "<stdin>" : options.files.front(), 0, "",
                       "at-risk needs activity records (one row per customer and month), not "
                       "summary records");
    }
    input.read(history);
    report.result = history.evaluate(rules);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  report.input = input.report();
  report.options.as_of = report.result.as_of;

  if (report.input.skipped > 0) {
    report.warnings.push_back("skipped " + std::to_string(report.input.skipped) +
                              " invalid records");
    if (!options.quiet) {
      for (const std::string& message : report.input.skipped_messages) {
        io.err << "csm-metrics: skipped: " << message << '\n';
      }
    }
  }
  if (report.result.as_of && report.result.active_customers == 0) {
    const std::string note = "no customer has revenue in " + to_string(*report.result.as_of);
    report.warnings.push_back(note);
    if (!options.quiet) io.err << "csm-metrics: note: " << note << '\n';
  }

  std::string text;
  if (options.format == "json") {
    text = io::to_json(report);
  } else if (options.format == "csv") {
    text = io::to_csv(report);
  } else {
    text = io::to_table(report);
  }
  if (!options.output.empty() && options.output != "-") {
    io::write_file_atomically(options.output, text);
  } else {
    io.out << text;
    io.out.flush();
    if (!io.out) throw OutputError("<stdout>: write failed");
  }
  return kOk;
}

}  // namespace

CommandRunner add_at_risk_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<AtRiskCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "at-risk", "Customers active in the latest month that show a warning sign (contraction, "
                 "low csat, a return after a gap, flat revenue at a low tier); docs/at-risk.md");
  cmd->add_option("files", options->files,
                  "Activity records; none or '-' reads standard input; several are read as one stream");
  cmd->add_option("-f,--format", options->format, "Output: table (default), json or csv")
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  cmd->add_option("--input-format", options->input_format,
                  "Input format: auto (by extension, else content), csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_option("--column", options->columns,
                  "Read a column under another name, e.g. --column revenue=MRR (repeatable)")
      ->type_name("NAME=INPUT")
      ->allow_extra_args(false);
  cmd->add_flag("--skip-invalid", options->skip_invalid,
                "Skip invalid records (counted and reported) instead of stopping at the first");
  cmd->add_option("-o,--output", options->output,
                  "Write the result to this file (atomically: all or nothing) instead of stdout");
  cmd->add_flag("-q,--quiet", options->quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("--as-of", options->as_of,
                  "Evaluate this month (YYYY-MM) instead of the latest month in the data")
      ->type_name("YYYY-MM");
  cmd->add_option("--window", options->window,
                  "Months looked back by contraction and low_csat")
      ->check(CLI::Range(1, 1200))
      ->default_val(3);
  cmd->add_option("--contraction-pct", options->contraction_pct,
                  "contraction: latest revenue at least this many percent below the highest of "
                  "the window")
      ->check(CLI::Range(0.0, 100.0))
      ->default_val(20);
  cmd->add_option("--csat-max", options->csat_max, "low_csat: a response <= this (1..5)")
      ->check(CLI::Range(1, 5))
      ->default_val(2);
  cmd->add_option("--gap-window", options->gap_window,
                  "gap_return: a return after a month without revenue within this many months")
      ->check(CLI::Range(2, 1200))
      ->default_val(6);
  cmd->add_option("--flat-months", options->flat_months,
                  "flat_low_tier: revenue unchanged for at least this many months")
      ->check(CLI::Range(2, 1200))
      ->default_val(6);
  cmd->add_option("--top", options->top, "Show at most N customers (0: all)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1000000000}));
  return [options, io] { return at_risk(*options, io); };
}

}  // namespace csm::cli
