#pragma once
/// Sparklines: a series of values drawn as one character each, for the trend lines under the
/// `compute` table. For people only; the machine formats never carry them.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "csm/grain.hpp"
#include "csm/period_metrics.hpp"

namespace csm::io {

/// Unicode blocks ▁▂▃▄▅▆▇█ (8 levels, a UTF-8 locale) or the ASCII ramp _.-=*# (6 levels, any
/// other locale): characters whose height (blocks) or ink (ASCII) rises with the level.
enum class SparkCharset { ascii, unicode };

/// The range a sparkline is drawn on: `low` is the lowest level, `high` the highest.
struct SparkScale {
  double low = 0.0;
  double high = 100.0;
};

/// The number of levels of `charset`: 8 (unicode) or 6 (ascii).
std::size_t spark_levels(SparkCharset charset) noexcept;

/// One character per value: level = round((v - low) / (high - low) * (levels - 1)), clamped to
/// the levels; an empty scale (high <= low) draws every value at the middle level (3 or 2); null
/// is a space. The scale is the caller's, shared by the lines that must compare.
std::string sparkline(std::span<const std::optional<double>> values, SparkCharset charset,
                      SparkScale scale);

/// The trend block: a heading and one line per key rate (churn, retention, nrr, grr, csat; rates
/// without a defined value left out) with its low and high, the most recent months that fit in
/// `width` columns, labelled at `grain`; every line on one scale, 0 % to 100 % (or the highest
/// value shown, if above 100 %), which the heading names. Empty with fewer than 2 periods or no line to draw.
std::string trend_lines(const std::vector<PeriodMetrics>& periods, SparkCharset charset,
                        std::size_t width = 80, Grain grain = Grain::month);

}  // namespace csm::io
