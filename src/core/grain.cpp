#include "csm/grain.hpp"

#include <cmath>
#include <variant>

#include "csm/formulas.hpp"
#include "csm/period_fields.hpp"

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

GrainPeriods sum_up(const std::vector<PeriodMetrics>& monthly, Grain grain) {
  GrainPeriods out;
  std::size_t i = 0;
  while (i < monthly.size()) {
    const std::int32_t number = period_number(monthly[i].period, grain);
    std::size_t j = i;
    while (j < monthly.size() && period_number(monthly[j].period, grain) == number) ++j;
    const auto months = static_cast<std::int32_t>(j - i);
    if (grain == Grain::month) {
      out.periods.push_back(monthly[i]);  // one month: nothing to roll up
    } else {
      PeriodMetrics p;
      p.period = period_from_number(number, grain);
      for (const PeriodField& field : period_fields()) {
        std::visit(
            [&](auto member) {
              switch (field.roll_up) {
                case RollUp::sum:
                  for (std::size_t k = i; k < j; ++k) add_to(p.*member, monthly[k].*member, k == i);
                  break;
                case RollUp::first:
                  p.*member = monthly[i].*member;
                  break;
                case RollUp::last:
                  p.*member = monthly[j - 1].*member;
                  break;
                case RollUp::derived:
                  break;
              }
            },
            field.member);
      }
      out.periods.push_back(p);
    }
    out.months.push_back(months);
    i = j;
  }
  return out;
}

GrainPeriods roll_up(const std::vector<PeriodMetrics>& monthly, Grain grain,
                     const MetricOptions& options, Population population) {
  GrainPeriods out = sum_up(monthly, grain);
  if (grain == Grain::month) return out;
  for (std::size_t i = 0; i < out.periods.size(); ++i) {
    derive_rates(out.periods[i], DeriveContext{options, out.months[i], population});
  }
  return out;
}

}  // namespace csm
