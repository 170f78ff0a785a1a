// Sparklines and the trend block under the compute table. Levels worked out by hand:
// level = round((v - low) / (high - low) * 7), ramp _.-~=+*# or ▁▂▃▄▅▆▇█.

#include "csm/io/sparkline.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using csm::PeriodMetrics;
using csm::YearMonth;
using csm::io::SparkCharset;

namespace {

// Characters on screen: UTF-8 code points (each block is one column).
std::size_t columns(const std::string& text) {
  std::size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::vector<PeriodMetrics> months(std::size_t count) {
  std::vector<PeriodMetrics> periods(count);
  for (std::size_t i = 0; i < count; ++i) {
    periods[i].period = YearMonth::from(2020, 1) ;
    periods[i].period.index += static_cast<std::int32_t>(i);
  }
  return periods;
}

}  // namespace

TEST_CASE("sparkline: levels between low and high, null as a space", "[io][sparkline]") {
  // low 0, high 7: 0 -> 0, 7 -> 7, 3.5 -> round(3.5) = 4, null, 1 -> 1.
  const std::vector<std::optional<double>> v = {0.0, 7.0, 3.5, std::nullopt, 1.0};
  CHECK(csm::io::sparkline(v, SparkCharset::ascii) == "_#= .");
  CHECK(csm::io::sparkline(v, SparkCharset::unicode) == "\u2581\u2588\u2585 \u2582");
  // low 90, high 100: 95 -> round(3.5) = 4; 92 -> round(1.4) = 1; 99 -> round(6.3) = 6.
  const std::vector<std::optional<double>> w = {100.0, 95.0, 92.0, 99.0, 90.0};
  CHECK(csm::io::sparkline(w, SparkCharset::ascii) == "#=.*_");
}

TEST_CASE("sparkline: flat, empty and all-null series", "[io][sparkline]") {
  const std::vector<std::optional<double>> flat = {2.0, std::nullopt, 2.0};
  CHECK(csm::io::sparkline(flat, SparkCharset::ascii) == "~ ~");
  CHECK(csm::io::sparkline(flat, SparkCharset::unicode) == "\u2584 \u2584");
  const std::vector<std::optional<double>> none = {std::nullopt, std::nullopt};
  CHECK(csm::io::sparkline(none, SparkCharset::ascii) == "  ");
  CHECK(csm::io::sparkline({}, SparkCharset::ascii).empty());
}

TEST_CASE("trend lines: one per rate with a value, low and high beside", "[io][sparkline]") {
  std::vector<PeriodMetrics> p = months(3);
  p[1].churn_rate = 10.0;
  p[2].churn_rate = 0.0;
  p[1].retention_rate = 90.0;
  p[2].retention_rate = 100.0;
  // nrr, grr, csat: all null -> no line.
  const std::string text = csm::io::trend_lines(p, SparkCharset::ascii);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "trend 2020-01..2020-03");
  //            label (12)   spark  low (width 4)  high (width 5)
  CHECK(lines[1] == "churn%       #_  low  0.0  high  10.0");
  CHECK(lines[2] == "retention%   _#  low 90.0  high 100.0");
}

TEST_CASE("trend lines: nothing for one period or no defined rate", "[io][sparkline]") {
  std::vector<PeriodMetrics> one = months(1);
  one[0].csat = 50.0;
  CHECK(csm::io::trend_lines(one, SparkCharset::ascii).empty());
  CHECK(csm::io::trend_lines(months(5), SparkCharset::ascii).empty());
}

TEST_CASE("trend lines: the latest months that fit 80 columns", "[io][sparkline]") {
  std::vector<PeriodMetrics> p = months(60);
  for (std::size_t i = 0; i < p.size(); ++i) {
    p[i].churn_rate = static_cast<double>(i % 7);
    p[i].nrr = 100.0 + static_cast<double>(i);
  }
  for (const SparkCharset charset : {SparkCharset::ascii, SparkCharset::unicode}) {
    const auto lines = lines_of(csm::io::trend_lines(p, charset));
    REQUIRE(lines.size() == 3);
    for (const std::string& line : lines) {
      CAPTURE(line);
      CHECK(columns(line) <= 80);
    }
    // Tail "  low X  high Y": low and high widths are those of "159.0" (5): 2+4+5+2+5+5 = 23;
    // room = 80 - 12 - 23 = 45 months: 2020-01 + 15 = 2021-04 .. 2024-12.
    CHECK(lines[0] == "trend 2021-04..2024-12, last 45 of 60 months");
    CHECK(columns(lines[2]) == 80);
    // nrr over the shown months: 100 + 15 .. 100 + 59.
    CHECK_THAT(lines[2], Catch::EndsWith("low 115.0  high 159.0"));
  }
}
