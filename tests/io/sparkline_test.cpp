// Sparklines and the trend block under the compute table. Levels worked out by hand:
// level = round((v - low) / (high - low) * (levels - 1)) on the caller's scale, ASCII ramp _.-=*#
// (6 levels) or blocks ▁▂▃▄▅▆▇█ (8 levels); the trend block draws every line on 0..100 % (issue 18).

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

TEST_CASE("sparkline: levels on the given scale, null as a space", "[io][sparkline]") {
  using csm::io::SparkScale;
  CHECK(csm::io::spark_levels(SparkCharset::ascii) == 6);
  CHECK(csm::io::spark_levels(SparkCharset::unicode) == 8);
  // Scale 0..100. ASCII, level = round(v / 100 * 5): 0 -> 0 _, 100 -> 5 #, 45 -> 2.25 -> 2 -,
  // null, 95.4 -> 4.77 -> 5 #, 95.9 -> 4.795 -> 5 #, 25 -> 1.25 -> 1 ., 62 -> 3.1 -> 3 =,
  // 75 -> 3.75 -> 4 *.
  const std::vector<std::optional<double>> v = {0.0, 100.0, 45.0, std::nullopt, 95.4, 95.9, 25.0, 62.0, 75.0};
  CHECK(csm::io::sparkline(v, SparkCharset::ascii, SparkScale{0.0, 100.0}) == "_#- ##.=*");
  // Blocks, level = round(v / 100 * 7): 0 -> 0, 100 -> 7, 45 -> 3.15 -> 3, null, 95.4 -> 6.68 -> 7,
  // 95.9 -> 6.71 -> 7, 25 -> 1.75 -> 2, 62 -> 4.34 -> 4, 75 -> 5.25 -> 5.
  CHECK(csm::io::sparkline(v, SparkCharset::unicode, SparkScale{0.0, 100.0}) ==
        "\u2581\u2588\u2584 \u2588\u2588\u2583\u2585\u2586");
  // A grr from 95.4 to 95.9 on the shared scale is a flat line at the top, not floor to ceiling.
  const std::vector<std::optional<double>> grr = {95.4, 95.6, 95.9};
  CHECK(csm::io::sparkline(grr, SparkCharset::ascii, SparkScale{0.0, 100.0}) == "###");
  // Scale 90..100: 96 -> round(0.6 * 5) = 3 =, 92 -> round(0.2 * 5) = 1 ., outside clamped:
  // 80 -> _, 120 -> #.
  const std::vector<std::optional<double>> w = {96.0, 92.0, 80.0, 120.0};
  CHECK(csm::io::sparkline(w, SparkCharset::ascii, SparkScale{90.0, 100.0}) == "=._#");
}

TEST_CASE("sparkline: empty scale, empty and all-null series", "[io][sparkline]") {
  using csm::io::SparkScale;
  // high <= low: the middle level, - (2 of 0..5) or the fourth block (3 of 0..7).
  const std::vector<std::optional<double>> flat = {2.0, std::nullopt, 2.0};
  CHECK(csm::io::sparkline(flat, SparkCharset::ascii, SparkScale{2.0, 2.0}) == "- -");
  CHECK(csm::io::sparkline(flat, SparkCharset::unicode, SparkScale{2.0, 2.0}) == "\u2584 \u2584");
  const std::vector<std::optional<double>> none = {std::nullopt, std::nullopt};
  CHECK(csm::io::sparkline(none, SparkCharset::ascii, SparkScale{}) == "  ");
  CHECK(csm::io::sparkline({}, SparkCharset::ascii, SparkScale{}).empty());
}

TEST_CASE("trend lines: one per rate with a value, low and high beside", "[io][sparkline]") {
  std::vector<PeriodMetrics> p = months(3);
  p[1].churn_rate = 12.0;
  p[2].churn_rate = 0.0;
  p[1].retention_rate = 88.0;
  p[2].retention_rate = 100.0;
  // nrr, grr, csat: all null -> no line. Scale 0..100, ASCII level = round(v / 20):
  // churn 12 -> 0.6 -> 1 ., 0 -> _; retention 88 -> 4.4 -> 4 *, 100 -> #.
  const std::string text = csm::io::trend_lines(p, SparkCharset::ascii);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "trend 2020-01..2020-03, all on one scale 0-100%");
  //            label (12)   spark  low (width 4)  high (width 5)
  CHECK(lines[1] == "churn%       ._  low  0.0  high  12.0");
  CHECK(lines[2] == "retention%   *#  low 88.0  high 100.0");
}

TEST_CASE("trend lines: one scale for all lines, up to the highest value above 100", "[io][sparkline]") {
  std::vector<PeriodMetrics> p = months(3);
  p[1].nrr = 200.0;
  p[2].nrr = 80.0;
  p[1].grr = 95.4;
  p[2].grr = 95.9;
  // Scale 0..200. ASCII level = round(v / 40): nrr 200 -> 5 #, 80 -> 2 -; grr 95.4 -> 2.385 -> 2 -,
  // 95.9 -> 2.3975 -> 2 -. Blocks, level = round(v / 200 * 7): 200 -> 7, 80 -> 2.8 -> 3,
  // 95.4 -> 3.339 -> 3, 95.9 -> 3.357 -> 3.
  auto lines = lines_of(csm::io::trend_lines(p, SparkCharset::ascii));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "trend 2020-01..2020-03, all on one scale 0-200%");
  CHECK(lines[1] == "nrr%         #-  low 80.0  high 200.0");
  CHECK(lines[2] == "grr%         --  low 95.4  high  95.9");
  lines = lines_of(csm::io::trend_lines(p, SparkCharset::unicode));
  REQUIRE(lines.size() == 3);
  CHECK(lines[1] == "nrr%         \u2588\u2584  low 80.0  high 200.0");
  CHECK(lines[2] == "grr%         \u2584\u2584  low 95.4  high  95.9");
  // A ceiling with a fraction keeps its decimal.
  p[1].nrr = 108.7;
  lines = lines_of(csm::io::trend_lines(p, SparkCharset::ascii));
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "trend 2020-01..2020-03, all on one scale 0-108.7%");
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
    CHECK(lines[0] == "trend 2021-04..2024-12, last 45 of 60 months, all on one scale 0-159%");
    CHECK(columns(lines[2]) == 80);
    // nrr over the shown months: 100 + 15 .. 100 + 59.
    CHECK_THAT(lines[2], Catch::EndsWith("low 115.0  high 159.0"));
  }
}
