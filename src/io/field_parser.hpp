#pragma once
// The checks of one field of a record (internal to csm_io): each kind's file reads its cells
// through these, so every kind words a bad value the same way. Inline: they run for every cell.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "csm/decimal.hpp"
#include "csm/error.hpp"
#include "csm/io/columns.hpp"
#include "csm/month.hpp"
#include "text_output.hpp"

namespace csm::io::fields {

inline std::string_view type_name(CellType type) noexcept {
  switch (type) {
    case CellType::absent:
      return "nothing";
    case CellType::null:
      return "null";
    case CellType::text:
      return "a string";
    case CellType::number:
      return "a number";
    case CellType::boolean:
      return "a boolean";
    case CellType::composite:
      return "an object or array";
  }
  return "a value";
}

inline bool is_blank(const Cell& cell) noexcept {
  if (cell.type == CellType::absent || cell.type == CellType::null) return true;
  if (cell.type != CellType::text) return false;
  if (!cell.text.empty() && cell.text.front() != ' ') return false;  // the usual case, early
  return cell.text.find_first_not_of(' ') == std::string_view::npos;
}

inline std::string_view trimmed(std::string_view s) noexcept {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

/// How a kind's files write their cells. `billing`: exports of billing systems (invoice lines,
/// rate files) pad cells with tabs (and a line end with '\r'), write ids and codes as JSON
/// numbers, and write a date with a time after it or as Unix seconds; their messages name the
/// line only, never a JSON record.
enum class CellForms : std::uint8_t { standard, billing };

/// A billing export's cell text without its padding: blanks and tabs before, blanks, tabs and
/// '\r' after.
inline std::string_view billing_trimmed(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// A billing export's blank cell: absent, null, or only padding.
inline bool is_billing_blank(const Cell& cell) noexcept {
  if (cell.type == CellType::absent || cell.type == CellType::null) return true;
  return billing_trimmed(cell.text).empty();
}

/// A signal value (churn-risk --signal): any finite decimal number, as `trimmed_value`, the text of
/// a non-blank cell without its surrounding blanks, writes it; nullopt when it is none.
std::optional<double> parse_signal_value(const Cell& cell, std::string_view trimmed_value) noexcept;
/// The message for a cell that parse_signal_value refused.
std::string signal_value_problem(const Cell& cell);

// Field checks shared by the record kinds. Each throws a located InputError.
class FieldParser {
 public:
  FieldParser(const ColumnMap& columns, const Location& where, std::uint64_t* rounded = nullptr,
              CellForms forms = CellForms::standard)
      : columns_(columns), where_(where), rounded_(rounded), forms_(forms) {}

  [[noreturn]] void fail(std::size_t slot, const std::string& message) const {
    if (where_.record != 0 && forms_ == CellForms::standard) {
      throw InputError(std::string(where_.source), where_.line, columns_.display_name(slot),
                       message + " (record " + std::to_string(where_.record) + ", byte " +
                           std::to_string(where_.offset) + ")");
    }
    throw InputError(std::string(where_.source), where_.line, columns_.display_name(slot), message);
  }

  // A customer id: a string, or a whole number as JSON exports of numeric ids write it.
  std::string_view id(std::size_t slot, const Cell& cell) const {
    if (cell.type == CellType::number && !cell.text.empty() &&
        cell.text.find_first_not_of("-0123456789") == std::string_view::npos) {
      return cell.text;
    }
    return text(slot, cell);
  }

  bool blank(const Cell& cell) const noexcept {
    return forms_ == CellForms::billing ? is_billing_blank(cell) : is_blank(cell);
  }

  void require_present(std::size_t slot, const Cell& cell) const {
    if (blank(cell)) {
      fail(slot, cell.type == CellType::absent ? "missing (a required field)"
                                               : "empty (a required field)");
    }
  }

  std::string_view text(std::size_t slot, const Cell& cell) const {
    require_present(slot, cell);
    if (forms_ == CellForms::billing) {
      if (cell.type != CellType::text && cell.type != CellType::number) {
        fail(slot, "expected a string, got a value of another type");
      }
      return cell.text;
    }
    if (cell.type != CellType::text) {
      std::string message = "expected a string, got ";
      message += type_name(cell.type);
      if (cell.type == CellType::number) {
        message += ' ';
        message += cell.text;
      }
      fail(slot, message);
    }
    return cell.text;
  }

  YearMonth period(std::size_t slot, const Cell& cell) const {
    const std::string_view value = text(slot, cell);
    YearMonth month;
    const PeriodError error = parse_period(value, month);
    if (error != PeriodError::ok) {
      fail(slot, std::string(describe(error)) + ", got " + quote_for_message(value));
    }
    return month;
  }

  // YYYY-MM-DD; in billing exports also followed by a time ("T10:00:00Z", " 10:00:00": the
  // calendar date as written), or Unix seconds (the UTC date).
  Date date(std::size_t slot, const Cell& cell) const {
    std::string_view value = text(slot, cell);
    std::string_view date_part = value;
    Date day;
    if (forms_ == CellForms::billing) {
      value = billing_trimmed(value);
      if (value.size() >= 9 && value.size() <= 11 &&
          value.find_first_not_of("0123456789") == std::string_view::npos) {
        std::int64_t seconds = 0;
        std::from_chars(value.data(), value.data() + value.size(), seconds);
        day.days = static_cast<std::int32_t>(seconds / 86400);
        return day;
      }
      date_part = value.size() > 10 && (value[10] == 'T' || value[10] == ' ') ? value.substr(0, 10)
                                                                                : value;
    }
    const PeriodError error = parse_date(date_part, day);
    if (error != PeriodError::ok) {
      fail(slot, std::string(error == PeriodError::syntax ? "expected a date as YYYY-MM-DD"
                                                          : describe(error)) +
                     ", got " + quote_for_message(value));
    }
    return day;
  }

  std::optional<Date> optional_date(std::size_t slot, const Cell& cell) const {
    if (blank(cell)) return std::nullopt;
    return date(slot, cell);
  }

  Money money(std::size_t slot, const Cell& cell) const {
    require_present(slot, cell);
    if (cell.type != CellType::text && cell.type != CellType::number) {
      fail(slot, "expected a decimal >= 0, got " + std::string(type_name(cell.type)));
    }
    Money value = 0;
    DecimalError error = parse_money(cell.text, value);
    if (error == DecimalError::too_precise && rounded_ != nullptr) {
      error = round_money(cell.text, value);
      if (error == DecimalError::ok) ++*rounded_;
    }
    if (error == DecimalError::syntax && cell.text.find(',') != std::string_view::npos) {
      fail(slot, "expected a decimal >= 0 without thousands separators (1234.56), got " +
                     quote_for_message(cell.text));
    }
    if (error == DecimalError::too_precise) {
      fail(slot, std::string(describe(error)) + ", got " + quote_for_message(cell.text) +
                     " (float noise from a script? --round-money rounds amounts to the micro-unit)");
    }
    if (error != DecimalError::ok) {
      fail(slot, std::string(describe(error)) + ", got " + quote_for_message(cell.text));
    }
    return value;
  }

  std::optional<Money> optional_money(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return std::nullopt;
    return money(slot, cell);
  }

  std::optional<std::int64_t> optional_count(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return std::nullopt;
    return count(slot, cell);
  }

  std::int64_t count(std::size_t slot, const Cell& cell) const {
    require_present(slot, cell);
    std::string_view value = cell.text;
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    std::int64_t n = -1;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if ((cell.type != CellType::text && cell.type != CellType::number) || error != std::errc() ||
        end != value.data() + value.size() || n < 0 || (!value.empty() && value[0] == '-')) {
      fail(slot, "expected a whole number >= 0, got " +
                     (cell.type == CellType::text || cell.type == CellType::number
                          ? quote_for_message(cell.text)
                          : std::string(type_name(cell.type))));
    }
    return n;
  }

  // A signal value: any finite decimal number; blank = no observation.
  std::optional<double> signal(std::size_t slot, const Cell& cell) const {
    if (blank(cell)) return std::nullopt;
    const std::optional<double> x = parse_signal_value(
        cell, forms_ == CellForms::billing ? billing_trimmed(cell.text) : trimmed(cell.text));
    if (!x) fail(slot, signal_value_problem(cell));
    return x;
  }

  // One NPS answer, a whole number 0..10; blank = no answer (-1).
  std::int8_t nps(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return -1;
    const std::string_view value = trimmed(cell.text);
    const bool scalar = cell.type == CellType::text || cell.type == CellType::number;
    const bool digits = !value.empty() && value.size() <= 2 &&
                        value.find_first_not_of("0123456789") == std::string_view::npos;
    const int n = digits ? (value.size() == 1 ? value[0] - '0' : (value[0] - '0') * 10 + (value[1] - '0')) : -1;
    if (!scalar || !digits || n > 10 || (value.size() == 2 && value[0] == '0')) {
      fail(slot, "expected a whole number 0..10 (one NPS answer), got " +
                     (scalar ? quote_for_message(cell.text) : std::string(type_name(cell.type))));
    }
    return static_cast<std::int8_t>(n);
  }

  std::uint8_t csat(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return 0;
    std::string_view value = cell.text;
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    const bool scalar = cell.type == CellType::text || cell.type == CellType::number;
    if (!scalar || value.size() != 1 || value[0] < '1' || value[0] > '5') {
      fail(slot, "expected a whole number 1..5 (one survey response), got " +
                     (scalar ? quote_for_message(cell.text) : std::string(type_name(cell.type))));
    }
    return static_cast<std::uint8_t>(value[0] - '0');
  }

 private:
  // "29.990000000000002" to 29.99: the first 6 decimals, rounded half to even on the rest.
  static DecimalError round_money(std::string_view text, Money& out) noexcept {
    const std::string_view t = trimmed(text);
    const std::size_t dot = t.find('.');
    if (dot == std::string_view::npos || t.size() <= dot + 7) return DecimalError::too_precise;
    const std::string_view rest = t.substr(dot + 7);
    if (rest.find_first_not_of("0123456789") != std::string_view::npos) return DecimalError::syntax;
    Money value = 0;
    const DecimalError error = parse_money(t.substr(0, dot + 7), value);
    if (error != DecimalError::ok) return error;
    const bool above_half = rest[0] > '5' || (rest[0] == '5' && rest.find_first_not_of('0', 1) != std::string_view::npos);
    const bool half = rest[0] == '5' && !above_half;
    if (above_half || (half && value % 2 != 0)) {
      if (value >= kMaxMoney) return DecimalError::too_large;
      ++value;
    }
    out = value;
    return DecimalError::ok;
  }

  const ColumnMap& columns_;
  const Location& where_;
  std::uint64_t* rounded_;
  CellForms forms_;
};

}  // namespace csm::io::fields
