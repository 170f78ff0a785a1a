// Exact money: parsing "exactly as written", formatting with 2..6 decimals, and the round trip
// between the two. Expected micro-unit counts are worked out by hand (1 unit = 1'000'000).

#include "csm/decimal.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>

using csm::DecimalError;
using csm::Money;
using csm::MoneySum;

namespace {

// Parse and return the error; `value` keeps the parsed amount (unchanged on error).
DecimalError parse(std::string_view text, Money& value) { return csm::parse_money(text, value); }

// The amount of a text that must parse.
Money money(std::string_view text) {
  Money value = -1;
  const DecimalError error = csm::parse_money(text, value);
  INFO("text: \"" << std::string(text) << "\"");
  REQUIRE(error == DecimalError::ok);
  return value;
}

// The error of a text that must not parse; also checks the output was left untouched.
DecimalError error_of(std::string_view text) {
  Money value = 424242;
  const DecimalError error = csm::parse_money(text, value);
  INFO("text: \"" << std::string(text) << "\"");
  CHECK(error != DecimalError::ok);
  CHECK(value == 424242);
  return error;
}

}  // namespace

TEST_CASE("parse_money: plain decimals are exact micro-units", "[decimal]") {
  CHECK(money("104.74") == 104'740'000);  // 104 * 10^6 + 740'000
  CHECK(money("0.000001") == 1);          // the smallest step
  CHECK(money("0") == 0);
  CHECK(money("0.00") == 0);
  CHECK(money("1") == 1'000'000);
  CHECK(money("+3") == 3'000'000);        // an explicit plus sign
  CHECK(money(" 12.50 ") == 12'500'000);  // surrounding spaces ignored
  CHECK(money("   7") == 7'000'000);
  CHECK(money("100.10") == 100'100'000);
  CHECK(money("0.1") == 100'000);
  CHECK(money("0.01") == 10'000);
  CHECK(money("123456.789012") == 123'456'789'012);
  CHECK(money("0012.5") == 12'500'000);   // leading zeros are just zeros
  // 26 digits, but the value is one unit: the size limit is on the value, not the digit count.
  CHECK(money("00000000000000000000000001") == 1'000'000);
}

TEST_CASE("parse_money: trailing zeros beyond 6 decimals are fine, other digits are not",
          "[decimal]") {
  CHECK(money("1.500000000") == 1'500'000);
  CHECK(money("2.0000000000000000000000") == 2'000'000);
  CHECK(money("0.0000000") == 0);
  CHECK(money("0.0000010") == 1);  // 7 decimals, the 7th is a zero
  CHECK(error_of("1.0000001") == DecimalError::too_precise);
  CHECK(error_of("0.0000009") == DecimalError::too_precise);
  CHECK(error_of("1.00000000000000000001") == DecimalError::too_precise);
  CHECK(error_of("104.7400001") == DecimalError::too_precise);
}

TEST_CASE("parse_money: a leading dot or a trailing dot is a plain decimal", "[decimal]") {
  // ".5" and "5." are unambiguous as written, so they are accepted; a lone dot is not a number.
  CHECK(money(".5") == 500'000);
  CHECK(money("5.") == 5'000'000);
  CHECK(money("+.25") == 250'000);
  CHECK(error_of(".") == DecimalError::syntax);
  CHECK(error_of("+.") == DecimalError::syntax);
  CHECK(error_of("+") == DecimalError::syntax);
}

TEST_CASE("parse_money: negatives are refused, minus zero is zero", "[decimal]") {
  CHECK(error_of("-3.00") == DecimalError::negative);
  CHECK(error_of("-0.000001") == DecimalError::negative);
  CHECK(error_of("-1") == DecimalError::negative);
  CHECK(error_of("-.5") == DecimalError::negative);
  CHECK(error_of(" -3 ") == DecimalError::negative);
  CHECK(money("-0.00") == 0);
  CHECK(money("-0") == 0);
  CHECK(money("-000.000000000") == 0);
  // Not numbers at all, even though they start with a minus.
  CHECK(error_of("-") == DecimalError::syntax);
  CHECK(error_of("-abc") == DecimalError::syntax);
  CHECK(error_of("- 3") == DecimalError::syntax);
  CHECK(error_of("--3") == DecimalError::syntax);
  error_of("-0.0.0");  // refused (negative or syntax: either is a clear refusal)
  error_of("-.");
}

TEST_CASE("parse_money: everything that is not [+]digits[.digits] is a syntax error",
          "[decimal]") {
  for (const char* text : {"abc", "1e3", "1E3", "1e-3", "NaN", "nan", "Inf", "inf", "-inf", "+Inf",
                           "infinity", "1,000", "1,5", "1 000", "0x10", "12abc", "12.5x",
                           "12.5 x", "1.2.3", "++1", "+-3", "$5", "5$", "\t12", "12\t", "1_000",
                           "\xef\xbc\x91",  // a full-width digit one
                           "12\xc2\xa0"}) {  // followed by a no-break space
    INFO("text: \"" << text << "\"");
    CHECK(error_of(text) == DecimalError::syntax);
  }
  CHECK(error_of(std::string_view("1\0", 2)) == DecimalError::syntax);
}

TEST_CASE("parse_money: an empty value is its own error", "[decimal]") {
  CHECK(error_of("") == DecimalError::empty);
  CHECK(error_of("    ") == DecimalError::empty);
  CHECK(error_of(std::string_view()) == DecimalError::empty);
}

TEST_CASE("parse_money: the range is 0 .. 9223372036854.775807", "[decimal]") {
  CHECK(money("1000000000000") == 1'000'000'000'000'000'000);      // 10^12 units = 10^18 micro
  CHECK(money("999999999999.999999") == 999'999'999'999'999'999);  // just below 10^12
  // INT64_MAX = 9'223'372'036'854'775'807 micro-units.
  CHECK(money("9223372036854.775807") == std::numeric_limits<std::int64_t>::max());
  CHECK(money("9223372036854.7758070000") == std::numeric_limits<std::int64_t>::max());
  CHECK(money("9223372036854") == 9'223'372'036'854'000'000);
  CHECK(error_of("9223372036854.775808") == DecimalError::too_large);  // one micro more
  CHECK(error_of("9223372036854.78") == DecimalError::too_large);
  CHECK(error_of("9223372036855") == DecimalError::too_large);
  CHECK(error_of("10000000000000") == DecimalError::too_large);
  CHECK(error_of("18446744073709.551616") == DecimalError::too_large);  // 2^64 micro-units
  CHECK(error_of("99999999999999999999999999999999") == DecimalError::too_large);
  CHECK(error_of("99999999999999999999999999999999.5") == DecimalError::too_large);
}

TEST_CASE("parse_money: describe() words each error", "[decimal]") {
  CHECK(csm::describe(DecimalError::negative) == "expected a decimal >= 0");
  for (const DecimalError e : {DecimalError::empty, DecimalError::syntax, DecimalError::negative,
                               DecimalError::too_precise, DecimalError::too_large}) {
    const std::string_view text = csm::describe(e);
    CHECK(text.substr(0, 9) == "expected ");
  }
  CHECK(csm::describe(DecimalError::too_large).find("9223372036854.775807") !=
        std::string_view::npos);
}

TEST_CASE("format_money: 2 to 6 decimals, exact", "[decimal]") {
  CHECK(csm::format_money(0) == "0.00");
  CHECK(csm::format_money(1) == "0.000001");
  CHECK(csm::format_money(10) == "0.00001");
  CHECK(csm::format_money(10'000) == "0.01");
  CHECK(csm::format_money(100'000) == "0.10");
  CHECK(csm::format_money(1'000'000) == "1.00");
  CHECK(csm::format_money(1'500'000) == "1.50");
  CHECK(csm::format_money(1'230'000) == "1.23");
  CHECK(csm::format_money(1'234'000) == "1.234");
  CHECK(csm::format_money(1'234'500) == "1.2345");
  CHECK(csm::format_money(1'234'560) == "1.23456");
  CHECK(csm::format_money(1'234'567) == "1.234567");
  CHECK(csm::format_money(1'000'001) == "1.000001");
  CHECK(csm::format_money(100'300'000) == "100.30");
  CHECK(csm::format_money(104'740'000) == "104.74");
  CHECK(csm::format_money(10'000'000'000'000) == "10000000.00");
  CHECK(csm::format_money(-5'250'000) == "-5.25");
  CHECK(csm::format_money(-1) == "-0.000001");
  CHECK(csm::format_money(-10'000) == "-0.01");
  CHECK(csm::format_money(-999'999) == "-0.999999");
}

TEST_CASE("format_money: 128-bit sums", "[decimal]") {
  constexpr MoneySum kMax64 = std::numeric_limits<std::int64_t>::max();
  constexpr MoneySum kMin64 = std::numeric_limits<std::int64_t>::min();
  CHECK(csm::format_money(kMax64) == "9223372036854.775807");
  CHECK(csm::format_money(kMin64) == "-9223372036854.775808");
  // 2 * (2^63 - 1) = 18'446'744'073'709'551'614 micro-units.
  CHECK(csm::format_money(2 * kMax64) == "18446744073709.551614");
  // 1000 customers at the maximum: 9'223'372'036'854'775'807'000 micro = ...854775.807000 units.
  CHECK(csm::format_money(1000 * kMax64) == "9223372036854775.807");
  // 2^127 - 1 = 170141183460469231731687303715884105727; 2^127 = ...105728.
  const MoneySum max128 = static_cast<MoneySum>((static_cast<csm::UnsignedMoneySum>(1) << 127) - 1);
  CHECK(csm::format_money(max128) == "170141183460469231731687303715884.105727");
  CHECK(csm::format_money(-max128 - 1) == "-170141183460469231731687303715884.105728");
}

TEST_CASE("format_money and parse_money round-trip", "[decimal]") {
  // Hand-picked values of every decimal length.
  for (const Money v : {Money{0}, Money{1}, Money{9}, Money{10}, Money{99}, Money{100},
                        Money{1'000}, Money{10'000}, Money{100'000}, Money{999'999},
                        Money{1'000'000}, Money{1'000'001}, Money{123'456'789},
                        Money{100'100'000}, Money{1'000'000'000'000'000'000},
                        std::numeric_limits<Money>::max(), std::numeric_limits<Money>::max() - 1}) {
    const std::string text = csm::format_money(v);
    INFO("value " << v << " -> \"" << text << "\"");
    CHECK(money(text) == v);
  }
  // Random values over the whole range; the text always has 2..6 decimals.
  std::mt19937_64 random(20240229);
  std::uniform_int_distribution<Money> any(0, std::numeric_limits<Money>::max());
  std::uniform_int_distribution<Money> small(0, 100'000'000'000);
  for (int i = 0; i < 20'000; ++i) {
    const Money v = (i % 2 == 0) ? any(random) : small(random);
    const std::string text = csm::format_money(v);
    const std::size_t dot = text.find('.');
    const bool shape_ok = dot != std::string::npos && text.size() - dot - 1 >= 2 &&
                          text.size() - dot - 1 <= 6;
    Money back = -1;
    const bool round_trip = parse(text, back) == DecimalError::ok && back == v;
    if (!shape_ok || !round_trip) {
      INFO("value " << v << " -> \"" << text << "\"");
      CHECK(shape_ok);
      CHECK(round_trip);
      break;
    }
  }
  // Negative sums format with a minus, and the text is the negation of the positive one.
  for (int i = 0; i < 1000; ++i) {
    const Money v = any(random);
    CHECK(csm::format_money(-static_cast<MoneySum>(v)) ==
          (v == 0 ? "0.00" : "-" + csm::format_money(v)));
  }
}

TEST_CASE("parse_money agrees with an independent digit-by-digit reading", "[decimal]") {
  // Build "I.F" from an integer part I and k fractional digits F (k = 0..6); the expected value
  // is I * 10^6 + F * 10^(6-k), computed without the parser.
  std::mt19937 random(7);
  std::uniform_int_distribution<std::int64_t> integer(0, 999'999'999'999);
  std::uniform_int_distribution<int> decimals(0, 6);
  std::uniform_int_distribution<int> digit(0, 9);
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t whole = integer(random);
    const int k = decimals(random);
    std::string text = std::to_string(whole);
    std::int64_t fraction = 0;
    if (k > 0 || i % 3 == 0) text += '.';
    for (int d = 0; d < k; ++d) {
      const int x = digit(random);
      text += static_cast<char>('0' + x);
      fraction = fraction * 10 + x;
    }
    for (int d = k; d < 6; ++d) fraction *= 10;
    const Money expected = whole * 1'000'000 + fraction;
    Money got = -1;
    if (parse(text, got) != DecimalError::ok || got != expected) {
      INFO("text \"" << text << "\"");
      CHECK(got == expected);
      break;
    }
  }
}

TEST_CASE("sums of parsed amounts are exact", "[decimal]") {
  // 100.10 + 0.20 == 100.30 exactly (in double, 100.1 + 0.2 != 100.3).
  CHECK(money("100.10") + money("0.20") == money("100.30"));
  CHECK(csm::format_money(money("100.10") + money("0.20")) == "100.30");
  // Ten times 0.10 is exactly 1.00.
  Money sum = 0;
  for (int i = 0; i < 10; ++i) sum += money("0.10");
  CHECK(sum == money("1.00"));
}

TEST_CASE("to_double gives the nearest double", "[decimal]") {
  CHECK(csm::to_double(104'740'000) == 104.74);
  CHECK(csm::to_double(100'300'000) == 100.3);
  CHECK(csm::to_double(100'000) == 0.1);
  CHECK(csm::to_double(1) == 0.000001);
  CHECK(csm::to_double(0) == 0.0);
  CHECK(csm::to_double(-5'250'000) == -5.25);
  CHECK(csm::to_double(1'000'000'000'000'000'000) == 1e12);
  CHECK(csm::to_double(static_cast<MoneySum>(std::numeric_limits<std::int64_t>::max()) * 2) ==
        Approx(18446744073709.551614));
}

TEST_CASE("checked_add detects overflow", "[decimal]") {
  constexpr Money kMax = std::numeric_limits<Money>::max();
  constexpr Money kMin = std::numeric_limits<Money>::min();
  REQUIRE(csm::checked_add(1, 2).has_value());
  CHECK(*csm::checked_add(1, 2) == 3);
  REQUIRE(csm::checked_add(kMax, 0).has_value());
  CHECK(*csm::checked_add(kMax, 0) == kMax);
  REQUIRE(csm::checked_add(kMax - 1, 1).has_value());
  CHECK(*csm::checked_add(kMax - 1, 1) == kMax);
  CHECK_FALSE(csm::checked_add(kMax, 1).has_value());
  CHECK_FALSE(csm::checked_add(kMax, kMax).has_value());
  CHECK_FALSE(csm::checked_add(kMin, -1).has_value());
  REQUIRE(csm::checked_add(kMax, kMin).has_value());
  CHECK(*csm::checked_add(kMax, kMin) == -1);
}
