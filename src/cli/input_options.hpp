#pragma once
/// The input and metric options of the commands that read records (compute, check, report,
/// at-risk), registered with one set of words and checks, and mapped onto the typed requests of
/// the library's runs (csm/io/run.hpp): `compute` and `report` print the same numbers because they
/// make the same io::MetricsRequest from the same options.

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
#include "csm/io/run.hpp"
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

/// --until as a month: YYYY-MM, or "previous" (the last complete month before today, UTC);
/// throws UsageError for anything else.
std::optional<YearMonth> parse_until(const std::string& text);
/// --since as a month (YYYY-MM); throws UsageError for anything else.
std::optional<YearMonth> parse_since(const std::string& text);

/// Today (UTC), or the date in the environment variable CSM_TODAY (YYYY-MM-DD; for tests).
/// Throws UsageError for a malformed CSM_TODAY.
Date today_utc();

/// --strict: the exit status after the output is written (kDataError with data warnings).
int strict_status(const InputOptions& options, const std::vector<DataWarning>& warnings, int status,
                  std::ostream& err);

/// --input-format's value (auto, csv, tsv, json, jsonl or ndjson, in lower case: the values its
/// CLI11 check accepts) as the reader's format.
io::InputFormat input_format_named(const std::string& name);

/// The reader's options for `options` (format, kind, renames, --by's column, --until,
/// --skip-invalid, threads). The caller may add a shard, a profile or a progress counter.
/// Throws UsageError (a malformed --column or --until).
io::ReadOptions read_options(const InputOptions& options);

/// The library's request for a metrics run with these options, read with `read` (from
/// read_options(), perhaps with a progress counter or a profile added). `command` names the
/// command in messages and in the JSON member "command". CSM_NO_DATA_QUALITY=1 turns the
/// data-quality warnings off, only to measure what they cost (docs/performance.md).
io::MetricsRequest metrics_request(const InputOptions& options, const io::ReadOptions& read,
                                   const std::string& command);

/// The messages of a run on `err` ("csm-metrics: warning: ...", ...), none when `quiet`.
void print_messages(const std::vector<io::RunMessage>& messages, bool quiet, std::ostream& err);

}  // namespace csm::cli
