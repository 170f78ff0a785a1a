#include "csm/at_risk.hpp"

#include "csm/activity_aggregator.hpp"  // RevenueOverflow
#include "csm/error.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace csm {

// One customer's months, kept sorted by month: 32 bytes a month (a std::map node would take
// three times that), and a customer has few months, so inserting in the middle is cheap.
struct CustomerHistory::Customer {
  struct Month {
    Money revenue = 0;
    std::int32_t month = 0;                 // YearMonth::index
    std::array<std::uint32_t, 5> csat{};    // responses by score 1..5
  };
  std::string id;
  std::vector<Month> months;

  std::vector<Month>::const_iterator from(std::int32_t month) const {
    return std::lower_bound(months.begin(), months.end(), month,
                            [](const Month& m, std::int32_t value) { return m.month < value; });
  }
  Month& at(std::int32_t month) {
    auto it = std::lower_bound(months.begin(), months.end(), month,
                               [](const Month& m, std::int32_t value) { return m.month < value; });
    if (it == months.end() || it->month != month) it = months.insert(it, Month{0, month, {}});
    return *it;
  }
  MoneySum revenue(std::int32_t month) const {
    const auto it = from(month);
    return it == months.end() || it->month != month ? 0 : it->revenue;
  }
};

std::vector<std::string_view> AtRiskCustomer::reasons() const {
  std::vector<std::string_view> names;
  if (contraction) names.emplace_back("contraction");
  if (low_csat) names.emplace_back("low_csat");
  if (gap_return) names.emplace_back("gap_return");
  if (flat_low_tier) names.emplace_back("flat_low_tier");
  return names;
}

CustomerHistory::CustomerHistory() = default;
CustomerHistory::~CustomerHistory() = default;
CustomerHistory::CustomerHistory(CustomerHistory&&) noexcept = default;
CustomerHistory& CustomerHistory::operator=(CustomerHistory&&) noexcept = default;

void CustomerHistory::add(const ActivityRecord& record) {
  auto [it, inserted] = ids_.try_emplace(std::string(record.customer_id), customers_.size());
  if (inserted) {
    customers_.push_back(std::make_unique<Customer>());
    customers_.back()->id = it->first;
  }
  Customer::Month& month = customers_[it->second]->at(record.period.index);
  const std::optional<Money> sum = checked_add(month.revenue, record.revenue);
  if (!sum) {
    throw RevenueOverflow("customer " + quote_for_message(it->first) + ", " + to_string(record.period) +
                              ": the month's revenue sum exceeds " + format_money(kMaxMoney),
                          it->first, record.period);
  }
  month.revenue = *sum;
  if (record.csat >= 1 && record.csat <= 5) ++month.csat[record.csat - 1u];
  if (!last_ || record.period > *last_) last_ = record.period;
}

void CustomerHistory::extend_range(YearMonth /*first*/, YearMonth last) {
  if (!last_ || last > *last_) last_ = last;
}

std::size_t percentile_rank(std::size_t n, Money pct) noexcept {
  if (n == 0) return 0;
  // ceil(n * pct / (100 * scale)) exactly; n * pct <= n * 1e8 fits 64 bits for any n a vector
  // in memory can have (below 1.8e11).
  const std::uint64_t hundred = 100 * static_cast<std::uint64_t>(kMoneyScale);
  const std::uint64_t scaled = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(pct);
  const auto rank = static_cast<std::size_t>((scaled + hundred - 1) / hundred);
  return std::clamp<std::size_t>(rank, 1, n);
}

