// Fuzz target: parse_money and format_money. Properties: a value that parses prints back
// (format_money) to text that parses to the same value, whose digits are the input's digits
// (leading zeros, trailing decimal zeros and a '+' aside); and any 128-bit sum formats to text
// that parses back to it when it is in range, and is refused with the right error when not.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "csm/decimal.hpp"
#include "reader_harness.hpp"

namespace {

// "digits[.digits]" without leading integer zeros or trailing decimal zeros ("0" for zero).
std::string canonical_digits(std::string_view text) {
  std::string whole;
  std::string frac;
  bool after_dot = false;
  for (const char c : text) {
    if (c == '.') {
      after_dot = true;
    } else if (c >= '0' && c <= '9') {
      (after_dot ? frac : whole) += c;
    }
  }
  const std::size_t first = whole.find_first_not_of('0');
  whole = first == std::string::npos ? "0" : whole.substr(first);
  const std::size_t last = frac.find_last_not_of('0');
  frac = last == std::string::npos ? "" : frac.substr(0, last + 1);
  return frac.empty() ? whole : whole + "." + frac;
}

std::string show(csm::MoneySum v) {
  return csm::format_money(v);
}

void check_text(std::string_view text) {
  csm::Money value = -1;
  const csm::DecimalError error = csm::parse_money(text, value);
  if (error != csm::DecimalError::ok) {
    (void)csm::describe(error);
    return;
  }
  if (value < 0) csm::fuzz::fail("parsed money is >= 0", std::string(text));
  const std::string printed = csm::format_money(value);
  csm::Money again = -1;
  if (csm::parse_money(printed, again) != csm::DecimalError::ok || again != value) {
    csm::fuzz::fail("format_money output parses to the same value",
                    std::string(text) + " -> " + printed + " -> " + show(again));
  }
  if (canonical_digits(text) != canonical_digits(printed)) {
    csm::fuzz::fail("format_money keeps the digits", std::string(text) + " -> " + printed);
  }
  const std::size_t dot = printed.find('.');
  if (dot == std::string::npos || printed.size() - dot - 1 < 2 ||
      printed.size() - dot - 1 > static_cast<std::size_t>(csm::kMoneyDecimals)) {
    csm::fuzz::fail("format_money prints 2..6 decimals", printed);
  }
}

void check_sum(csm::MoneySum sum) {
  const std::string printed = csm::format_money(sum);
  csm::Money value = -1;
  const csm::DecimalError error = csm::parse_money(printed, value);
  if (sum < 0) {
    if (error != csm::DecimalError::negative) csm::fuzz::fail("a negative sum is refused", printed);
  } else if (sum > csm::kMaxMoney) {
    if (error != csm::DecimalError::too_large) csm::fuzz::fail("a huge sum is too large", printed);
  } else if (error != csm::DecimalError::ok || value != sum) {
    csm::fuzz::fail("a sum in range round-trips", printed + " -> " + show(value));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  check_text(text);
  if (size >= sizeof(csm::MoneySum)) {
    csm::MoneySum sum = 0;
    std::memcpy(&sum, bytes, sizeof sum);
    check_sum(sum);
    // Also the small amounts near the money range, where the interesting boundaries are.
    check_sum(sum % (static_cast<csm::MoneySum>(csm::kMaxMoney) * 4));
  }
  return 0;
}
