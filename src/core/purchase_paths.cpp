#include "csm/purchase_paths.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace csm {
namespace {

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A count from a double that may exceed the range (an absurd draw): saturate.
std::uint64_t to_count(double v) {
  if (!(v > 0)) return 0;
  if (v >= 1.8e19) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(v);
}

}  // namespace

PathRandom::PathRandom(std::uint64_t seed, std::uint64_t stream)
    : state_(mix(seed ^ 0x6a09e667f3bcc909ULL) ^ mix(stream + 0x9e3779b97f4a7c15ULL)) {}

std::uint64_t PathRandom::next() {  // SplitMix64
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix(state_);
}

double PathRandom::uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1p-53; }

double PathRandom::normal() {
  const double u1 = uniform(), u2 = uniform();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

double PathRandom::gamma(double shape) {
  if (shape < 1) {
    // Gamma(shape) = Gamma(shape + 1) U^(1/shape), in logs so that tiny shapes do not underflow
    // to a wrong 0 before the caller's ratio.
    const double g = gamma(shape + 1);
    return std::exp(std::log(g) + std::log(uniform()) / shape);
  }
  // Marsaglia and Tsang (2000).
  const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  for (;;) {
    double z = 0, v = 0;
    do {
      z = normal();
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const double u = uniform();
    if (u < 1 - 0.0331 * z * z * z * z) return d * v;
    if (std::log(u) < 0.5 * z * z + d * (1 - v + std::log(v))) return d * v;
  }
}

double PathRandom::beta(double a, double b) {
  const double x = gamma(a), y = gamma(b);
  if (x + y > 0) return x / (x + y);
  return a / (a + b);  // both underflowed (shapes far below 1): the mean, not 0/0
}

std::uint64_t PathRandom::poisson(double mean) {
  if (!(mean > 0)) return 0;
  if (mean < 10) {  // Knuth: multiply uniforms until below exp(-mean)
    const double limit = std::exp(-mean);
    std::uint64_t k = 0;
    double prod = uniform();
    while (prod > limit) {
      ++k;
      prod *= uniform();
    }
    return k;
  }
  if (mean > 1e15) return to_count(mean + std::sqrt(mean) * normal());
  // PTRS, transformed rejection with squeeze (Hoermann 1993), as numpy does for mean >= 10.
  const double slam = std::sqrt(mean), loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = uniform() - 0.5, v = uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return to_count(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -mean + k * loglam - std::lgamma(k + 1)) {
      return to_count(k);
    }
  }
}

std::uint64_t PathRandom::geometric(double p) {
  if (p >= 1) return 1;
  if (!(p > 0)) return std::numeric_limits<std::uint64_t>::max();
  return to_count(std::ceil(std::log(uniform()) / std::log1p(-p)));
}

std::uint64_t simulate_purchases(PurchaseModel model, const BgNbdParams& params, double x, double T,
                                 double p_alive, double horizon, PathRandom& random) {
  // The uniform for "alive" is drawn first and always, so that the stream's use per path does
  // not depend on P(alive) beyond this point.
  if (!(random.uniform() < p_alive)) return 0;
  const double lambda = random.gamma(params.r + x) / (params.alpha + T);
  if (model == PurchaseModel::paretonbd) {
    // params.a, params.b hold s, beta.
    const double mu = random.gamma(params.a) / (params.b + T);
    const double life = -std::log(random.uniform()) / mu;
    return random.poisson(lambda * std::min(life, horizon));
  }
  const double extra = model == PurchaseModel::mbgnbd ? 1 : 0;
  const double p = random.beta(params.a, params.b + x + extra);
  return std::min(random.poisson(lambda * horizon), random.geometric(p));
}

std::uint64_t simulate_bgbb_transactions(const BgBbParams& params, std::uint32_t x, std::uint32_t n,
                                         double p_alive_next, std::uint32_t horizon, PathRandom& random) {
  const double dn = params.delta + n;
  const double alive_now = p_alive_next * (params.gamma + dn) / dn;
  if (!(random.uniform() < alive_now)) return 0;
  const double p = random.beta(params.alpha + x, params.beta + n - x);
  const double theta = random.beta(params.gamma, dn);
  std::uint64_t count = 0;
  for (std::uint32_t k = 0; k < horizon; ++k) {
    if (random.uniform() < theta) break;
    if (random.uniform() < p) ++count;
  }
  return count;
}

std::uint64_t count_quantile(std::span<std::uint64_t> counts, double q) {
  const std::size_t n = counts.size();
  if (n == 0) return 0;
  const double rank = std::ceil(static_cast<double>(n) * q - 1e-9);
  const std::size_t i = rank < 1 ? 0 : std::min(n - 1, static_cast<std::size_t>(rank) - 1);
  std::nth_element(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(i), counts.end());
  return counts[i];
}

}  // namespace csm
