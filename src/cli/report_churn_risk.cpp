// `report --churn-risk`: the churn-risk section of the HTML report, made by the code of
// `churn-risk` (docs/report.md, docs/churn-risk.md).

#include <algorithm>
#include <sstream>

#include "cli/churn_risk.hpp"
#include "csm/io/html_churn_risk.hpp"

namespace csm::cli {

void add_report_churn_options(CLI::App& cmd, ReportChurnOptions& options) {
  cmd.add_flag("--churn-risk", options.enabled,
               "Add a churn-risk section: the score distribution, the backtest and the 20 customers "
               "most likely to churn (as 'csm-metrics churn-risk'; activity or subscription records, "
               "from files)");
  cmd.add_option("--signal", options.signals,
                 "With --churn-risk: a numeric column of the activity records to learn from "
                 "(as churn-risk --signal). Repeatable")
      ->type_name("NAME");
  cmd.add_option("--horizon", options.horizon,
                 "With --churn-risk: churn within this many months after the month scored (default 1)")
      ->check(CLI::Range(1, 24));
  cmd.add_option("--backtest", options.backtest,
                 "With --churn-risk: backtest over the last K months with a known outcome (default 3; "
                 "0: none)")
      ->check(CLI::Range(0, 60));
  cmd.add_option("--seed", options.seed,
                 "With --churn-risk: seed of the training sample (as churn-risk --seed)")
      ->default_val(1);
  cmd.add_option("--as-of", options.as_of,
                 "With --churn-risk: score the customers active in this month (YYYY-MM; default: the "
                 "latest month)")
      ->type_name("YYYY-MM");
}

void add_report_churn_args(const ReportChurnOptions& options, std::vector<std::string>& args) {
  if (!options.enabled) return;
  args.emplace_back("--churn-risk");
  for (const std::string& s : options.signals) {
    args.emplace_back("--signal");
    args.push_back(s);
  }
  const auto add = [&args](const char* option, const std::string& value) {
    args.emplace_back(option);
    args.push_back(value);
  };
  if (options.horizon != 1) add("--horizon", std::to_string(options.horizon));
  if (options.backtest != 3) add("--backtest", std::to_string(options.backtest));
  if (options.seed != 1) add("--seed", std::to_string(options.seed));
  if (!options.as_of.empty()) add("--as-of", options.as_of);
}

void check_report_churn_options(const ReportChurnOptions& options, const InputOptions& input) {
  if (!options.enabled) {
    if (!options.signals.empty() || options.horizon != 1 || options.backtest != 3 || options.seed != 1 ||
        !options.as_of.empty()) {
      throw UsageError("--signal, --horizon, --backtest, --seed and --as-of go with --churn-risk");
    }
    return;
  }
  if (input.files.empty() || std::find(input.files.begin(), input.files.end(), "-") != input.files.end()) {
    throw UsageError("--churn-risk reads the input a second time (the metrics, then the customers' "
                     "histories): give files, not standard input");
  }
}

std::string report_churn_section(const ReportChurnOptions& options, const InputOptions& input) {
  check_report_churn_options(options, input);
  if (!options.enabled) return {};
  ChurnRiskCliOptions churn;
  churn.input = input;
  churn.signals = options.signals;
  churn.horizon = options.horizon;
  churn.backtest = options.backtest;
  churn.seed = options.seed;
  churn.as_of = options.as_of;
  churn.top = 20;  // the factors of the top 20 (of each group under --by: a superset of the top 20)
  // The data-quality notes were printed by the metrics' read; churn-risk's own warnings and notes
  // are shown in the section.
  std::ostringstream quiet_out;
  std::ostringstream quiet_err;
  std::vector<DataWarning> data_warnings;
  const io::ChurnRiskReport report = churn_risk_report(churn, Streams{quiet_out, quiet_err}, data_warnings);
  return io::churn_risk_section(report, 20);
}

}  // namespace csm::cli
