#pragma once
/// The input and metric options of the commands that read records (compute, check, report,
/// at-risk), registered with one set of words and checks, and reading the inputs into the metrics
/// of a MetricsReport with one code path: `compute` and `report` print the same numbers because
/// they come from read_metrics() with the same options.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"
#include "csm/cohorts.hpp"
#include "csm/grain.hpp"
#include "csm/input_profile.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/record_input.hpp"
#include "csm/movements.hpp"
#include "csm/period_metrics.hpp"

namespace csm::cli {

struct InputOptions {
  std::vector<std::string> files;  ///< empty = standard input
  std::string input_format = "auto";
  std::string kind = "auto";
  std::string until;                 ///< --until YYYY-MM|previous; empty = none
  std::string since;                 ///< --since YYYY-MM; empty = none
  bool strict = false;               ///< --strict: a data warning makes the exit status 65
  bool dedupe = false;               ///< --dedupe: drop exact duplicate rows
  std::string delimiter;             ///< --delimiter: CSV field delimiter; empty = detect
  bool round_money = false;          ///< --round-money: round amounts to the micro-unit
  std::vector<std::string> columns;  ///< NAME=INPUT renames
  bool skip_invalid = false;
  MetricOptions metrics;
  std::string spend;                  ///< --spend FILE; empty = none
  std::string spend_mode = "replace";  ///< --spend-mode replace|add
  bool quiet = false;
  unsigned threads = 0;
  std::string by;               ///< --by COLUMN: also the metrics per group; empty = none
  std::string grain = "month";  ///< --grain: month, quarter or year
  std::string currency;         ///< --currency CODE (invoice records)
  std::string fx;               ///< --fx FILE (invoice records)
  std::string preset;           ///< --preset NAME (invoice records)
};

/// Ask read_metrics for the cohort table too, from the same single read (activity and
/// subscription records; summary records have no customers, so `table` stays empty).
struct CohortRequest {
  CohortOptions options;
  std::optional<CohortTable> table;
};

/// Ask read_metrics for the movement list too (`movements`), from the same single read: the
/// walk that counts the metrics lists the lines (activity and subscription records; summary
/// records have no customers: an InputError).
struct MovementRequest {
  MovementOptions options;
  MovementList list;
};

/// FILE..., --input-format, --kind, --until, --column, --skip-invalid: how records are read.
void add_record_options(CLI::App& cmd, InputOptions& options);
/// --since, --strict, --dedupe, --delimiter, --round-money (part of add_record_options; for
/// commands that register the others themselves).
void add_range_options(CLI::App& cmd, InputOptions& options);
/// --until, --since, --dedupe, --delimiter, --round-money of `options` into `read`. Throws UsageError.
void apply_range_options(const InputOptions& options, io::ReadOptions& read);
/// --currency, --fx, --preset (invoice records); part of add_record_options.
void add_invoice_options(CLI::App& cmd, InputOptions& options);
/// Copy them into `read` (a preset makes the kind invoice). Throws UsageError.
void set_invoice_options(const InputOptions& options, io::ReadOptions& read);
/// --csat-threshold, --gross-margin, --discount-rate, --quick-ratio-without-reactivation,
/// --spend, --spend-mode: what the metrics are computed with.
void add_metric_options(CLI::App& cmd, InputOptions& options);
/// --by COLUMN and --grain month|quarter|year.
void add_group_options(CLI::App& cmd, InputOptions& options);
/// add_record_options, add_metric_options, then -q and -j.
void add_input_options(CLI::App& cmd, InputOptions& options);

/// A revenue sum past the money limit as an InputError. For activity records read from files, the
/// files are read again in order to name the row (FILE:LINE) at which the customer's month first
/// passes the limit; otherwise (standard input, other kinds) the input is named without a line.
[[noreturn]] void throw_overflow(const std::vector<std::string>& files, const io::ReadOptions& read,
                                 const RevenueOverflow& e);

/// --until as a month: YYYY-MM, or "previous" (the last complete month before today, UTC);
/// throws UsageError for anything else.
std::optional<YearMonth> parse_until(const std::string& text);
/// --since as a month (YYYY-MM); throws UsageError for anything else.
std::optional<YearMonth> parse_since(const std::string& text);

/// Today (UTC), or the date in the environment variable CSM_TODAY (YYYY-MM-DD; for tests).
/// Throws UsageError for a malformed CSM_TODAY.
Date today_utc();

/// The data-quality warnings of one read (`quality` was its ReadOptions::quality): when the read
/// split a file and some customer-month has several rows or some period is isolated, the inputs
/// are read again by one thread to find duplicates, overlaps and their lines. Each warning is
/// printed on `err` (unless quiet) and its text appended to `warnings`. `stats`: the aggregation's
/// (activity and subscription records), or nullptr.
std::vector<DataWarning> data_quality_warnings(const InputOptions& options, const io::ReadOptions& read,
                                               io::RecordKind kind, const io::ReadReport& input,
                                               const DataProfile& quality, const ActivityStats* stats,
                                               std::vector<std::string>& warnings, std::ostream& err);

/// --strict: the exit status after the output is written (kDataError with data warnings).
int strict_status(const InputOptions& options, const std::vector<DataWarning>& warnings, int status,
                  std::ostream& err);

/// The reader's options for `options` (format, kind, renames, --by's column, --until,
/// --skip-invalid, threads). The caller may add a shard, a profile or a progress counter.
/// Throws UsageError (a malformed --column or --until).
io::ReadOptions read_options(const InputOptions& options);

/// What compute, report and merge do to the months once the records are aggregated.
struct FinishOptions {
  std::string spend;                   ///< --spend FILE; empty = none
  std::string spend_mode = "replace";  ///< --spend-mode
  io::ReadOptions spend_read;          ///< how to read it (format, threads, --skip-invalid)
  bool quiet = false;
  InputProfile* profile = nullptr;     ///< --explain / check: the rows described while reading
  Grain grain = Grain::month;
  /// Activity records: the aggregation the months were finished from, counted at `grain` (the
  /// periods of a coarser grain come from it); nullptr for summary records.
  const ActivityRaw* raw = nullptr;
};

/// --spend into acquisition_cost (all customers and, with --by, the groups it names), the
/// summaries of the months, the data report, the roll-up to the grain, and the warning for
/// skipped records (listed on `err` unless quiet). One code path for compute, report and merge.
void finish_periods(io::MetricsReport& report, const FinishOptions& options, std::ostream& err);

/// Cohorts (cohorts, report): the records read must span at most kMaxCohortMonths months. Past
/// it, an InputError (exit 65) at the row that stretches the range: of the two ends, the one
/// farther from the rest of the data (a mistyped year), the earliest on a tie.
/// `table` names what has the limit in the message. Also used for --by (a grouped series).
void check_cohort_range(const ActivityAggregator& aggregator, const io::ReadReport& report,
                        std::string_view table = "a cohort table");

/// Read every input (with `read`, from read_options()) and fill kind, options, input, activity,
/// spend, periods, summary and warnings of a report; with `by` also group_by, groups and
/// group_summaries; with a coarser `grain` the periods rolled up; with `read.profile` set also
/// `explain` (of the monthly periods); with `cohorts` also its table. `read_done` is called once
/// the records are read (compute ends its progress line there). Skipped records are listed on
/// `err` unless quiet. `command` names the command in messages. Throws UsageError (--by or
/// --until with records they do not apply to, transaction records), InputError, SourceError,
/// RevenueOverflow.
io::MetricsReport read_metrics(const InputOptions& options, const io::ReadOptions& read,
                               std::ostream& err, CohortRequest* cohorts = nullptr,
                               const std::function<void()>& read_done = {},
                               const std::string& command = "this command",
                               MovementRequest* movements = nullptr);

}  // namespace csm::cli
