#include "csm/invoice.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "trim_spaces.hpp"

namespace csm {

std::optional<LineType> parse_line_type(std::string_view text) noexcept {
  text = detail::trim_spaces(text);
  if (text == "subscription") return LineType::subscription;
  if (text == "one_time") return LineType::one_time;
  if (text == "refund") return LineType::refund;
  return std::nullopt;
}

std::string_view to_string(LineType type) noexcept {
  switch (type) {
    case LineType::subscription:
      return "subscription";
    case LineType::one_time:
      return "one_time";
    case LineType::refund:
      return "refund";
  }
  return "?";
}

Date add_months(Date date, int months) noexcept {
  const CivilDate c = civil_of(date);
  const int index = c.year * 12 + (c.month - 1) + months;
  const int y = index / 12;
  const int m = index % 12 + 1;
  return date_of(y, m, std::min(c.day, days_in_month(y, m)));
}

int whole_months(Date start, Date end) noexcept {
  if (end <= start) return 0;
  const CivilDate s = civil_of(start);
  const CivilDate e = civil_of(end);
  const int k = (e.year * 12 + e.month) - (s.year * 12 + s.month);
  if (k < 1) return 0;
  if (e.day == s.day) return k;
  const int end_length = days_in_month(e.year, e.month);
  const bool start_at_month_end = s.day == days_in_month(s.year, s.month);
  if (e.day == end_length && (start_at_month_end || s.day > end_length)) return k;
  return 0;
}

std::optional<Money> mul_div_half_even(Money value, MoneySum numerator,
                                       MoneySum denominator) noexcept {
  const MoneySum product = static_cast<MoneySum>(value) * numerator;
  MoneySum q = product / denominator;
  MoneySum r = product % denominator;
  if (r < 0) r = -r;
  const MoneySum twice = 2 * r;
  if (twice > denominator || (twice == denominator && (q % 2 != 0))) {
    q += product < 0 ? -1 : 1;
  }
  if (q > INT64_MAX || q < -INT64_MAX) return std::nullopt;
  return static_cast<Money>(q);
}

std::optional<Money> monthly_amount(Money amount, Date start, Date end) noexcept {
  const int k = whole_months(start, end);
  if (k > 0) return mul_div_half_even(amount, 1, k);
  const std::int32_t d = end.days - start.days;
  const std::int32_t month = end.days - add_months(end, -1).days;
  return mul_div_half_even(amount, month, d);
}

void add_invoice_stats(InvoiceStats& total, const InvoiceStats& part) {
  total.lines += part.lines;
  total.subscription_lines += part.subscription_lines;
  total.trial_lines += part.trial_lines;
  total.credit_lines += part.credit_lines;
  total.whole_month_lines += part.whole_month_lines;
  total.day_rule_lines += part.day_rule_lines;
  total.no_month_end_lines += part.no_month_end_lines;
  total.one_time_lines += part.one_time_lines;
  total.one_time_amount += part.one_time_amount;
  total.refund_lines += part.refund_lines;
  total.refund_amount += part.refund_amount;
  total.converted_lines += part.converted_lines;
  total.after_until_lines += part.after_until_lines;
  for (const auto& [month, sums] : part.non_recurring_by_month) {
    auto& into = total.non_recurring_by_month[month];
    into.first += sums.first;
    into.second += sums.second;
  }
}

InvoiceExpander::InvoiceExpander(ActivityAggregator& out, std::optional<YearMonth> until)
    : aggregator_(&out), until_(until) {}

InvoiceExpander::InvoiceExpander(ActivitySink& out, std::optional<YearMonth> until)
    : sink_(&out), until_(until) {}

std::optional<std::pair<const char*, std::string>> InvoiceExpander::problem(
    const InvoiceLine& line) const {
  if (line.type != LineType::subscription) return std::nullopt;
  if (!line.end) {
    return std::make_pair("service_end", std::string("missing: a subscription line needs its "
                                                     "service period's end (exclusive)"));
  }
  if (*line.end <= line.start) {
    return std::make_pair("service_end", "expected a date after service_start (" +
                                             to_string(line.start) + "), got " +
                                             to_string(*line.end));
  }
  const std::int32_t months = month_of(*line.end).index - month_of(line.start).index;
  if (months > kMaxLineMonths) {
    return std::make_pair("service_end", "the service period covers " + std::to_string(months) +
                                             " months, more than the " +
                                             std::to_string(kMaxLineMonths) +
                                             " supported; check the year");
  }
  if (!monthly_amount(line.amount, line.start, *line.end)) {
    return std::make_pair("amount", std::string("the monthly amount is out of range"));
  }
  return std::nullopt;
}

void InvoiceExpander::add(const InvoiceLine& line) {
  ++stats_.lines;
  const YearMonth start = month_of(line.start);
  if (line.type != LineType::subscription) {
    auto& sums = stats_.non_recurring_by_month[start.index];
    if (line.type == LineType::one_time) {
      ++stats_.one_time_lines;
      stats_.one_time_amount += line.amount;
      sums.first += line.amount;
    } else {
      ++stats_.refund_lines;
      stats_.refund_amount += line.amount;
      sums.second += line.amount;
    }
    if (std::any_of(line.signals.begin(), line.signals.end(),
                    [](const std::optional<double>& v) { return v.has_value(); })) {
      pending_signals_.push_back(PendingSignals{std::string(line.customer_id), start,
                                                {line.signals.begin(), line.signals.end()}});
    }
    return;
  }
  ++stats_.subscription_lines;
  if (line.amount == 0) ++stats_.trial_lines;
  if (line.amount < 0) ++stats_.credit_lines;
  if (until_ && start > *until_) {
    ++stats_.after_until_lines;
    return;
  }
  const int k = whole_months(line.start, *line.end);
  if (k > 0) {
    ++stats_.whole_month_lines;
  } else {
    ++stats_.day_rule_lines;
  }
  const Money monthly = *monthly_amount(line.amount, line.start, *line.end);
  YearMonth last = month_of(*line.end).prev();
  if (until_ && last > *until_) last = *until_;
  ActivityRecord row;
  row.customer_id = line.customer_id;
  row.segment = line.segment;
  if (!first_ || start < *first_) first_ = start;
  if (last < start) {
    // Covers no month's last day: a zero row, so the customer is known and the acquisition cost
    // and csat are booked.
    ++stats_.no_month_end_lines;
    row.period = start;
    row.revenue = 0;
    row.acquisition_cost = line.acquisition_cost;
    row.csat = line.csat;
    row.nps = line.nps;
    row.nps_column = line.nps_column;
    row.signals = line.signals;
    if (!last_ || start > *last_) last_ = start;
    emit(row);
    return;
  }
  if (!last_ || last > *last_) last_ = last;
  for (YearMonth m = start; m <= last; m = m.next()) {
    row.period = m;
    row.revenue = monthly;
    row.acquisition_cost = m == start ? line.acquisition_cost : std::nullopt;
    row.csat = m == start ? line.csat : 0;
    row.nps = m == start ? line.nps : std::int8_t{-1};
    row.nps_column = line.nps_column;
    row.signals = m == start ? line.signals : std::span<const std::optional<double>>();
    emit(row);
  }
}

void InvoiceExpander::finish(bool allow_empty_range) {
  if (!first_) {
    if (until_ && stats_.after_until_lines > 0 && !allow_empty_range) {
      throw std::invalid_argument("--until " + to_string(*until_) +
                                  " is before the month of every service_start");
    }
    return;
  }
  const YearMonth last = until_ ? *until_ : *last_;
  for (const PendingSignals& p : pending_signals_) {
    if (p.period < *first_ || p.period > last) continue;  // outside the months of the range
    ActivityRecord row;
    row.customer_id = p.customer_id;
    row.period = p.period;
    row.revenue = 0;
    row.signals = p.values;
    emit(row);
  }
  pending_signals_.clear();
  if (aggregator_ != nullptr) {
    aggregator_->extend_range(*first_, last);
  } else {
    sink_->extend_range(*first_, last);
  }
}

void InvoiceExpander::merge(InvoiceExpander&& part) {
  add_invoice_stats(stats_, part.stats_);
  if (part.first_ && (!first_ || *part.first_ < *first_)) first_ = part.first_;
  if (part.last_ && (!last_ || *part.last_ > *last_)) last_ = part.last_;
  pending_signals_.insert(pending_signals_.end(), std::make_move_iterator(part.pending_signals_.begin()),
                          std::make_move_iterator(part.pending_signals_.end()));
  part.pending_signals_.clear();
}

namespace {

// ISO 4217 alphabetic codes (the list of 2024, plus HRK, withdrawn in 2023, for older invoices).
constexpr std::string_view kCurrencies =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP "
    "ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR "
    "ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD "
    "MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR "
    "PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL "
    "THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF "
    "XAG XAU XBA XBB XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL";
constexpr std::string_view kZeroDecimal =
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
constexpr std::string_view kThreeDecimal = "BHD IQD JOD KWD LYD OMR TND";

bool in_list(std::string_view list, std::string_view code) noexcept {
  if (code.size() != 3) return false;
  for (std::size_t i = 0; i + 3 <= list.size(); i += 4) {
    if (list.substr(i, 3) == code) return true;
  }
  return false;
}

}  // namespace

bool is_currency_code(std::string_view code) noexcept { return in_list(kCurrencies, code); }

int minor_unit_digits(std::string_view code) noexcept {
  if (in_list(kZeroDecimal, code)) return 0;
  if (in_list(kThreeDecimal, code)) return 3;
  return 2;
}

bool FxRates::add(std::string_view currency, Date date, std::int64_t rate_scaled) {
  auto it = rates_.find(currency);
  if (it == rates_.end()) it = rates_.emplace(std::string(currency), std::vector<std::pair<Date, std::int64_t>>{}).first;
  for (const auto& [d, r] : it->second) {
    (void)r;
    if (d == date) return false;
  }
  it->second.emplace_back(date, rate_scaled);
  return true;
}

std::optional<std::pair<std::string, Date>> FxRates::finish() {
  for (auto& [currency, list] : rates_) {
    std::sort(list.begin(), list.end());
    for (std::size_t i = 1; i < list.size(); ++i) {
      if (list[i].first.days - list[i - 1].first.days > kMaxGapDays) {
        return std::make_pair(currency, list[i].first);
      }
    }
  }
  return std::nullopt;
}

std::optional<std::pair<Date, std::int64_t>> FxRates::rate(std::string_view currency,
                                                            Date date) const {
  const auto it = rates_.find(currency);
  if (it == rates_.end()) return std::nullopt;
  const auto& list = it->second;
  auto after = std::upper_bound(list.begin(), list.end(), date,
                                [](Date d, const std::pair<Date, std::int64_t>& e) { return d < e.first; });
  if (after == list.begin()) return std::nullopt;
  return *(after - 1);
}

std::optional<Money> convert(Money amount, std::int64_t rate_scaled) noexcept {
  MoneySum scale = 1;
  for (int i = 0; i < FxRates::kRateDecimals; ++i) scale *= 10;
  return mul_div_half_even(amount, rate_scaled, scale);
}

}  // namespace csm
