#include "cli/bgbb_periods.hpp"
#include "cli/commands.hpp"
#include "cli/csv_option.hpp"
#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "cli/transactions.hpp"
#include "csm/io/predictive_writer.hpp"
#include "csm/io/state_file.hpp"
#include "io/text_output.hpp"

namespace csm::cli {

CommandRunner add_rfm_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<TransactionOptions>();
  CLI::App* cmd = app.add_subcommand(
      "rfm", "Per-customer summary of transaction records (x, t_x, T, monetary) at --end, the "
             "input of the predictive models");
  add_transaction_options(cmd, *options);
  // rfm fits nothing: its threads only read (the shared text speaks of predict's fits).
  cmd->get_option("--threads")->description(
      "Threads for large files (default 0: one per core); the result is the same");
  auto emit_state = std::make_shared<std::string>();
  auto shard = std::make_shared<std::string>();
  cmd->add_option("--emit-state", *emit_state,
                  "Write the per-customer summary as a partial state to FILE ('-': stdout) for "
                  "'csm-metrics merge' (docs/scale-out.md)")
      ->type_name("FILE");
  cmd->add_option("--shard", *shard, "The input is shard I of N of 'csm-metrics shard' (checked)")
      ->type_name("I/N");
  auto periods = std::make_shared<std::string>();
  cmd->add_option("--periods", *periods,
                  "With --emit-state: also each customer's BG/BB history in these periods "
                  "(day|week|month|quarter|year), for predict --from-state --model bg-bb")
      ->type_name("UNIT");
  return [options, io, emit_state, shard, cmd, periods] {
    normalise(*options);
    if (!emit_state->empty()) {
      const std::string why = "the state goes to the --emit-state FILE; output options apply to 'csm-metrics merge'";
      refuse_with_emit_state(*cmd, {{"--output", why}, {"--format", why}});
    }
    std::pair<std::uint32_t, std::uint32_t> spec{0, 1};
    if (!shard->empty()) {
      spec = parse_shard_spec(*shard);
      options->shard = spec.first;
      options->shard_count = spec.second;
    }
    if (!emit_state->empty()) {
      options->allow_empty = true;
      io::RfmState state;
      state.tool_version = CSM_VERSION;
      state.shard = spec.first;
      state.shard_count = spec.second;
      io::ReadReport input;
      std::function<std::int32_t(std::int32_t)> period_of;
      if (!periods->empty()) {
        state.periods = io::text::ascii_lower(*periods);
        period_of = bgbb_period_function(state.periods, parse_date_option("--end", options->end), options->end);
      }
      state.summary = read_transactions(*options, std::nullopt, input, io, period_of);
      state.sources = input.sources;
      state.records = input.records;
      state.skipped = input.skipped;
      write_output(*emit_state, io, io::to_state_text(state));
      return kOk;
    }
    if (!periods->empty()) throw UsageError("--periods applies to --emit-state (BG/BB through rfm states)");
    io::RfmReport report;
    report.version = CSM_VERSION;
    report.threads = options->threads;
    report.summary = read_transactions(*options, std::nullopt, report.input, io);
    report.notes.push_back(
        "x counts repeat purchase occasions (distinct purchase days after the first) on or "
        "before end; purchases of one customer on the same day are one occasion");
    // CSV and JSON (large) are written as they are formatted.
    const io::CsvStyle style = csv_style(options->csv_raw);
    if (options->format == "csv") {
      write_output_in_pieces(options->output, io, [&](const io::TextSink& sink) { io::write_csv(report, style, sink); });
    } else if (options->format == "json") {
      write_output_in_pieces(options->output, io, [&](const io::TextSink& sink) { io::write_json(report, sink); });
    } else {
      write_output(options->output, io, io::to_table(report));
    }
    return kOk;
  };
}

}  // namespace csm::cli
