#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <map>
#include <stdexcept>

#include "cli/alerts.hpp"
#include "cli/commands.hpp"
#include "cli/grain_report.hpp"
#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "cli/terminal.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/grain.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/record_input.hpp"
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
  std::vector<std::string> fail_if;
  std::string fail_scope = "latest";
  std::string until;  // subscription records: last month of the range
  std::string spend;  // --spend FILE
  std::string spend_mode = "replace";
  bool explain = false;     // --explain: the data report too
  bool check_only = false;  // `check`: only the data report
  std::string grain = "month";
  std::string by;
  std::string emit_state;  // --emit-state FILE: the partial state instead of metrics
  std::string shard;       // --shard I/N
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

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

namespace {

// --spend: read the spend file with the same readers and rules (not the --column renames, which
// are for the customer records) and put its month totals into acquisition_cost.
void add_spend(const MetricsOutput& options, io::MetricsReport& report, Streams io) {
  io::ReadOptions spend_read = options.spend_read;
  spend_read.kind = io::RecordKind::spend;
  spend_read.renames.clear();
  spend_read.required_columns.clear();
  spend_read.bytes_parsed = nullptr;
  spend_read.profile = nullptr;
  spend_read.shard = 0;
  spend_read.shard_count = 0;
  spend_read.allow_empty = false;
  spend_read.until.reset();
  // With --by COLUMN, a COLUMN column in the spend file says which group each amount was for.
  const std::string& by = report.group_by;
  SpendGroupColumn group_column = SpendGroupColumn::none;
  if (!by.empty()) {
    group_column = iequals(by, "channel") ? SpendGroupColumn::channel : SpendGroupColumn::segment;
    if (!iequals(by, "segment") && !iequals(by, "channel")) spend_read.renames.emplace_back("segment", by);
  }
  io::RecordInput input({options.spend}, spend_read);
  SpendTotals totals(group_column);
  input.read(totals);
  io::SpendReport spend;
  spend.input = input.report();
  spend.mode = options.spend_mode == "add" ? SpendMode::add : SpendMode::replace;
  spend.applied = apply_spend(report.periods, totals, spend.mode, report.options);
  std::vector<std::string> notes;
  if (!by.empty()) {
    const GroupSpendApplied groups = apply_spend_to_groups(report.groups, totals, spend.mode, report.options);
    if (!groups.attributed) {
      notes.push_back(spend.mode == SpendMode::replace
                          ? "the spend file has no " + by +
                                " values: the groups' acquisition_cost and cac are unknown (null); "
                                "give the spend a " + by + " column to split it"
                          : "the spend file has no " + by +
                                " values: the spend is added to the all-customers figures only");
    }
    if (!groups.unknown.empty()) {
      std::string names;
      for (const std::string& name : groups.unknown) names += (names.empty() ? "" : ", ") + name;
      notes.push_back("spend for " + by + " values without customers (" + names + ", " +
                      format_money(groups.unknown_amount) + ") is in the all-customers figures only");
    }
    if (groups.attributed && groups.ungrouped > 0) {
      notes.push_back("spend rows without a " + by + " value (" + format_money(groups.ungrouped) +
                      ") are in the all-customers figures only");
    }
  }
  if (spend.input.skipped > 0) {
    notes.push_back("skipped " + std::to_string(spend.input.skipped) + " invalid spend records");
    if (!options.quiet) {
      for (const std::string& message : spend.input.skipped_messages) {
        io.err << "csm-metrics: skipped: " << message << '\n';
      }
    }
  }
  if (spend.applied.replaced_record_costs) {
    notes.push_back("--spend replaces the acquisition_cost of the records (--spend-mode add adds "
                    "the two)");
  }
  if (!spend.applied.outside.empty()) {
    std::string months;
    for (const YearMonth month : spend.applied.outside) {
      months += (months.empty() ? "" : ", ") + to_string(month);
    }
    notes.push_back("spend in months outside the data left out: " + months + " (" +
                    format_money(spend.applied.total - spend.applied.applied) + ")");
  }
  for (const std::string& note : notes) {
    if (!options.quiet) io.err << "csm-metrics: warning: " << note << '\n';
    report.warnings.push_back(note);
  }
  report.spend = std::move(spend);
}

void write_result(const MetricsOutput& options, Streams io, const std::string& text) {
  if (!options.output.empty() && options.output != "-") {
    io::write_file_atomically(options.output, text);
    return;
  }
  io.out << text;
  io.out.flush();
  if (!io.out) throw OutputError("<stdout>: write failed");
}

}  // namespace

