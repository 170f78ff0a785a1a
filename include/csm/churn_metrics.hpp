#pragma once
/// The pieces of `churn-risk` that need no library: how good a score is (ROC AUC, PR AUC,
/// top-decile lift and recall, Brier score, a calibration table), Platt scaling, and the
/// L2-regularised logistic regression used as the interpretable baseline.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace csm {

/// ROC AUC: the probability that a random churner scores above a random stayer, ties counting
/// one half (the Mann-Whitney statistic with average ranks). nullopt without both classes.
std::optional<double> roc_auc(std::span<const double> scores, std::span<const std::int8_t> labels);

/// PR AUC as average precision: sum over the distinct scores, highest first, of
/// (recall gained at that score) x (precision at that score), tied scores taken together.
/// nullopt without a churner.
std::optional<double> pr_auc(std::span<const double> scores, std::span<const std::int8_t> labels);

/// Mean of (p - y)^2. nullopt when empty.
std::optional<double> brier(std::span<const double> probabilities,
                            std::span<const std::int8_t> labels);

/// The top decile: the ceil(n / 10) highest scores (ties broken by position, earlier first).
struct TopDecile {
  std::size_t size = 0;
  std::size_t churners = 0;       ///< churners among them
  std::optional<double> lift;     ///< their churn rate / the overall rate (nullopt: no churner)
  std::optional<double> recall;   ///< churners among them / all churners (nullopt: no churner)
};
TopDecile top_decile(std::span<const double> scores, std::span<const std::int8_t> labels);

/// Calibration: the scores cut into `bins` groups of (nearly) equal size by predicted
/// probability (sorted ascending, ties by position); each group's mean prediction and observed rate.
struct CalibrationBin {
  std::size_t count = 0;
  double mean_predicted = 0;
  double observed_rate = 0;
};
std::vector<CalibrationBin> calibration_table(std::span<const double> probabilities,
                                              std::span<const std::int8_t> labels,
                                              std::size_t bins = 10);

/// Platt scaling: p' = 1 / (1 + exp(-(a * logit(p) + b))), a and b fit by maximum likelihood
/// (Newton's method) on held-out scores.
struct PlattScaling {
  double a = 1;
  double b = 0;
  bool fitted = false;  ///< false: identity (too few held-out rows or a single class)
  double apply(double p) const noexcept;
};
PlattScaling fit_platt(std::span<const double> probabilities, std::span<const std::int8_t> labels);

/// L2-regularised logistic regression on standardised features (missing values -> the training
/// mean, i.e. 0 after standardising), fit by Newton's method (iteratively reweighted least
/// squares with a Cholesky solve); the intercept is not penalised.
struct LogisticModel {
  std::vector<double> mean, scale;  ///< per feature, from the training rows
  std::vector<double> weights;      ///< per standardised feature
  double intercept = 0;
  double lambda = 1;
  int iterations = 0;
  /// The probability for one row of `weights.size()` features (NaN = missing).
  double predict(const float* row) const noexcept;
};
/// `rows` row-major rows of `columns` features (NaN = missing) with 0/1 labels.
LogisticModel fit_logistic(const float* values, std::size_t rows, std::size_t columns,
                           std::span<const std::int8_t> labels, double lambda);

}  // namespace csm
