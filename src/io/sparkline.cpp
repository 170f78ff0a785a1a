#include "csm/io/sparkline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace csm::io {
namespace {

constexpr const char* kBlocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                    "\u2585", "\u2586", "\u2587", "\u2588"};
// Six characters whose ink and height rise together: under the line, on it, a bar at mid height,
// two bars, a star in the upper half, a full cell (docs/alerts.md says why not eight).
constexpr char kRamp[7] = "_.-=*#";
constexpr std::size_t kLabelWidth = 12;  // "retention%" and two spaces

}  // namespace

std::size_t spark_levels(SparkCharset charset) noexcept {
  return charset == SparkCharset::unicode ? 8 : 6;
}

std::string sparkline(std::span<const std::optional<double>> values, SparkCharset charset,
                      SparkScale scale) {
  const std::size_t top = spark_levels(charset) - 1;
  std::string out;
  for (const auto& v : values) {
    if (!v) {
      out.push_back(' ');
      continue;
    }
    std::size_t level = top / 2;  // an empty scale: the middle (lower middle) level
    if (scale.high > scale.low) {
      const double scaled =
          std::round((*v - scale.low) / (scale.high - scale.low) * static_cast<double>(top));
      level = static_cast<std::size_t>(std::clamp(scaled, 0.0, static_cast<double>(top)));
    }
    if (charset == SparkCharset::unicode) {
      out += kBlocks[level];
    } else {
      out.push_back(kRamp[level]);
    }
  }
  return out;
}

std::string trend_lines(const std::vector<PeriodMetrics>& periods, SparkCharset charset,
                        std::size_t width, Grain grain) {
  if (periods.size() < 2) return {};
  struct Line {
    const char* label;
    Rate PeriodMetrics::*member;
  };
  static constexpr Line kLines[] = {{"churn%", &PeriodMetrics::churn_rate},
                                    {"retention%", &PeriodMetrics::retention_rate},
                                    {"nrr%", &PeriodMetrics::nrr},
                                    {"grr%", &PeriodMetrics::grr},
                                    {"csat%", &PeriodMetrics::csat}};
  // Low and high are printed with one decimal, like the table; at most "100.0" for rates below
  // 1000 %, but nrr can be larger, so measure.
  const auto text = [](double v) { return fmt::format("{:.1f}", v); };
  std::size_t low_width = 0;
  std::size_t high_width = 0;
  for (const Line& line : kLines) {
    for (const PeriodMetrics& m : periods) {
      if (const Rate v = m.*line.member) {
        low_width = std::max(low_width, text(*v).size());
        high_width = std::max(high_width, text(*v).size());
      }
    }
  }
  const std::size_t tail = 2 + 4 + low_width + 2 + 5 + high_width;  // "  low X  high Y"
  const std::size_t room = width > kLabelWidth + tail + 2 ? width - kLabelWidth - tail : 2;
  const std::size_t shown = std::min(periods.size(), room);
  const std::size_t first = periods.size() - shown;

  std::size_t drawn_low = 0;
  std::size_t drawn_high = 0;
  struct Drawn {
    const char* label;
    std::string spark;
    std::string low;
    std::string high;
  };
  // One scale for every line (all are percentages): 0 % is the floor, 100 % the ceiling, or the
  // highest value shown when one is above 100 (an nrr), so that heights compare across lines and a
  // rate moving from 95.4 to 95.9 stays a flat line near the top.
  SparkScale scale{0.0, 100.0};
  for (const Line& line : kLines) {
    for (std::size_t i = first; i < periods.size(); ++i) {
      if (const Rate v = periods[i].*line.member) scale.high = std::max(scale.high, *v);
    }
  }
  std::vector<Drawn> drawn;
  for (const Line& line : kLines) {
    std::vector<std::optional<double>> values;
    std::optional<double> low;
    std::optional<double> high;
    for (std::size_t i = first; i < periods.size(); ++i) {
      const Rate v = periods[i].*line.member;
      values.push_back(v);
      if (v) {
        low = low ? std::min(*low, *v) : *v;
        high = high ? std::max(*high, *v) : *v;
      }
    }
    if (!low) continue;
    drawn.push_back({line.label, sparkline(values, charset, scale), text(*low), text(*high)});
    drawn_low = std::max(drawn_low, drawn.back().low.size());
    drawn_high = std::max(drawn_high, drawn.back().high.size());
  }
  if (drawn.empty()) return {};

  std::string out = fmt::format("trend {}..{}", period_label(periods[first].period, grain),
                                period_label(periods.back().period, grain));
  if (first > 0) out += fmt::format(", last {} of {} months", shown, periods.size());
  std::string ceiling = text(scale.high);
  if (ceiling.ends_with(".0")) ceiling.resize(ceiling.size() - 2);
  out += fmt::format(", all on one scale 0-{}%", ceiling);
  out.push_back('\n');
  for (const Drawn& d : drawn) {
    out += fmt::format("{:<{}}{}  low {:>{}}  high {:>{}}\n", d.label, kLabelWidth, d.spark, d.low,
                       drawn_low, d.high, drawn_high);
  }
  return out;
}

}  // namespace csm::io
