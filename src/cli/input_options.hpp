#pragma once
/// The input and metric options of the commands that read records (`report` now; `compute` reads
/// the same way and can move onto this at the next change to it), and reading the inputs into the
/// metrics of a MetricsReport.

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "csm/cohorts.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/period_metrics.hpp"

namespace csm::cli {

struct InputOptions {
  std::vector<std::string> files;  ///< empty = standard input
  std::string input_format = "auto";
  std::string kind = "auto";
  std::vector<std::string> columns;  ///< NAME=INPUT renames
  bool skip_invalid = false;
  MetricOptions metrics;
  bool quiet = false;
  unsigned threads = 0;
  std::string by;               ///< --by COLUMN: also the metrics per group; empty = none
  std::string grain = "month";  ///< --grain: month, quarter or year
};

/// Ask read_metrics for the cohort table too, from the same single read (activity and
/// subscription records; summary records have no customers, so `table` stays empty).
struct CohortRequest {
  CohortOptions options;
  std::optional<CohortTable> table;
};

/// Register FILE..., --input-format, --kind, --column, --skip-invalid, --csat-threshold,
/// --gross-margin, --discount-rate, -q and -j on `cmd`, with compute's words and checks.
void add_input_options(CLI::App& cmd, InputOptions& options);

/// Read every input and fill kind, options, input, activity, periods, summary and warnings of a
/// report; with `by` also group_by, groups and group_summaries, with a coarser `grain` the periods
/// rolled up as compute does; with `cohorts` also its table. Skipped records are listed on `err`
/// unless quiet. Throws UsageError (a bad --column, --by with summary records), InputError,
/// SourceError, RevenueOverflow.
io::MetricsReport read_metrics(const InputOptions& options, std::ostream& err,
                               std::atomic<std::uint64_t>* bytes_parsed = nullptr,
                               CohortRequest* cohorts = nullptr);

}  // namespace csm::cli
