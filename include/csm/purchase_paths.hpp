#pragma once
/// The purchase process of one customer after the end of calibration, simulated from the
/// posterior given the history, for `predict --interval-of purchases` (docs/predictive.md,
/// "Intervals for the purchases made"): at given parameters, the customer is alive with
/// probability P(alive); a live customer's latent rates are drawn from their posteriors
/// (BG/NBD: lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x), MBG/NBD Beta(a, b + x + 1);
/// Pareto/NBD: lambda as BG/NBD, mu ~ Gamma(s, beta + T); BG/BB: p ~ Beta(alpha + x,
/// beta + n - x), theta ~ Beta(gamma, delta + n)), and the purchases in the horizon are counted.
/// Every random number comes from a written-out generator (SplitMix64, Box-Muller,
/// Marsaglia-Tsang, Knuth and PTRS for Poisson), so the same seed gives the same counts with
/// any standard library.

#include <cstdint>
#include <span>

#include "csm/bgbb.hpp"
#include "csm/bgnbd.hpp"

namespace csm {

/// A stream of random numbers, one per customer (or BG/BB row) and seed: the counts do not
/// depend on the order in which customers are simulated or on the number of threads.
class PathRandom {
 public:
  PathRandom(std::uint64_t seed, std::uint64_t stream);
  double uniform();                 ///< in (0, 1)
  double normal();                  ///< standard normal
  double gamma(double shape);       ///< Gamma(shape, rate 1), shape > 0
  double beta(double a, double b);  ///< Beta(a, b)
  std::uint64_t poisson(double mean);
  /// Trials up to and including the first success, P(k) = (1 - p)^(k-1) p; p in (0, 1].
  std::uint64_t geometric(double p);

 private:
  std::uint64_t next();
  std::uint64_t state_;
};

/// The purchases in (T, T + horizon] of one customer with history (x, T) whose P(alive) at
/// `params` is `p_alive`, drawn as the header says (BG/NBD and MBG/NBD: min(Poisson(lambda H),
/// the purchases until the drop-out, geometric in p); Pareto/NBD: Poisson(lambda min(tau, H)),
/// tau ~ Exponential(mu)).
std::uint64_t simulate_purchases(PurchaseModel model, const BgNbdParams& params, double x, double T,
                                 double p_alive, double horizon, PathRandom& random);

/// BG/BB: the transactions in the next `horizon` opportunities of one customer with history
/// (x, n) whose P(alive at n + 1) at `params` is `p_alive_next` (the chance to be alive at n is
/// that divided by (delta + n) / (gamma + delta + n)). At each opportunity a live customer
/// drops out with probability theta, and if still alive transacts with probability p.
std::uint64_t simulate_bgbb_transactions(const BgBbParams& params, std::uint32_t x, std::uint32_t n,
                                         double p_alive_next, std::uint32_t horizon, PathRandom& random);

/// The q-quantile of counts as an order statistic (the smallest count whose share of counts at
/// or below it reaches q: "type 1", no interpolation, so the bounds are whole purchases);
/// reorders `counts`. Empty: 0.
std::uint64_t count_quantile(std::span<std::uint64_t> counts, double q);

}  // namespace csm
