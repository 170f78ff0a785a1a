#pragma once
/// The library-level run: what `compute`, `check`, `report`, `movements`, `merge`, `cohorts` and
/// `at-risk` do between their options and their output, as one call each. A typed request goes
/// in (inputs, read options, metric options, grouping, grain, spend); the report, the data-quality
/// warnings and the messages for stderr come out as data. Nothing here prints or exits: errors are
/// the exceptions of csm/error.hpp (InputError, SourceError, RevenueOverflow turned into an
/// InputError at its row), and RequestError for a request the records read cannot satisfy.
///
///     csm::io::MetricsRequest request;
///     request.inputs = {"customers.csv"};
///     request.group_by = "segment";
///     request.grain = csm::Grain::quarter;
///     const csm::io::MetricsRun run = csm::io::run_metrics(request);
///     std::string json = csm::io::to_json(run.report);

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "csm/activity_state.hpp"
#include "csm/at_risk.hpp"
#include "csm/cohorts.hpp"
#include "csm/data_quality.hpp"
#include "csm/grain.hpp"
#include "csm/input_profile.hpp"
#include "csm/io/at_risk_writer.hpp"
#include "csm/io/cohort_writer.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/record_input.hpp"
#include "csm/month.hpp"
#include "csm/movements.hpp"
#include "csm/period_metrics.hpp"
#include "csm/spend.hpp"
#include "csm/thresholds.hpp"

