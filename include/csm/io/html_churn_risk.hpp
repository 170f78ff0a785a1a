#pragma once
/// The churn-risk section of the HTML report (`report --churn-risk`, docs/report.md): the score
/// distribution, the backtest (a chart of each scorer's ROC AUC per origin month and the pooled
/// figures) and the top of the list with its factors, from the report `churn-risk` writes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "csm/io/churn_risk_writer.hpp"

namespace csm::io {

/// The histogram of the scores in micro-units of probability (1e-6), each probability binned as
/// the JSON writes it (rounded to 6 decimals): bin i holds the scores q with
/// (first + i) x width <= q < (first + i + 1) x width; `width` is the smallest of 1, 2, 5 x 10^k
/// whose bins from the lowest score's to the highest's are at most `max_bins`.
struct ScoreHistogram {
  std::int64_t width = 1;
  std::int64_t first = 0;  ///< the first bin's index: its lower bound is first x width
  std::vector<std::size_t> counts;
};
ScoreHistogram score_histogram(const std::vector<double>& probabilities, std::size_t max_bins = 20);

/// `<section id="churn-risk">...</section>`: `top` customers of the list (by probability) with
/// their factors. Every probability and metric also carries its exact 6-decimal value (the JSON
/// one) in a data-value attribute.
std::string churn_risk_section(const ChurnRiskReport& report, std::size_t top = 20);

}  // namespace csm::io
