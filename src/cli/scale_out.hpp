#pragma once
/// Scale-out: `compute --emit-state`, `merge` and `shard` (docs/scale-out.md).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/grain.hpp"
#include "csm/input_profile.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/predictive_writer.hpp"
#include "csm/io/record_input.hpp"
#include "csm/period_metrics.hpp"
#include "csm/thresholds.hpp"

namespace csm::cli {

/// "I/N" of --shard as (I, N), 0 <= I < N; throws UsageError.
std::pair<std::uint32_t, std::uint32_t> parse_shard_spec(const std::string& spec);

/// What compute knows of a run whose state it writes instead of metrics.
struct EmitStateRequest {
  std::string path;  ///< --emit-state FILE ("-": stdout)
  std::uint32_t shard = 0;
  std::uint32_t shard_count = 1;
  MetricOptions options;
  Grain grain = Grain::month;
  std::string group_by;
  bool subscriptions = false;       ///< subscription records (expanded into months)
  bool invoices = false;            ///< invoice records (subscriptions is set too)
  std::optional<YearMonth> until;   ///< their --until
  unsigned threads = 1;
  bool quiet = false;
};

/// With --emit-state: throw UsageError for the first of `refused` (option name, why) that was
/// given on `cmd`, e.g. "--emit-state writes a state, not metrics: --format: ...".
void refuse_with_emit_state(const CLI::App& cmd,
                            const std::vector<std::pair<std::string, std::string>>& refused);

/// The output of compute and merge once the metrics are finished and checked
/// (io::finish_metrics, io::check_thresholds, csm/io/run.hpp): the table, JSON or CSV (or, with
/// `check_only`, for `check`, only the data report), then the crossed thresholds. One code path,
/// so that a merge of shards prints exactly what compute prints. Returns kOk, or
/// kThresholdCrossed when a --fail-if check (report.thresholds) holds.
int write_metrics(io::MetricsReport& report, const OutputOptions& output, Streams io, bool check_only = false);

/// The rfm states in `paths` (already read into `texts`, named `names`), checked (one version,
/// the same --end and --unit, customer shards that make a whole unless `allow_partial`) and
/// concatenated into one summary, as `merge` prints it and `predict --from-state` fits it.
/// Warnings (a partial merge) go to `warnings`.
struct MergedRfm {
  io::ReadReport input;
  RfmSummary summary;
  std::vector<std::string> warnings;
  std::string periods;  ///< the BG/BB period of the states' PeriodHistory (summary.periods); empty: none
};
MergedRfm merge_rfm_states(const std::vector<std::string>& texts, const std::vector<std::string>& names,
                           bool allow_partial);

/// The whole of a state file (or stdin for "-").
std::string read_state_file(const std::string& path);

/// The partial-merge warning: "partial merge: shards 3, 5, 7 and 12 more of 64 missing; the
/// metrics cover the other shards only" (at most 8 shards listed).
std::string missing_shards_text(const std::vector<std::uint32_t>& missing, std::uint32_t count);

/// Finish `aggregator` (read from `input`) into a partial state and write it. Returns kOk.
int emit_activity_state(ActivityAggregator& aggregator, const io::RecordInput& input,
                        const EmitStateRequest& request, Streams io);

CommandRunner add_merge_command(CLI::App& app, Streams io);
CommandRunner add_shard_command(CLI::App& app, Streams io);

}  // namespace csm::cli