int finish_metrics(io::MetricsReport& report, const MetricsOutput& options, Streams io) {
  // Spend and the data report apply to the months, before any roll-up to quarters or years.
  if (!options.spend.empty()) add_spend(options, report, io);
  report.summary = summarize(report.periods);  // from the months, whatever the grain
  if (options.profile != nullptr) {
    report.explain = io::make_explain(report.kind, report.input, report.activity, report.periods,
                                      *options.profile);
    if (report.spend) {  // the spend file's invalid values too, by column
      for (const auto& [field, n] : report.spend->input.skipped_by_field) {
        report.explain->invalid_by_field["spend." + field] += n;
      }
    }
  }
  for (const GroupPeriods& g : report.groups) report.group_summaries.push_back(summarize(g.periods));
  report.grain = options.grain;
  roll_up_report(report, options.raw, report.options);

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

  if (!options.thresholds.empty()) {
    // All customers, then each group with --by (the group's own summary, from its months).
    std::vector<ThresholdSeries> series{{"", report.periods, report.summary}};
    for (std::size_t g = 0; g < report.groups.size(); ++g) {
      const GroupPeriods& group = report.groups[g];
      series.push_back({group.group.empty() ? std::string("(none)") : group.group, group.periods,
                        g < report.group_summaries.size() ? report.group_summaries[g] : RangeSummary{}});
    }
    report.thresholds = evaluate_thresholds(
        options.thresholds, series, options.fail_scope == "all" ? ThresholdScope::all : ThresholdScope::latest);
    for (const std::string& note : threshold_notes(*report.thresholds, report.grain)) {
      report.warnings.push_back(note);
      if (!options.quiet) io.err << "csm-metrics: note: " << note << '\n';
    }
  }

  std::string text;
  if (options.check_only) {
    text = options.format == "json" ? io::to_explain_json(report) : io::explain_text(*report.explain);
  } else if (options.format == "json") {
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
    style.unicode = to_stdout && is_terminal(io.out) && utf8_locale();
    text = io::to_table(report, style);
  }
  // The report comes before the metrics, on stderr, unless it is inside the JSON.
  if (report.explain && !options.check_only && options.format != "json") {
    io.err << io::explain_text(*report.explain);
    io.err.flush();
  }
  write_result(options, io, text);
  if (report.thresholds && print_crossings(*report.thresholds, io.err, report.grain)) {
    return kThresholdCrossed;
  }
  return kOk;
}

