#pragma once
/// Exact fixed-point money. Amounts are held as whole micro-units (10^-6) in 64 bits, so sums never
/// drift and never depend on the order in which rows arrive.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace csm {

/// A non-negative or signed amount in micro-units (1 unit = 1'000'000).
using Money = std::int64_t;
/// Sums over many customers are kept in 128 bits so that no realistic total overflows.
__extension__ typedef __int128 MoneySum;
__extension__ typedef unsigned __int128 UnsignedMoneySum;

inline constexpr int kMoneyDecimals = 6;
inline constexpr Money kMoneyScale = 1'000'000;
/// Largest amount one field may hold: 9'223'372'036'854.775807 (about 9.2 * 10^12).
inline constexpr Money kMaxMoney = INT64_MAX;

enum class DecimalError : std::uint8_t {
  ok,
  empty,          ///< nothing but spaces
  syntax,         ///< not of the form [+]digits[.digits] (also NaN, Inf, exponents, "1,000")
  negative,       ///< a leading minus sign
  too_precise,    ///< a non-zero digit after the 6th decimal place
  too_large,      ///< beyond kMaxMoney
};

/// Parse a plain decimal such as "104.74", "+3", "0.000001", " 12.50 ". Exactly as written: digits
/// past the 6th decimal place must be zeros. Surrounding ASCII spaces are ignored.
DecimalError parse_money(std::string_view text, Money& out) noexcept;

/// Human words for an error, used after "expected ...": e.g. "a decimal >= 0".
std::string_view describe(DecimalError error) noexcept;

/// Exact decimal text: at least 2 decimals, up to 6, trailing zeros beyond the 2nd dropped
/// ("100.30", "0.000001", "-5.25"). Works for sums too.
std::string format_money(MoneySum amount);
/// format_money(amount) appended to `out` (for writers of many amounts).
void append_money(std::string& out, MoneySum amount);

/// Nearest double, for ratios (arpu, cac, clv); correctly rounded below 2^53 micro-units.
double to_double(MoneySum amount) noexcept;

/// a + b with overflow detection; nullopt on overflow.
std::optional<Money> checked_add(Money a, Money b) noexcept;

}  // namespace csm
