#include "cli/input_options.hpp"
#include "cli/option_checks.hpp"
#include "io/text_output.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <map>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/grain_report.hpp"
#include "cli/run.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/activity_sink.hpp"
#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/grain.hpp"
#include "csm/group_metrics.hpp"
#include "csm/invoice.hpp"
#include "csm/io/explain.hpp"
#include "csm/spend.hpp"
#include "csm/summary_metrics.hpp"

namespace csm::cli {

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

// Sums one customer's month in file order and stops at the row that takes it past the limit
// (the reader turns the RevenueOverflow into an InputError naming that row).
class OverflowLocator final : public ActivitySink {
 public:
  OverflowLocator(std::string customer, YearMonth month) : customer_(std::move(customer)), month_(month) {}
  void add(const ActivityRecord& record) override {
    if (record.period != month_ || record.customer_id != customer_) return;
    const std::optional<Money> next = checked_add(sum_, record.revenue);
    if (!next) {
      throw RevenueOverflow("customer " + quote_for_message(customer_) + ", " + to_string(month_) +
                            ": this row takes the month's revenue sum past " + format_money(kMaxMoney));
    }
    sum_ = *next;
  }

 private:
  std::string customer_;
  YearMonth month_;
  Money sum_ = 0;
};

}  // namespace

void throw_overflow(const std::vector<std::string>& files, const io::ReadOptions& read,
                    const RevenueOverflow& e) {
  const bool rereadable =
      !files.empty() && std::none_of(files.begin(), files.end(), [](const std::string& f) { return f == "-"; });
  if (rereadable && e.month()) {
    // Rare: read the files again, in order and on one thread, to name the row that crossed the
    // limit; the first read summed the month in shares, where no single row crosses it.
    io::ReadOptions again = read;
    again.threads = 1;
    again.profile = nullptr;
    again.bytes_parsed = nullptr;
    DataProfile quality;
    if (again.quality != nullptr) again.quality = &quality;
    OverflowLocator locator(e.customer(), *e.month());
    io::RecordInput input(files, again);
    if (input.kind() == io::RecordKind::activity) input.read(locator);  // throws InputError at the row
  }
  std::string source = files.empty() || files.front() == "-" ? "<stdin>" : files.front();
  if (files.size() > 1) source += " (and " + std::to_string(files.size() - 1) + " more)";
  throw InputError(source, 0, "revenue", e.what());
}

void add_record_options(CLI::App& cmd, InputOptions& options) {
  cmd.add_option("files", options.files,
                 "Input files; none or '-' reads standard input; several are read as one stream");
  cmd.add_option("--input-format", options.input_format,
                 "Input format: auto (by extension, else content), csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd.add_option("--kind", options.kind,
                 "Record kind: auto (a customers_start column means summary, start_date "
                 "subscription, service_start invoice), activity, summary, subscription, invoice")
      ->transform(CLI::IsMember({"auto", "activity", "summary", "subscription", "invoice"}, CLI::ignore_case));
  cmd.add_option("--until", options.until,
                 "The last month: later rows are left out (counted in input); 'previous' = the "
                 "last complete month before today (UTC). Subscription records: the range ends "
                 "there (default: the latest start_date or end_date)")
      ->type_name("YYYY-MM|previous");
  add_range_options(cmd, options);
  cmd.add_option("--column", options.columns,
                 "Read a column under another name, e.g. --column revenue=MRR (repeatable)")
      ->type_name("NAME=INPUT")
      ->allow_extra_args(false);
  cmd.add_flag("--skip-invalid", options.skip_invalid,
               "Skip invalid records (counted and reported) instead of stopping at the first");
  add_invoice_options(cmd, options);
}

void add_invoice_options(CLI::App& cmd, InputOptions& options) {
  cmd.add_option("--currency", options.currency,
                 "Invoice records: the base currency (ISO 4217), e.g. USD; other currencies need --fx")
      ->type_name("CODE");
  cmd.add_option("--fx", options.fx,
                 "Invoice records: exchange rates (CSV date,currency,rate: one unit of currency is "
                 "rate units of the base); each line at the latest rate on or before service_start")
      ->type_name("FILE");
  cmd.add_option("--preset", options.preset,
                 "Invoice records from a billing system's export: stripe or chargebee "
                 "(docs/metrics.md, \"Presets\")")
      ->type_name("NAME");
}

