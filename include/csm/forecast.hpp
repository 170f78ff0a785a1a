#pragma once
/// Per-customer predictions at fitted BG/NBD (or MBG/NBD) and Gamma-Gamma parameters: P(alive),
/// expected purchases and spend, CLV (discounted step by step), the value at risk, holdout
/// predictions and the tracking series. Used by `predict` whatever the summary came from (a
/// file read now, or merged states). docs/predictive.md gives every formula.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "csm/bgnbd.hpp"
#include "csm/gamma_gamma.hpp"
#include "csm/rfm.hpp"

namespace csm {

struct ForecastOptions {
  double horizon = 52;        ///< in the time unit of the data
  double margin = 1;          ///< applied to spend in clv
  double discount_rate = 0;   ///< per time unit: the purchases of step i are discounted by (1+d)^t_i
  std::optional<double> holdout_length;  ///< units after the end: predict purchases over it too
  unsigned threads = 1;       ///< 0: one per core; the result is the same for any number
};

struct CustomerForecast {
  double p_alive = 1;
  double expected_purchases = 0;          ///< over the horizon
  std::optional<double> expected_spend;   ///< per future purchase; nullopt when q <= 1 (x = 0)
  std::optional<double> clv;              ///< margin * spend * discounted expected purchases
  /// The expected value lost if the customer has already dropped out: (1 - p_alive) times the
  /// clv the customer would have if certainly alive (clv / p_alive).
  std::optional<double> value_at_risk;
  std::optional<double> holdout_predicted;  ///< expected purchases over the holdout
};

/// One forecast per customer, in the order of `customers`. Everything that depends on (x, T)
/// alone -- the expected purchases of a live customer at each step of the horizon -- is computed
/// once per distinct (x, T), so discounting and a holdout cost little. Throws InputError (exit
/// 65) when a number cannot be computed in double precision.
std::vector<CustomerForecast> forecast_customers(PurchaseModel model, const BgNbdParams& purchases,
                                                 const GammaGammaParams& spend,
                                                 std::span<const RfmCustomer> customers,
                                                 const ForecastOptions& options);

/// E[Y(H) | alive, x, T] over the horizon H of `options`, and the same discounted step by step
/// at options.discount_rate as in the clv (equal to it when the rate is 0): what
/// forecast_customers computes once per distinct (x, T).
struct LiveExpectation {
  double over_horizon = 0;
  double discounted = 0;
};
LiveExpectation expected_if_alive(PurchaseModel model, const BgNbdParams& purchases, double x,
                                  double T, const ForecastOptions& options);

/// For each t of `times`: the sum over `customers` of E[Y(t) | x, t_x, T] (the predicted
/// cumulative purchases t units after the end). Same result for any number of threads.
std::vector<double> total_expected_purchases(PurchaseModel model, const BgNbdParams& purchases,
                                             std::span<const RfmCustomer> customers,
                                             std::span<const double> times, unsigned threads = 1);

/// The tracking series of the papers: for each calendar day of `days` (Date::days), the sum over
/// `customers` of E[X(age)], the expected repeat purchases of a new customer over the customer's
/// age that day (from the first purchase; 0 before it), in the time unit `unit`.
std::vector<double> expected_repeat_purchases_by_day(PurchaseModel model,
                                                     const BgNbdParams& purchases,
                                                     std::span<const RfmCustomer> customers,
                                                     TimeUnit unit, std::span<const std::int32_t> days);

}  // namespace csm
