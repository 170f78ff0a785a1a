#include <charconv>

#include "cli/output.hpp"
#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/source.hpp"
#include "csm/io/state_file.hpp"

namespace csm::cli {

std::pair<std::uint32_t, std::uint32_t> parse_shard_spec(const std::string& spec) {
  const std::size_t slash = spec.find('/');
  std::uint32_t index = 0;
  std::uint32_t count = 0;
  const auto number = [](std::string_view text, std::uint32_t& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && error == std::errc() && end == text.data() + text.size();
  };
  if (slash == std::string::npos || !number(std::string_view(spec).substr(0, slash), index) ||
      !number(std::string_view(spec).substr(slash + 1), count) || count == 0 || index >= count) {
    throw UsageError("--shard " + spec + ": expected I/N with 0 <= I < N, e.g. --shard 0/4");
  }
  return {index, count};
}

void refuse_with_emit_state(const CLI::App& cmd,
                            const std::vector<std::pair<std::string, std::string>>& refused) {
  for (const auto& [name, why] : refused) {
    const CLI::Option* option = cmd.get_option_no_throw(name);
    if (option != nullptr && option->count() > 0) {
      throw UsageError("--emit-state writes a partial state, not metrics: " + name + ": " + why);
    }
  }
}

std::string missing_shards_text(const std::vector<std::uint32_t>& missing, std::uint32_t count) {
  constexpr std::size_t kListed = 8;
  std::string list;
  const std::size_t listed = missing.size() <= kListed + 1 ? missing.size() : kListed;
  for (std::size_t i = 0; i < listed; ++i) {
    list += (i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ") + std::to_string(missing[i]);
  }
  if (listed < missing.size()) list += " and " + std::to_string(missing.size() - listed) + " more";
  return (missing.size() == 1 ? "shard " : "shards ") + list + " of " + std::to_string(count) + " missing";
}

std::string read_state_file(const std::string& path) {
  io::InputSource source = io::InputSource::open(path);
  return io::read_state(source);
}

int emit_activity_state(ActivityAggregator& aggregator, const io::RecordInput& input,
                        const EmitStateRequest& request, Streams io) {
  io::ActivityState state;
  state.tool_version = CSM_VERSION;
  state.shard = request.shard;
  state.shard_count = request.shard_count;
  state.options = request.options;
  state.grain = request.grain;
  state.group_by = request.group_by;
  state.subscriptions = request.subscriptions;
  state.invoices = request.invoices;
  state.until = request.until;
  const io::ReadReport& read = input.report();
  state.sources = read.sources;
  state.records = read.records;
  state.skipped = read.skipped;
  state.raw = aggregator.finish_raw(request.threads, request.grain);
  // As compute reports subscription records: the zero-MRR subscriptions as read, not month rows.
  if (read.subscriptions) state.raw.stats.zero_revenue_records = read.subscriptions->zero_mrr;
  if (read.invoices) {
    state.raw.stats.zero_revenue_records = read.invoices->trial_lines;
    state.invoice_stats = read.invoices;  // the JSON member "invoices", added up by merge
  }
  if (read.skipped > 0 && !request.quiet) {
    for (const std::string& message : read.skipped_messages) {
      io.err << "csm-metrics: skipped: " << message << '\n';
    }
    io.err << "csm-metrics: warning: skipped " << read.skipped << " invalid records\n";
  }
  write_output(request.path, io, io::to_state_text(state));  // "-": stdout
  return kOk;
}

}  // namespace csm::cli
