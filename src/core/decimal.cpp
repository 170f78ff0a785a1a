#include "csm/decimal.hpp"

#include <string>

#include "trim_spaces.hpp"

namespace csm {
namespace {

using detail::trim_spaces;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

}  // namespace

DecimalError parse_money(std::string_view text, Money& out) noexcept {
  // The usual "1234.56": up to 12 integer digits and 6 decimals cannot overflow, so one plain
  // loop does; anything else (signs, spaces, long or odd values) takes the general path below.
  if (!text.empty() && text.size() <= 19) {
    std::uint64_t units = 0;
    std::size_t i = 0;
    while (i < text.size() && is_digit(text[i])) units = units * 10 + static_cast<std::uint64_t>(text[i++] - '0');
    const std::size_t int_digits = i;
    std::size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && is_digit(text[i]); ++i, ++frac_digits) {
        units = units * 10 + static_cast<std::uint64_t>(text[i] - '0');
      }
    }
    if (i == text.size() && int_digits >= 1 && int_digits <= 12 && frac_digits <= kMoneyDecimals &&
        (frac_digits > 0 || text.back() != '.')) {
      static constexpr std::uint64_t kScale[] = {1000000, 100000, 10000, 1000, 100, 10, 1};
      out = static_cast<Money>(units * kScale[frac_digits]);
      return DecimalError::ok;
    }
  }
  text = trim_spaces(text);
  if (text.empty()) return DecimalError::empty;
  std::size_t i = 0;
  if (text[0] == '-') {
    // "-0" and "-0.00" are zero, which is allowed; anything else negative is refused.
    bool all_zero = text.size() > 1;
    bool seen_digit = false;
    bool seen_dot = false;
    for (std::size_t k = 1; k < text.size() && all_zero; ++k) {
      if (text[k] == '0') {
        seen_digit = true;
      } else if (text[k] == '.' && !seen_dot) {
        seen_dot = true;
      } else {
        all_zero = false;
      }
    }
    if (all_zero && seen_digit) {
      out = 0;
      return DecimalError::ok;
    }
    // Tell a negative number apart from garbage such as "-abc".
    return (text.size() > 1 && (is_digit(text[1]) || text[1] == '.')) ? DecimalError::negative
                                                                       : DecimalError::syntax;
  }
  if (text[0] == '+') ++i;

  // Integer part: accumulate in unsigned 64 bits of micro-units, checking for overflow.
  constexpr std::uint64_t kLimit = static_cast<std::uint64_t>(kMaxMoney);
  std::uint64_t units = 0;
  std::size_t int_digits = 0;
  bool too_large = false;
  for (; i < text.size() && is_digit(text[i]); ++i, ++int_digits) {
    if (too_large) continue;
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (units > (kLimit / kMoneyScale) + 1) {
      too_large = true;
    } else {
      units = units * 10 + digit;
    }
  }
  std::uint64_t fraction = 0;
  std::size_t frac_digits = 0;
  bool too_precise = false;
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && is_digit(text[i]); ++i, ++frac_digits) {
      if (frac_digits < kMoneyDecimals) {
        fraction = fraction * 10 + static_cast<std::uint64_t>(text[i] - '0');
      } else if (text[i] != '0') {
        too_precise = true;
      }
    }
  }
  if (i != text.size() || (int_digits == 0 && frac_digits == 0)) return DecimalError::syntax;
  if (too_large) return DecimalError::too_large;
  if (too_precise) return DecimalError::too_precise;
  for (std::size_t k = frac_digits; k < kMoneyDecimals; ++k) fraction *= 10;
  if (units > kLimit / kMoneyScale) return DecimalError::too_large;
  const std::uint64_t micro = units * static_cast<std::uint64_t>(kMoneyScale);
  if (micro > kLimit - fraction) return DecimalError::too_large;
  out = static_cast<Money>(micro + fraction);
  return DecimalError::ok;
}

std::string_view describe(DecimalError error) noexcept {
  switch (error) {
    case DecimalError::ok:
      return "ok";
    case DecimalError::empty:
      return "expected a decimal >= 0, got an empty value";
    case DecimalError::syntax:
      return "expected a decimal >= 0 such as 1234.56";
    case DecimalError::negative:
      return "expected a decimal >= 0";
    case DecimalError::too_precise:
      return "expected at most 6 decimal places";
    case DecimalError::too_large:
      return "expected at most 9223372036854.775807";
  }
  return "invalid decimal";
}

void append_money(std::string& out, MoneySum amount) {
  const bool negative = amount < 0;
  const UnsignedMoneySum magnitude = negative ? static_cast<UnsignedMoneySum>(-(amount + 1)) + 1
                                              : static_cast<UnsignedMoneySum>(amount);
  const auto scale = static_cast<UnsignedMoneySum>(kMoneyScale);
  UnsignedMoneySum whole = magnitude / scale;
  auto fraction = static_cast<std::uint64_t>(magnitude % scale);

  char digits[48];  // 2^127 has 39 digits
  std::size_t n = 0;
  if (whole <= UINT64_MAX) {  // the usual case: 64-bit division is much cheaper
    auto w = static_cast<std::uint64_t>(whole);
    do {
      digits[n++] = static_cast<char>('0' + static_cast<int>(w % 10));
      w /= 10;
    } while (w != 0);
  } else {
    do {
      digits[n++] = static_cast<char>('0' + static_cast<int>(whole % 10));
      whole /= 10;
    } while (whole != 0);
  }
  if (negative) out.push_back('-');
  while (n > 0) out.push_back(digits[--n]);
  out.push_back('.');
  char frac[kMoneyDecimals];
  for (int k = kMoneyDecimals - 1; k >= 0; --k) {
    frac[k] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int keep = kMoneyDecimals;
  while (keep > 2 && frac[keep - 1] == '0') --keep;
  out.append(frac, static_cast<std::size_t>(keep));
}

std::string format_money(MoneySum amount) {
  std::string text;
  append_money(text, amount);
  return text;
}

double to_double(MoneySum amount) noexcept {
  // One rounding only: the micro-unit count converts exactly below 2^53 and IEEE division is
  // correctly rounded, so the result is the double nearest to the decimal value.
  return static_cast<double>(amount) / static_cast<double>(kMoneyScale);
}

std::optional<Money> checked_add(Money a, Money b) noexcept {
  Money sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

}  // namespace csm