AtRiskResult CustomerHistory::evaluate(const AtRiskOptions& o) const {
  if (o.contraction_window < 1) {
    throw std::invalid_argument("--contraction-window: expected at least 1 month");
  }
  if (o.csat_window < 1) throw std::invalid_argument("--csat-window: expected at least 1 month");
  if (o.gap_window < 2) throw std::invalid_argument("--gap-window: expected at least 2 months");
  if (o.flat_months < 2) throw std::invalid_argument("--flat-months: expected at least 2 months");
  if (o.csat_max < 1 || o.csat_max > 5) throw std::invalid_argument("--csat-max: expected 1..5");
  // At 100 % the rule would need revenue(L) <= 0, and only customers with revenue are evaluated.
  if (o.contraction_pct <= 0 || o.contraction_pct >= 100 * kMoneyScale) {
    throw std::invalid_argument("--contraction-pct: expected a percentage above 0 and below 100");
  }
  if (o.low_tier_pct <= 0 || o.low_tier_pct > 100 * kMoneyScale) {
    throw std::invalid_argument("--low-tier-pct: expected a percentile above 0, at most 100");
  }
  AtRiskResult result;
  result.customers = customers_.size();
  result.as_of = o.as_of ? o.as_of : last_;
  if (!result.as_of) return result;
  const std::int32_t L = result.as_of->index;

  // The tier limit: the nearest-rank low_tier_pct percentile of the as_of revenue of active
  // customers, the value at rank ceil(n * pct / 100) in ascending order.
  std::vector<MoneySum> latest;
  for (const auto& c : customers_) {
    const MoneySum r = c->revenue(L);
    if (r > 0) latest.push_back(r);
  }
  result.active_customers = latest.size();
  if (latest.empty()) return result;
  std::sort(latest.begin(), latest.end());
  result.tier_limit = latest[percentile_rank(latest.size(), o.low_tier_pct) - 1];

  const MoneySum hundred = 100 * MoneySum{kMoneyScale};
  for (const auto& cp : customers_) {
    const Customer& c = *cp;
    const MoneySum revenue = c.revenue(L);
    if (revenue <= 0) continue;
    AtRiskCustomer row;
    row.customer_id = c.id;
    row.revenue_at_risk = revenue;

    // contraction: the largest revenue in L-contraction_window .. L-1 (the latest month if tied).
    MoneySum previous_max = 0;
    std::int32_t previous_max_month = 0;
    for (std::int32_t m = L - o.contraction_window; m < L; ++m) {
      const MoneySum r = c.revenue(m);
      if (r > 0 && r >= previous_max) {
        previous_max = r;
        previous_max_month = m;
      }
    }
    // revenue <= previous_max * (1 - pct/100), exactly: revenue * 100 <= previous_max * (100 - pct).
    if (previous_max > 0 && revenue * hundred <= previous_max * (hundred - o.contraction_pct)) {
      row.contraction = ContractionEvidence{
          previous_max, YearMonth{previous_max_month},
          100.0 * to_double(previous_max - revenue) / to_double(previous_max)};
    }

    // low_csat: responses <= csat_max in L-csat_window+1 .. L.
    LowCsatEvidence low;
    for (auto it = c.from(L - o.csat_window + 1); it != c.months.end() && it->month <= L; ++it) {
      for (int score = 1; score <= o.csat_max; ++score) {
        const std::uint64_t n = it->csat[static_cast<std::size_t>(score - 1)];
        if (n == 0) continue;
        // Months go forward, so a later month with the same lowest score replaces the period.
        if (low.responses == 0 || score <= low.lowest) {
          low.lowest = score;
          low.period = YearMonth{it->month};
        }
        low.responses += n;
      }
    }
    if (low.responses > 0) row.low_csat = low;

    // gap_return: the latest month r in L-gap_window+1 .. L with revenue, none in r-1, and
    // revenue in some month before r-1 (a reactivation, as compute counts them).
    const std::int32_t first_active = [&] {
      for (const Customer::Month& month : c.months) {
        if (month.revenue > 0) return month.month;
      }
      return L;
    }();
    for (std::int32_t r = L; r > L - o.gap_window; --r) {
      if (c.revenue(r) > 0 && c.revenue(r - 1) == 0 && first_active < r - 1) {
        int gap = 0;
        while (c.revenue(r - 1 - gap) == 0) ++gap;
        row.gap_return = GapReturnEvidence{YearMonth{r}, gap};
        break;
      }
    }

    // flat_low_tier: the same revenue in each of the months L-flat_months+1 .. L, at most the
    // tier limit.
    int unchanged = 1;
    while (unchanged <= L - first_active && c.revenue(L - unchanged) == revenue) ++unchanged;
    if (unchanged >= o.flat_months && revenue <= result.tier_limit) {
      row.flat_low_tier = FlatLowTierEvidence{unchanged, result.tier_limit};
    }

    if (row.contraction || row.low_csat || row.gap_return || row.flat_low_tier) {
      result.customers_at_risk.push_back(std::move(row));
    }
  }
  std::sort(result.customers_at_risk.begin(), result.customers_at_risk.end(),
            [](const AtRiskCustomer& a, const AtRiskCustomer& b) {
              if (a.revenue_at_risk != b.revenue_at_risk) return a.revenue_at_risk > b.revenue_at_risk;
              return a.customer_id < b.customer_id;
            });
  return result;
}

}  // namespace csm