void add_range_options(CLI::App& cmd, InputOptions& options) {
  cmd.add_option("--since", options.since,
                 "The first month: earlier rows are left out (counted in input)")
      ->type_name("YYYY-MM");
  cmd.add_flag("--strict", options.strict,
               "Exit with status 65 (after the output) when the input draws a data-quality warning");
  cmd.add_flag("--dedupe", options.dedupe,
               "Drop rows identical in every field to an earlier row (counted in input; reads with "
               "one thread)");
  cmd.add_option("--delimiter", options.delimiter,
                 "CSV field delimiter: , ; | or tab (default: ',' or, when the header has no ',', "
                 "the one of ; | tab it has)")
      ->type_name("CHAR");
  cmd.add_flag("--round-money", options.round_money,
               "Round amounts with more than 6 decimal places (float noise such as "
               "29.990000000000002) to the micro-unit, half to even (counted in input)");
}

void add_metric_options(CLI::App& cmd, InputOptions& options) {
  cmd.add_option("--csat-threshold", options.metrics.csat_threshold,
                 "A csat response >= this counts as satisfied (1..5)")
      ->check(CLI::Range(1, 5))
      ->default_val(4);
  cmd.add_option("--gross-margin", options.metrics.gross_margin, "Gross margin for clv, a fraction 0..1 or 0%..100%")
      ->type_name("RATE")
      ->transform(rate_number(0.0, 1.0))
      ->default_val(1.0);
  cmd.add_option("--discount-rate", options.metrics.discount_rate,
                 "Discount rate per month for clv, a fraction >= 0 (0.01 or 1%)")
      ->type_name("RATE")
      ->transform(rate_number(0.0, 1e6))
      ->default_val(0.0);
  InputOptions* target = &options;
  cmd.add_flag("--quick-ratio-without-reactivation",
               [target](std::int64_t) { target->metrics.quick_ratio_reactivation = false; },
               "Quick ratio: leave reactivation_mrr out of the gains");
  CLI::Option* spend =
      cmd.add_option("--spend", options.spend,
                     "Marketing spend file (period, amount, optional channel or segment; CSV/TSV/JSON), "
                     "summed per month into acquisition_cost")
          ->type_name("FILE");
  cmd.add_option("--spend-mode", options.spend_mode,
                 "With --spend: replace (default) the records' acquisition_cost, or add to it")
      ->transform(CLI::IsMember({"replace", "add"}, CLI::ignore_case))
      ->needs(spend);
}

void add_group_options(CLI::App& cmd, InputOptions& options) {
  cmd.add_option("--by", options.by,
                 "Also every metric per group: the value of input column COLUMN (e.g. segment, "
                 "plan, country); moves between groups are not churn")
      ->type_name("COLUMN");
  cmd.add_option("--grain", options.grain,
                 "Periods: month (default), quarter or year (each customer compared at the period "
                 "ends: the last month of the period and that of the period before; docs/metrics.md "
                 "section 10)")
      ->transform(CLI::IsMember({"month", "quarter", "year"}, CLI::ignore_case));
}

void add_input_options(CLI::App& cmd, InputOptions& options) {
  add_record_options(cmd, options);
  add_metric_options(cmd, options);
  cmd.add_flag("-q,--quiet", options.quiet, "No notes on stderr (errors are still printed)");
  cmd.add_option("-j,--threads", options.threads,
                 "Threads for large files (default 0: one per core); the result is the same")
      ->check(CLI::Range(0u, 256u));
}

Date today_utc() {
  const char* forced = std::getenv("CSM_TODAY");
  if (forced != nullptr && *forced != '\0') {
    Date day;
    if (std::string_view(forced).size() != 10 || parse_date(forced, day) != PeriodError::ok) {
      throw UsageError(std::string("CSM_TODAY=") + forced + ": expected a date as YYYY-MM-DD");
    }
    return day;
  }
  return Date{static_cast<std::int32_t>(std::time(nullptr) / 86400)};
}

std::optional<YearMonth> parse_since(const std::string& text) {
  if (text.empty()) return std::nullopt;
  YearMonth since;
  if (text.size() != 7 || parse_period(text, since) != PeriodError::ok) {
    throw UsageError("--since " + text + ": expected a month as YYYY-MM, e.g. 2025-01");
  }
  return since;
}

