#pragma once
/// Writers for `rfm` and `predict` (docs/predictive.md describes every field): JSON for scripts,
/// CSV for spreadsheets, an aligned table for people.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "csm/bgnbd.hpp"
#include "csm/forecast.hpp"
#include "csm/gamma_gamma.hpp"
#include "csm/io/csv_style.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/record_input.hpp"
#include "csm/prediction_interval.hpp"
#include "csm/rfm.hpp"

namespace csm::io {

/// Everything one run of `rfm` reports.
struct RfmReport {
  std::string version;
  std::string command = "rfm";  ///< the JSON member "command" (merge writes rfm's document)
  ReadReport input;
  RfmSummary summary;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;  ///< in JSON only when there are any (merge: a partial merge)
  unsigned threads = 0;  ///< threads formatting the CSV rows (0: one per core); same text
};

/// One customer's predictions; `customer` indexes RfmSummary::customers.
struct CustomerPrediction : CustomerForecast {
  std::size_t customer = 0;
};

/// One point of the holdout tracking series, per whole unit after --end.
struct HoldoutPoint {
  double t = 0;                    ///< units after --end (the last point may be a partial unit)
  std::uint64_t actual = 0;        ///< cumulative repeat purchases made
  double predicted = 0;            ///< cumulative repeat purchases predicted
};

/// One week of the tracking chart (calibration and holdout), cumulative from the first week.
struct WeeklyPoint {
  std::uint32_t week = 0;   ///< 1 = the week of the earliest first purchase
  Date through;             ///< the last day of the week (weeks end on --end and every 7 days)
  bool holdout = false;     ///< after --end
  std::uint64_t actual = 0;  ///< cumulative repeat purchases made
  double predicted = 0;      ///< cumulative repeat purchases expected (E[X] of each customer's age)
};

struct HoldoutReport {
  Date holdout_end;
  double length = 0;             ///< units from --end to --holdout-end
  std::uint64_t actual_total = 0;
  double predicted_total = 0;
  double mean_absolute_error = 0;  ///< per customer
  double root_mean_squared_error = 0;
  std::vector<HoldoutPoint> series;
  std::vector<WeeklyPoint> weekly;
};

/// Everything one run of `predict` reports.
/// One purchase model of `predict --model auto` (or --compare).
struct ModelComparison {
  PurchaseModel model = PurchaseModel::bgnbd;
  std::optional<double> log_likelihood;  ///< nullopt when the fit was refused
  std::optional<double> bic;             ///< -2 log L + 4 ln(customers)
  std::optional<double> holdout_mean_absolute_error;  ///< with --holdout-end
  std::optional<double> holdout_predicted;            ///< total over the holdout
  std::string error;                     ///< why the fit was refused, or empty
  bool chosen = false;
};

struct PredictReport {
  std::string version;
  std::vector<ModelComparison> comparison;  ///< --model auto / --compare only
  std::string comparison_rule;              ///< the rule that chose, in words
  ReadReport input;
  RfmSummary summary;
  double horizon = 0;
  double margin = 1;
  double discount_rate = 0;
  BgNbdFit purchases;
  GammaGammaFit spend;
  std::vector<CustomerPrediction> customers;  ///< in output order (after --sort and --top)
  std::uint64_t customers_total = 0;         ///< before --max-p-alive and --top
  std::uint64_t customers_selected = 0;      ///< after --max-p-alive, before --top
  std::optional<double> max_p_alive;
  std::string sort;
  std::optional<HoldoutReport> holdout;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
  bool customers_in_json = true;  ///< false with --customers-csv
  unsigned threads = 0;  ///< threads formatting the CSV rows (0: one per core); same text
  /// --interval: the bounds (indexed like summary.customers) and the point totals of the base.
  std::optional<PredictionIntervals> intervals;
  double expected_purchases_total = 0;
  std::optional<double> clv_total;  ///< nullopt when some customer's clv is null
};

/// The table of `--compare`: each purchase model's log-likelihood, BIC and holdout error.
std::string comparison_table(const PredictReport& report);
std::string to_json(const RfmReport& report);
std::string to_csv(const RfmReport& report, const CsvStyle& style = {});
std::string to_table(const RfmReport& report);

std::string to_json(const PredictReport& report);
/// The per-customer predictions, one CSV line each (also what --customers-csv writes).
std::string to_csv(const PredictReport& report, const CsvStyle& style = {});
std::string to_table(const PredictReport& report);
/// The model part alone, for `-f csv` with --customers-csv: one row per quantity,
/// `model,name,value,standard_error`.
std::string model_csv(const PredictReport& report);

/// to_csv's text in pieces of about a megabyte, handed to `sink` in order as they are formatted
/// (for write_file_atomically_in_pieces: the whole text is never in memory). The same bytes as
/// to_csv, with any number of threads.
void write_csv(const RfmReport& report, const CsvStyle& style, const TextSink& sink);
void write_csv(const PredictReport& report, const CsvStyle& style, const TextSink& sink);
/// to_json's text in pieces (the customers, when the document has them, in chunks as they are
/// printed): the same bytes as to_json.
void write_json(const RfmReport& report, const TextSink& sink);
void write_json(const PredictReport& report, const TextSink& sink);

}  // namespace csm::io
