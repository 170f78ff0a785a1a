#pragma once
// What `rfm` and `predict` share: the input options, --end/--unit, and reading transactions into
// the per-customer summary.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"  // write_output
#include "csm/io/record_input.hpp"
#include "csm/rfm.hpp"

namespace csm::cli {

struct TransactionOptions {
  std::vector<std::string> files;
  std::string format = "table";
  std::string input_format = "auto";
  std::vector<std::string> columns;
  bool skip_invalid = false;
  std::string end;
  std::string unit = "week";
  std::string output;
  bool csv_raw = false;  ///< --csv-raw
  bool quiet = false;
  unsigned threads = 0;  ///< 0 = one per core
  std::uint32_t shard = 0;        ///< --shard I/N: every customer in shard I of N
  std::uint32_t shard_count = 0;  ///< 0: no --shard
  bool allow_empty = false;       ///< an empty summary is no error (rfm --emit-state of a shard)
};

/// Lower-case the option values that CLI11 accepted in any case (--unit WEEK, -f JSON).
void normalise(TransactionOptions& options);

/// Register the options above on `cmd`.
void add_transaction_options(CLI::App* cmd, TransactionOptions& options);

/// A date option value, or UsageError naming the option.
Date parse_date_option(const std::string& option, const std::string& text);

/// Read the transactions into a summary at --end in --unit (holdout purchases counted too).
/// Skipped records are reported on stderr unless quiet.
/// With `period_of` (BG/BB), also each customer's history in those periods (RfmSummary::periods).
RfmSummary read_transactions(const TransactionOptions& options, std::optional<Date> holdout_end,
                             io::ReadReport& report, Streams io,
                             std::function<std::int32_t(std::int32_t)> period_of = {});

}  // namespace csm::cli
