#include "invoice_input.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "csm/error.hpp"
#include "csm/io/csv_reader.hpp"
#include "csm/io/record_input.hpp"
#include "csm/io/source.hpp"
#include "field_parser.hpp"

namespace csm::io {
namespace {

// Slots of the invoice columns (the order of invoice_columns(), then invoice_extra_columns()).
enum InvoiceSlot : std::size_t {
  kCustomer,
  kStart,
  kEnd,
  kAmount,
  kCurrency,
  kLineType,
  kSegment,
  kAcquisitionCost,
  kCsat,
  kNps,
  kProration,
};

using fields::billing_trimmed;
using fields::CellForms;
using fields::is_billing_blank;

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lo = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lo(a[i]) != lo(b[i])) return false;
  }
  return true;
}

// An invoice line's cells: the shared checks (text, dates, signals) in their billing forms
// (field_parser.hpp), and the amount, money and survey checks in the invoice's own wording (they
// hide the shared ones of the same name: no tab trimming and other messages there).
class Fields : public fields::FieldParser {
 public:
  Fields(const ColumnMap& columns, const Location& where)
      : FieldParser(columns, where, nullptr, CellForms::billing) {}

  // A signed decimal with at most 6 decimals, or (minor units) a signed whole number of the
  // currency's minor unit.
  Money amount(std::size_t slot, const Cell& cell, bool minor_units, int minor_digits) const {
    std::string_view value = billing_trimmed(text(slot, cell));
    const bool negative = !value.empty() && value.front() == '-';
    if (negative) value.remove_prefix(1);
    Money magnitude = 0;
    if (minor_units) {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 0) {
        fail(slot, "expected a whole number of minor units (cents), got " + quote_for_message(cell.text));
      }
      Money scale = 1;
      for (int i = minor_digits; i < kMoneyDecimals; ++i) scale *= 10;
      if (n > kMaxMoney / scale) fail(slot, "expected an amount of at most 9223372036854.775807, got " + quote_for_message(cell.text));
      magnitude = n * scale;
    } else {
      const DecimalError error = value.empty() || value.front() == '+' || value.front() == '-'
                                     ? DecimalError::syntax
                                     : parse_money(value, magnitude);
      if (error != DecimalError::ok) {
        std::string what = error == DecimalError::too_precise
                               ? "expected a decimal with at most 6 decimal places"
                           : error == DecimalError::too_large
                               ? "expected an amount of at most 9223372036854.775807"
                               : "expected a decimal such as 120.50 or -20";
        fail(slot, what + ", got " + quote_for_message(cell.text));
      }
    }
    return negative ? -magnitude : magnitude;
  }

  std::optional<Money> optional_money(std::size_t slot, const Cell& cell) const {
    if (is_billing_blank(cell)) return std::nullopt;
    Money value = 0;
    const DecimalError error = parse_money(billing_trimmed(cell.text), value);
    if (error != DecimalError::ok) {
      fail(slot, std::string(describe(error)) + ", got " + quote_for_message(cell.text));
    }
    return value;
  }

  // One NPS answer, a whole number 0..10; blank = no answer (-1).
  std::int8_t nps(std::size_t slot, const Cell& cell) const {
    if (is_billing_blank(cell)) return -1;
    const std::string_view value = billing_trimmed(cell.text);
    const bool digits = value.size() <= 2 && value.find_first_not_of("0123456789") == std::string_view::npos;
    const int n = digits ? (value.size() == 1 ? value[0] - '0' : (value[0] - '0') * 10 + (value[1] - '0')) : -1;
    if (!digits || n > 10 || (value.size() == 2 && value[0] == '0') || cell.type == CellType::composite) {
      fail(slot, "expected a whole number 0..10 (one NPS answer), got " + quote_for_message(cell.text));
    }
    return static_cast<std::int8_t>(n);
  }

  std::uint8_t csat(std::size_t slot, const Cell& cell) const {
    if (is_billing_blank(cell)) return 0;
    const std::string_view value = billing_trimmed(cell.text);
    if (value.size() != 1 || value[0] < '1' || value[0] > '5') {
      fail(slot, "expected a whole number 1..5 (one survey response), got " + quote_for_message(cell.text));
    }
    return static_cast<std::uint8_t>(value[0] - '0');
  }
};

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Rate file slots.
enum FxSlot : std::size_t { kFxDate, kFxCurrency, kFxRate };

