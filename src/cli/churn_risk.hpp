#pragma once
/// `csm-metrics churn-risk` as a function, for the command and for `report --churn-risk`
/// (docs/churn-risk.md).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/input_options.hpp"
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "csm/data_quality.hpp"
#include "csm/io/churn_risk_writer.hpp"

namespace csm::cli {

struct ChurnRiskCliOptions {
  InputOptions input;
  OutputOptions out;  // -f, -o, --csv-raw
  std::string as_of;
  int horizon = 1;
  std::vector<std::string> signals;
  std::string features_csv;
  std::uint64_t seed = 1;
  std::string sort = "probability";
  std::size_t top = 0;
  int backtest = 3;
  std::size_t max_training_rows = 100000;
  int trees = 80;
  int max_depth = 3;
  unsigned threads = 0;
};

/// Reads the records, trains, scores and backtests as `churn-risk` does (writing --features-csv
/// if asked); the data-quality warnings go to `data_warnings`. Throws InputError / UsageError.
io::ChurnRiskReport churn_risk_report(const ChurnRiskCliOptions& options, Streams io,
                                      std::vector<DataWarning>& data_warnings);

/// `report --churn-risk` and the churn-risk options it takes (src/cli/report_churn_risk.cpp).
struct ReportChurnOptions {
  bool enabled = false;
  std::vector<std::string> signals;
  int horizon = 1;
  int backtest = 3;
  std::uint64_t seed = 1;
  std::string as_of;
};
void add_report_churn_options(CLI::App& cmd, ReportChurnOptions& options);
/// The arguments of an equivalent `report` run that these options add.
void add_report_churn_args(const ReportChurnOptions& options, std::vector<std::string>& args);
/// Usage errors of these options (before anything is read): the churn-risk options without
/// --churn-risk, --churn-risk on standard input. Throws UsageError.
void check_report_churn_options(const ReportChurnOptions& options, const InputOptions& input);
/// The HTML section: `churn-risk` run on the report's input with these options (the report's
/// --by included). The input is read a second time: files only. Throws as churn-risk does.
std::string report_churn_section(const ReportChurnOptions& options, const InputOptions& input);

}  // namespace csm::cli
