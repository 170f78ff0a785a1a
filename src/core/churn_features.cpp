#include "csm/churn_features.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "csm/activity_aggregator.hpp"  // RevenueOverflow
#include "csm/error.hpp"

namespace csm {

// One customer's months, sorted by month. Signals live in a parallel array (signal_count per
// month), NaN where nothing was observed.
struct ChurnHistory::Customer {
  struct Month {
    Money revenue = 0;
    std::int32_t month = 0;                // YearMonth::index
    std::uint16_t segment = 0;             // 0: none; else the smallest name seen that month
    std::array<std::uint16_t, 5> csat{};   // answers by score 1..5
  };
  std::string id;
  std::vector<Month> months;
  std::vector<double> signals;
  std::vector<std::pair<std::int32_t, std::uint8_t>> nps;  // NPS answers (month, 0..10) by month

  std::size_t at(std::int32_t month, std::size_t signal_count) {
    auto it = std::lower_bound(months.begin(), months.end(), month,
                               [](const Month& m, std::int32_t value) { return m.month < value; });
    const auto i = static_cast<std::size_t>(it - months.begin());
    if (it == months.end() || it->month != month) {
      months.insert(it, Month{0, month, 0, {}});
      signals.insert(signals.begin() + static_cast<std::ptrdiff_t>(i * signal_count), signal_count,
                     std::numeric_limits<double>::quiet_NaN());
    }
    return i;
  }
};

ChurnHistory::ChurnHistory(std::vector<std::string> signals)
    : signals_(std::move(signals)), observed_(signals_.size(), 0) {}
ChurnHistory::~ChurnHistory() = default;
ChurnHistory::ChurnHistory(ChurnHistory&&) noexcept = default;
ChurnHistory& ChurnHistory::operator=(ChurnHistory&&) noexcept = default;

void ChurnHistory::add(const ActivityRecord& record) {
  auto it = ids_.find(record.customer_id);
  if (it == ids_.end()) {
    it = ids_.emplace(std::string(record.customer_id), customers_.size()).first;
    customers_.push_back(std::make_unique<Customer>());
    customers_.back()->id = it->first;
  }
  Customer& c = *customers_[it->second];
  const std::size_t n = signals_.size();
  const std::size_t i = c.at(record.period.index, n);
  Customer::Month& month = c.months[i];
  const std::optional<Money> sum = checked_add(month.revenue, record.revenue);
  if (!sum) {
    throw RevenueOverflow("customer " + quote_for_message(it->first) + ", " +
                          to_string(record.period) + ": the month's revenue sum exceeds " +
                          format_money(kMaxMoney));
  }
  month.revenue = *sum;
  if (record.csat >= 1 && record.csat <= 5 && month.csat[record.csat - 1u] < UINT16_MAX) {
    ++month.csat[record.csat - 1u];
  }
  if (record.nps_column) has_nps_ = true;
  if (record.nps >= 0 && record.nps <= 10) {
    const std::pair<std::int32_t, std::uint8_t> answer{record.period.index, static_cast<std::uint8_t>(record.nps)};
    c.nps.insert(std::upper_bound(c.nps.begin(), c.nps.end(), answer,
                                  [](const auto& a, const auto& b) { return a.first < b.first; }),
                 answer);
  }
  if (!record.segment.empty()) {
    std::uint16_t id = 0;
    const auto sit = segment_ids_.find(record.segment);
    if (sit != segment_ids_.end()) {
      id = sit->second;
    } else if (segments_.size() < UINT16_MAX - 1u) {
      segments_.emplace_back(record.segment);
      id = static_cast<std::uint16_t>(segments_.size());
      segment_ids_.emplace(segments_.back(), id);
    }
    if (id != 0 && (month.segment == 0 || segments_[id - 1u] < segments_[month.segment - 1u])) {
      month.segment = id;
    }
  }
  for (std::size_t s = 0; s < n && s < record.signals.size(); ++s) {
    if (!record.signals[s]) continue;
    double& v = c.signals[i * n + s];
    v = std::isnan(v) ? *record.signals[s] : v + *record.signals[s];
    ++observed_[s];
  }
  if (!first_ || record.period < *first_) first_ = record.period;
  if (!last_ || record.period > *last_) last_ = record.period;
}

void ChurnHistory::extend_range(YearMonth first, YearMonth last) {
  if (!first_ || first < *first_) first_ = first;
  if (!last_ || last > *last_) last_ = last;
}

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

float pct_change(double now, double before) {
  if (!(before > 0) || std::isnan(now)) return kNaN;
  return static_cast<float>(100.0 * (now - before) / before);
}

}  // namespace

