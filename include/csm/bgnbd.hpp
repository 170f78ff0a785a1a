#pragma once
/// The BG/NBD model of Fader, Hardie & Lee (2005) and its MBG/NBD variant (Batislam, Denizel &
/// Filiztekin 2007): purchase counts while alive, and dropping out after a purchase. Fitted by
/// maximum likelihood on (x, t_x, T); see docs/predictive.md for the formulas.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "csm/rfm.hpp"

namespace csm {

/// BG/NBD: a customer may drop out after each repeat purchase (P(alive) = 1 when x = 0).
/// MBG/NBD: also right after the first purchase, so one-time buyers can be dead.
/// Pareto/NBD (csm/pareto_nbd.hpp): at any moment, after an exponential lifetime; its
/// parameters r, alpha, s, beta travel in BgNbdParams as r, alpha, a = s, b = beta.
enum class PurchaseModel : std::uint8_t { bgnbd, mbgnbd, paretonbd };
std::string_view to_string(PurchaseModel model) noexcept;
/// "BG/NBD", "MBG/NBD" or "Pareto/NBD", for messages.
std::string_view display_name(PurchaseModel model) noexcept;

/// Gamma(r, alpha) heterogeneity in the purchase rate, Beta(a, b) in the drop-out probability.
/// alpha is in the time unit of the data.
struct BgNbdParams {
  double r = 1;
  double alpha = 1;
  double a = 1;
  double b = 1;
};

/// Settings of a fit.
struct FitOptions {
  double penalizer = 0;  ///< L2 penalty c: the mean log-likelihood minus c * (sum of params^2)
  unsigned max_evaluations = 5000;  ///< per start
  /// Threads for the likelihood's sums (0: one per core); the fit is the same for any number.
  unsigned threads = 1;
};

struct BgNbdFit {
  PurchaseModel model = PurchaseModel::bgnbd;
  BgNbdParams params;
  double log_likelihood = 0;  ///< total, without the penalty
  /// Standard errors of r, alpha, a, b from the inverse Hessian; nullopt when it is singular.
  std::array<std::optional<double>, 4> standard_errors;
  unsigned iterations = 0;    ///< objective evaluations, all starts together
  unsigned starts = 0;        ///< starting points tried
  bool converged = false;
  /// Empty for a proper maximum. Otherwise the fit converged towards a limit of the model in
  /// which some parameters run off to 0 or infinity, and this says which, in words (their
  /// standard errors are nullopt; the predictions are those of the limit model).
  std::string limit;
  std::uint64_t customers = 0;
  /// Covariance of the estimates of log(r, alpha, a, b) (4x4, row-major) from the inverse
  /// Hessian; empty when a standard error is null. `predict --interval` draws from it.
  std::vector<double> log_covariance;
};

/// Log-likelihood of one customer (in logs throughout: no overflow for large x or T).
double bgnbd_log_likelihood(PurchaseModel model, const BgNbdParams& p, double x, double t_x,
                            double T) noexcept;

/// Fit to the customers of `summary`. Throws InputError (exit 65) with the reason in words when
/// there are no customers or no repeat purchases, or when the optimiser does not converge to a
/// proper maximum (a stationary point with a positive definite Hessian) of the likelihood
/// (penalised, with options.penalizer): a fit that runs off is refused, never printed.
BgNbdFit fit_bgnbd(std::span<const RfmCustomer> customers, PurchaseModel model,
                   const FitOptions& options = {});

/// P(alive at T | x, t_x, T).
double bgnbd_p_alive(PurchaseModel model, const BgNbdParams& p, double x, double t_x,
                     double T) noexcept;

/// E[X(t)]: expected purchases of a new customer in (0, t].
double bgnbd_expected_purchases(PurchaseModel model, const BgNbdParams& p, double t);

/// E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] of a customer with this history.
double bgnbd_conditional_expected_purchases(PurchaseModel model, const BgNbdParams& p, double t,
                                            double x, double t_x, double T);

/// E[Y(t) | alive, x, T]: the same for a customer known to be alive (the conditional
/// expectation is this times P(alive)); it does not depend on t_x.
double bgnbd_expected_purchases_if_alive(PurchaseModel model, const BgNbdParams& p, double t,
                                         double x, double T);

/// The Gaussian hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1 (a series, with Boost's
/// hypergeometric_pFq where the series is slow).
double hyp2f1(double a, double b, double c, double z);

}  // namespace csm
