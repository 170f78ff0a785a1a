#include "csm/ml/xgboost_model.hpp"

#include <xgboost/c_api.h>

#include <cstdio>
#include <limits>
#include <stdexcept>

namespace csm::ml {
namespace {

void check(int status, const char* what) {
  if (status != 0) {
    throw std::runtime_error(std::string("XGBoost: ") + what + ": " + XGBGetLastError());
  }
}

std::string number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", x);
  return buffer;
}

// A DMatrix that frees itself.
struct Matrix {
  DMatrixHandle handle = nullptr;
  Matrix(const float* values, std::size_t rows, std::size_t columns, unsigned threads) {
    check(XGDMatrixCreateFromMat_omp(values, static_cast<bst_ulong>(rows),
                                     static_cast<bst_ulong>(columns),
                                     std::numeric_limits<float>::quiet_NaN(), &handle,
                                     static_cast<int>(threads)),
          "creating a matrix");
  }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  ~Matrix() {
    if (handle != nullptr) XGDMatrixFree(handle);
  }
};

}  // namespace

std::vector<std::pair<std::string, std::string>> BoosterParams::xgboost_params() const {
  return {{"objective", "binary:logistic"},
          {"tree_method", "hist"},
          {"max_depth", std::to_string(max_depth)},
          {"eta", number(eta)},
          {"lambda", number(lambda)},
          {"min_child_weight", number(min_child_weight)},
          {"max_bin", std::to_string(max_bin)},
          {"subsample", "1"},
          {"colsample_bytree", "1"},
          {"base_score", "0.5"},
          {"seed", std::to_string(seed)},
          {"nthread", "1"},
          {"verbosity", "0"}};
}

struct XgbModel::Handles {
  BoosterHandle booster = nullptr;
  ~Handles() {
    if (booster != nullptr) XGBoosterFree(booster);
  }
};

XgbModel::XgbModel(XgbModel&&) noexcept = default;
XgbModel& XgbModel::operator=(XgbModel&&) noexcept = default;
XgbModel::~XgbModel() = default;

XgbModel XgbModel::train(const float* values, std::size_t rows, std::size_t columns,
                         std::span<const float> labels, const BoosterParams& params) {
  XgbModel model;
  model.columns_ = columns;
  model.h_ = std::make_unique<Handles>();
  Matrix train(values, rows, columns, 1);
  check(XGDMatrixSetFloatInfo(train.handle, "label", labels.data(),
                              static_cast<bst_ulong>(labels.size())),
        "setting labels");
  DMatrixHandle matrices[] = {train.handle};
  check(XGBoosterCreate(matrices, 1, &model.h_->booster), "creating a booster");
  for (const auto& [name, value] : params.xgboost_params()) {
    check(XGBoosterSetParam(model.h_->booster, name.c_str(), value.c_str()), name.c_str());
  }
  for (int i = 0; i < params.rounds; ++i) {
    check(XGBoosterUpdateOneIter(model.h_->booster, i, train.handle), "training");
  }
  return model;
}

std::vector<float> XgbModel::run(const float* values, std::size_t rows, unsigned threads,
                                 int option_mask, const char* what) const {
  if (rows == 0) return {};
  Matrix m(values, rows, columns_, threads);
  check(XGBoosterSetParam(h_->booster, "nthread", std::to_string(threads).c_str()), "nthread");
  bst_ulong length = 0;
  const float* result = nullptr;
  check(XGBoosterPredict(h_->booster, m.handle, option_mask, 0, 0, &length, &result), what);
  return {result, result + length};
}

std::vector<float> XgbModel::predict(const float* values, std::size_t rows, unsigned threads) const {
  return run(values, rows, threads, 0, "predicting");
}

// Option mask 4: the SHAP contributions (XGBoost's C API, XGBoosterPredict).
std::vector<float> XgbModel::contributions(const float* values, std::size_t rows,
                                           unsigned threads) const {
  return run(values, rows, threads, 4, "contributions");
}

}  // namespace csm::ml