namespace csm::io {

/// A request that does not fit the records read (--by on summary records, a grouping column with
/// too many values, an unknown column in a rename, ...). The command line reports it as a usage
/// error (exit status 2).
class RequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One line for a person, in the order the run found it. The command line prints it on stderr as
/// "csm-metrics: warning: TEXT", "csm-metrics: note: TEXT", "csm-metrics: skipped: TEXT" or, for
/// `total`, "csm-metrics: TEXT" (and not at all with --quiet).
struct RunMessage {
  enum class Level : std::uint8_t { warning, note, skipped, total };
  Level level = Level::warning;
  std::string text;
};

/// What every run reads: the inputs and how.
struct RunInput {
  std::vector<std::string> inputs;  ///< files; empty (or "-") = standard input
  /// Format, kind, renames, --since/--until, --dedupe, --skip-invalid, threads, ... A progress
  /// counter (bytes_parsed) and an InputProfile (profile: the data report) may be set too.
  ReadOptions read;
  /// The data-quality warnings (docs/metrics.md, section 15); --dedupe needs them and turns them on.
  bool data_quality = true;
  /// The day "future" months are judged against; default: today (UTC) by the system clock.
  std::optional<Date> today;
};

/// compute, check, report and movements: records into the metrics of their periods.
struct MetricsRequest : RunInput {
  MetricOptions metrics;
  /// Group the metrics by this input column too (--by); empty = no groups. The column is read as
  /// the records' segment: run_metrics adds the rename to `read` (add_group_column).
  std::string group_by;
  Grain grain = Grain::month;
  std::string spend;                        ///< a marketing spend file (--spend); empty = none
  SpendMode spend_mode = SpendMode::replace;
  /// The JSON member "command" and the name of the command in messages ("report", ...).
  std::string command = "compute";
  std::optional<CohortOptions> cohorts;     ///< also the cohort table, from the same read
  std::optional<MovementOptions> movements; ///< also the movement list, from the same read
  std::vector<Threshold> thresholds;        ///< --fail-if (parse_threshold); checked by check_thresholds
  ThresholdScope threshold_scope = ThresholdScope::latest;  ///< --fail-scope
};

struct MetricsRun {
  /// Everything compute writes: version, command, kind, options, input, activity, periods (at the
  /// grain), summary, groups, spend, explain, thresholds, warnings, data_warnings.
  MetricsReport report;
  std::optional<CohortTable> cohorts;  ///< with MetricsRequest::cohorts (not for summary records)
  MovementList movements;              ///< with MetricsRequest::movements
  std::vector<RunMessage> messages;
};

/// Read every input, aggregate, add the spend, summarize, roll up to the grain, check the
/// thresholds. Throws RequestError, InputError, SourceError.
MetricsRun run_metrics(const MetricsRequest& request);

/// The part of run_metrics after the aggregation, for metrics that come from elsewhere (`merge`
/// of partial states): the spend, the summaries, the data report, the roll-up to the grain and the
/// note on skipped records. `report` has kind, options, input, activity, periods and groups.
struct FinishRequest {
  std::string spend;                         ///< a marketing spend file; empty = none
  SpendMode spend_mode = SpendMode::replace;
  ReadOptions spend_read;                    ///< how to read it (format, threads, --skip-invalid)
  InputProfile* profile = nullptr;           ///< the rows described while reading: report.explain
  Grain grain = Grain::month;
  /// Activity records: the aggregation the months were finished from, counted at `grain` (the
  /// periods of a coarser grain come from it); nullptr for summary records.
  const ActivityRaw* raw = nullptr;
};
void finish_metrics(MetricsReport& report, const FinishRequest& request, std::vector<RunMessage>& messages);

/// --fail-if on a finished report: each threshold on all customers and, with groups, on each
/// group (its own summary), in the latest period or all (`scope`). Sets report.thresholds; a note
/// (in report.warnings and `messages`) for a group-only threshold and for each null value.
void check_thresholds(MetricsReport& report, const std::vector<Threshold>& thresholds, ThresholdScope scope,
                      std::vector<RunMessage>& messages);

/// Where a threshold check looked: "in 2024-06", "in 2024-Q2 (group smb)" (the group's value
/// escaped for a terminal) or "over all months" for a summary field.
std::string threshold_where(const ThresholdCheck& check, Grain grain);

/// cohorts: retention of customers grouped by the period they joined in.
struct CohortsRequest : RunInput {
  CohortOptions options;
  std::string group_by;  ///< --by: also the cohorts of each group; empty = none
};

struct CohortsRun {
  CohortReport report;  ///< version left to the caller (the command line's)
  std::vector<DataWarning> data_warnings;
  std::vector<RunMessage> messages;
};

CohortsRun run_cohorts(const CohortsRequest& request);

/// The warnings of a cohort table at `grain` (run_cohorts, and `merge` of cohort states): the
/// skipped records, a first period the data covers only in part, and a last one (its ages are
/// counted at its last month in the data). Appended to report.warnings.
void add_cohort_warnings(CohortReport& report, Grain grain);

/// at-risk: the customers active in the latest month that show a warning sign.
struct AtRiskRequest : RunInput {
  AtRiskOptions rules;
};

struct AtRiskRun {
  AtRiskReport report;  ///< version and top left to the caller
  std::vector<DataWarning> data_warnings;
  std::vector<RunMessage> messages;
};

AtRiskRun run_at_risk(const AtRiskRequest& request);

// The pieces the runs share, for commands that read records their own way (churn-risk, the
// partial states of --emit-state).

/// Group by input column `by`: read it as the segment and require it. Does nothing for an empty
/// `by` or when `read` already requires the segment. Throws RequestError when `by` is a column the
/// records read as one of their own fields.
void add_group_column(const std::string& by, ReadOptions& read);

/// The data-quality warnings of one read (`quality` was its ReadOptions::quality), for records of
/// `kind`: each is appended to `warnings` as text and to `messages` (with, after --dedupe, a note
/// on the rows dropped).
std::vector<DataWarning> data_quality_warnings(RecordKind kind, const ReadReport& input,
                                               const DataProfile& quality, bool dedupe, Date today,
                                               std::vector<std::string>& warnings,
                                               std::vector<RunMessage>& messages);

/// A revenue sum past the money limit as an InputError. For activity records read from files, the
/// files are read again in order to name the row (FILE:LINE) at which the customer's month first
/// passes the limit; otherwise (standard input, other kinds) the input is named without a line.
[[noreturn]] void throw_overflow(const std::vector<std::string>& inputs, const ReadOptions& read,
                                 const RevenueOverflow& e);

/// Cohorts and --by: the records read must span at most kMaxCohortMonths months. Past it, an
/// InputError at the row that stretches the range: of the two ends, the one farther from the rest
/// of the data (a mistyped year), the earliest on a tie. `table` names what has the limit.
void check_cohort_range(const ActivityAggregator& aggregator, const ReadReport& report,
                        std::string_view table = "a cohort table");

/// Today (UTC) by the system clock.
Date system_today();

}  // namespace csm::io
