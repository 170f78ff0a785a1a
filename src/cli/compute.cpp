#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <map>
#include <stdexcept>

#include "cli/alerts.hpp"
#include "cli/csv_option.hpp"
#include "io/text_output.hpp"
#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/input_options.hpp"
#include "cli/progress.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "cli/terminal.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "csm/grain.hpp"
#include "csm/io/data_warnings.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/record_input.hpp"
#include "csm/io/run.hpp"
#include "csm/summary_metrics.hpp"

namespace csm::cli {
namespace {

constexpr const char* kEmitStateSummary =
    "--emit-state needs activity or subscription records (one row per customer): summary records "
    "(one row per month) are refused, since a month's totals cannot be split by customer";
constexpr const char* kExplainNeedsRows =
    "the data report needs the rows, and a state keeps only sums: run 'csm-metrics check' on the "
    "shard instead";
constexpr const char* kMergeApplies = "give it to 'csm-metrics merge', which applies it to the merged metrics";
constexpr const char* kStateIsTheOutput =
    "the state goes to the --emit-state FILE; output options apply to 'csm-metrics merge'";

struct ComputeOptions {
  InputOptions input;  // files, formats, kinds, --until, --column, metric options, --by, --grain
  OutputOptions out;   // -f, -o, -a, --csv-raw, --color
  std::vector<std::string> fail_if;
  std::string fail_scope = "latest";
  bool explain = false;     // --explain: the data report too
  bool check_only = false;  // `check`: only the data report
  std::string emit_state;  // --emit-state FILE: the partial state instead of metrics
  std::string shard;       // --shard I/N
};

// Progress only for a person watching: stderr a terminal, not --quiet, not NO_COLOR.
Progress make_progress(const InputOptions& options, Streams io) {
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
  return Progress(!options.quiet && is_terminal(io.err) && (no_color == nullptr || *no_color == '\0'),
                  io.err, total_bytes);
}

}  // namespace

int write_metrics(io::MetricsReport& report, const OutputOptions& options, Streams io, bool check_only) {
  const std::string format = io::text::ascii_lower(options.format);
  std::string text;
  if (check_only) {
    if (format == "json") {
      text = io::to_explain_json(report);
    } else {
      text = io::explain_text(*report.explain);
      if (!report.data_warnings.empty()) {
        text += "data-quality warnings (docs/metrics.md, section 15)\n";
        for (const DataWarning& w : report.data_warnings) text += "  " + w.code + ": " + w.message + '\n';
      }
    }
  } else if (format == "json") {
    text = io::to_json(report);
  } else if (format == "csv") {
    text = io::to_csv(report, csv_style(options.csv_raw));
  } else {
    io::TableStyle style;
    style.all_columns = options.all;
    style.color = to_stdout(options.output) && use_color(color_mode(io::text::ascii_lower(options.color)), io.out);
    // The characters the reader's device can show, which the locale says: a pipe into `less` on a
    // UTF-8 terminal gets the blocks as the terminal does, LC_ALL=C the ASCII ramp (issue 18).
    style.unicode = utf8_locale();
    text = io::to_table(report, style);
  }
  // The report comes before the metrics, on stderr, unless it is inside the JSON.
  if (report.explain && !check_only && format != "json") {
    io.err << io::explain_text(*report.explain);
    io.err.flush();
  }
  write_output(options.output, io, text);
  if (report.thresholds && print_crossings(*report.thresholds, io.err, report.grain)) {
    return kThresholdCrossed;
  }
  return kOk;
}


namespace {

// --emit-state: the partial aggregation state of the input instead of metrics (docs/scale-out.md).
int emit_state(const ComputeOptions& options, io::ReadOptions read,
               std::pair<std::uint32_t, std::uint32_t> shard, Streams io) {
  const InputOptions& in = options.input;
  if (read.kind == io::RecordKind::summary) throw UsageError(kEmitStateSummary);
  read.allow_empty = true;  // an empty shard has an empty state
  Progress progress = make_progress(in, io);
  read.bytes_parsed = progress.counter();
  io::RecordInput input(in.files, read);
  try {
    const io::RecordKind kind = input.kind();
    if (kind == io::RecordKind::transaction) {
      throw_wrong_kind(in.files,
          "these are transaction records (date, amount): their states come from 'csm-metrics rfm "
          "--emit-state'");
    }
    if (kind == io::RecordKind::summary) throw_wrong_kind(in.files, kEmitStateSummary);
    if ((kind == io::RecordKind::subscription || kind == io::RecordKind::invoice) && !read.until) {
      throw UsageError(
          "--emit-state with subscription records needs --until YYYY-MM, the same for every shard: "
          "without it each shard would end its range at its own latest date, so its open "
          "subscriptions would churn too early");
    }
    ActivityAggregator aggregator;
    if (!in.by.empty()) aggregator.group_by_segment();
    input.read(aggregator);
    EmitStateRequest request;
    request.path = options.emit_state;
    request.shard = shard.first;
    request.shard_count = shard.second;
    request.options = in.metrics;
    request.grain = parse_grain(io::text::ascii_lower(in.grain)).value_or(Grain::month);
    request.group_by = in.by;
    request.subscriptions = kind == io::RecordKind::subscription || kind == io::RecordKind::invoice;
    request.until = read.until;
    request.invoices = kind == io::RecordKind::invoice;
    request.threads = read.threads;
    request.quiet = in.quiet;
    progress.finish();
    return emit_activity_state(aggregator, input, request, io);
  } catch (const TooManyGroups& e) {
    throw UsageError("--by " + in.by + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

int compute(const ComputeOptions& options, Streams io) {
  const InputOptions& in = options.input;
  // With no file on a terminal, reading stdin would just wait for typing: say what is expected.
  if (in.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError(
        "no input: give a file (csm-metrics compute customers.csv), pipe records in, or use '-' "
        "to type them");
  }
  // A malformed threshold stops the run before any reading.
  const std::vector<Threshold> thresholds = parse_fail_if(options.fail_if, !in.by.empty());
  io::ReadOptions read = read_options(in);
  std::pair<std::uint32_t, std::uint32_t> shard{0, 1};
  if (!options.shard.empty()) {
    shard = parse_shard_spec(options.shard);
    read.shard = shard.first;
    read.shard_count = shard.second;
  }
  if (!options.emit_state.empty()) return emit_state(options, read, shard, io);

  Progress progress = make_progress(in, io);
  read.bytes_parsed = progress.counter();
  InputProfile profile;
  if (options.explain || options.check_only) read.profile = &profile;
  // The same reading and aggregation as `report` (io::run_metrics, csm/io/run.hpp).
  io::MetricsRequest request = metrics_request(in, read, options.check_only ? "check" : "compute");
  request.thresholds = thresholds;
  request.threshold_scope =
      io::text::ascii_lower(options.fail_scope) == "all" ? ThresholdScope::all : ThresholdScope::latest;
  io::MetricsRun run = io::run_metrics(request);
  progress.finish();
  print_messages(run.messages, in.quiet, io.err);
  io::MetricsReport& report = run.report;

  return strict_status(in, report.data_warnings, write_metrics(report, options.out, io, options.check_only),
                       io.err);
}

}  // namespace

CommandRunner add_compute_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<ComputeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compute", "Monthly metrics from activity records (one row per customer and month), "
                 "subscription records or summary records (one row per month)");
  cmd->add_option("-f,--format", options->out.format, "Output: table (default), json or csv")
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  add_record_options(*cmd, options->input);
  add_metric_options(*cmd, options->input);
  cmd->add_flag("--explain", options->explain,
                "Also report on the input (rows, customers, months without rows, duplicates, "
                "zero revenue, invalid values): on stderr, or as \"explain\" in JSON");
  add_table_output_options(*cmd, options->out);
  cmd->add_flag("-q,--quiet", options->input.quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("-j,--threads", options->input.threads,
                  "Threads for large files (default 0: one per core); the result is the same")
      ->check(CLI::Range(0u, 256u));
  cmd->add_option("--fail-if", options->fail_if,
                  "Exit with status 1 when FIELD OP NUMBER holds, e.g. 'churn_rate > 5' or "
                  "'summary.average_nrr < 100' (repeatable; docs/alerts.md)")
      ->type_name("EXPR")
      ->allow_extra_args(false);
  cmd->add_option("--fail-scope", options->fail_scope,
                  "Periods --fail-if checks: latest (default, the last month) or all")
      ->transform(CLI::IsMember({"latest", "all"}, CLI::ignore_case));
  add_group_options(*cmd, options->input);
  cmd->add_option("--emit-state", options->emit_state,
                  "Write the partial aggregation state of the input to FILE ('-': stdout) instead "
                  "of metrics, for 'csm-metrics merge' (activity records; docs/scale-out.md)")
      ->type_name("FILE");
  cmd->add_option("--shard", options->shard,
                  "The input is shard I of N of 'csm-metrics shard': check every record's "
                  "customer_id hashes to I (recorded in the --emit-state state)")
      ->type_name("I/N");
  return [options, io, cmd] {
    if (!options->emit_state.empty()) {
      refuse_with_emit_state(*cmd, {{"--explain", kExplainNeedsRows},
                                    {"--spend", kMergeApplies},
                                    {"--spend-mode", kMergeApplies},
                                    {"--fail-if", kMergeApplies},
                                    {"--fail-scope", kMergeApplies},
                                    {"--output", kStateIsTheOutput},
                                    {"--format", kStateIsTheOutput},
                                    {"--all", kStateIsTheOutput},
                                    {"--color", kStateIsTheOutput}});
    }
    return compute(*options, io);
  };
}

CommandRunner add_check_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<ComputeOptions>();
  options->check_only = true;
  CLI::App* cmd = app.add_subcommand(
      "check", "Report on the input before trusting its metrics: rows, customers, months without "
               "rows, duplicate rows, zero-revenue rows, invalid values by column");
  cmd->add_option("-f,--format", options->out.format, "Output: table (default) or json")
      ->transform(CLI::IsMember({"table", "json"}, CLI::ignore_case));
  add_record_options(*cmd, options->input);
  cmd->add_option("-o,--output", options->out.output,
                  "Write the report to this file (atomically: all or nothing) instead of stdout");
  cmd->add_flag("-q,--quiet", options->input.quiet, "No notes on stderr (errors are still printed)");
  return [options, io] { return compute(*options, io); };
}

}  // namespace csm::cli