std::optional<YearMonth> parse_until(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (io::text::ascii_lower(text) == "previous") return month_of(today_utc()).prev();
  YearMonth until;
  if (text.size() != 7 || parse_period(text, until) != PeriodError::ok) {
    throw UsageError("--until " + text + ": expected a month as YYYY-MM or 'previous', e.g. 2025-12");
  }
  return until;
}

io::ReadOptions read_options(const InputOptions& options) {
  static const std::map<std::string, io::InputFormat> input_formats = {
      {"auto", io::InputFormat::automatic}, {"csv", io::InputFormat::csv},
      {"tsv", io::InputFormat::tsv},        {"json", io::InputFormat::json},
      {"jsonl", io::InputFormat::jsonl},    {"ndjson", io::InputFormat::jsonl}};
  io::ReadOptions read;
  read.format = input_formats.at(io::text::ascii_lower(options.input_format));
  read.kind = io::record_kind_named(options.kind);
  read.renames = parse_renames(options.columns);
  // --by COLUMN: the column is read as the segment, which the aggregation groups on.
  if (!options.by.empty()) {
    check_group_column(options.by, read.renames);
    if (io::text::ascii_lower(options.by) != "segment") read.renames.emplace_back("segment", options.by);
    read.required_columns.emplace_back("segment");
  }
  read.skip_invalid = options.skip_invalid;
  read.threads = io::effective_threads(options.threads);
  apply_range_options(options, read);
  set_invoice_options(options, read);
  return read;
}

void apply_range_options(const InputOptions& options, io::ReadOptions& read) {
  read.until = parse_until(options.until);
  read.last_month = read.until;
  read.since = parse_since(options.since);
  if (read.since && read.until && *read.until < *read.since) {
    throw UsageError("--since " + options.since + " is after --until " + to_string(*read.until));
  }
  read.dedupe = options.dedupe;
  read.round_money = options.round_money;
  // CSM_SPLIT_MIN_BYTES=N: files of N bytes or more are read in shares by several threads
  // (default 32 MiB), only for tests that must split small files (docs/performance.md).
  if (const char* split = std::getenv("CSM_SPLIT_MIN_BYTES"); split != nullptr && *split != '\0') {
    std::uint64_t bytes = 0;
    const std::string_view text(split);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
    if (ec != std::errc() || end != text.data() + text.size() || bytes == 0) {
      throw UsageError(std::string("CSM_SPLIT_MIN_BYTES=") + split + ": expected a whole number of bytes > 0");
    }
    read.split_min_bytes = bytes;
  }
  if (!options.delimiter.empty()) {
    const std::string d = io::text::ascii_lower(options.delimiter);
    if (d == "tab" || d == "\\t" || d == "\t") {
      read.delimiter = '\t';
    } else if (d.size() == 1 && std::string_view(",;|").find(d[0]) != std::string_view::npos) {
      read.delimiter = d[0];
    } else {
      throw UsageError("--delimiter " + options.delimiter + ": expected one of , ; | tab");
    }
  }
}

void set_invoice_options(const InputOptions& options, io::ReadOptions& read) {
  read.currency = options.currency;
  read.fx = options.fx;
  read.preset = io::text::ascii_lower(options.preset);
  for (char& c : read.currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!read.currency.empty() && !is_currency_code(read.currency)) {
    throw UsageError("--currency " + options.currency + ": expected an ISO 4217 code such as USD");
  }
  if (!read.fx.empty() && read.currency.empty()) {
    throw UsageError("--fx needs --currency CODE: the base currency its rates convert to");
  }
  if (!read.preset.empty()) {
    if (!io::is_invoice_preset(read.preset)) {
      throw UsageError("--preset " + options.preset + ": expected one of " + io::invoice_preset_names());
    }
    if (read.kind == io::RecordKind::automatic) read.kind = io::RecordKind::invoice;
  }
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// --spend: read the spend file with the same readers and rules (not the --column renames, which
// are for the customer records) and put its month totals into acquisition_cost, of all customers
// and, with --by, of each group the spend names.
void add_spend(const FinishOptions& options, io::MetricsReport& report, std::ostream& err) {
  io::ReadOptions spend_read = options.spend_read;
  spend_read.kind = io::RecordKind::spend;
  spend_read.renames.clear();
  spend_read.required_columns.clear();  // --by's column is optional in a spend file
  spend_read.bytes_parsed = nullptr;
  spend_read.profile = nullptr;
  spend_read.shard = 0;
  spend_read.shard_count = 0;
  spend_read.allow_empty = false;
  spend_read.until.reset();
  spend_read.quality = nullptr;
  spend_read.dedupe = false;
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
  spend.mode = io::text::ascii_lower(options.spend_mode) == "add" ? SpendMode::add : SpendMode::replace;
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
        err << "csm-metrics: skipped: " << message << '\n';
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
    if (!options.quiet) err << "csm-metrics: warning: " << note << '\n';
    report.warnings.push_back(note);
  }
  report.spend = std::move(spend);
}

}  // namespace