class FxConsumer final : public RowConsumer {
 public:
  FxConsumer(const ColumnMap& columns, FxRates& out) : columns_(columns), out_(out) {}
  void row(std::span<const Cell> cells, const Location& where) override {
    const Fields f(columns_, where);
    const Date date = f.date(kFxDate, cells[kFxDate]);
    const std::string code = upper(billing_trimmed(f.text(kFxCurrency, cells[kFxCurrency])));
    if (!is_currency_code(code)) {
      f.fail(kFxCurrency, "expected an ISO 4217 currency code such as EUR, got " +
                              quote_for_message(cells[kFxCurrency].text));
    }
    const std::string_view text = billing_trimmed(f.text(kFxRate, cells[kFxRate]));
    // A decimal > 0 with at most kRateDecimals decimals, as an integer over 10^kRateDecimals.
    std::int64_t whole = 0;
    std::int64_t fraction = 0;
    int places = 0;
    const std::size_t dot = text.find('.');
    const std::string_view a = text.substr(0, dot);
    const std::string_view b = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    bool ok = !a.empty() && a.size() <= 6 && std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
              std::all_of(b.begin(), b.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
              (dot == std::string_view::npos || !b.empty());
    std::string_view digits = b;
    while (!digits.empty() && digits.back() == '0') digits.remove_suffix(1);
    if (digits.size() > static_cast<std::size_t>(FxRates::kRateDecimals)) ok = false;
    if (ok) {
      std::from_chars(a.data(), a.data() + a.size(), whole);
      if (!digits.empty()) std::from_chars(digits.data(), digits.data() + digits.size(), fraction);
      places = static_cast<int>(digits.size());
    }
    std::int64_t scaled = whole;
    for (int i = 0; i < FxRates::kRateDecimals; ++i) scaled *= 10;
    std::int64_t frac_scaled = fraction;
    for (int i = places; i < FxRates::kRateDecimals; ++i) frac_scaled *= 10;
    scaled += frac_scaled;
    if (!ok || scaled <= 0) {
      f.fail(kFxRate, "expected a rate > 0 with at most 12 decimal places (units of the base per "
                      "unit of the currency), got " + quote_for_message(cells[kFxRate].text));
    }
    if (!out_.add(code, date, scaled)) {
      f.fail(kFxDate, "a second rate for " + code + " on " + to_string(date));
    }
    lines_.emplace_back(code + " " + to_string(date), where.line);
  }
  std::vector<std::pair<std::string, std::uint64_t>> lines_;

 private:
  const ColumnMap& columns_;
  FxRates& out_;
};

}  // namespace

const std::vector<std::string>& invoice_extra_columns() {
  static const std::vector<std::string> columns = {"proration"};
  return columns;
}

