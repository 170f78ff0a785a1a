#pragma once
// Maximum likelihood on log-parameters with NLopt (L-BFGS with analytic gradients), shared by the
// BG/NBD and Gamma-Gamma fits. Private to csm_core.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/rfm.hpp"

namespace csm::detail {

/// Distinct points of a likelihood per job of its parallel sum (chunked_sums): enough to
/// outweigh handing out the job, few enough that a million customers keep two cores busy.
constexpr std::size_t kPointsPerChunk = 16384;

/// Mean negative log-likelihood (plus penalty) at log-parameters `u`; fills `grad` (d/du) when it
/// is not empty. Returns +inf (or NaN) where the likelihood cannot be evaluated.
using Objective = std::function<double(std::span<const double> u, std::span<double> grad)>;

struct MleResult {
  std::vector<double> u;        // log-parameters at the optimum
  double value = 0;             // objective there
  unsigned evaluations = 0;     // objective evaluations, all starts together
  unsigned starts_tried = 0;
  bool converged = false;       // the optimiser stopped on a tolerance and the gradient is ~0
  bool stationary = false;      // the same, but a log-parameter may be at the bound
  bool on_bound = false;        // the kept point has a log-parameter at the bound (+-30)
  bool max_evaluations = false; // the kept point's start ran out of evaluations
  bool non_finite = false;      // some start met points where the likelihood is not finite
  double gradient_norm = 0;     // at the kept point
  std::string failure;          // why no start gave a finite optimum; empty on success
};

/// Minimise `objective` from each start in turn until one converges; the best finite result is
/// kept when none does. Log-parameters are bounded to [-30, 30].
MleResult minimise(const Objective& objective, const std::vector<std::vector<double>>& starts,
                   unsigned max_evaluations);

/// lgamma(q + y) - lgamma(q) and digamma(q + y) - digamma(q) for q, y > 0, without the
/// cancellation of two large lgamma values when q is large (asymptotic series for q >= 1e4):
/// accurate where fits drift towards a limit of the model (a, b or q of 1e8).
double lgamma_shift(double q, double y) noexcept;
double digamma_shift(double q, double y) noexcept;

/// Whether the Hessian of `objective` (d^2/du^2, by central differences of the analytic
/// gradient) at `u` is positive definite: the optimum is a proper maximum of the likelihood, not
/// a ridge or a flat direction along which the parameters are not pinned down.
bool positive_definite_hessian(const Objective& objective, std::span<const double> u);

/// Standard errors sqrt(diag(H^-1)) of the natural parameters exp(u), where H is the Hessian of
/// the total negative log-likelihood (`n` times the mean, without penalty), by central differences
/// of the analytic gradient. Empty entries (NaN) when H is not positive definite.
/// With `log_covariance`, also the whole inverse in the log-parameters u (k*k, row-major:
/// cov(u_i, u_j) = (H^-1)_ij / (theta_i theta_j), exact at a stationary point), left empty when
/// some variance is not positive: what `predict --interval` draws parameters from.
std::vector<double> standard_errors(const Objective& unpenalised, std::span<const double> u,
                                    double n, std::vector<double>* log_covariance = nullptr);

/// The distinct (x, t_x, T) of a purchase model's customers (each contributes the same term to
/// the likelihood), ascending, with how many customers have each, and the distinct x (so that
/// terms depending on x alone are computed once per x).
struct DistinctHistories {
  struct Point {
    double x, t_x, T, w;
    std::uint32_t xi;  ///< index of x in xs
  };
  std::vector<Point> points;
  std::vector<double> xs;
  double mean_T = 0;  ///< over the customers
};

/// For fit_bgnbd and fit_pareto_nbd. Throws InputError naming `model` ("BG/NBD", ...) when there
/// are no customers or none with a repeat purchase.
DistinctHistories distinct_histories(std::span<const RfmCustomer> customers, std::string_view model,
                                     unsigned threads);

/// A number in a fit's message: 4 significant digits.
std::string g4(double v);

/// Why a fit is refused, in words: `why` (where its parameters ran off, "; "-joined) or, when
/// that is empty, what the optimiser reported; then `best_point` ("r 0.1, alpha 2, ...") and
/// what may help. `parameters` names how many there are ("four").
std::string explain_refused_fit(const MleResult& result, const std::vector<std::string>& why,
                                const std::string& parameters, const std::string& best_point,
                                double penalizer);

/// Where the parameters of a fit ran off, in words, and whether that is a limit of the model
/// that still makes sense (each model's `diagnose` fills it).
struct Runoff {
  std::vector<std::string> why;        ///< for messages
  std::vector<std::string> limits;     ///< the limits recognised, for the warning of an accepted fit
  std::array<bool, 4> unidentified{};  ///< parameters that ran off (their value means nothing alone)
  bool only_limits = true;             ///< every parameter that ran off did so in a limit

