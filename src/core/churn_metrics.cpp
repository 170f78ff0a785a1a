#include "csm/churn_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace csm {
namespace {

// Positions sorted by score descending, ties by position (stable, so any thread count and any
// run give the same order).
std::vector<std::size_t> by_score_desc(std::span<const double> scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

double sigmoid(double z) noexcept {
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

}  // namespace

std::optional<double> roc_auc(std::span<const double> scores, std::span<const std::int8_t> labels) {
  const std::size_t n = std::min(scores.size(), labels.size());
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Sum of the churners' average ranks (1-based).
  double rank_sum = 0;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k) {
      if (labels[order[k]] == 1) {
        rank_sum += average_rank;
        ++positives;
      }
    }
    i = j;
  }
  const std::size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return std::nullopt;
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2.0) / (p * static_cast<double>(negatives));
}

std::optional<double> pr_auc(std::span<const double> scores, std::span<const std::int8_t> labels) {
  const std::size_t n = std::min(scores.size(), labels.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += labels[i] == 1 ? 1u : 0u;
  if (total == 0) return std::nullopt;
  const std::vector<std::size_t> order = by_score_desc(scores.first(n));
  double ap = 0;
  std::size_t tp = 0, seen = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    std::size_t gained = 0;
    while (j < n && scores[order[j]] == scores[order[i]]) {
      gained += labels[order[j]] == 1 ? 1u : 0u;
      ++j;
    }
    tp += gained;
    seen = j;
    if (gained > 0) {
      ap += (static_cast<double>(gained) / static_cast<double>(total)) *
            (static_cast<double>(tp) / static_cast<double>(seen));
    }
    i = j;
  }
  return ap;
}

std::optional<double> brier(std::span<const double> p, std::span<const std::int8_t> labels) {
  const std::size_t n = std::min(p.size(), labels.size());
  if (n == 0) return std::nullopt;
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = p[i] - (labels[i] == 1 ? 1.0 : 0.0);
    sum += d * d;
  }
  return sum / static_cast<double>(n);
}

TopDecile top_decile(std::span<const double> scores, std::span<const std::int8_t> labels) {
  const std::size_t n = std::min(scores.size(), labels.size());
  TopDecile out;
  if (n == 0) return out;
  out.size = (n + 9) / 10;
  const std::vector<std::size_t> order = by_score_desc(scores.first(n));
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += labels[i] == 1 ? 1u : 0u;
  for (std::size_t k = 0; k < out.size; ++k) out.churners += labels[order[k]] == 1 ? 1u : 0u;
  if (total > 0) {
    const double rate_top = static_cast<double>(out.churners) / static_cast<double>(out.size);
    const double rate_all = static_cast<double>(total) / static_cast<double>(n);
    out.lift = rate_top / rate_all;
    out.recall = static_cast<double>(out.churners) / static_cast<double>(total);
  }
  return out;
}

std::vector<CalibrationBin> calibration_table(std::span<const double> p,
                                              std::span<const std::int8_t> labels,
                                              std::size_t bins) {
  const std::size_t n = std::min(p.size(), labels.size());
  std::vector<CalibrationBin> out;
  if (n == 0 || bins == 0) return out;
  bins = std::min(bins, n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  for (std::size_t b = 0; b < bins; ++b) {
    const std::size_t from = b * n / bins, to = (b + 1) * n / bins;
    CalibrationBin bin;
    bin.count = to - from;
    double sum = 0, churned = 0;
    for (std::size_t k = from; k < to; ++k) {
      sum += p[order[k]];
      churned += labels[order[k]] == 1 ? 1u : 0u;
    }
    bin.mean_predicted = sum / static_cast<double>(bin.count);
    bin.observed_rate = churned / static_cast<double>(bin.count);
    out.push_back(bin);
  }
  return out;
}

double PlattScaling::apply(double p) const noexcept {
  if (!fitted) return p;
  const double q = std::clamp(p, 1e-12, 1 - 1e-12);
  return sigmoid(a * std::log(q / (1 - q)) + b);
}

PlattScaling fit_platt(std::span<const double> p, std::span<const std::int8_t> labels) {
  const std::size_t n = std::min(p.size(), labels.size());
  PlattScaling out;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < n; ++i) positives += labels[i] == 1 ? 1u : 0u;
  if (positives < 5 || n - positives < 5) return out;
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double q = std::clamp(p[i], 1e-12, 1 - 1e-12);
    x[i] = std::log(q / (1 - q));
  }
  double a = 1, b = 0;
  for (int it = 0; it < 50; ++it) {
    // Newton on the mean log-loss in (a, b), with a tiny ridge for a flat likelihood.
    double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
    for (std::size_t i = 0; i < n; ++i) {
      const double q = sigmoid(a * x[i] + b);
      const double r = q - (labels[i] == 1 ? 1.0 : 0.0);
      const double w = q * (1 - q);
      ga += r * x[i];
      gb += r;
      haa += w * x[i] * x[i];
      hab += w * x[i];
      hbb += w;
    }
    const double det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const double da = (hbb * ga - hab * gb) / det;
    const double db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (std::abs(da) < 1e-10 && std::abs(db) < 1e-10) break;
  }
  if (!std::isfinite(a) || !std::isfinite(b)) return out;
  out.a = a;
  out.b = b;
  out.fitted = true;
  return out;
}

