#pragma once
/// The input and metric options of the commands that read records (`report` now; `compute` reads
/// the same way and can move onto this at the next change to it), and reading the inputs into the
/// metrics of a MetricsReport.

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

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
};

/// Register FILE..., --input-format, --kind, --column, --skip-invalid, --csat-threshold,
/// --gross-margin, --discount-rate, -q and -j on `cmd`, with compute's words and checks.
void add_input_options(CLI::App& cmd, InputOptions& options);

/// Read every input and fill kind, options, input, activity, periods, summary and warnings of a
/// report. Skipped records are listed on `err` unless quiet. Throws UsageError (a bad --column),
/// InputError, SourceError, RevenueOverflow.
io::MetricsReport read_metrics(const InputOptions& options, std::ostream& err,
                               std::atomic<std::uint64_t>* bytes_parsed = nullptr);

}  // namespace csm::cli
