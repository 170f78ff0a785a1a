// `csm-metrics report`: the HTML report (docs/report.md). Reads input exactly like `compute`
// (same input options, same numbers) and writes one self-contained page.

#include <unistd.h>

#include <ctime>
#include <map>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/run.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "csm/io/html_report.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/record_input.hpp"
#include "csm/summary_metrics.hpp"

namespace csm::cli {
namespace {

struct ReportOptions {
  std::vector<std::string> files;
  std::string input_format = "auto";
  std::string kind = "auto";
  std::vector<std::string> columns;
  bool skip_invalid = false;
  MetricOptions metrics;
  std::string output;
  std::string title = "Customer-success report";
  bool timestamp = false;
  bool quiet = false;
  unsigned threads = 0;
};

std::vector<std::pair<std::string, std::string>> renames_of(const std::vector<std::string>& specs) {
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

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
  return std::string(text, n);
}

int report(const ReportOptions& options, Streams io) {
  if (options.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError(
        "no input: give a file (csm-metrics report customers.csv -o report.html), pipe records in, or "
        "use '-' to type them");
  }
  static const std::map<std::string, io::InputFormat> input_formats = {
      {"auto", io::InputFormat::automatic}, {"csv", io::InputFormat::csv},
      {"tsv", io::InputFormat::tsv},        {"json", io::InputFormat::json},
      {"jsonl", io::InputFormat::jsonl},    {"ndjson", io::InputFormat::jsonl}};
  static const std::map<std::string, io::RecordKind> kinds = {
      {"auto", io::RecordKind::automatic},
      {"activity", io::RecordKind::activity},
      {"summary", io::RecordKind::summary}};
  io::ReadOptions read;
  read.format = input_formats.at(options.input_format);
  read.kind = kinds.at(options.kind);
  read.renames = renames_of(options.columns);
  read.skip_invalid = options.skip_invalid;
  read.threads = io::effective_threads(options.threads);

  io::ReportInput page;
  page.title = options.title;
  io::MetricsReport& report = page.metrics;
  report.version = CSM_VERSION;
  report.options = options.metrics;
  io::RecordInput input(options.files, read);
  try {
    report.kind = input.kind();
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
  report.input = input.report();
  report.summary = summarize(report.periods);
  if (report.input.skipped > 0) {
    report.warnings.push_back("skipped " + std::to_string(report.input.skipped) + " invalid records");
    if (!options.quiet) {
      for (const std::string& message : report.input.skipped_messages) {
        io.err << "csm-metrics: skipped: " << message << '\n';
      }
      if (report.input.skipped > report.input.skipped_messages.size()) {
        io.err << "csm-metrics: skipped " << report.input.skipped << " invalid records in all\n";
      }
    }
  }
  // Cohorts and groups (page.cohorts, page.groups) are filled here once `compute` has them.
  if (options.timestamp) page.timestamp = utc_now();

  const std::string html = io::to_html(page);
  if (!options.output.empty() && options.output != "-") {
    io::write_file_atomically(options.output, html);
    return kOk;
  }
  io.out << html;
  io.out.flush();
  if (!io.out) throw OutputError("<stdout>: write failed");
  return kOk;
}

}  // namespace

CommandRunner add_report_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "One self-contained HTML page with charts of the monthly metrics (docs/report.md)");
  cmd->add_option("files", options->files,
                  "Input files; none or '-' reads standard input; several are read as one stream");
  cmd->add_option("-o,--output", options->output,
                  "Write the page to this file (atomically: all or nothing) instead of stdout");
  cmd->add_option("--title", options->title, "Title of the page")->default_val("Customer-success report");
  cmd->add_flag("--timestamp", options->timestamp,
                "Put the current time (UTC) in the footer; without it, the same input gives the same bytes");
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
  cmd->add_option("--gross-margin", options->metrics.gross_margin, "Gross margin for clv, a fraction 0..1")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(1.0);
  cmd->add_option("--discount-rate", options->metrics.discount_rate,
                  "Discount rate per month for clv, a fraction >= 0")
      ->check(CLI::Range(0.0, 1e6))
      ->default_val(0.0);
  cmd->add_flag("-q,--quiet", options->quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("-j,--threads", options->threads,
                  "Threads for large files (default 0: one per core); the result is the same")
      ->check(CLI::Range(0u, 256u));
  return [options, io] { return report(*options, io); };
}

}  // namespace csm::cli