void finish_periods(io::MetricsReport& report, const FinishOptions& options, std::ostream& err) {
  // Spend and the data report apply to the months, before any roll-up to quarters or years.
  if (!options.spend.empty()) add_spend(options, report, err);
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
}

void check_cohort_range(const ActivityAggregator& aggregator, const io::ReadReport& report,
                        std::string_view table) {
  const ActivityStats& stats = aggregator.stats();
  if (!stats.first || !stats.last) return;
  const std::int32_t span = stats.last->index - stats.first->index + 1;
  if (span <= kMaxCohortMonths) return;
  const io::MonthRows& rows = report.month_rows;
  const std::string what = "the data would span " + std::to_string(span) + " months (" +
                           to_string(*stats.first) + " to " + to_string(*stats.last) +
                           "), more than the " + std::to_string(kMaxCohortMonths) + " " +
                           std::string(table) + " covers; check the year";
  // Subscription records (or an --until) make the range otherwise: their reader checks the rows.
  if (!rows.first || !rows.last || rows.first->month != *stats.first || rows.last->month != *stats.last) {
    throw InputError(report.sources.size() == 1 ? report.sources.front() : std::string(), 0, "period", what);
  }
  const std::int32_t low_gap = rows.next_first ? rows.next_first->month.index - rows.first->month.index : 0;
  const std::int32_t high_gap = rows.next_last ? rows.last->month.index - rows.next_last->month.index : 0;
  const io::MonthRow& blamed = high_gap > low_gap ? *rows.last : *rows.first;
  const io::MonthRow& other = high_gap > low_gap ? *rows.first : *rows.last;
  throw InputError(blamed.source, blamed.line, "period",
                   to_string(blamed.month) + ": " + what + " (the other end, " +
                       to_string(other.month) + ", is at " + other.source + ":" +
                       std::to_string(other.line) + ")");
}

