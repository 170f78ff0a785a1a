#pragma once
/// Prediction intervals for `predict --interval`: per customer and for the whole base, how far
/// P(alive), the expected purchases and the CLV may be from their estimates because the model's
/// parameters are estimated from the data. Method (docs/predictive.md, "Prediction intervals"):
/// parameter draws from the asymptotic normal distribution of the maximum-likelihood estimates
/// on the log scale (the inverse Hessian the standard errors come from), the purchase model and
/// Gamma-Gamma drawn independently (their likelihoods share no parameter), every quantity
/// recomputed at each draw, and the central `level` share of the draws taken as the interval.
/// These intervals are for the expectations (the numbers `predict` prints). With
/// IntervalOptions::purchases they also bound the purchases a customer will actually make: at
/// each parameter draw one path of the purchase process is simulated per customer from the
/// posterior given the history (csm/purchase_paths.hpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "csm/bgbb.hpp"
#include "csm/bgnbd.hpp"
#include "csm/forecast.hpp"
#include "csm/gamma_gamma.hpp"
#include "csm/rfm.hpp"

namespace csm {

struct IntervalOptions {
  double level = 0.9;       ///< central probability, in (0, 1)
  unsigned draws = 200;     ///< parameter draws, >= 2
  std::uint64_t seed = 1;   ///< the same seed, the same draws and intervals (any thread count)
  /// Pareto/NBD: the tables of tail integrals (distinct times x draws) are built for batches of
  /// customers within this many doubles (64 MB); the results do not depend on it.
  std::size_t pareto_table_doubles = std::size_t{1} << 23;
  /// `--interval-of purchases`: also bounds of the purchases (BG/BB: transactions) actually made
  /// in the horizon, per customer and for the base.
  bool purchases = false;
};

/// Bounds of one quantity; nullopt where the bound is not finite (a draw with Gamma-Gamma
/// q <= 1 gives customers without repeat purchases an infinite mean spend).
struct Bounds {
  std::optional<double> lower;
  std::optional<double> upper;
};

struct CustomerInterval {
  Bounds p_alive;
  Bounds expected_purchases;
  Bounds clv;
  Bounds purchases;  ///< with IntervalOptions::purchases: whole purchases made in the horizon
};

struct PredictionIntervals {
  IntervalOptions options;
  std::vector<CustomerInterval> customers;  ///< in the order of the customers given
  Bounds expected_purchases_total;           ///< sum over all customers, over the horizon
  Bounds clv_total;
  Bounds purchases_total;  ///< with IntervalOptions::purchases: the base's purchases made
  /// Draws in which the mean spend of some customer does not exist (Gamma-Gamma q <= 1, or
  /// p x + q <= 1): their clv counts as infinite there.
  unsigned draws_without_mean_spend = 0;
};

/// The intervals at the fits' estimates for every customer. Throws InputError (exit 65) when a
/// fit has no covariance (a standard error is null: a limit of the model, or a Hessian that is
/// not positive definite) or when a number cannot be computed at some draw.
PredictionIntervals prediction_intervals(PurchaseModel model, const BgNbdFit& purchases,
                                         const GammaGammaFit& spend,
                                         std::span<const RfmCustomer> customers,
                                         const ForecastOptions& forecast,
                                         const IntervalOptions& options);

/// BG/BB (`predict --model bg-bb --interval`): per row of customers with the same (x, t_x, n),
/// bounds of P(alive at n + 1) and of the expected transactions over the next `horizon`
/// opportunities; and bounds of the base's total expected transactions. The same method: the
/// four log-parameters drawn from the normal of their estimates (fit.log_covariance).
struct BgBbRowInterval {
  Bounds p_alive;
  Bounds expected;
  Bounds transactions;  ///< with IntervalOptions::purchases: one customer's transactions made
};

struct BgBbIntervals {
  IntervalOptions options;
  std::vector<BgBbRowInterval> rows;  ///< in the order of the rows given
  Bounds expected_total;
  Bounds transactions_total;  ///< with IntervalOptions::purchases: the base's transactions made
};

/// Throws InputError (exit 65) when the fit has no covariance or a number cannot be computed at
/// some draw.
BgBbIntervals bgbb_prediction_intervals(const BgBbFit& fit, std::span<const BgBbRow> rows,
                                        std::uint32_t horizon, const IntervalOptions& options,
                                        unsigned threads = 1);

/// The q-quantile (0 <= q <= 1) of `values` by linear interpolation between order statistics
/// (numpy's default, "type 7"); reorders `values`. +inf values sort last.
double quantile(std::span<double> values, double q);

}  // namespace csm