const std::vector<InvoicePreset>& invoice_presets() {
  // Each preset is the export's column names, units and values: nothing else.
  static const std::vector<InvoicePreset> presets = {
      {"stripe",
       "Stripe invoice line items (API fields of the invoice line item; amounts in cents)",
       {{"customer_id", "customer"},
        {"service_start", "period_start"},
        {"service_end", "period_end"},
        {"amount", "amount"},
        {"currency", "currency"},
        {"line_type", "type"},
        {"proration", "proration"}},
       true,
       {{"line_type", "subscription", LineType::subscription},
        {"proration", "true", LineType::subscription},
        {"line_type", "invoiceitem", LineType::one_time}},
       LineType::subscription,
       false,
       {}},
      {"chargebee",
       "Chargebee invoice line items (API fields of the line item; amounts in cents)",
       {{"customer_id", "customer_id"},
        {"service_start", "date_from"},
        {"service_end", "date_to"},
        {"amount", "amount"},
        {"currency", "currency_code"},
        {"line_type", "entity_type"}},
       true,
       {{"line_type", "plan_item_price", LineType::subscription},
        {"line_type", "addon_item_price", LineType::subscription},
        {"line_type", "plan", LineType::subscription},
        {"line_type", "addon", LineType::subscription},
        {"line_type", "plan_setup", LineType::one_time},
        {"line_type", "charge_item_price", LineType::one_time},
        {"line_type", "adhoc", LineType::one_time}},
       LineType::subscription,
       false,
       // The Report Builder's "Invoice Line Items" data source names these fields so.
       {{"service_start", "Date From"}, {"service_end", "Date To"}, {"currency", "Currency"}}},
  };
  return presets;
}

const InvoicePreset* find_invoice_preset(std::string_view name) {
  for (const InvoicePreset& p : invoice_presets()) {
    if (iequals(p.name, name)) return &p;
  }
  return nullptr;
}

bool is_invoice_preset(std::string_view name) { return find_invoice_preset(name) != nullptr; }

std::string invoice_preset_names() {
  std::string names;
  for (const InvoicePreset& p : invoice_presets()) names += (names.empty() ? "" : ", ") + std::string(p.name);
  return names;
}

FxRates read_fx_rates(const std::string& path) {
  FxRates rates;
  ColumnMap columns({{"date", true}, {"currency", true}, {"rate", true}});
  FxConsumer consumer(columns, rates);
  InputSource source = InputSource::open(path);
  CsvReader reader(columns, consumer, source.name(), ',');
  std::string buffer(1u << 20, '\0');
  std::size_t filled = 0;
  for (;;) {
    const std::size_t n = source.read(buffer.data() + filled, buffer.size() - filled);
    filled += n;
    const std::size_t used = reader.parse(std::string_view(buffer.data(), filled), n == 0);
    if (n == 0) break;
    std::memmove(buffer.data(), buffer.data() + used, filled - used);
    filled -= used;
    if (filled == buffer.size()) buffer.resize(buffer.size() * 2);
  }
  if (const auto gap = rates.finish()) {
    std::uint64_t line = 0;
    for (const auto& [key, at] : consumer.lines_) {
      if (key == gap->first + " " + to_string(gap->second)) line = at;
    }
    throw InputError(source.name(), line, "date",
                     "the rates of " + gap->first + " have a gap of more than " +
                         std::to_string(FxRates::kMaxGapDays) + " days before " +
                         to_string(gap->second) + "; give a rate at least every " +
                         std::to_string(FxRates::kMaxGapDays) + " days");
  }
  return rates;
}

InvoiceReader::InvoiceReader(InvoiceExpander& out, const InvoiceSettings& settings)
    : out_(out), settings_(settings) {
  if (!settings_.preset.empty()) preset_ = find_invoice_preset(settings_.preset);
  settings_.currency = upper(settings_.currency);
  if (!settings_.fx.empty()) fx_ = std::make_shared<const FxRates>(read_fx_rates(settings_.fx));
}

InvoiceReader::InvoiceReader(InvoiceExpander& out, const InvoiceReader& like)
    : out_(out), settings_(like.settings_), preset_(like.preset_), fx_(like.fx_) {}

InvoiceReader::~InvoiceReader() = default;