io::MetricsReport read_metrics(const InputOptions& options, const io::ReadOptions& read,
                               std::ostream& err, CohortRequest* cohorts,
                               const std::function<void()>& read_done, const std::string& command,
                               MovementRequest* movements) {
  io::MetricsReport report;
  report.version = CSM_VERSION;
  report.command = command;
  report.options = options.metrics;
  const Grain grain = parse_grain(io::text::ascii_lower(options.grain)).value_or(Grain::month);
  ActivityRaw raw;  // activity records: what the months (and the periods of the grain) come from
  DataProfile quality;
  io::ReadOptions with_quality = read;
  // CSM_NO_DATA_QUALITY=1 turns the warnings off, only to measure what they cost
  // (docs/performance.md); --dedupe needs them.
  const char* no_quality = std::getenv("CSM_NO_DATA_QUALITY");
  if (no_quality == nullptr || *no_quality == '\0' || options.dedupe) with_quality.quality = &quality;
  io::RecordInput input(options.files, with_quality);
  try {
    report.kind = input.kind();
    if (report.kind == io::RecordKind::transaction) {
      throw_wrong_kind(options.files,
          "these are transaction records (date, amount): they are read by 'csm-metrics rfm' and "
          "'csm-metrics predict'; " + command + " reads activity, subscription or summary records");
    }
    if (report.kind == io::RecordKind::summary) {
      if (movements != nullptr) {
        throw InputError(options.files.empty() ? "<stdin>" : options.files.front(), 0, "",
                         "these are summary records (one row per month, counts only): " + command +
                             " needs one row per customer (activity or subscription records)");
      }
      if (!options.by.empty()) throw UsageError("--by needs activity records (one row per customer and month)");
      SummaryAggregator aggregator;
      input.read(aggregator);
      report.periods = aggregator.finish(options.metrics);
    } else {
      // One pass: the metrics, the groups and the cohorts all come from this aggregation.
      ActivityAggregator aggregator;
      if (!options.by.empty()) aggregator.group_by_segment();
      if (cohorts != nullptr) aggregator.collect_cohorts(cohorts->options);
      if (movements != nullptr) aggregator.collect_movements(movements->options);
      input.read(aggregator);
      if (cohorts != nullptr) check_cohort_range(aggregator, input.report());
      // Each group has a row for every month of the span: a mistyped year would make millions.
      if (cohorts == nullptr && !options.by.empty()) {
        check_cohort_range(aggregator, input.report(), "a grouped series (--by)");
      }
      raw = aggregator.finish_raw(read.threads, grain);
      if (movements != nullptr) movements->list = aggregator.take_movements();
      if (!options.by.empty()) report.group_by = options.by;
      report.periods = periods_from_raw(raw, options.metrics, raw.grouped ? &report.groups : nullptr);
      report.activity = raw.stats;
      if (const auto& subscriptions = input.report().subscriptions) {
        report.activity->zero_revenue_records = subscriptions->zero_mrr;  // rows as read
      }
      if (const auto& invoices = input.report().invoices) {
        report.activity->zero_revenue_records = invoices->trial_lines;  // lines as read
      }
      if (cohorts != nullptr) cohorts->table = aggregator.take_cohorts();
    }
  } catch (const RevenueOverflow& e) {
    throw_overflow(options.files, read, e);
  } catch (const TooManyGroups& e) {
    throw UsageError("--by " + options.by + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (read_done) read_done();
  report.input = input.report();
  report.data_warnings = data_quality_warnings(options, read, report.kind, report.input, quality,
                                               report.activity ? &*report.activity : nullptr,
                                               report.warnings, err);
  FinishOptions finish;
  finish.spend = options.spend;
  finish.spend_mode = options.spend_mode;
  finish.spend_read = read;
  finish.quiet = options.quiet;
  finish.profile = read.profile;
  finish.grain = grain;
  finish.raw = report.kind == io::RecordKind::summary ? nullptr : &raw;
  finish_periods(report, finish, err);
  return report;
}

}  // namespace csm::cli

namespace csm::cli {

std::vector<DataWarning> data_quality_warnings(const InputOptions& options, const io::ReadOptions& read,
                                               io::RecordKind kind, const io::ReadReport& input,
                                               const DataProfile& quality, const ActivityStats* stats,
                                               std::vector<std::string>& warnings, std::ostream& err) {
  DataProfile::Checks checks;
  if (kind == io::RecordKind::summary) {
    checks.partial = checks.duplicates = checks.overlaps = false;
  } else if (kind == io::RecordKind::subscription) {
    // Start months: gaps, a short last month and future starts are ordinary for subscriptions.
    checks.gaps = checks.partial = checks.future = checks.overlaps = false;
  }
  if (options.dedupe) checks.duplicates = false;  // dropped, and counted in input
  // A file read in shares keeps what one stream keeps (each share logs its rows, merged in file
  // order), so the warnings are the same on any number of threads.
  (void)stats;
  (void)read;
  const DataProfile* profile = &quality;
  std::vector<DataWarning> found = profile->warnings(input.sources, today_utc(), checks);
  for (const DataWarning& w : found) {
    if (!options.quiet) err << "csm-metrics: warning: " << w.code << ": " << w.message << '\n';
    warnings.push_back(w.code + ": " + w.message);
  }
  if (options.dedupe && input.duplicates_dropped > 0 && !options.quiet) {
    err << "csm-metrics: note: --dedupe dropped " << input.duplicates_dropped
        << " exact duplicate rows\n";
  }
  return found;
}

int strict_status(const InputOptions& options, const std::vector<DataWarning>& warnings, int status,
                  std::ostream& err) {
  if (!options.strict || warnings.empty()) return status;
  err << "csm-metrics: error: --strict: " << warnings.size() << " data-quality warning"
      << (warnings.size() == 1 ? "" : "s") << " (";
  for (std::size_t i = 0; i < warnings.size(); ++i) err << (i ? ", " : "") << warnings[i].code;
  err << "); the output was written, but its numbers are doubtful\n";
  return kDataError;
}

}  // namespace csm::cli