// Walks one customer's months up to `last` and writes a row per month with revenue.
struct ChurnFeatureBuilder {
  const ChurnHistory& h;
  std::vector<std::uint16_t> segment_columns;  // segment id -> 1 + column offset (0: none)
  std::size_t segment_offset = 0;
  std::size_t signal_offset = 0;
  std::size_t nps_offset = 0;  // 0: no NPS features

  static std::vector<FeatureInfo> fixed_features() {
    using K = FeatureInfo::Kind;
    return {{"tenure_months", K::tenure, 0, ""},
            {"revenue", K::revenue, 0, ""},
            {"revenue_change_1m", K::revenue_change, 1, ""},
            {"revenue_change_3m", K::revenue_change, 3, ""},
            {"revenue_change_6m", K::revenue_change, 6, ""},
            {"largest_drop_6m", K::largest_drop, 6, ""},
            {"months_inactive", K::months_inactive, 0, ""},
            {"reactivations", K::reactivations, 0, ""},
            {"months_since_return", K::months_since_return, 0, ""},
            {"plan_changes_12m", K::plan_changes, 12, ""},
            {"months_at_revenue", K::months_at_revenue, 0, ""},
            {"csat_latest", K::csat_latest, 0, ""},
            {"csat_lowest_6m", K::csat_lowest, 6, ""},
            {"csat_count", K::csat_count, 0, ""},
            {"months_since_csat", K::months_since_csat, 0, ""}};
  }