namespace {

int compute(const ComputeOptions& options, Streams io) {
  // With no file on a terminal, reading stdin would just wait for typing: say what is expected.
  if (options.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError(
        "no input: give a file (csm-metrics compute customers.csv), pipe records in, or use '-' "
        "to type them");
  }
  // A malformed threshold stops the run before any reading.
  const std::vector<Threshold> thresholds = parse_fail_if(options.fail_if);
  io::ReadOptions read;
  static const std::map<std::string, io::InputFormat> input_formats = {
      {"auto", io::InputFormat::automatic}, {"csv", io::InputFormat::csv},
      {"tsv", io::InputFormat::tsv},        {"json", io::InputFormat::json},
      {"jsonl", io::InputFormat::jsonl},    {"ndjson", io::InputFormat::jsonl}};
  static const std::map<std::string, io::RecordKind> kinds = {
      {"auto", io::RecordKind::automatic},
      {"activity", io::RecordKind::activity},
      {"summary", io::RecordKind::summary},
      {"subscription", io::RecordKind::subscription}};
  read.format = input_formats.at(options.input_format);
  read.kind = kinds.at(options.kind);
  read.renames = parse_renames(options.columns);
  // --by COLUMN: the column is read as the segment, which the aggregation groups on.
  if (!options.by.empty() && !iequals(options.by, "segment")) read.renames.emplace_back("segment", options.by);
  if (!options.by.empty()) read.required_columns.emplace_back("segment");
  read.skip_invalid = options.skip_invalid;
  read.threads = io::effective_threads(options.threads);
  std::pair<std::uint32_t, std::uint32_t> shard{0, 1};
  if (!options.shard.empty()) {
    shard = parse_shard_spec(options.shard);
    read.shard = shard.first;
    read.shard_count = shard.second;
  }
  const bool emit = !options.emit_state.empty();
  if (emit) {
    if (read.kind == io::RecordKind::summary) throw UsageError(kEmitStateSummary);
    read.allow_empty = true;  // an empty shard has an empty state
  }
  if (!options.until.empty()) {
    YearMonth until;
    if (parse_period(options.until, until) != PeriodError::ok || options.until.size() != 7) {
      throw UsageError("--until " + options.until + ": expected a month as YYYY-MM");
    }
    read.until = until;
  }

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

  InputProfile profile;
  if (options.explain || options.check_only) read.profile = &profile;

  io::MetricsReport report;
  report.version = CSM_VERSION;
  report.options = options.metrics;
  ActivityRaw raw;  // activity records: what the months (and the periods of the grain) come from
  io::RecordInput input(options.files, read);
  try {
    report.kind = input.kind();
    if (report.kind == io::RecordKind::transaction) {
      throw UsageError(
          "these are transaction records (date, amount): they are read by 'csm-metrics rfm' and "
          "'csm-metrics predict'; compute reads activity or summary records");
    }
    if (read.until && report.kind != io::RecordKind::subscription) {
      throw UsageError("--until applies to subscription records only");
    }
    if (emit && report.kind == io::RecordKind::summary) throw UsageError(kEmitStateSummary);
    if (emit && report.kind == io::RecordKind::subscription && !read.until) {
      throw UsageError(
          "--emit-state with subscription records needs --until YYYY-MM, the same for every shard: "
          "without it each shard would end its range at its own latest date, so its open "
          "subscriptions would churn too early");
    }
    if (report.kind == io::RecordKind::summary) {
      if (!options.by.empty()) throw UsageError("--by needs activity records (one row per customer and month)");
      SummaryAggregator aggregator;
      input.read(aggregator);
      report.periods = aggregator.finish(options.metrics);
    } else {
      ActivityAggregator aggregator;
      if (!options.by.empty()) aggregator.group_by_segment();
      input.read(aggregator);
      if (emit) {
        EmitStateRequest request;
        request.path = options.emit_state;
        request.shard = shard.first;
        request.shard_count = shard.second;
        request.options = options.metrics;
        request.grain = parse_grain(options.grain).value_or(Grain::month);
        request.group_by = options.by;
        request.subscriptions = report.kind == io::RecordKind::subscription;
        request.until = read.until;
        request.threads = read.threads;
        request.quiet = options.quiet;
        progress.finish();
        return emit_activity_state(aggregator, input, request, io);
      }
      raw = aggregator.finish_raw(read.threads, parse_grain(options.grain).value_or(Grain::month));
      if (!options.by.empty()) report.group_by = options.by;
      report.periods = periods_from_raw(raw, options.metrics, raw.grouped ? &report.groups : nullptr);
      report.activity = raw.stats;
      if (const auto& subscriptions = input.report().subscriptions) {
        report.activity->zero_revenue_records = subscriptions->zero_mrr;  // rows as read
      }
    }
  } catch (const TooManyGroups& e) {
    throw UsageError("--by " + options.by + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  progress.finish();
  report.input = input.report();

  MetricsOutput output;
  output.spend = options.spend;
  output.spend_mode = options.spend_mode;
  output.spend_read = read;
  output.thresholds = thresholds;
  output.fail_scope = options.fail_scope;
  output.format = options.format;
  output.output = options.output;
  output.all = options.all;
  output.color = options.color;
  output.quiet = options.quiet;
  output.check_only = options.check_only;
  output.profile = read.profile;
  output.grain = parse_grain(options.grain).value_or(Grain::month);
  if (report.kind != io::RecordKind::summary) output.raw = &raw;
  return finish_metrics(report, output, io);
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
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  cmd->add_option("--input-format", options->input_format,
                  "Input format: auto (by extension, else content), csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_option("--kind", options->kind,
                  "Record kind: auto (a customers_start column means summary, start_date "
                  "subscription), activity, summary, subscription")
      ->transform(CLI::IsMember({"auto", "activity", "summary", "subscription"}, CLI::ignore_case));
  cmd->add_option("--until", options->until,
                  "Subscription records: the last month of the range, YYYY-MM (default: the "
                  "latest start_date or end_date)")
      ->type_name("YYYY-MM");
  cmd->add_option("--column", options->columns,
                  "Read a column under another name, e.g. --column revenue=MRR (repeatable)")
      ->type_name("NAME=INPUT")
      ->allow_extra_args(false);
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
  cmd->add_flag("--quick-ratio-without-reactivation",
                [options](std::int64_t) { options->metrics.quick_ratio_reactivation = false; },
                "Quick ratio: leave reactivation_mrr out of the gains");
  CLI::Option* spend = cmd->add_option("--spend", options->spend,
                  "Marketing spend file (period, amount, optional channel or segment; CSV/TSV/JSON), "
                  "summed per month into acquisition_cost")
      ->type_name("FILE");
  cmd->add_option("--spend-mode", options->spend_mode,
                  "With --spend: replace (default) the records' acquisition_cost, or add to it")
      ->transform(CLI::IsMember({"replace", "add"}, CLI::ignore_case))
      ->needs(spend);
  cmd->add_flag("--explain", options->explain,
                "Also report on the input (rows, customers, months without rows, duplicates, "
                "zero revenue, invalid values): on stderr, or as \"explain\" in JSON");
  cmd->add_option("-o,--output", options->output,
                  "Write the result to this file (atomically: all or nothing) instead of stdout");
  cmd->add_flag("-a,--all", options->all, "Table: show every field, not only the key columns");
  cmd->add_option("--color", options->color,
                  "Colour in the table: auto (terminal only, not with NO_COLOR), always, never")
      ->transform(CLI::IsMember({"auto", "always", "never"}, CLI::ignore_case));
  cmd->add_flag("-q,--quiet", options->quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("-j,--threads", options->threads,
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
  cmd->add_option("--by", options->by,
                  "Also compute every metric per group: the value of input column COLUMN (e.g. "
                  "segment, plan, country)")
      ->type_name("COLUMN");
  cmd->add_option("--grain", options->grain,
                  "Periods: month (default), quarter or year (movements summed, start and end "
                  "counts from the first and last month)")
      ->transform(CLI::IsMember({"month", "quarter", "year"}, CLI::ignore_case));
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
  cmd->add_option("files", options->files,
                  "Input files; none or '-' reads standard input; several are read as one stream");
  cmd->add_option("-f,--format", options->format, "Output: table (default) or json")
      ->transform(CLI::IsMember({"table", "json"}, CLI::ignore_case));
  cmd->add_option("--input-format", options->input_format,
                  "Input format: auto (by extension, else content), csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_option("--kind", options->kind, "Record kind: auto, activity, summary, subscription")
      ->transform(CLI::IsMember({"auto", "activity", "summary", "subscription"}, CLI::ignore_case));
  cmd->add_option("--column", options->columns,
                  "Read a column under another name, e.g. --column revenue=MRR (repeatable)")
      ->type_name("NAME=INPUT");
  cmd->add_flag("--skip-invalid", options->skip_invalid,
                "Skip invalid records and count them by column, instead of stopping at the first");
  cmd->add_option("--until", options->until, "Subscription records: the last month of the range")
      ->type_name("YYYY-MM");
  cmd->add_option("-o,--output", options->output,
                  "Write the report to this file (atomically: all or nothing) instead of stdout");
  cmd->add_flag("-q,--quiet", options->quiet, "No notes on stderr (errors are still printed)");
  return [options, io] { return compute(*options, io); };
}

}  // namespace csm::cli
