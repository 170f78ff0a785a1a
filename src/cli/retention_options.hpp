#pragma once
/// The options of `retention`, which `forecast` reads its records with too (retention.cpp,
/// forecast.cpp).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "csm/io/record_input.hpp"

namespace csm::cli {

/// `retention`: records or a survival table, the fits and DERL; `forecast` takes the record
/// options and --model, --min-customers, -f, -o and -q of it.
struct RetentionOptions {
  std::vector<std::string> files;
  std::string format = "table";
  std::string input_format = "auto";
  std::string kind = "auto";
  std::vector<std::string> columns;
  bool skip_invalid = false;
  std::string until;
  std::string output;
  bool quiet = false;
  unsigned threads = 0;
  std::string grain = "month";
  std::string by;
  std::string model = "auto";
  std::optional<std::size_t> fit_periods;
  std::size_t project = 0;
  double discount_rate = 0.1;
  std::optional<double> renewals;
  double min_customers = 30;
  bool timings = false;
  std::string customers_csv;
  double gross_margin = 1;
};

/// The reader's options for `o`: --input-format, --kind, --until (subscription records), --column,
/// --by's column, --skip-invalid, threads. Throws UsageError.
io::ReadOptions read_options(const RetentionOptions& o);

}  // namespace csm::cli