  /// A limit of the model that parameters `first` and `first + 1` ran into together: `what` (for
  /// messages) and `limit` (the limit model, for the warning); neither parameter means anything
  /// alone there.
  void pair_limit(std::size_t first, std::string what, std::string limit) {
    why.push_back(std::move(what));
    limits.push_back(std::move(limit));
    unidentified[first] = unidentified[first + 1] = true;
  }
};

/// A four-parameter fit once its optimum is accepted, in the model's own parameter order.
struct AcceptedFit {
  std::array<double, 4> params{};
  double log_likelihood = 0;
  std::array<std::optional<double>, 4> standard_errors;  ///< nullopt where a parameter ran off
  std::vector<double> log_covariance;                    ///< empty when the fit is at a limit
  std::string limit;                                     ///< the limits, "; "-joined; empty if none
};

/// The rule of docs/predictive.md, section 7, shared by the four-parameter fits: an optimum is
/// used when it is a proper maximum of `penalised` (converged, positive definite Hessian), or a
/// stationary point at a limit of the model that `diagnose` recognises; anything else throws what
/// `refusal` says. The log-likelihood and standard errors come from `plain` (no penalty) and
/// `total_weight` customers; a log-likelihood that is not finite is refused too, naming `model`.
AcceptedFit accept_fit(const Objective& penalised, const Objective& plain, const MleResult& result,
                       double total_weight, std::string_view model,
                       const std::function<Runoff(const std::vector<double>&)>& diagnose,
                       const std::function<std::string(const Runoff&)>& refusal);

/// The words of one pair of parameters, `first` and `first + 1`, for pair_runoff: their names,
/// and for each limit of the model the pair can run into, what happened (for messages) and the
/// limit model (for the warning). `vanished` empty: the pair has no limit at 0.
struct PairWords {
  std::size_t first = 0;
  std::array<std::string_view, 2> names;
  std::string together, together_limit;  ///< both grew without bound together
  std::string vanished{}, vanished_limit{};  ///< the pair's mean went to 0
};

/// The diagnosis of one pair (p, q) of a four-parameter fit: both grown without bound together
/// (p > 1e4, q > 1e4 `scale`: a limit); else, where `words` has a limit at 0, p < 1e-4 or `mean`
/// < 1e-6 (a limit); else p, or failing that q, run off alone to infinity or 0 (1e-4, q: 1e-4
/// `scale`), which is no limit. `scale` is the time scale q is compared with (1 if none).
void pair_runoff(Runoff& d, double p, double q, double scale, double mean, const PairWords& words);

/// The purchase-rate half of the diagnosis of BG/NBD and Pareto/NBD fits (parameters 0 and 1,
/// Gamma(r, alpha)): r and alpha grown together (one rate for everyone, a limit) or one of them
/// run off alone. `scale` is the mean T, the time scale alpha is compared with.
void purchase_rate_runoff(Runoff& d, double r, double alpha, double scale);

/// The two objectives of a four-parameter fit from one `mean_nll(u, grad, penalizer)`: the
/// optimiser's (with the --penalizer) and the one of the log-likelihood and standard errors
/// (without). They call `mean_nll`, which must outlive them.
struct Objectives {
  Objective penalised;
  Objective plain;
};
template <typename MeanNll>
Objectives penalised_and_plain(const MeanNll& mean_nll, double penalizer) {
  return {[&mean_nll, penalizer](std::span<const double> u, std::span<double> g) {
            return mean_nll(u, g, penalizer);
          },
          [&mean_nll](std::span<const double> u, std::span<double> g) { return mean_nll(u, g, 0.0); }};
}

/// The objective at parameters `theta` = exp(u) from the total log-likelihood `ll` of
/// `total_weight` customers and its derivatives `sums` (d ll / d theta): the mean negative
/// log-likelihood plus penalizer * sum(theta^2); `grad`, when not empty, gets d/du.
inline double mean_penalised_nll(double ll, const std::array<double, 4>& theta,
                                 std::span<const double> sums, double total_weight,
                                 double penalizer, std::span<double> grad) {
  double pen = 0;
  for (double th : theta) pen += penalizer * th * th;
  if (!grad.empty()) {
    for (std::size_t k = 0; k < 4; ++k) {
      grad[k] = -theta[k] * sums[k] / total_weight + penalizer * 2 * theta[k] * theta[k];
    }
  }
  return -ll / total_weight + pen;
}

/// A fit (BgNbdFit, BgBbFit) from its accepted optimum: parameters, log-likelihood, standard
/// errors, covariance, limit, the optimiser's counts and the number of customers.
template <typename Fit, typename Customers>
Fit fit_from(const AcceptedFit& accepted, const MleResult& result, Customers customers) {
  Fit fit;
  fit.params = {accepted.params[0], accepted.params[1], accepted.params[2], accepted.params[3]};
  fit.log_likelihood = accepted.log_likelihood;
  fit.standard_errors = accepted.standard_errors;
  fit.log_covariance = accepted.log_covariance;
  fit.limit = accepted.limit;
  fit.iterations = result.evaluations;
  fit.starts = result.starts_tried;
  fit.converged = true;  // a proper maximum, or one at a limit (fit.limit)
  fit.customers = customers;
  return fit;
}

}  // namespace csm::detail
