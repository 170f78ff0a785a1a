#pragma once
/// Writers for `csm-metrics churn-risk`: JSON, CSV and a table for people, and the feature export
/// of --features-csv. docs/churn-risk.md describes every field.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "csm/churn_features.hpp"
#include "csm/io/csv_style.hpp"
#include "csm/churn_metrics.hpp"
#include "csm/decimal.hpp"
#include "csm/io/record_input.hpp"
#include "csm/month.hpp"

namespace csm::io {

/// One of the three features that raise a customer's score most.
struct ChurnFactor {
  std::string feature;
  double contribution = 0;  ///< to the log-odds (XGBoost pred_contribs)
  std::string text;         ///< in words: "logins fell 62 % over 3 months"
};

struct ChurnScore {
  std::string customer_id;
  double churn_probability = 0;     ///< calibrated
  double model_score = 0;           ///< XGBoost's probability before calibration
  double baseline_probability = 0;  ///< the logistic regression's
  MoneySum revenue = 0;             ///< revenue in the as_of month (MRR)
  double revenue_at_risk = 0;       ///< churn_probability x revenue
  std::vector<ChurnFactor> factors;  ///< for the customers shown (--top) only
  std::size_t row = 0;               ///< the feature table's row (for the command, not written)
  std::string group;                 ///< --by: the customer's value in the month scored ("": none)
};

/// --by: one group's customers (a run of ChurnRiskReport::customers) and their totals.
struct ChurnGroup {
  std::string group;               ///< "" for customers without a value (written "(none)")
  std::size_t first = 0;           ///< index of its first customer in ChurnRiskReport::customers
  std::size_t count = 0;           ///< its active customers (all scored)
  double expected_churners = 0;    ///< the sum of their churn probabilities
  MoneySum revenue = 0;            ///< their revenue in the month scored
  double revenue_at_risk = 0;      ///< the sum of their revenue at risk
};

/// How one scorer did in the backtest.
struct ChurnEvaluation {
  std::string name;  ///< model, baseline, rules
  std::optional<double> roc_auc, pr_auc, brier;
  TopDecile top_decile;
  std::vector<CalibrationBin> calibration;
};

struct ChurnBacktest {
  int months = 0;
  std::vector<YearMonth> origins;  ///< the months scored
  std::size_t scored = 0;          ///< customer-months scored, all origins together
  std::size_t churned = 0;
  std::vector<ChurnEvaluation> scorers;  ///< model, baseline, rules
  /// Each origin on its own: how steady the ranking is from month to month.
  struct Origin {
    YearMonth origin;
    std::size_t scored = 0;
    std::size_t churned = 0;
    std::optional<double> model_roc_auc, baseline_roc_auc, rules_roc_auc;
  };
  std::vector<Origin> by_origin;
};

struct ChurnRiskReport {
  std::string version;
  YearMonth as_of;
  int horizon = 1;
  std::string sort = "probability";
  std::size_t top = 0;
  std::size_t active_customers = 0;
  std::vector<ChurnScore> customers;  ///< sorted, all of them (the writers apply top)
  std::string group_by;               ///< --by COLUMN ("": not grouped)
  std::vector<ChurnGroup> groups;     ///< --by: by group name; customers are in group order
  // The model.
  std::vector<std::string> features;
  std::size_t training_rows = 0;
  std::size_t training_churned = 0;
  std::size_t training_candidates = 0;  ///< rows with a known outcome before sampling
  std::optional<YearMonth> training_first, training_last;
  std::vector<std::pair<std::string, std::string>> parameters;
  PlattScaling calibration;
  std::size_t calibration_rows = 0;
  std::optional<YearMonth> calibration_first, calibration_last;
  double baseline_lambda = 1;
  std::optional<ChurnBacktest> backtest;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
  ReadReport input;
};

/// The customers written (indices into report.customers): the first --top N (0: all), or under
/// --by the first N of each group.
std::vector<std::size_t> shown_customers(const ChurnRiskReport& report);

std::string to_json(const ChurnRiskReport& report);
std::string to_csv(const ChurnRiskReport& report, const CsvStyle& style = {});
std::string to_table(const ChurnRiskReport& report);

/// --features-csv: customer_id, period, label (empty: not known), in_training (1: a row the final
/// model was trained on), then every feature (empty: missing), one row per customer-month.
std::string features_csv(const FeatureTable& table, const std::vector<char>& in_training,
                         const CsvStyle& style = {});

}  // namespace csm::io