  void customer(const ChurnHistory::Customer& c, std::uint32_t index, std::int32_t first,
                std::int32_t last, int horizon, const FeatureFilter& keep,
                FeatureTable& out) const {
    const std::size_t n_signals = h.signals_.size();
    const std::size_t cols = out.columns();
    const auto& months = c.months;
    // Revenue by month index relative to the customer's first stored month, for O(1) look-ups.
    std::size_t end = 0;
    while (end < months.size() && months[end].month <= last) ++end;
    if (end == 0) return;
    const std::int32_t base = months[0].month;
    const auto span = static_cast<std::size_t>(months[end - 1].month - base + 1);
    std::vector<MoneySum> rev(span, 0);
    std::vector<std::int32_t> slot(span, -1);  // index into months, -1 none
    for (std::size_t i = 0; i < end; ++i) {
      const auto k = static_cast<std::size_t>(months[i].month - base);
      rev[k] = months[i].revenue;
      slot[k] = static_cast<std::int32_t>(i);
    }
    auto revenue_at = [&](std::int32_t m) -> MoneySum {
      if (m < base || m > months[end - 1].month) return 0;
      return rev[static_cast<std::size_t>(m - base)];
    };
    auto signal_at = [&](std::int32_t m, std::size_t s) -> double {
      if (m < base || m > months[end - 1].month) return std::numeric_limits<double>::quiet_NaN();
      const std::int32_t i = slot[static_cast<std::size_t>(m - base)];
      if (i < 0) return std::numeric_limits<double>::quiet_NaN();
      return c.signals[static_cast<std::size_t>(i) * n_signals + s];
    };
    // Labels look at months up to `last` only; a month after `last` is unknown.
    std::int32_t first_active = -1;
    int inactive = 0, reactivations = 0;
    std::int32_t last_return = -1;
    int csat_count = 0;
    std::int32_t last_csat_month = -1;
    double last_csat_mean = 0;
    std::size_t nps_seen = 0;  // answers in months <= t
    std::int32_t last_nps_month = -1;
    double last_nps_mean = 0;
    for (std::int32_t t = base; t <= months[end - 1].month; ++t) {
      const MoneySum r = revenue_at(t);
      if (first_active >= 0 && r == 0) ++inactive;
      if (r > 0 && first_active >= 0 && revenue_at(t - 1) == 0) {
        ++reactivations;
        last_return = t;
      }
      if (r > 0 && first_active < 0) first_active = t;
      const std::int32_t i = slot[static_cast<std::size_t>(t - base)];
      if (i >= 0) {
        const auto& m = months[static_cast<std::size_t>(i)];
        int answers = 0, total = 0;
        for (int s = 0; s < 5; ++s) {
          answers += m.csat[static_cast<std::size_t>(s)];
          total += (s + 1) * m.csat[static_cast<std::size_t>(s)];
        }
        if (answers > 0) {
          csat_count += answers;
          last_csat_month = t;
          last_csat_mean = static_cast<double>(total) / answers;
        }
      }
      if (nps_offset != 0 && nps_seen < c.nps.size() && c.nps[nps_seen].first <= t) {
        int answers = 0, total = 0;
        for (; nps_seen < c.nps.size() && c.nps[nps_seen].first <= t; ++nps_seen) {
          if (c.nps[nps_seen].first != t) continue;  // not possible: every answer's month is a month
          ++answers;
          total += c.nps[nps_seen].second;
        }
        if (answers > 0) {
          last_nps_month = t;
          last_nps_mean = static_cast<double>(total) / answers;
        }
      }
      if (r <= 0 || t < first) continue;

      // A row for (c, t).
      out.customer.push_back(index);
      out.month.push_back(t);
      out.revenue.push_back(static_cast<Money>(r));
      std::int8_t label = -1;
      if (t + horizon <= last) {
        label = 0;
        for (int k = 1; k <= horizon; ++k) {
          if (revenue_at(t + k) == 0) label = 1;
        }
      }
      out.label.push_back(label);
      if (keep) {
        if (!keep(c.id, t)) {
          out.value_row.push_back(FeatureTable::kNoValues);
          continue;
        }
        out.value_row.push_back(static_cast<std::uint32_t>(out.values.size() / cols));
      }
      const std::size_t row = out.values.size();
      out.values.resize(row + cols, 0.0f);
      float* v = out.values.data() + row;
      const double rd = to_double(r);
      v[0] = static_cast<float>(t - first_active + 1);
      v[1] = static_cast<float>(rd);
      v[2] = pct_change(rd, to_double(revenue_at(t - 1)));
      v[3] = pct_change(rd, to_double(revenue_at(t - 3)));
      v[4] = pct_change(rd, to_double(revenue_at(t - 6)));
      double drop = 0;
      for (std::int32_t m = t - 5; m <= t; ++m) {
        const MoneySum before = revenue_at(m - 1);
        const MoneySum now = revenue_at(m);
        if (before > 0 && now < before) {
          drop = std::max(drop, 100.0 * to_double(before - now) / to_double(before));
        }
      }
      v[5] = static_cast<float>(drop);
      v[6] = static_cast<float>(inactive);
      v[7] = static_cast<float>(reactivations);
      v[8] = last_return >= 0 ? static_cast<float>(t - last_return) : kNaN;
      int changes = 0;
      for (std::int32_t m = t - 11; m <= t; ++m) {
        const MoneySum before = revenue_at(m - 1);
        const MoneySum now = revenue_at(m);
        if (before > 0 && now > 0 && before != now) ++changes;
      }
      v[9] = static_cast<float>(changes);
      int same = 1;
      while (revenue_at(t - same) == r) ++same;
      v[10] = static_cast<float>(same);
      v[11] = last_csat_month >= 0 ? static_cast<float>(last_csat_mean) : kNaN;
      int lowest = 0;
      for (std::int32_t m = std::max(base, t - 5); m <= t; ++m) {
        const std::int32_t j = slot[static_cast<std::size_t>(m - base)];
        if (j < 0) continue;
        for (int s = 0; s < 5; ++s) {
          if (months[static_cast<std::size_t>(j)].csat[static_cast<std::size_t>(s)] > 0) {
            if (lowest == 0 || s + 1 < lowest) lowest = s + 1;
            break;
          }
        }
      }
      v[12] = lowest > 0 ? static_cast<float>(lowest) : kNaN;
      v[13] = static_cast<float>(csat_count);
      v[14] = last_csat_month >= 0 ? static_cast<float>(t - last_csat_month) : kNaN;
      if (nps_offset != 0) {
        float* w = v + nps_offset;
        w[0] = last_nps_month >= 0 ? static_cast<float>(last_nps_mean) : kNaN;
        int lowest_nps = -1;
        for (std::size_t k = nps_seen; k > 0 && c.nps[k - 1].first >= t - 5; --k) {
          if (lowest_nps < 0 || c.nps[k - 1].second < lowest_nps) lowest_nps = c.nps[k - 1].second;
        }
        w[1] = lowest_nps >= 0 ? static_cast<float>(lowest_nps) : kNaN;
        w[2] = static_cast<float>(nps_seen);
      }
      for (std::size_t s = 0; s < n_signals; ++s) {
        float* w = v + signal_offset + 4 * s;
        const double now = signal_at(t, s);
        w[0] = std::isnan(now) ? kNaN : static_cast<float>(now);
        w[1] = pct_change(now, signal_at(t - 1, s));
        double sum = 0;
        int seen = 0;
        for (std::int32_t m = t - 3; m < t; ++m) {
          const double x = signal_at(m, s);
          if (!std::isnan(x)) {
            sum += x;
            ++seen;
          }
        }
        w[2] = seen > 0 ? pct_change(now, sum / seen) : kNaN;
        // Least-squares slope over the observed months t-5..t, in percent of their mean a month.
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int k = 0;
        for (std::int32_t m = t - 5; m <= t; ++m) {
          const double y = signal_at(m, s);
          if (std::isnan(y)) continue;
          const double x = m - t;
          sx += x;
          sy += y;
          sxx += x * x;
          sxy += x * y;
          ++k;
        }
        const double denom = k * sxx - sx * sx;
        const double mean = k > 0 ? sy / k : 0;
        w[3] = k >= 3 && denom > 0 && mean > 0
                   ? static_cast<float>(100.0 * ((k * sxy - sx * sy) / denom) / mean)
                   : kNaN;
      }
      const std::int32_t si = slot[static_cast<std::size_t>(t - base)];
      const std::uint16_t seg = months[static_cast<std::size_t>(si)].segment;
      if (seg != 0 && segment_columns[seg] != 0) v[segment_offset + segment_columns[seg] - 1] = 1.0f;
    }
  }
};

