// `csm-metrics cohorts`: retention of customers grouped by the period they joined in.

#include <unistd.h>

#include <map>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/input_options.hpp"
#include "cli/option_checks.hpp"
#include "cli/csv_option.hpp"
#include "io/text_output.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "csm/io/state_file.hpp"
#include "cli/terminal.hpp"
#include "cli/transactions.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/cohorts.hpp"
#include "csm/error.hpp"
#include "csm/io/cohort_writer.hpp"
#include "csm/io/data_warnings.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/record_input.hpp"

namespace csm::cli {
namespace {

struct CohortCommandOptions {
  std::vector<std::string> files;
  OutputOptions out;  // -f, -o, --csv-raw, --color
  std::string input_format = "auto";
  std::vector<std::string> columns;
  bool skip_invalid = false;
  bool quiet = false;
  unsigned threads = 0;
  std::string grain = "month";
  bool exclude_reactivated = false;
  std::string metric = "logo";
  std::string by;
  std::string emit_state;  // --emit-state FILE
  std::string shard;       // --shard I/N
  std::string kind = "auto";
  std::string until;  // subscription records: last month of the range
  InputOptions range;  // --since, --strict, --dedupe, --delimiter, --round-money (and --until)
  InputOptions invoice;  // --currency, --fx, --preset (invoice records)
};

int emit_cohort_state(const CohortCommandOptions& options, io::ReadOptions read,
                      const CohortOptions& cohort_options, std::pair<std::uint32_t, std::uint32_t> shard,
                      Streams io);

int cohorts(const CohortCommandOptions& options, Streams io) {
  if (options.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError("no input: give a file (csm-metrics cohorts customers.csv) or pipe records in");
  }
  io::ReadOptions read;
  read.format = input_format_named(options.input_format);
  read.kind = io::record_kind_named(options.kind);
  {
    InputOptions range = options.range;
    range.until = options.until;
    apply_range_options(range, read);
  }
  read.renames = parse_renames(options.columns);
  // As compute --by: the column is read as the segment, and must be there.
  io::add_group_column(options.by, read);
  read.skip_invalid = options.skip_invalid;
  read.threads = io::effective_threads(options.threads);
  set_invoice_options(options.invoice, read);

  std::pair<std::uint32_t, std::uint32_t> shard{0, 1};
  if (!options.shard.empty()) {
    shard = parse_shard_spec(options.shard);
    read.shard = shard.first;
    read.shard_count = shard.second;
  }
  CohortOptions cohort_options;
  cohort_options.grain = parse_grain(options.grain).value_or(Grain::month);
  cohort_options.exclude_reactivated = options.exclude_reactivated;
  if (!options.emit_state.empty()) return emit_cohort_state(options, read, cohort_options, shard, io);

  io::CohortsRequest request;
  request.inputs = options.files;
  request.read = read;
  request.options = cohort_options;
  request.group_by = options.by;
  request.today = today_utc();
  io::CohortsRun run = io::run_cohorts(request);
  print_messages(run.messages, options.quiet, io.err);
  io::CohortReport& report = run.report;
  report.version = CSM_VERSION;
  const std::vector<DataWarning>& data_warnings = run.data_warnings;

  write_output(options.out.output, io, cohort_text(report, options.out, options.metric, data_warnings, io.out));
  return strict_status(options.range, data_warnings, kOk, io.err);
}

// --emit-state: the partial state (cohorts by month) of the input instead of the table.
int emit_cohort_state(const CohortCommandOptions& options, io::ReadOptions read,
                      const CohortOptions& cohort_options, std::pair<std::uint32_t, std::uint32_t> shard,
                      Streams io) {
  read.allow_empty = true;  // an empty shard has an empty state
  io::RecordInput input(options.files, read);
  // Customers by month are what cohorts are made of: activity records, or subscriptions turned
  // into them as compute does. Summary records have no customers.
  const io::RecordKind kind = input.kind();
  if (kind == io::RecordKind::summary) {
    throw_wrong_kind(options.files, "cohorts need one row per customer (activity or subscription records); "
                     "summary records have counts only");
  }
  if (kind == io::RecordKind::transaction) {
    throw_wrong_kind(options.files, "these are transaction records (date, amount): they are read by "
                     "'csm-metrics rfm' and 'csm-metrics predict'");
  }
  if (kind != io::RecordKind::activity) throw UsageError("--emit-state needs activity records");
  ActivityAggregator aggregator;
  // A partial state holds months: merge rolls them up once it knows the whole range.
  CohortOptions monthly = cohort_options;
  monthly.grain = Grain::month;
  aggregator.collect_cohorts(monthly);
  if (!options.by.empty()) aggregator.group_by_segment();
  try {
    input.read(aggregator);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  io::check_cohort_range(aggregator, input.report());
  (void)aggregator.finish(MetricOptions{}, read.threads);
  io::CohortState state;
  state.tool_version = CSM_VERSION;
  state.shard = shard.first;
  state.shard_count = shard.second;
  state.options = cohort_options;
  state.group_by = options.by;
  state.sources = input.report().sources;
  state.records = input.report().records;
  state.skipped = input.report().skipped;
  state.stats = aggregator.stats();
  state.monthly = aggregator.take_cohorts();
  write_output(options.emit_state, io, io::to_state_text(state));
  return kOk;
}

}  // namespace

CommandRunner add_cohorts_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<CohortCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "cohorts", "Retention of customers grouped by the period of their first active month "
                 "(activity or subscription records)");
  cmd->add_option("files", options->files,
                  "Input files; none or '-' reads standard input; several are read as one stream");
  add_csv_raw_flag(*cmd, options->out.csv_raw);
  cmd->add_option("-f,--format", options->out.format, "Output: table (default), json or csv")
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  cmd->add_option("--input-format", options->input_format,
                  "Input format: auto (by extension, else content), csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_option("--kind", options->kind,
                  "Record kind: auto (a start_date column means subscription, service_start invoice), "
                  "activity, subscription, invoice")
      ->transform(CLI::IsMember({"auto", "activity", "subscription", "invoice"}, CLI::ignore_case));
  add_invoice_options(*cmd, options->invoice);
  cmd->add_option("--until", options->until,
                  "The last month: later rows are left out (counted in input); 'previous' = the "
                  "last complete month before today (UTC). Subscription records: the range ends "
                  "there (default: the latest start or end month)")
      ->type_name("YYYY-MM|previous");
  cmd->add_option("--column", options->columns,
                  "Read a column under another name, e.g. --column revenue=MRR (repeatable)")
      ->type_name("NAME=INPUT");
  add_range_options(*cmd, options->range);
  cmd->add_flag("--skip-invalid", options->skip_invalid,
                "Skip invalid records (counted and reported) instead of stopping at the first");
  cmd->add_option("--grain", options->grain, "Cohorts and ages in months (default), quarters or years")
      ->transform(CLI::IsMember({"month", "quarter", "year"}, CLI::ignore_case));
  cmd->add_flag("--exclude-reactivated", options->exclude_reactivated,
                "Count a customer only while it has been active every month since joining "
                "(default: also after it came back)");
  cmd->add_option("--metric", options->metric,
                  "Table: logo retention (default), revenue retention, or both")
      ->transform(CLI::IsMember({"logo", "revenue", "both"}, CLI::ignore_case));
  cmd->add_option("--by", options->by,
                  "Also the cohorts of each group: the value of input column COLUMN in the "
                  "customer's first active month")
      ->type_name("COLUMN");
  cmd->add_option("-o,--output", options->out.output,
                  "Write the result to this file (atomically: all or nothing) instead of stdout");
  cmd->add_option("--color", options->out.color,
                  "Colour in the table: auto (terminal only, not with NO_COLOR), always, never")
      ->transform(CLI::IsMember({"auto", "always", "never"}, CLI::ignore_case));
  cmd->add_flag("-q,--quiet", options->quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("-j,--threads", options->threads,
                  "Threads for large files (default 0: one per core); the result is the same")
      ->check(CLI::Range(0u, 256u));
  cmd->add_option("--emit-state", options->emit_state,
                  "Write the partial state (cohorts by month) to FILE for 'csm-metrics merge' "
                  "instead of the table (docs/scale-out.md)")
      ->type_name("FILE");
  cmd->add_option("--shard", options->shard, "The input is shard I of N of 'csm-metrics shard' (checked)")
      ->type_name("I/N");
  return [options, io, cmd] {
    if (!options->emit_state.empty()) {
      const std::string why = "the state goes to the --emit-state FILE; output options apply to 'csm-metrics merge'";
      refuse_with_emit_state(*cmd, {{"--output", why}, {"--format", why}, {"--metric", why}, {"--color", why}});
    }
    return cohorts(*options, io);
  };
}

}  // namespace csm::cli
