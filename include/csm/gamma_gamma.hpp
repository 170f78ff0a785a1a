#pragma once
/// The Gamma-Gamma spend model (Fader & Hardie 2013; Colombo & Jiang 1999): each customer's
/// transaction values are Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers. Fitted on the
/// customers with repeat purchases; see docs/predictive.md for the formulas.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "csm/bgnbd.hpp"
#include "csm/rfm.hpp"

namespace csm {

struct GammaGammaParams {
  double p = 1;
  double q = 1;
  double gamma = 1;  ///< in money units
};

struct GammaGammaFit {
  GammaGammaParams params;
  double log_likelihood = 0;  ///< total, without the penalty (lifetimes' form, see docs)
  std::array<std::optional<double>, 3> standard_errors;  ///< of p, q, gamma
  unsigned iterations = 0;
  unsigned starts = 0;
  bool converged = false;
  /// Empty for a proper maximum; otherwise the limit of the model the fit converged towards, in
  /// words (q and gamma -> infinity; their standard errors are nullopt).
  std::string limit;
  std::uint64_t customers = 0;  ///< customers fitted on: x > 0 and monetary > 0
  /// Pearson correlation of x and monetary over those customers (the model assumes none);
  /// nullopt when either does not vary.
  std::optional<double> correlation;
  /// Covariance of the estimates of log(p, q, gamma) (3x3, row-major); empty when a standard
  /// error is null. `predict --interval` draws from it.
  std::vector<double> log_covariance;
};

/// Log-likelihood of one customer with x > 0 repeat purchases of mean value m > 0.
double gamma_gamma_log_likelihood(const GammaGammaParams& g, double x, double m) noexcept;

/// Fit on the customers with x > 0 and monetary > 0. Throws InputError (exit 65) when there are
/// none, or when no start gives a finite optimum.
GammaGammaFit fit_gamma_gamma(std::span<const RfmCustomer> customers,
                              const FitOptions& options = {});

/// E[M | x, m]: the expected value of a customer's future transactions,
/// (p (gamma + x m)) / (p x + q - 1); for x = 0 the population mean p gamma / (q - 1).
/// nullopt when q <= 1 (the mean does not exist).
std::optional<double> gamma_gamma_expected_spend(const GammaGammaParams& g, double x,
                                                 double m) noexcept;

}  // namespace csm
