#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "cli/terminal.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/record_input.hpp"
#include "csm/summary_metrics.hpp"

namespace csm::cli {
namespace {

struct ComputeOptions {
  std::vector<std::string> files;
  std::string format = "table";
  std::string input_format = "auto";
  std::string kind = "auto";
  std::vector<std::string> columns;
  bool skip_invalid = false;
  MetricOptions metrics;
  std::string output;
  bool all = false;
  std::string color = "auto";
  bool quiet = false;
  unsigned threads = 0;
};

std::vector<std::pair<std::string, std::string>> parse_renames(const std::vector<std::string>& specs) {
  std::vector<std::pair<std::string, std::string>> renames;
  for (const std::string& spec : specs) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw UsageError("--column " + spec + ": expected NAME=INPUT_COLUMN, e.g. --column revenue=MRR");
    }
    renames.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
  }
  return renames;
}

void write_result(const ComputeOptions& options, Streams io, const std::string& text) {
  if (!options.output.empty() && options.output != "-") {
    io::write_file_atomically(options.output, text);
    return;
  }
  io.out << text;
  io.out.flush();
  if (!io.out) throw OutputError("<stdout>: write failed");
}

int compute(const ComputeOptions& options, Streams io) {
  // With no file on a terminal, reading stdin would just wait for typing: say what is expected.
  if (options.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError(
        "no input: give a file (csm-metrics compute customers.csv), pipe records in, or use '-' "
        "to type them");
  }
  io::ReadOptions read;
  static const std::map<std::string, io::InputFormat> input_formats = {
      {"auto", io::InputFormat::automatic}, {"csv", io::InputFormat::csv},
      {"tsv", io::InputFormat::tsv},        {"json", io::InputFormat::json},
      {"jsonl", io::InputFormat::jsonl},    {"ndjson", io::InputFormat::jsonl}};
  static const std::map<std::string, io::RecordKind> kinds = {
      {"auto", io::RecordKind::automatic},
      {"activity", io::RecordKind::activity},
      {"summary", io::RecordKind::summary}};
  read.format = input_formats.at(options.input_format);
  read.kind = kinds.at(options.kind);
  read.renames = parse_renames(options.columns);
  read.skip_invalid = options.skip_invalid;
  read.threads = io::effective_threads(options.threads);

  // Progress only for a person watching: stderr a terminal, not --quiet, not NO_COLOR.
  std::optional<std::uint64_t> total_bytes = std::uint64_t{0};
  for (const std::string& path : options.files.empty() ? std::vector<std::string>{"-"} : options.files) {
    struct stat st {};
    if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      total_bytes.reset();
      break;
    }
    *total_bytes += static_cast<std::uint64_t>(st.st_size);
  }
  const char* no_color = std::getenv("NO_COLOR");
  Progress progress(!options.quiet && is_terminal(io.err) && (no_color == nullptr || *no_color == '\0'),
                    io.err, total_bytes);
  read.bytes_parsed = progress.counter();

  io::MetricsReport report;
  report.version = CSM_VERSION;
  report.options = options.metrics;
  io::RecordInput input(options.files, read);
  try {
    report.kind = input.kind();
    if (report.kind == io::RecordKind::transaction) {
      throw UsageError(
          "these are transaction records (date, amount): they are read by 'csm-metrics rfm' and "
          "'csm-metrics predict'; compute reads activity or summary records");
    }
    if (report.kind == io::RecordKind::summary) {
      SummaryAggregator aggregator;
      input.read(aggregator);
      report.periods = aggregator.finish(options.metrics);
    } else {
      ActivityAggregator aggregator;
      input.read(aggregator);
      report.periods = aggregator.finish(options.metrics, read.threads);
      report.activity = aggregator.stats();
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  progress.finish();
  report.input = input.report();
  report.summary = summarize(report.periods);

  if (report.input.skipped > 0) {
    report.warnings.push_back("skipped " + std::to_string(report.input.skipped) +
                              " invalid records");
    if (!options.quiet) {
      for (const std::string& message : report.input.skipped_messages) {
        io.err << "csm-metrics: skipped: " << message << '\n';
      }
      if (report.input.skipped > report.input.skipped_messages.size()) {
        io.err << "csm-metrics: skipped " << report.input.skipped << " invalid records in all\n";
      }
    }
  }

  std::string text;
  if (options.format == "json") {
    text = io::to_json(report);
  } else if (options.format == "csv") {
    text = io::to_csv(report);
  } else {
    const bool to_stdout = options.output.empty() || options.output == "-";
    const ColorMode color = options.color == "always"  ? ColorMode::always
                            : options.color == "never" ? ColorMode::never
                                                       : ColorMode::automatic;
    io::TableStyle style;
    style.all_columns = options.all;
    style.color = to_stdout && use_color(color, io.out);
    text = io::to_table(report, style);
  }
  write_result(options, io, text);
  return kOk;
}

}  // namespace

CommandRunner add_compute_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<ComputeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compute", "Monthly metrics from activity records (one row per customer and month) or "
                 "summary records (one row per month)");
  cmd->add_option("files", options->files,
                  "Input files; none or '-' reads standard input; several are read as one stream");
  cmd->add_option("-f,--format", options->format, "Output: table (default), json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  cmd->add_option("--input-format", options->input_format,
                  "Input format: auto (by extension, else content), csv, tsv, json, jsonl")
      ->check(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_option("--kind", options->kind,
                  "Record kind: auto (a customers_start column means summary), activity, summary")
      ->check(CLI::IsMember({"auto", "activity", "summary"}, CLI::ignore_case));
  cmd->add_option("--column", options->columns,
                  "Read a column under another name, e.g. --column revenue=MRR (repeatable)")
      ->type_name("NAME=INPUT");
  cmd->add_flag("--skip-invalid", options->skip_invalid,
                "Skip invalid records (counted and reported) instead of stopping at the first");
  cmd->add_option("--csat-threshold", options->metrics.csat_threshold,
                  "A csat response >= this counts as satisfied (1..5)")
      ->check(CLI::Range(1, 5))
      ->default_val(4);
  cmd->add_option("--gross-margin", options->metrics.gross_margin,
                  "Gross margin for clv, a fraction 0..1")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(1.0);
  cmd->add_option("--discount-rate", options->metrics.discount_rate,
                  "Discount rate per month for clv, a fraction >= 0")
      ->check(CLI::Range(0.0, 1e6))
      ->default_val(0.0);
  cmd->add_option("-o,--output", options->output,
                  "Write the result to this file (atomically: all or nothing) instead of stdout");
  cmd->add_flag("-a,--all", options->all, "Table: show every field, not only the key columns");
  cmd->add_option("--color", options->color,
                  "Colour in the table: auto (terminal only, not with NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}, CLI::ignore_case));
  cmd->add_flag("-q,--quiet", options->quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("-j,--threads", options->threads,
                  "Threads for large files (default 0: one per core); the result is the same")
      ->check(CLI::Range(0u, 256u));
  return [options, io] { return compute(*options, io); };
}

}  // namespace csm::cli
