#include "csm/ml/xgboost_model.hpp"

#include <dlfcn.h>
#include <xgboost/c_api.h>

#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace csm::ml {
namespace {

// XGBoost's C API, loaded when churn-risk first needs it. Linked, the library and the two it
// loads (libgomp, libdmlc) added about 4 ms to the start of every command, `--version` included
// (docs/performance.md, "Start-up and small files"); only churn-risk uses it.
struct Api {
  decltype(&XGBGetLastError) last_error = nullptr;
  decltype(&XGDMatrixCreateFromMat_omp) matrix_from_array = nullptr;
  decltype(&XGDMatrixFree) matrix_free = nullptr;
  decltype(&XGDMatrixSetFloatInfo) matrix_set_float_info = nullptr;
  decltype(&XGBoosterCreate) booster_create = nullptr;
  decltype(&XGBoosterFree) booster_free = nullptr;
  decltype(&XGBoosterSetParam) booster_set_param = nullptr;
  decltype(&XGBoosterUpdateOneIter) booster_update_one_iter = nullptr;
  decltype(&XGBoosterPredict) booster_predict = nullptr;
};

Api load_api() {
  // The library stays loaded until the process ends (never dlclose'd).
  void* library = dlopen(CSM_XGBOOST_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    throw LibraryError(std::string("cannot load XGBoost's library " CSM_XGBOOST_SONAME " (") + dlerror() +
                       "); churn-risk needs it: apt-get install libxgboost0");
  }
  Api api;
  const auto bind = [library](auto& function, const char* name) {
    void* address = dlsym(library, name);
    if (address == nullptr) {
      throw LibraryError(std::string("XGBoost's library " CSM_XGBOOST_SONAME " has no ") + name +
                         " (a version older than 1.7?); churn-risk needs libxgboost0 1.7 or later");
    }
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(address);
  };
  bind(api.last_error, "XGBGetLastError");
  bind(api.matrix_from_array, "XGDMatrixCreateFromMat_omp");
  bind(api.matrix_free, "XGDMatrixFree");
  bind(api.matrix_set_float_info, "XGDMatrixSetFloatInfo");
  bind(api.booster_create, "XGBoosterCreate");
  bind(api.booster_free, "XGBoosterFree");
  bind(api.booster_set_param, "XGBoosterSetParam");
  bind(api.booster_update_one_iter, "XGBoosterUpdateOneIter");
  bind(api.booster_predict, "XGBoosterPredict");
  return api;
}

const Api& xgb() {
  static const Api api = load_api();  // thread-safe; tried again after a failure
  return api;
}

void check(int status, const char* what) {
  if (status != 0) {
    throw std::runtime_error(std::string("XGBoost: ") + what + ": " + xgb().last_error());
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
    check(xgb().matrix_from_array(values, static_cast<bst_ulong>(rows), static_cast<bst_ulong>(columns),
                                  std::numeric_limits<float>::quiet_NaN(), &handle,
                                  static_cast<int>(threads)),
          "creating a matrix");
  }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  ~Matrix() {
    if (handle != nullptr) xgb().matrix_free(handle);
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
    if (booster != nullptr) xgb().booster_free(booster);
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
  check(xgb().matrix_set_float_info(train.handle, "label", labels.data(),
                                    static_cast<bst_ulong>(labels.size())),
        "setting labels");
  DMatrixHandle matrices[] = {train.handle};
  check(xgb().booster_create(matrices, 1, &model.h_->booster), "creating a booster");
  for (const auto& [name, value] : params.xgboost_params()) {
    check(xgb().booster_set_param(model.h_->booster, name.c_str(), value.c_str()), name.c_str());
  }
  for (int i = 0; i < params.rounds; ++i) {
    check(xgb().booster_update_one_iter(model.h_->booster, i, train.handle), "training");
  }
  return model;
}

std::vector<float> XgbModel::run(const float* values, std::size_t rows, unsigned threads,
                                 int option_mask, const char* what) const {
  if (rows == 0) return {};
  Matrix m(values, rows, columns_, threads);
  check(xgb().booster_set_param(h_->booster, "nthread", std::to_string(threads).c_str()), "nthread");
  bst_ulong length = 0;
  const float* result = nullptr;
  check(xgb().booster_predict(h_->booster, m.handle, option_mask, 0, 0, &length, &result), what);
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
