#pragma once
// A finite double as fmt writes it with "{}" (the shortest text that reads back to the same
// double, plain notation for exponents -4..15, else 1.5e+16 / 1e-05), written straight into a
// char array: the CSVs of rfm and predict write millions of them (issue 22). Private to csm_io.
//
// fmt's own writer spends as long choosing among its options (width, locale, grouping, showpoint)
// as dragonbox takes to find the digits; here the digits come from the same dragonbox and are
// laid out by the rules of fmt 9's do_write_float for "{}". tests/io/shortest_double_test.cpp
// checks it against fmt::format("{}") on millions of doubles. With another fmt, fmt itself.

#include <fmt/compile.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#if FMT_VERSION >= 90000 && FMT_VERSION < 100000
#define CSM_SHORTEST_DOUBLE_OWN 1
#else
#define CSM_SHORTEST_DOUBLE_OWN 0
#endif

namespace csm::detail {

/// The room write_shortest needs at `out`: the text has at most 24 characters
/// ("-2.2250738585072014e-308"), but copies of fixed length (no call to memcpy per number) may
/// write scratch bytes after it, up to this many in all.
inline constexpr std::size_t kShortestDoubleMax = 64;

/// Writes finite `value` at `out` (room for kShortestDoubleMax chars) as fmt::format("{}", value)
/// would; returns the end of the text.
inline char* write_shortest(char* out, double value) noexcept {
#if CSM_SHORTEST_DOUBLE_OWN
  if (std::signbit(value)) {
    *out++ = '-';
    value = -value;
  }
  if (value == 0) {
    *out++ = '0';
    return out;
  }
  const auto dec = fmt::detail::dragonbox::to_decimal(value);
  // The significand's digits (at most 17) end at digits + 24, two at a time, in 32-bit
  // arithmetic past the last 8; the 24 bytes after d are readable whatever n.
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char digits[48] = {};
  char* d = digits + 24;
  std::uint64_t s = dec.significand;
  if (s >= 100000000) {
    auto low = static_cast<std::uint32_t>(s % 100000000);
    s /= 100000000;
    for (int k = 0; k < 4; ++k, low /= 100) std::memcpy(d -= 2, kPairs + 2 * (low % 100), 2);
  }
  auto high = static_cast<std::uint32_t>(s);  // at most 9 digits
  for (; high >= 100; high /= 100) std::memcpy(d -= 2, kPairs + 2 * (high % 100), 2);
  if (high >= 10) {
    std::memcpy(d -= 2, kPairs + 2 * high, 2);
  } else {
    *--d = static_cast<char>('0' + high);
  }
  const int n = static_cast<int>(digits + 24 - d);
  const int exponent = dec.exponent;  // value = significand * 10^exponent
  const int output_exp = exponent + n - 1;
  if (output_exp < -4 || output_exp >= 16) {  // 1.2345e+16, 1e-05
    out[0] = d[0];
    out[1] = '.';
    std::memcpy(out + 2, d + 1, 16);
    out += n > 1 ? n + 1 : 1;
    *out++ = 'e';
    int e = output_exp;
    if (e < 0) {
      *out++ = '-';
      e = -e;
    } else {
      *out++ = '+';
    }
    if (e >= 100) *out++ = static_cast<char>('0' + e / 100);
    *out++ = static_cast<char>('0' + e / 10 % 10);
    *out++ = static_cast<char>('0' + e % 10);
    return out;
  }
  if (exponent >= 0) {  // 1234e2 -> 123400; n + exponent <= 16
    std::memcpy(out, d, 24);
    std::memset(out + n, '0', 16);
    return out + n + exponent;
  }
  const int whole = n + exponent;  // digits before the point
  if (whole > 0) {  // 1234e-2 -> 12.34
    std::memcpy(out, d, 24);
    out[whole] = '.';
    std::memcpy(out + whole + 1, d + whole, 24);
    return out + n + 1;
  }
  // 1234e-6 -> 0.001234; at most 3 zeros after the point (output_exp >= -4)
  out[0] = '0';
  out[1] = '.';
  std::memset(out + 2, '0', 4);
  std::memcpy(out + 2 - whole, d, 24);
  return out + 2 - whole + n;
#else
  return fmt::format_to(out, FMT_COMPILE("{}"), value);
#endif
}

}  // namespace csm::detail
