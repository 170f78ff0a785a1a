// `csm-metrics at-risk`: the customers active in the latest month that show a warning sign.

#include <unistd.h>

#include <optional>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/csv_option.hpp"
#include "io/text_output.hpp"
#include "cli/input_options.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "cli/transactions.hpp"
#include "csm/at_risk.hpp"
#include "csm/error.hpp"
#include "csm/io/at_risk_writer.hpp"
#include "csm/io/data_warnings.hpp"
#include "csm/io/record_input.hpp"

namespace csm::cli {
namespace {

struct AtRiskCliOptions {
  InputOptions input;  // files, --input-format, --kind, --until, --column, --skip-invalid, -q
  OutputOptions out;  // -f, -o, --csv-raw
  std::string as_of;
  std::optional<int> window;  // --window: both windows unless given apart
  std::optional<int> contraction_window;
  std::optional<int> csat_window;
  std::string contraction_pct = "20";
  std::string low_tier_pct = "25";
  int csat_max = 2;
  int gap_window = 6;
  int flat_months = 6;
  std::size_t top = 0;
};

// A percentage option read exactly (a plain decimal, at most 6 decimal places), in micro-units,
// in (0, 100) or, with `hundred_ok`, (0, 100].
Money percent_option(const char* option, const std::string& text, bool hundred_ok) {
  Money micro = 0;
  // "20%" is 20 here too: the option is already a percentage (docs/cli.md, rates).
  const std::string number = !text.empty() && text.back() == '%' ? text.substr(0, text.size() - 1) : text;
  const DecimalError error = parse_money(number, micro);
  const std::string range = hundred_ok ? "above 0, at most 100" : "above 0 and below 100";
  if (error == DecimalError::too_precise) {
    throw UsageError(std::string(option) + " " + quote_for_message(text) +
                     ": at most 6 decimal places (e.g. 12.5)");
  }
  if (error != DecimalError::ok || micro > 100 * kMoneyScale) {
    throw UsageError(std::string(option) + " " + quote_for_message(text) +
                     ": expected a percentage " + range + " as a plain decimal, e.g. 20 or 12.5");
  }
  if (micro == 0 || (!hundred_ok && micro == 100 * kMoneyScale)) {
    std::string why = micro == 0 ? "" : " (at 100 the revenue would have to fall to 0, and only customers with revenue are evaluated)";
    throw UsageError(std::string(option) + " " + quote_for_message(text) + ": expected a percentage " +
                     range + why);
  }
  return micro;
}

int at_risk(const AtRiskCliOptions& options, Streams io) {
  const InputOptions& in = options.input;
  if (in.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError(
        "no input: give a file (csm-metrics at-risk customers.csv), pipe records in, or use '-' "
        "to type them");
  }
  io::AtRiskReport report;
  report.version = CSM_VERSION;
  report.top = options.top;
  AtRiskOptions& rules = report.options;
  rules.contraction_window = options.contraction_window.value_or(options.window.value_or(3));
  rules.csat_window = options.csat_window.value_or(options.window.value_or(3));
  rules.csat_max = options.csat_max;
  rules.gap_window = options.gap_window;
  rules.flat_months = options.flat_months;
  rules.contraction_pct = percent_option("--contraction-pct", options.contraction_pct, false);
  rules.low_tier_pct = percent_option("--low-tier-pct", options.low_tier_pct, true);
  if (!options.as_of.empty()) rules.as_of = parse_month_option("--as-of", options.as_of);

  // The same reading as compute (io::run_at_risk, csm/io/run.hpp).
  io::AtRiskRequest request;
  request.inputs = in.files;
  request.read = read_options(in);
  request.rules = rules;
  request.today = today_utc();
  io::AtRiskRun run = io::run_at_risk(request);
  print_messages(run.messages, in.quiet, io.err);
  run.report.version = report.version;
  run.report.top = report.top;
  report = std::move(run.report);
  const std::vector<DataWarning>& data_warnings = run.data_warnings;

  write_report(report, options.out, data_warnings, io);
  return strict_status(in, data_warnings, kOk, io.err);
}

}  // namespace

CommandRunner add_at_risk_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<AtRiskCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "at-risk", "Customers active in the latest month that show a warning sign (contraction, "
                 "low csat, a return after a gap, flat revenue at a low tier); docs/at-risk.md");
  add_csv_raw_flag(*cmd, options->out.csv_raw);
  cmd->add_option("-f,--format", options->out.format, "Output: table (default), json or csv")
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  add_record_options(*cmd, options->input);
  cmd->add_option("-o,--output", options->out.output,
                  "Write the result to this file (atomically: all or nothing) instead of stdout");
  cmd->add_flag("-q,--quiet", options->input.quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("--as-of", options->as_of,
                  "Evaluate this month (YYYY-MM) instead of the latest month in the data")
      ->type_name("YYYY-MM");
  cmd->add_option("--contraction-pct", options->contraction_pct,
                  "contraction: latest revenue at least this many percent below the highest of "
                  "the contraction window (above 0, below 100; default 20)")
      ->type_name("PCT");
  cmd->add_option("--contraction-window", options->contraction_window,
                  "contraction: the months before the latest whose highest revenue it is compared "
                  "with (default 3, or --window)")
      ->check(CLI::Range(1, 1200));
  cmd->add_option("--csat-max", options->csat_max, "low_csat: a response <= this (1..5)")
      ->check(CLI::Range(1, 5))
      ->default_val(2);
  cmd->add_option("--csat-window", options->csat_window,
                  "low_csat: the months looked at, the latest included (default 3, or --window)")
      ->check(CLI::Range(1, 1200));
  cmd->add_option("--window", options->window,
                  "Both --contraction-window and --csat-window, where not given apart")
      ->check(CLI::Range(1, 1200));
  cmd->add_option("--gap-window", options->gap_window,
                  "gap_return: a return after a month without revenue within this many months")
      ->check(CLI::Range(2, 1200))
      ->default_val(6);
  cmd->add_option("--flat-months", options->flat_months,
                  "flat_low_tier: revenue unchanged for at least this many months")
      ->check(CLI::Range(2, 1200))
      ->default_val(6);
  cmd->add_option("--low-tier-pct", options->low_tier_pct,
                  "flat_low_tier: the low tier is revenue at most this percentile (nearest rank) "
                  "of the latest month's revenue of active customers (above 0, at most 100; default 25)")
      ->type_name("PCT");
  cmd->add_option("--top", options->top, "Show at most N customers (0: all)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1000000000}));
  return [options, io] { return at_risk(*options, io); };
}

}  // namespace csm::cli
