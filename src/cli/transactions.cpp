#include "cli/transactions.hpp"
#include "cli/input_options.hpp"
#include "cli/csv_option.hpp"
#include "io/text_output.hpp"

#include <unistd.h>

#include <map>
#include <stdexcept>

#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "csm/io/output_file.hpp"

namespace csm::cli {

void add_transaction_options(CLI::App* cmd, TransactionOptions& options) {
  cmd->add_option("files", options.files,
                  "Transaction files; none or '-' reads standard input; several are one stream");
  cmd->add_option("--end", options.end,
                  "End of the calibration period, YYYY-MM-DD (purchases after it are not used)")
      ->required();
  cmd->add_option("--unit", options.unit,
                  "Time unit of t_x, T and horizons: day, week (7 days) or month (365.25/12 days); "
                  "with --model bg-bb the opportunities: day, week, month, quarter or year")
      ->check(CLI::IsMember({"day", "week", "month", "quarter", "year"}, CLI::ignore_case));
  add_csv_raw_flag(*cmd, options.csv_raw);
  cmd->add_option("-f,--format", options.format, "Output: table (default), json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  cmd->add_option("--input-format", options.input_format,
                  "Input format: auto (by extension, else content), csv, tsv, json, jsonl")
      ->check(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_option("--column", options.columns,
                  "Read a column under another name, e.g. --column amount=Total (repeatable)")
      ->type_name("NAME=INPUT");
  cmd->add_flag("--skip-invalid", options.skip_invalid,
                "Skip invalid records (counted and reported) instead of stopping at the first");
  cmd->add_option("-o,--output", options.output,
                  "Write the result to this file (atomically: all or nothing) instead of stdout");
  cmd->add_flag("-q,--quiet", options.quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("-j,--threads", options.threads,
                  "Threads for large files, the fits and the predictions (default 0: one per "
                  "core); the result is the same")
      ->check(CLI::Range(0u, 256u));
}

void normalise(TransactionOptions& options) {
  options.format = io::text::ascii_lower(options.format);
  options.input_format = io::text::ascii_lower(options.input_format);
  options.unit = io::text::ascii_lower(options.unit);
}

Date parse_date_option(const std::string& option, const std::string& text) {
  Date date;
  const PeriodError error = parse_date(text, date);
  if (error != PeriodError::ok) {
    throw UsageError(option + ": expected a date as YYYY-MM-DD, got " + quote_for_message(text));
  }
  return date;
}

RfmSummary read_transactions(const TransactionOptions& options, std::optional<Date> holdout_end,
                             io::ReadReport& report, Streams io,
                             std::function<std::int32_t(std::int32_t)> period_of) {
  if (options.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError("no input: give a transaction file, pipe records in, or use '-' to type them");
  }
  const Date end = parse_date_option("--end", options.end);
  if (holdout_end && *holdout_end <= end) {
    throw UsageError("--holdout-end " + to_string(*holdout_end) + " must be after --end " +
                     to_string(end));
  }
  io::ReadOptions read;
  read.format = input_format_named(options.input_format);
  read.kind = io::RecordKind::transaction;
  read.renames = parse_renames(options.columns, "amount=Total");
  read.skip_invalid = options.skip_invalid;
  read.threads = io::effective_threads(options.threads);
  read.shard = options.shard;
  read.shard_count = options.shard_count;
  read.allow_empty = options.allow_empty;
  static const std::map<std::string, TimeUnit> units = {
      {"day", TimeUnit::day}, {"week", TimeUnit::week}, {"month", TimeUnit::month}};
  if (units.count(options.unit) == 0) {
    throw UsageError("--unit " + options.unit + " applies to predict --model bg-bb (opportunities); "
                     "give day, week or month");
  }
  RfmAccumulator accumulator(end, holdout_end);
  if (period_of) accumulator.count_periods(std::move(period_of));
  io::RecordInput input(options.files, read);
  try {
    input.read(accumulator);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  report = input.report();
  if (report.skipped > 0 && !options.quiet) {
    for (const std::string& message : report.skipped_messages) {
      io.err << "csm-metrics: skipped: " << message << '\n';
    }
    if (report.skipped > report.skipped_messages.size()) {
      io.err << "csm-metrics: skipped " << report.skipped << " invalid records in all\n";
    }
  }
  RfmSummary summary;
  try {
    summary = accumulator.finish(units.at(options.unit), read.threads);
  } catch (const RevenueOverflow& e) {
    // The same exit status as compute's month past the money limit (65), with the input named.
    std::string sources;
    for (const std::string& name : report.sources) sources += (sources.empty() ? "" : ", ") + name;
    throw InputError(sources, 0, "amount", e.what());
  }
  if (summary.customers.empty() && !options.allow_empty) {
    throw InputError(report.sources.size() == 1 ? report.sources.front() : std::string(), 0, "",
                     "no purchase on or before --end " + to_string(end) + " (the " +
                         std::to_string(summary.transactions) + " transactions read are all after it)");
  }
  return summary;
}

}  // namespace csm::cli
