#include "cli/commands.hpp"
#include "cli/run.hpp"
#include "cli/transactions.hpp"
#include "csm/io/predictive_writer.hpp"

namespace csm::cli {

CommandRunner add_rfm_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<TransactionOptions>();
  CLI::App* cmd = app.add_subcommand(
      "rfm", "Per-customer summary of transaction records (x, t_x, T, monetary) at --end, the "
             "input of the predictive models");
  add_transaction_options(cmd, *options);
  return [options, io] {
    normalise(*options);
    io::RfmReport report;
    report.version = CSM_VERSION;
    report.threads = options->threads;
    report.summary = read_transactions(*options, std::nullopt, report.input, io);
    report.notes.push_back(
        "x counts repeat purchase occasions (distinct purchase days after the first) on or "
        "before end; purchases of one customer on the same day are one occasion");
    const std::string text = options->format == "json" ? io::to_json(report)
                             : options->format == "csv" ? io::to_csv(report)
                                                        : io::to_table(report);
    write_output(options->output, io, text);
    return kOk;
  };
}

}  // namespace csm::cli
