#pragma once
/// Scale-out: `compute --emit-state`, `merge` and `shard` (docs/scale-out.md).

#include <cstdint>
#include <string>
#include <utility>

#include "cli/commands.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/grain.hpp"
#include "csm/io/record_input.hpp"
#include "csm/period_metrics.hpp"

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
  unsigned threads = 1;
  bool quiet = false;
};

/// Finish `aggregator` (read from `input`) into a partial state and write it. Returns kOk.
int emit_activity_state(ActivityAggregator& aggregator, const io::RecordInput& input,
                        const EmitStateRequest& request, Streams io);

CommandRunner add_merge_command(CLI::App& app, Streams io);
CommandRunner add_shard_command(CLI::App& app, Streams io);

}  // namespace csm::cli
