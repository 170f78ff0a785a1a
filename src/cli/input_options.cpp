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
#include "cli/run.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/grain.hpp"
#include "csm/invoice.hpp"
#include "csm/spend.hpp"

namespace csm::cli {

std::vector<std::pair<std::string, std::string>> parse_renames(const std::vector<std::string>& specs,
                                                               const char* example) {
  std::vector<std::pair<std::string, std::string>> renames;
  for (const std::string& spec : specs) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw UsageError("--column " + spec + ": expected NAME=INPUT_COLUMN, e.g. --column " + example);
    }
    renames.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
  }
  return renames;
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

io::InputFormat input_format_named(const std::string& name) {
  static const std::map<std::string, io::InputFormat> input_formats = {
      {"auto", io::InputFormat::automatic}, {"csv", io::InputFormat::csv},
      {"tsv", io::InputFormat::tsv},        {"json", io::InputFormat::json},
      {"jsonl", io::InputFormat::jsonl},    {"ndjson", io::InputFormat::jsonl}};
  return input_formats.at(name);
}

io::ReadOptions read_options(const InputOptions& options) {
  io::ReadOptions read;
  read.format = input_format_named(io::text::ascii_lower(options.input_format));
  read.kind = io::record_kind_named(options.kind);
  read.renames = parse_renames(options.columns);
  // --by COLUMN: the column is read as the segment, which the aggregation groups on.
  io::add_group_column(options.by, read);
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

io::MetricsRequest metrics_request(const InputOptions& options, const io::ReadOptions& read,
                                   const std::string& command) {
  io::MetricsRequest request;
  request.inputs = options.files;
  request.read = read;
  request.metrics = options.metrics;
  request.group_by = options.by;
  request.grain = parse_grain(io::text::ascii_lower(options.grain)).value_or(Grain::month);
  request.spend = options.spend;
  request.spend_mode = io::text::ascii_lower(options.spend_mode) == "add" ? SpendMode::add : SpendMode::replace;
  request.command = command;
  // CSM_NO_DATA_QUALITY=1 turns the warnings off, only to measure what they cost
  // (docs/performance.md); --dedupe needs them.
  const char* no_quality = std::getenv("CSM_NO_DATA_QUALITY");
  request.data_quality = no_quality == nullptr || *no_quality == '\0';
  request.today = today_utc();
  return request;
}

void print_messages(const std::vector<io::RunMessage>& messages, bool quiet, std::ostream& err) {
  if (quiet) return;
  for (const io::RunMessage& m : messages) {
    switch (m.level) {
      case io::RunMessage::Level::warning:
        err << "csm-metrics: warning: " << m.text << '\n';
        break;
      case io::RunMessage::Level::note:
        err << "csm-metrics: note: " << m.text << '\n';
        break;
      case io::RunMessage::Level::skipped:
        err << "csm-metrics: skipped: " << m.text << '\n';
        break;
      case io::RunMessage::Level::total:
        err << "csm-metrics: " << m.text << '\n';
        break;
    }
  }
}

}  // namespace csm::cli

namespace csm::cli {

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
