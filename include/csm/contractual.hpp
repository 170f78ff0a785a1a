#pragma once
/// Contractual retention models: the shifted-beta-geometric (sBG) of Fader & Hardie (2007, "How
/// to project customer retention") and the beta-discrete-Weibull (BdW) of Fader, Hardie, Liu,
/// Davin & Steenburgh (2018, "'How to project customer retention' revisited: the role of duration
/// dependence"). A customer renews at each period until churning; its churn probability theta
/// is Beta(alpha, beta) across customers (BdW: Beta(gamma, delta), and the chance of surviving t
/// periods is (1 - theta)^(t^c)). Fitted by maximum likelihood to survival counts, the customers
/// still active at the last fitted period censored. docs/retention.md gives every formula.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace csm {

enum class RetentionModel : std::uint8_t { sbg, bdw };
/// "sbg" or "bdw".
std::string_view to_string(RetentionModel model) noexcept;
/// "sBG" or "BdW", for messages.
std::string_view display_name(RetentionModel model) noexcept;
/// Free parameters: 2 (sBG) or 3 (BdW).
std::size_t parameter_count(RetentionModel model) noexcept;

/// The Beta distribution of churn probabilities, Beta(a, b), and the Weibull shape c (1 for sBG).
/// The papers call a, b alpha, beta (sBG) and gamma, delta (BdW).
struct RetentionParams {
  double a = 1;
  double b = 1;
  double c = 1;
};

/// log S(t) = log P(T > t) = log B(a, b + t^c) - log B(a, b): still a customer after t periods.
double retention_log_survival(const RetentionParams& p, double t) noexcept;
/// S(t).
double retention_survival(const RetentionParams& p, double t) noexcept;

/// Survival counts of one cohort: active[0] customers at the start, active[t] still there after t
/// periods (non-increasing).
struct SurvivalCounts {
  std::vector<double> active;
};

/// Log-likelihood of survival counts: sum over t = 1..K of (active[t-1] - active[t]) log
/// (S(t-1) - S(t)), plus active[K] log S(K) (the customers still active at K are censored).
double retention_log_likelihood(const RetentionParams& p, std::span<const double> active) noexcept;

struct RetentionFitOptions {
  unsigned max_evaluations = 3000;  ///< per start
};

struct RetentionFit {
  RetentionModel model = RetentionModel::sbg;
  RetentionParams params;
  /// Of a, b (and c for BdW) from the inverse Hessian; nullopt when it is singular.
  std::array<std::optional<double>, 3> standard_errors;
  double log_likelihood = 0;
  /// k log(n) - 2 log-likelihood, k parameters, n customers at the start (all cohorts).
  double bic = 0;
  double customers = 0;
  unsigned evaluations = 0;
};

/// Fit `model` to one or more cohorts sharing the parameters (a pooled fit when several), each
/// censored at its own last period. Throws InputError (exit 65), with the reason in words, when
/// the data cannot pin the parameters down (too few periods, nobody churned, everyone churned,
/// counts that increase) or the optimiser finds no proper maximum.
RetentionFit fit_retention(RetentionModel model, std::span<const SurvivalCounts> cohorts,
                           const RetentionFitOptions& options = {});

/// Discounted expected residual lifetime (Fader & Hardie 2010) of a customer who has made
/// `renewals` renewals (is still there after that many periods), at discount rate d > 0 per
/// period: sum over t > renewals of S(t) / S(renewals) / (1 + d)^(t - renewals - 1), the next
/// renewal undiscounted. For sBG this is B(a, b+n)/B(a, b+n-1) 2F1(1, b+n; a+b+n; 1/(1+d)),
/// n = renewals + 1.
double retention_derl(const RetentionParams& p, double renewals, double discount_rate);

}  // namespace csm
