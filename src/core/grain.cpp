#include "csm/grain.hpp"

#include <cmath>

#include "csm/formulas.hpp"

namespace csm {

std::string_view to_string(Grain grain) noexcept {
  switch (grain) {
    case Grain::quarter:
      return "quarter";
    case Grain::year:
      return "year";
    case Grain::month:
      break;
  }
  return "month";
}

std::optional<Grain> parse_grain(std::string_view text) noexcept {
  if (text == "month") return Grain::month;
  if (text == "quarter") return Grain::quarter;
  if (text == "year") return Grain::year;
  return std::nullopt;
}

int months_in(Grain grain) noexcept {
  return grain == Grain::year ? 12 : grain == Grain::quarter ? 3 : 1;
}

std::int32_t period_number(YearMonth month, Grain grain) noexcept {
  // Month indexes are >= 12 (year >= 1), so plain division rounds the right way.
  return month.index / months_in(grain);
}

YearMonth period_from_number(std::int32_t number, Grain grain) noexcept {
  return YearMonth{number * months_in(grain)};
}

YearMonth period_start(YearMonth month, Grain grain) noexcept {
  return period_from_number(period_number(month, grain), grain);
}

std::string period_label(YearMonth first, Grain grain) {
  switch (grain) {
    case Grain::quarter:
      return std::to_string(first.year()) + "-Q" + std::to_string((first.month() - 1) / 3 + 1);
    case Grain::year: {
      std::string year = std::to_string(first.year());
      return std::string(4 - std::min<std::size_t>(4, year.size()), '0') + year;
    }
    case Grain::month:
      break;
  }
  return to_string(first);
}

Rate clv_for_period(Rate arpu, Rate retention_rate, std::int32_t months,
                    const MetricOptions& options) noexcept {
  if (!retention_rate || months <= 1) {
    return formulas::clv(arpu, retention_rate, options.gross_margin, options.discount_rate);
  }
  const double r = *retention_rate / 100.0;
  // More customers left in the period than were there at its start (those who joined and left
  // inside it count too): no monthly retention corresponds to that.
  if (r < 0) return std::nullopt;
  const double monthly = std::pow(r, 1.0 / months);
  return formulas::clv(arpu, Rate(100.0 * monthly), options.gross_margin, options.discount_rate);
}

void derive_period_clv(PeriodMetrics& m, std::int32_t months, const MetricOptions& options) noexcept {
  m.clv = clv_for_period(m.arpu, m.retention_rate, months, options);
  m.ltv_cac.reset();
  if (m.clv && m.cac && *m.cac != 0) m.ltv_cac = *m.clv / *m.cac;
}

namespace {

template <typename T>
void add_to(std::optional<T>& sum, const std::optional<T>& value, bool first) {
  if (first) {
    sum = value;
  } else if (!sum || !value) {
    sum.reset();
  } else {
    *sum += *value;
  }
}

}  // namespace

GrainPeriods roll_up(const std::vector<PeriodMetrics>& monthly, Grain grain,
                     const MetricOptions& options) {
  GrainPeriods out;
  std::size_t i = 0;
  while (i < monthly.size()) {
    const std::int32_t number = period_number(monthly[i].period, grain);
    std::size_t j = i;
    PeriodMetrics p;
    p.period = period_from_number(number, grain);
    for (; j < monthly.size() && period_number(monthly[j].period, grain) == number; ++j) {
      const PeriodMetrics& m = monthly[j];
      const bool first = j == i;
      add_to(p.churned_customers, m.churned_customers, first);
      add_to(p.new_customers, m.new_customers, first);
      add_to(p.reactivated_customers, m.reactivated_customers, first);
      add_to(p.expanded_customers, m.expanded_customers, first);
      add_to(p.contracted_customers, m.contracted_customers, first);
      add_to(p.new_mrr, m.new_mrr, first);
      add_to(p.reactivation_mrr, m.reactivation_mrr, first);
      add_to(p.expansion_mrr, m.expansion_mrr, first);
      add_to(p.contraction_mrr, m.contraction_mrr, first);
      add_to(p.churned_mrr, m.churned_mrr, first);
      add_to(p.csat_responses, m.csat_responses, first);
      add_to(p.csat_satisfied, m.csat_satisfied, first);
      add_to(p.acquisition_cost, m.acquisition_cost, first);
      add_to(p.nps_responses, m.nps_responses, first);
      add_to(p.nps_promoters, m.nps_promoters, first);
      add_to(p.nps_passives, m.nps_passives, first);
      add_to(p.nps_detractors, m.nps_detractors, first);
    }
    const PeriodMetrics& head = monthly[i];
    const PeriodMetrics& tail = monthly[j - 1];
    p.customers_start = head.customers_start;
    p.mrr_start = head.mrr_start;
    p.customers_end = tail.customers_end;
    p.mrr_end = tail.mrr_end;
    const auto months = static_cast<std::int32_t>(j - i);
    if (grain == Grain::month) {
      p = head;  // one month: nothing to roll up
    } else {
      derive_rates(p, options);
      derive_period_clv(p, months, options);
    }
    out.periods.push_back(p);
    out.months.push_back(months);
    i = j;
  }
  return out;
}

}  // namespace csm
