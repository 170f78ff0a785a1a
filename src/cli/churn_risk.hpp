#pragma once
/// `csm-metrics churn-risk` as a function, for the command and for `report --churn-risk`
/// (docs/churn-risk.md).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/input_options.hpp"
#include "cli/commands.hpp"
#include "csm/data_quality.hpp"
#include "csm/io/churn_risk_writer.hpp"

namespace csm::cli {

struct ChurnRiskCliOptions {
  InputOptions input;
  std::string format = "table";
  std::string output;
  std::string as_of;
  int horizon = 1;
  std::vector<std::string> signals;
  std::string features_csv;
  bool csv_raw = false;
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

}  // namespace csm::cli
