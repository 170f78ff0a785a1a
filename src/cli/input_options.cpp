#include "cli/input_options.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/grain_report.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"
#include "csm/grain.hpp"
#include "csm/group_metrics.hpp"
#include "csm/io/record_input.hpp"
#include "csm/summary_metrics.hpp"

namespace csm::cli {
namespace {

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

// CLI11's IsMember(..., ignore_case) accepts "CSV" but passes it on as typed.
std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

void add_input_options(CLI::App& cmd, InputOptions& options) {
  cmd.add_option("files", options.files,
                 "Input files; none or '-' reads standard input; several are read as one stream");
  cmd.add_option("--input-format", options.input_format,
                 "Input format: auto (by extension, else content), csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd.add_option("--kind", options.kind,
                 "Record kind: auto (a customers_start column means summary, start_date "
                 "subscription), activity, summary, subscription")
      ->transform(CLI::IsMember({"auto", "activity", "summary", "subscription"}, CLI::ignore_case));
  cmd.add_option("--column", options.columns,
                 "Read a column under another name, e.g. --column revenue=MRR (repeatable)")
      ->type_name("NAME=INPUT")
      ->allow_extra_args(false);
  cmd.add_flag("--skip-invalid", options.skip_invalid,
               "Skip invalid records (counted and reported) instead of stopping at the first");
  cmd.add_option("--csat-threshold", options.metrics.csat_threshold,
                 "A csat response >= this counts as satisfied (1..5)")
      ->check(CLI::Range(1, 5))
      ->default_val(4);
  cmd.add_option("--gross-margin", options.metrics.gross_margin, "Gross margin for clv, a fraction 0..1")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(1.0);
  cmd.add_option("--discount-rate", options.metrics.discount_rate,
                 "Discount rate per month for clv, a fraction >= 0")
      ->check(CLI::Range(0.0, 1e6))
      ->default_val(0.0);
  cmd.add_flag("-q,--quiet", options.quiet, "No notes on stderr (errors are still printed)");
  cmd.add_option("-j,--threads", options.threads,
                 "Threads for large files (default 0: one per core); the result is the same")
      ->check(CLI::Range(0u, 256u));
}

io::MetricsReport read_metrics(const InputOptions& options, std::ostream& err,
                               std::atomic<std::uint64_t>* bytes_parsed, CohortRequest* cohorts) {
  static const std::map<std::string, io::InputFormat> input_formats = {
      {"auto", io::InputFormat::automatic}, {"csv", io::InputFormat::csv},
      {"tsv", io::InputFormat::tsv},        {"json", io::InputFormat::json},
      {"jsonl", io::InputFormat::jsonl},    {"ndjson", io::InputFormat::jsonl}};
  static const std::map<std::string, io::RecordKind> kinds = {
      {"auto", io::RecordKind::automatic},
      {"activity", io::RecordKind::activity},
      {"summary", io::RecordKind::summary},
      {"subscription", io::RecordKind::subscription}};
  io::ReadOptions read;
  read.format = input_formats.at(lower(options.input_format));
  read.kind = kinds.at(lower(options.kind));
  read.renames = renames_of(options.columns);
  // --by COLUMN, as compute: the column is read as the segment, which the aggregation groups on.
  if (!options.by.empty()) {
    if (lower(options.by) != "segment") read.renames.emplace_back("segment", options.by);
    read.required_columns.emplace_back("segment");
  }
  read.skip_invalid = options.skip_invalid;
  read.threads = io::effective_threads(options.threads);
  read.bytes_parsed = bytes_parsed;

  io::MetricsReport report;
  report.version = CSM_VERSION;
  report.options = options.metrics;
  report.grain = parse_grain(lower(options.grain)).value_or(Grain::month);
  ActivityRaw raw;  // activity records: what the months (and the periods of the grain) come from
  io::RecordInput input(options.files, read);
  try {
    report.kind = input.kind();
    if (report.kind == io::RecordKind::transaction) {
      throw UsageError(
          "these are transaction records (date, amount): they are read by 'csm-metrics rfm' and "
          "'csm-metrics predict'; this command reads activity or summary records");
    }
    if (report.kind == io::RecordKind::summary) {
      if (!options.by.empty()) throw UsageError("--by needs activity records (one row per customer and month)");
      SummaryAggregator aggregator;
      input.read(aggregator);
      report.periods = aggregator.finish(options.metrics);
    } else {
      // One pass: the metrics, the groups and the cohorts all come from this aggregation.
      ActivityAggregator aggregator;
      if (!options.by.empty()) aggregator.group_by_segment();
      if (cohorts != nullptr) aggregator.collect_cohorts(cohorts->options);
      input.read(aggregator);
      raw = aggregator.finish_raw(read.threads, report.grain);
      if (!options.by.empty()) report.group_by = options.by;
      report.periods = periods_from_raw(raw, options.metrics, raw.grouped ? &report.groups : nullptr);
      report.activity = raw.stats;
      if (const auto& subscriptions = input.report().subscriptions) {
        report.activity->zero_revenue_records = subscriptions->zero_mrr;  // rows as read
      }
      if (cohorts != nullptr) cohorts->table = aggregator.take_cohorts();
    }
  } catch (const TooManyGroups& e) {
    throw UsageError("--by " + options.by + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  report.input = input.report();
  report.summary = summarize(report.periods);  // from the months, whatever the grain
  // --grain: as compute, the periods (and each group's) rolled up after the monthly summaries.
  for (const GroupPeriods& g : report.groups) report.group_summaries.push_back(summarize(g.periods));
  roll_up_report(report, report.kind == io::RecordKind::summary ? nullptr : &raw, options.metrics);

  if (report.input.skipped > 0) {
    report.warnings.push_back("skipped " + std::to_string(report.input.skipped) + " invalid records");
    if (!options.quiet) {
      for (const std::string& message : report.input.skipped_messages) {
        err << "csm-metrics: skipped: " << message << '\n';
      }
      if (report.input.skipped > report.input.skipped_messages.size()) {
        err << "csm-metrics: skipped " << report.input.skipped << " invalid records in all\n";
      }
    }
  }
  return report;
}

}  // namespace csm::cli
