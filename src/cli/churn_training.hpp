#pragma once
/// The learning part of `churn-risk` (docs/churn-risk.md): the seeded training sample of each
/// origin month, and the XGBoost model, its Platt calibration and the logistic baseline trained on
/// it and scored on the origin's customers (churn_training.cpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "cli/churn_risk.hpp"
#include "csm/churn_features.hpp"
#include "csm/churn_metrics.hpp"
#include "csm/ml/xgboost_model.hpp"
#include "csm/month.hpp"

namespace csm::cli {

/// Calibration slice: the last months of the training rows (see docs/churn-risk.md).
inline constexpr int kCalibrationMonths = 3;
/// The L2 penalty of the logistic-regression baseline.
inline constexpr double kBaselineLambda = 1.0;

/// What one origin (the month scored, with training on what was known then) gives.
struct OriginRun {
  std::vector<std::size_t> scored;  // rows of the table at the origin
  std::vector<double> probability, raw, baseline;
  std::vector<char> in_training;    // per table row
  std::size_t training_rows = 0, training_churned = 0, candidates = 0;
  std::optional<YearMonth> training_first, training_last;
  PlattScaling calibration;
  std::size_t calibration_rows = 0;
  std::optional<YearMonth> calibration_first, calibration_last;
  std::optional<ml::XgbModel> model;
};

/// The training sample: a row of month t is in origin o's sample when t <= o - H and its key (a
/// hash of customer id, month and --seed) is below o's threshold, chosen so that about
/// --max-training-rows of o's candidates are (all of them when there are fewer).
struct SampleKeys {
  std::uint64_t seed_mix = 0;
  // Threshold per origin month (index - first).
  std::int32_t first = 0, horizon = 1;
  std::vector<std::uint64_t> threshold;
  /// `per_month`: the rows with a known outcome per month from `first_month` on.
  SampleKeys(const std::vector<std::uint64_t>& per_month, std::int32_t first_month, int h,
             std::size_t max_rows, std::uint64_t seed);
  std::uint64_t key(std::string_view id, std::int32_t month) const;
  bool in_sample(std::uint64_t k, std::int32_t month, std::int32_t origin) const {
    return month <= origin - horizon && k < threshold[static_cast<std::size_t>(origin - first)];
  }
};

class Trainer {
 public:
  Trainer(const FeatureTable& t, const ChurnRiskCliOptions& o, const SampleKeys& keys)
      : t_(t), o_(o), keys_(keys) {
    params_.rounds = o.trees;
    params_.max_depth = o.max_depth;
    params_.seed = o.seed;
  }
  const ml::BoosterParams& params() const { return params_; }

  /// Train on the sample of rows with a known outcome by `origin` (month <= origin - H) and score
  /// the rows of `origin`; with `keep_model`, the model is kept in the result (for its factors).
  OriginRun run(std::int32_t origin, bool keep_model) const;

  /// The feature values of `rows`, row after row.
  std::vector<float> gather(const std::vector<std::size_t>& rows) const;
  unsigned threads() const;

 private:
  ml::XgbModel train(const std::vector<std::size_t>& rows) const;

  const FeatureTable& t_;
  const ChurnRiskCliOptions& o_;
  const SampleKeys& keys_;
  ml::BoosterParams params_;
};

}  // namespace csm::cli