namespace {
constexpr double kClip = 5;  // standardised values beyond +-5 are clipped (heavy-tailed changes)

double standardised(const LogisticModel& m, std::size_t j, float value) noexcept {
  if (std::isnan(value)) return 0;
  return std::clamp((static_cast<double>(value) - m.mean[j]) / m.scale[j], -kClip, kClip);
}
}  // namespace

double LogisticModel::predict(const float* row) const noexcept {
  double z = intercept;
  for (std::size_t j = 0; j < weights.size(); ++j) z += weights[j] * standardised(*this, j, row[j]);
  return sigmoid(z);
}

LogisticModel fit_logistic(const float* values, std::size_t rows, std::size_t columns,
                           std::span<const std::int8_t> labels, double lambda) {
  LogisticModel m;
  m.lambda = lambda;
  m.mean.assign(columns, 0);
  m.scale.assign(columns, 1);
  m.weights.assign(columns, 0);
  for (std::size_t j = 0; j < columns; ++j) {
    double sum = 0, sq = 0;
    std::size_t k = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const float v = values[r * columns + j];
      if (std::isnan(v)) continue;
      sum += v;
      ++k;
    }
    if (k == 0) continue;
    const double mean = sum / static_cast<double>(k);
    for (std::size_t r = 0; r < rows; ++r) {
      const float v = values[r * columns + j];
      if (!std::isnan(v)) sq += (v - mean) * (v - mean);
    }
    m.mean[j] = mean;
    const double sd = std::sqrt(sq / static_cast<double>(k));
    m.scale[j] = sd > 0 ? sd : 1;
  }
  std::size_t positives = 0;
  for (std::size_t r = 0; r < rows; ++r) positives += labels[r] == 1 ? 1u : 0u;
  if (rows == 0) return m;
  const double rate = (static_cast<double>(positives) + 0.5) / (static_cast<double>(rows) + 1.0);
  m.intercept = std::log(rate / (1 - rate));
  const std::size_t d = columns + 1;  // intercept last
  std::vector<double> x(d), grad(d), hess(d * d);
  for (int it = 0; it < 30; ++it) {
    std::fill(grad.begin(), grad.end(), 0.0);
    std::fill(hess.begin(), hess.end(), 0.0);
    for (std::size_t r = 0; r < rows; ++r) {
      const float* row = values + r * columns;
      for (std::size_t j = 0; j < columns; ++j) x[j] = standardised(m, j, row[j]);
      x[columns] = 1;
      double z = m.intercept;
      for (std::size_t j = 0; j < columns; ++j) z += m.weights[j] * x[j];
      const double p = sigmoid(z);
      const double res = p - (labels[r] == 1 ? 1.0 : 0.0);
      const double w = p * (1 - p);
      for (std::size_t j = 0; j < d; ++j) {
        grad[j] += res * x[j];
        const double wx = w * x[j];
        if (wx == 0) continue;
        double* h = hess.data() + j * d;
        for (std::size_t k = 0; k <= j; ++k) h[k] += wx * x[k];
      }
    }
    for (std::size_t j = 0; j < columns; ++j) {
      grad[j] += lambda * m.weights[j];
      hess[j * d + j] += lambda;
    }
    hess[d * d - 1] += 1e-9;
    // Cholesky of the lower triangle, then solve H step = grad.
    std::vector<double>& L = hess;
    bool ok = true;
    for (std::size_t j = 0; j < d && ok; ++j) {
      double s = L[j * d + j];
      for (std::size_t k = 0; k < j; ++k) s -= L[j * d + k] * L[j * d + k];
      if (!(s > 0)) {
        ok = false;
        break;
      }
      L[j * d + j] = std::sqrt(s);
      for (std::size_t i = j + 1; i < d; ++i) {
        double t = L[i * d + j];
        for (std::size_t k = 0; k < j; ++k) t -= L[i * d + k] * L[j * d + k];
        L[i * d + j] = t / L[j * d + j];
      }
    }
    if (!ok) break;
    std::vector<double> step(grad);
    for (std::size_t i = 0; i < d; ++i) {
      for (std::size_t k = 0; k < i; ++k) step[i] -= L[i * d + k] * step[k];
      step[i] /= L[i * d + i];
    }
    for (std::size_t i = d; i-- > 0;) {
      for (std::size_t k = i + 1; k < d; ++k) step[i] -= L[k * d + i] * step[k];
      step[i] /= L[i * d + i];
    }
    double largest = 0;
    for (std::size_t j = 0; j < columns; ++j) {
      m.weights[j] -= step[j];
      largest = std::max(largest, std::abs(step[j]));
    }
    m.intercept -= step[columns];
    largest = std::max(largest, std::abs(step[columns]));
    m.iterations = it + 1;
    if (largest < 1e-8) break;
  }
  return m;
}

}  // namespace csm
