#pragma once
/// `csm-metrics forecast`: customers and MRR for the next months from monthly cohorts. The
/// customers there now follow their cohort's fitted retention model (contractual.hpp), at their
/// current MRR per customer grown at the recent net rate; new customers arrive at the recent
/// monthly rate and follow the pooled fit. Prediction intervals by simulation (binomial
/// survival, Poisson arrivals, parameters drawn from their estimated sampling distribution).
/// docs/retention.md gives the method.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "csm/contractual.hpp"

namespace csm {

/// One monthly cohort; all cohorts end in the same calendar month (the last of the data), so
/// the cohort that joined k months before it has k + 1 entries.
struct ForecastCohort {
  std::string name;
  std::vector<double> active;   ///< survivors at age 0, 1, ... (never increasing)
  std::vector<double> revenue;  ///< their revenue at each age (currency units)
};

struct MrrForecastOptions {
  std::size_t months = 12;
  double interval = 0.8;                ///< central probability of the intervals
  std::uint64_t seed = 1;
  unsigned simulations = 1000;
  std::optional<double> new_per_month;  ///< overrides the recent rate
  std::size_t recent_months = 3;        ///< the window of the recent rates
  bool bdw = false;                     ///< the model: sBG (default) or BdW
  double min_customers = 30;            ///< smaller (or younger) cohorts use the pooled fit
  std::size_t error_window = 24;        ///< months of growth behind the rate's error model
};

struct ForecastMonth {
  std::size_t month = 0;  ///< 1 = the month after the data
  double customers = 0, customers_low = 0, customers_high = 0;
  double mrr = 0, mrr_low = 0, mrr_high = 0;
  double existing_customers = 0;  ///< expected, of those there now
  double new_customers = 0;       ///< expected, joined during the forecast
};

struct MrrForecast {
  std::vector<ForecastMonth> months;
  double start_customers = 0;
  double start_mrr = 0;
  double new_per_month = 0;
  bool new_per_month_given = false;
  double new_arpu = 0;              ///< MRR per new customer in its first month (recent)
  double net_expansion_rate = 0;    ///< per month, of the MRR per surviving customer (recent)
  /// Month-to-month standard deviation of the log of that growth over the recent months (0 with
  /// fewer than 2); the intervals simulate the rate with it.
  double expansion_sd = 0;
  /// The variance of the forecast error of the log MRR per customer h months ahead, modelled as
  /// level + walk h + drift h^2 + pace h(h+1)(2h+1)/6 (a monthly noise of the level, a random walk,
  /// an error of the mean rate, a rate that itself walks) and fitted (least squares, non-negative
  /// terms) to the forecast's
  /// own in-sample errors: from every month of the last `error_window` months of growth that has
  /// `recent_months` before it, the recent mean rate against the growth that followed, h = 1, 2,
  /// ... (docs/retention.md). All 0 when the rate is taken as known.
  double error_level = 0, error_walk = 0, error_drift = 0, error_pace = 0;
  std::size_t error_origins = 0;  ///< in-sample forecasts (origins) the terms were fitted to; 0: the
                                  ///< random walk of the recent months (expansion_sd) instead
  std::size_t cohorts_own_fit = 0;  ///< cohorts with their own fit; the rest use the pooled one
  RetentionFit pooled;
};

/// Throws InputError when there is nothing to forecast from (no customers, or no pooled fit).
MrrForecast forecast_mrr(std::span<const ForecastCohort> cohorts, const MrrForecastOptions& options);

/// The cohorts as they were `months` months before the end (later cohorts dropped, the others
/// cut), and what happened next: customers and MRR of all cohorts in each of those months.
struct BacktestSplit {
  std::vector<ForecastCohort> before;
  std::vector<double> actual_customers;
  std::vector<double> actual_mrr;
};
BacktestSplit split_for_backtest(std::span<const ForecastCohort> cohorts, std::size_t months);

struct BacktestResult {
  std::size_t months = 0;
  double mape_customers = 0;  ///< percent
  double mape_mrr = 0;        ///< percent
  double coverage_customers = 0;  ///< fraction of the months whose actual is inside the interval
  double coverage_mrr = 0;
};
BacktestResult score_backtest(const MrrForecast& forecast, const BacktestSplit& split);

}  // namespace csm