std::string ChurnHistory::segment_of(std::string_view customer_id, YearMonth month) const {
  const auto it = ids_.find(customer_id);
  if (it == ids_.end()) return {};
  const auto& months = customers_[it->second]->months;
  const auto m = std::lower_bound(months.begin(), months.end(), month.index,
                                  [](const Customer::Month& x, std::int32_t v) { return x.month < v; });
  if (m == months.end() || m->month != month.index || m->segment == 0) return {};
  return segments_[m->segment - 1u];
}

std::vector<std::uint64_t> rows_per_month(const ChurnHistory& h, YearMonth first, YearMonth last) {
  std::vector<std::uint64_t> out(
      last.index >= first.index ? static_cast<std::size_t>(last.index - first.index + 1) : 0, 0);
  for (const auto& c : h.customers_) {
    for (const auto& m : c->months) {
      if (m.month >= first.index && m.month <= last.index && m.revenue > 0) {
        ++out[static_cast<std::size_t>(m.month - first.index)];
      }
    }
  }
  return out;
}

FeatureTable build_features(const ChurnHistory& h, YearMonth first, YearMonth last, int horizon,
                            const FeatureFilter& keep) {
  if (horizon < 1) throw std::invalid_argument("--horizon: expected at least 1 month");
  FeatureTable out;
  ChurnFeatureBuilder b{h, {}, 0, 0, 0};
  out.features = ChurnFeatureBuilder::fixed_features();
  if (h.has_nps_) {
    using K = FeatureInfo::Kind;
    b.nps_offset = out.features.size();
    out.features.push_back({"nps_latest", K::nps_latest, 0, ""});
    out.features.push_back({"nps_lowest_6m", K::nps_lowest, 6, ""});
    out.features.push_back({"nps_count", K::nps_count, 0, ""});
  }
  b.signal_offset = out.features.size();
  for (const std::string& s : h.signals_) {
    using K = FeatureInfo::Kind;
    out.features.push_back({s, K::signal_level, 0, s});
    out.features.push_back({s + "_change_1m", K::signal_change, 1, s});
    out.features.push_back({s + "_change_3m", K::signal_change, 3, s});
    out.features.push_back({s + "_trend_6m", K::signal_trend, 6, s});
  }
  // The most frequent segments among customer-months with revenue up to `last`.
  std::vector<std::uint64_t> counts(h.segments_.size() + 1, 0);
  for (const auto& c : h.customers_) {
    for (const auto& m : c->months) {
      if (m.month <= last.index && m.revenue > 0) ++counts[m.segment];
    }
  }
  std::vector<std::uint16_t> order;
  for (std::size_t id = 1; id < counts.size(); ++id) {
    if (counts[id] > 0) order.push_back(static_cast<std::uint16_t>(id));
  }
  std::sort(order.begin(), order.end(), [&](std::uint16_t x, std::uint16_t y) {
    if (counts[x] != counts[y]) return counts[x] > counts[y];
    return h.segments_[x - 1u] < h.segments_[y - 1u];
  });
  if (order.size() > kMaxSegmentFeatures) order.resize(kMaxSegmentFeatures);
  std::sort(order.begin(), order.end(), [&](std::uint16_t x, std::uint16_t y) {
    return h.segments_[x - 1u] < h.segments_[y - 1u];
  });
  b.segment_offset = out.features.size();
  b.segment_columns.assign(counts.size(), 0);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string& name = h.segments_[order[k] - 1u];
    out.features.push_back({"segment=" + name, FeatureInfo::Kind::segment, 0, name});
    b.segment_columns[order[k]] = static_cast<std::uint16_t>(k + 1);
  }

  // Reserve exactly: a growing vector would hold twice the table at its peak.
  std::size_t rows = 0;
  for (const auto& c : h.customers_) {
    for (const auto& m : c->months) {
      if (m.month >= first.index && m.month <= last.index && m.revenue > 0) ++rows;
    }
  }
  if (!keep) out.values.reserve(rows * out.columns());
  if (keep) out.value_row.reserve(rows);
  out.customer.reserve(rows);
  out.month.reserve(rows);
  out.revenue.reserve(rows);
  out.label.reserve(rows);
  std::vector<const ChurnHistory::Customer*> sorted;
  sorted.reserve(h.customers_.size());
  for (const auto& c : h.customers_) sorted.push_back(c.get());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* x, const auto* y) { return x->id < y->id; });
  for (const auto* c : sorted) {
    const auto index = static_cast<std::uint32_t>(out.customer_ids.size());
    const std::size_t before = out.rows();
    b.customer(*c, index, first.index, last.index, horizon, keep, out);
    if (out.rows() > before) out.customer_ids.push_back(c->id);
  }
  return out;
}

}  // namespace csm
