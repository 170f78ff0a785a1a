// The learning part of `churn-risk`: training samples, the model, its calibration and the
// baseline (churn_training.hpp).

#include "cli/churn_training.hpp"

#include <utility>

#include "csm/io/record_input.hpp"

namespace csm::cli {
namespace {

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

SampleKeys::SampleKeys(const std::vector<std::uint64_t>& per_month, std::int32_t first_month, int h,
                       std::size_t max_rows, std::uint64_t seed)
    : seed_mix(mix64(seed)), first(first_month), horizon(h), threshold(per_month.size()) {
  std::uint64_t candidates = 0;
  for (std::size_t i = 0; i < per_month.size(); ++i) {
    // Origin first + i trains on months <= first + i - h.
    const auto upto = static_cast<std::int64_t>(i) - h;
    if (upto >= 0) candidates += per_month[static_cast<std::size_t>(upto)];
    threshold[i] = candidates <= max_rows
                       ? UINT64_MAX
                       : static_cast<std::uint64_t>(static_cast<long double>(max_rows) /
                                                    static_cast<long double>(candidates) *
                                                    18446744073709551616.0L);
  }
}

std::uint64_t SampleKeys::key(std::string_view id, std::int32_t month) const {
  return mix64(fnv1a(id) ^ mix64(static_cast<std::uint64_t>(static_cast<std::uint32_t>(month)) ^ seed_mix));
}

OriginRun Trainer::run(std::int32_t origin, bool keep_model) const {
  OriginRun out;
  out.in_training.assign(t_.rows(), 0);
  std::vector<std::size_t> candidates;
  for (std::size_t r = 0; r < t_.rows(); ++r) {
    if (t_.month[r] == origin) out.scored.push_back(r);
    if (t_.month[r] > origin - o_.horizon || t_.label[r] < 0) continue;
    ++out.candidates;
    if (keys_.in_sample(keys_.key(t_.customer_ids[t_.customer[r]], t_.month[r]), t_.month[r],
                        origin)) {
      candidates.push_back(r);
    }
  }
  std::size_t churned = 0;
  for (const std::size_t r : candidates) churned += t_.label[r] == 1 ? 1u : 0u;
  out.training_rows = candidates.size();
  out.training_churned = churned;
  out.probability.assign(out.scored.size(), 0);
  out.raw.assign(out.scored.size(), 0);
  out.baseline.assign(out.scored.size(), 0);
  if (candidates.empty() || churned == 0 || churned == candidates.size()) return out;
  for (const std::size_t r : candidates) {
    out.in_training[r] = 1;
    const YearMonth m{t_.month[r]};
    if (!out.training_first || m < *out.training_first) out.training_first = m;
    if (!out.training_last || m > *out.training_last) out.training_last = m;
  }
  const std::vector<float> scored_values = gather(out.scored);

  // Calibration: a model of the rows before the last kCalibrationMonths training months,
  // scored on those months; Platt scaling fit on them.
  const std::int32_t cut = origin - o_.horizon - kCalibrationMonths;
  std::vector<std::size_t> early, slice;
  for (const std::size_t r : candidates) (t_.month[r] <= cut ? early : slice).push_back(r);
  if (!early.empty() && !slice.empty()) {
    const ml::XgbModel m = train(early);
    const std::vector<float> p = m.predict(gather(slice).data(), slice.size(), threads());
    std::vector<double> pd(p.begin(), p.end());
    std::vector<std::int8_t> y;
    for (const std::size_t r : slice) y.push_back(t_.label[r]);
    out.calibration = fit_platt(pd, y);
    out.calibration_rows = slice.size();
    out.calibration_first = YearMonth{cut + 1};
    out.calibration_last = YearMonth{origin - o_.horizon};
  }
  ml::XgbModel model = train(candidates);
  const std::vector<float> p = model.predict(scored_values.data(), out.scored.size(), threads());
  for (std::size_t i = 0; i < p.size(); ++i) {
    out.raw[i] = p[i];
    out.probability[i] = out.calibration.apply(p[i]);
  }
  const std::vector<float> x = gather(candidates);
  std::vector<std::int8_t> y;
  for (const std::size_t r : candidates) y.push_back(t_.label[r]);
  const LogisticModel lr = fit_logistic(x.data(), candidates.size(), t_.columns(), y,
                                        kBaselineLambda);
  for (std::size_t i = 0; i < out.scored.size(); ++i) {
    out.baseline[i] = lr.predict(scored_values.data() + i * t_.columns());
  }
  if (keep_model) out.model = std::move(model);
  return out;
}

std::vector<float> Trainer::gather(const std::vector<std::size_t>& rows) const {
  std::vector<float> v;
  v.reserve(rows.size() * t_.columns());
  for (const std::size_t r : rows) v.insert(v.end(), t_.row(r), t_.row(r) + t_.columns());
  return v;
}

unsigned Trainer::threads() const { return io::effective_threads(o_.threads); }

ml::XgbModel Trainer::train(const std::vector<std::size_t>& rows) const {
  const std::vector<float> x = gather(rows);
  std::vector<float> y;
  y.reserve(rows.size());
  for (const std::size_t r : rows) y.push_back(t_.label[r] == 1 ? 1.0f : 0.0f);
  return ml::XgbModel::train(x.data(), rows.size(), t_.columns(), y, params_);
}

}  // namespace csm::cli
