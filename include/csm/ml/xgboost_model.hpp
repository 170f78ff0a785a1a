#pragma once
/// Gradient-boosted trees through XGBoost's C API (Debian's libxgboost-dev), for `churn-risk`.
/// Kept out of csm_core and csm_io: only this small library uses libxgboost, which it loads
/// (dlopen) when a model is first trained, so that other commands start without it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace csm::ml {

/// XGBoost's library (libxgboost.so.0, loaded when a model is first trained) could not be
/// loaded: the installation is incomplete. The CLI exits 71 (EX_OSERR) with the message.
class LibraryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The training parameters (XGBoost's names; docs/churn-risk.md says why these values).
struct BoosterParams {
  int rounds = 80;
  int max_depth = 3;
  double eta = 0.1;
  double lambda = 1.0;
  double min_child_weight = 1.0;
  int max_bin = 256;
  std::uint64_t seed = 0;
  /// The (name, value) pairs given to XGBoosterSetParam, in order.
  std::vector<std::pair<std::string, std::string>> xgboost_params() const;
};

/// A trained binary:logistic booster. Training uses one thread, so that the trees are the same
/// whatever the machine (histogram sums in another order could pick another split); predictions
/// are per row and take `threads`.
class XgbModel {
 public:
  /// `values`: rows x columns, row-major, NaN = missing; labels 0/1. Throws std::runtime_error
  /// with XGBoost's message when XGBoost fails.
  static XgbModel train(const float* values, std::size_t rows, std::size_t columns,
                        std::span<const float> labels, const BoosterParams& params);
  XgbModel(XgbModel&&) noexcept;
  XgbModel& operator=(XgbModel&&) noexcept;
  ~XgbModel();

  /// P(churn) per row.
  std::vector<float> predict(const float* values, std::size_t rows, unsigned threads) const;
  /// Per row, columns + 1 contributions to the margin (log-odds; the last is the bias), from
  /// XGBoost's pred_contribs (TreeSHAP).
  std::vector<float> contributions(const float* values, std::size_t rows, unsigned threads) const;
  std::size_t columns() const noexcept { return columns_; }

 private:
  XgbModel() = default;
  std::vector<float> run(const float* values, std::size_t rows, unsigned threads, int option_mask,
                         const char* what) const;
  struct Handles;
  std::unique_ptr<Handles> h_;
  std::size_t columns_ = 0;
};

}  // namespace csm::ml
