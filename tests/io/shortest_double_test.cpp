// The CSV writers' double formatting (src/io/shortest_double.hpp) against fmt::format("{}"),
// the writer whose text the outputs have always had, on millions of doubles of every kind.
#include "io/shortest_double.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace {

std::string ours(double v) {
  char text[csm::detail::kShortestDoubleMax];
  return std::string(text, csm::detail::write_shortest(text, v));
}

double from_bits(std::uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace

TEST_CASE("shortest double: hand-picked values", "[io][shortest]") {
  CHECK(ours(0.0) == "0");
  CHECK(ours(-0.0) == "-0");
  CHECK(ours(1.0) == "1");
  CHECK(ours(-2.5) == "-2.5");
  CHECK(ours(0.1 + 0.2) == "0.30000000000000004");
  CHECK(ours(52.0 / 7.0) == "7.428571428571429");
  CHECK(ours(100000.0) == "100000");
  CHECK(ours(0.0001) == "0.0001");
  CHECK(ours(0.00012) == "0.00012");
  CHECK(ours(1e-05) == "1e-05");
  CHECK(ours(1.5e-07) == "1.5e-07");
  CHECK(ours(1e15) == "1000000000000000");
  CHECK(ours(9999999999999998.0) == "9999999999999998");
  CHECK(ours(1e16) == "1e+16");
  CHECK(ours(1.2345e+100) == "1.2345e+100");
  CHECK(ours(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(ours(std::numeric_limits<double>::min()) == "2.2250738585072014e-308");
  CHECK(ours(-std::numeric_limits<double>::denorm_min()) == "-5e-324");
}

TEST_CASE("shortest double: the same text as fmt on random doubles", "[io][shortest]") {
  std::mt19937_64 rng(20261207);
  std::size_t differ = 0;
  std::string first;
  const auto check = [&](double v) {
    const std::string expected = fmt::format("{}", v);
    if (ours(v) != expected) {
      if (differ++ == 0) first = expected + " written " + ours(v);
    }
  };
  // Any bit pattern (NaN and infinity are never written: the writers leave them empty).
  for (int i = 0; i < 300'000; ++i) {
    const double v = from_bits(rng());
    if (std::isfinite(v)) check(v);
  }
  // Values like the CSVs': ratios, money, probabilities, and every power of ten's neighbourhood.
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 300'000; ++i) {
    check(static_cast<double>(rng() % 100000) / static_cast<double>(1 + rng() % 400));
    check(static_cast<double>(rng() % 10'000'000) / 100.0);
    check(unit(rng) * std::pow(10.0, static_cast<int>(rng() % 40) - 20));
  }
  for (int e = -320; e <= 308; ++e) {
    const double p = std::pow(10.0, e);
    check(p);
    check(std::nextafter(p, 0.0));
    check(std::nextafter(p, 2 * p));
  }
  CHECK(differ == 0);
  CHECK(first == "");
}
