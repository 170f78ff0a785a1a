#pragma once
/// Each subcommand registers its options on the CLI11 app and returns the function that runs it
/// once the arguments are parsed. The functions return an exit status (run.hpp) and may throw
/// UsageError, InputError, SourceError or OutputError; run() maps those to exit statuses.

#include <CLI/CLI.hpp>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace csm::cli {

struct Streams {
  std::ostream& out;
  std::ostream& err;
};

/// A usage error found after parsing (e.g. a retention outside 0..1): exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using CommandRunner = std::function<int()>;

CommandRunner add_compute_command(CLI::App& app, Streams io);
CommandRunner add_calc_command(CLI::App& app, Streams io);
CommandRunner add_report_command(CLI::App& app, Streams io);
CommandRunner add_at_risk_command(CLI::App& app, Streams io);

/// --column NAME=INPUT specs as (canonical, input) pairs; throws UsageError for a malformed one
/// (its message shows `example`, a NAME=INPUT of the command's records).
std::vector<std::pair<std::string, std::string>> parse_renames(const std::vector<std::string>& specs,
                                                               const char* example = "revenue=MRR");
/// `check`: only the data report of `compute --explain` (defined in compute.cpp, which it shares).
CommandRunner add_check_command(CLI::App& app, Streams io);
CommandRunner add_cohorts_command(CLI::App& app, Streams io);
CommandRunner add_rfm_command(CLI::App& app, Streams io);
CommandRunner add_predict_command(CLI::App& app, Streams io);
/// `movements`: the customers behind compute's MRR bridge, one line per movement.
CommandRunner add_movements_command(CLI::App& app, Streams io);
CommandRunner add_retention_command(CLI::App& app, Streams io);
/// `churn-risk`: a learnt churn probability per active customer (issue 21).
CommandRunner add_churn_risk_command(CLI::App& app, Streams io);

}  // namespace csm::cli
