#pragma once
// Maximum likelihood on log-parameters with NLopt (L-BFGS with analytic gradients), shared by the
// BG/NBD and Gamma-Gamma fits. Private to csm_core.

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace csm::detail {

/// Mean negative log-likelihood (plus penalty) at log-parameters `u`; fills `grad` (d/du) when it
/// is not empty. Returns +inf (or NaN) where the likelihood cannot be evaluated.
using Objective = std::function<double(std::span<const double> u, std::span<double> grad)>;

struct MleResult {
  std::vector<double> u;        // log-parameters at the optimum
  double value = 0;             // objective there
  unsigned evaluations = 0;     // objective evaluations, all starts together
  unsigned starts_tried = 0;
  bool converged = false;       // the optimiser stopped on a tolerance and the gradient is ~0
  std::string failure;          // why no start gave a finite optimum; empty on success
};

/// Minimise `objective` from each start in turn until one converges; the best finite result is
/// kept when none does. Log-parameters are bounded to [-30, 30].
MleResult minimise(const Objective& objective, const std::vector<std::vector<double>>& starts,
                   unsigned max_evaluations);

/// Standard errors sqrt(diag(H^-1)) of the natural parameters exp(u), where H is the Hessian of
/// the total negative log-likelihood (`n` times the mean, without penalty), by central differences
/// of the analytic gradient. Empty entries (NaN) when H is not positive definite.
std::vector<double> standard_errors(const Objective& unpenalised, std::span<const double> u,
                                    double n);

}  // namespace csm::detail
