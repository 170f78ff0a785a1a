#pragma once
/// The BG/BB model of Fader, Hardie & Shang (2010) for discrete transaction opportunities
/// (yearly donations, events, renewal dates): at each opportunity a live customer transacts with
/// probability p ~ Beta(alpha, beta), and before each opportunity may drop out for good with
/// probability theta ~ Beta(gamma, delta). A customer is summarised by x (opportunities with a
/// transaction), t_x (the last of them, 0 when none) and n (opportunities so far, after the
/// first transaction). docs/predictive.md gives the formulas.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "csm/bgnbd.hpp"

namespace csm {

struct BgBbParams {
  double alpha = 1;
  double beta = 1;
  double gamma = 1;
  double delta = 1;
};

/// `count` customers with the same (x, t_x, n); 0 <= x <= t_x <= n, x = 0 iff t_x = 0.
struct BgBbRow {
  std::uint32_t x = 0;
  std::uint32_t t_x = 0;
  std::uint32_t n = 0;
  double count = 1;
};

struct BgBbFit {
  BgBbParams params;
  double log_likelihood = 0;  ///< total, without the penalty
  std::array<std::optional<double>, 4> standard_errors;  ///< alpha, beta, gamma, delta
  /// Covariance of the log-parameters (4 x 4 row-major, the inverse observed information); empty
  /// at a limit of the model or when the Hessian is not positive definite (for --interval).
  std::vector<double> log_covariance;
  unsigned iterations = 0;
  unsigned starts = 0;
  bool converged = false;
  std::string limit;  ///< empty, or the limit of the model the fit converged towards, in words
  double customers = 0;
};

/// Log-likelihood of one customer (equation 5 of the paper, summed in logarithms).
double bgbb_log_likelihood(const BgBbParams& p, double x, double t_x, double n) noexcept;

/// Fit by maximum likelihood. Throws InputError (exit 65) with the reason in words when there
/// are no customers, nobody transacted again, or the fit does not reach a proper maximum or a
/// recognised limit of the model.
BgBbFit fit_bgbb(std::span<const BgBbRow> rows, const FitOptions& options = {});

/// P(alive at opportunity n + 1 | x, t_x, n) (equation 11).
double bgbb_p_alive(const BgBbParams& p, double x, double t_x, double n) noexcept;

/// E[X(n, n + future) | x, t_x, n]: expected transactions in the next `future` opportunities
/// (equation 13, summed opportunity by opportunity).
double bgbb_expected_transactions(const BgBbParams& p, std::uint32_t future, double x, double t_x,
                                  double n) noexcept;

}  // namespace csm
