#pragma once
/// The factors of a churn-risk score in words (docs/churn-risk.md, "Reading a score").

#include <string>

#include "csm/churn_features.hpp"

namespace csm::cli {

/// A feature's value in words, e.g. "revenue fell 40 % over 3 months", "no CSAT answer yet".
std::string feature_in_words(const FeatureInfo& feature, float value);

}  // namespace csm::cli