void InvoiceReader::row(const ColumnMap& columns, std::span<const Cell> cells,
                        const Location& where) {
  const Fields f(columns, where);
  InvoiceLine line;
  line.customer_id = f.text(kCustomer, cells[kCustomer]);
  // Line type: the preset's table, else the canonical values.
  if (preset_ != nullptr && !preset_->line_types.empty()) {
    line.type = preset_->default_type;
    for (const PresetLineRule& rule : preset_->line_types) {
      const std::size_t slot = std::string_view(rule.column) == "proration" ? kProration : kLineType;
      if (slot >= cells.size() || is_billing_blank(cells[slot])) continue;
      if (iequals(billing_trimmed(cells[slot].text), rule.value)) {
        line.type = rule.type;
        break;
      }
    }
  } else if (!is_billing_blank(cells[kLineType])) {
    const auto type = parse_line_type(cells[kLineType].text);
    if (!type) {
      f.fail(kLineType, "expected subscription, one_time or refund, got " +
                            quote_for_message(cells[kLineType].text));
    }
    line.type = *type;
  }
  line.start = f.date(kStart, cells[kStart]);
  line.end = f.optional_date(kEnd, cells[kEnd]);
  if (preset_ != nullptr && preset_->inclusive_end && line.end) line.end->days += 1;
  // Currency.
  std::string code;
  if (!is_billing_blank(cells[kCurrency])) {
    code = upper(billing_trimmed(f.text(kCurrency, cells[kCurrency])));
    if (!is_currency_code(code)) {
      f.fail(kCurrency, "expected an ISO 4217 currency code such as EUR, got " +
                            quote_for_message(cells[kCurrency].text));
    }
  }
  const bool minor = preset_ != nullptr && preset_->minor_units;
  if (minor && code.empty() && settings_.currency.empty()) {
    f.fail(kCurrency, "needed: amounts in minor units need the line's currency (or --currency)");
  }
  bool converted_line = false;
  const std::string& unit = code.empty() ? settings_.currency : code;
  line.amount = f.amount(kAmount, cells[kAmount], minor, minor_unit_digits(unit));
  if (!code.empty()) {
    if (settings_.currency.empty()) {
      if (single_currency_.empty()) single_currency_ = code;
      if (code != single_currency_) {
        f.fail(kCurrency, "a second currency (" + code + " after " + single_currency_ +
                              "): give the base with --currency and the rates with --fx");
      }
    } else if (code != settings_.currency) {
      const auto rate = fx_ ? fx_->rate(code, line.start) : std::nullopt;
      if (!rate || line.start.days - rate->first.days > FxRates::kMaxGapDays) {
        f.fail(kCurrency, "no rate for " + code + " on or before " + to_string(line.start) +
                              (rate ? " within " + std::to_string(FxRates::kMaxGapDays) +
                                          " days (the latest is of " + to_string(rate->first) + ")"
                                    : std::string(fx_ ? "" : " (no --fx rate file)")) +
                              "; add it to the --fx file");
      }
      const auto converted = convert(line.amount, rate->second);
      if (!converted) f.fail(kAmount, "the converted amount is out of range");
      line.amount = *converted;
      converted_line = true;
    }
  }
  if (!is_billing_blank(cells[kSegment])) line.segment = f.text(kSegment, cells[kSegment]);
  line.acquisition_cost = f.optional_money(kAcquisitionCost, cells[kAcquisitionCost]);
  line.csat = f.csat(kCsat, cells[kCsat]);
  line.nps_column = cells[kNps].type != CellType::absent;
  line.nps = f.nps(kNps, cells[kNps]);
  // Declared signals: the slots after the canonical and extra columns.
  const std::size_t first_signal = kProration + invoice_extra_columns().size();
  if (cells.size() > first_signal) {
    signals_.resize(cells.size() - first_signal);
    for (std::size_t i = 0; i < signals_.size(); ++i) {
      signals_[i] = f.signal(first_signal + i, cells[first_signal + i]);
    }
    line.signals = signals_;
  }
  if (const auto problem = out_.problem(line)) {
    f.fail(std::string_view(problem->first) == "amount" ? kAmount : kEnd, problem->second);
  }
  out_.add(line);
  if (converted_line) out_.note_converted();
  last_ = line;
}

}  // namespace csm::io
