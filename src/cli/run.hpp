#pragma once
/// The command line as a function, so that tests can run it with string streams.

#include <ostream>

namespace csm::cli {

/// Exit statuses (README, "Exit codes"). 1 is kept for "a threshold was crossed".
enum ExitCode : int {
  kOk = 0,
  kThresholdCrossed = 1,
  kUsage = 2,
  kDataError = 65,    // EX_DATAERR: invalid input data
  kNoInput = 66,      // EX_NOINPUT: input missing or unreadable
  kSoftware = 70,     // EX_SOFTWARE: a bug in csm-metrics
  kOsError = 71,      // EX_OSERR: out of memory, or XGBoost's library missing (churn-risk)
  kIoError = 74,      // EX_IOERR: output could not be written
};

/// Parse the arguments, run the subcommand, print results to `out` and diagnostics to `err`.
/// Never throws; returns the exit status.
int run(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace csm::cli
