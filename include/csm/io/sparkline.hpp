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

/// Unicode blocks ▁▂▃▄▅▆▇█ (a UTF-8 terminal) or the ASCII ramp _.-~=+*# (anything else).
enum class SparkCharset { ascii, unicode };

/// One character per value, lowest to highest level between the smallest and largest defined
/// value (8 levels; all equal: the middle level); null is a space.
std::string sparkline(std::span<const std::optional<double>> values, SparkCharset charset);

/// The trend block: a heading and one line per key rate (churn, retention, nrr, grr, csat; rates
/// without a defined value left out) with its low and high, the most recent months that fit in
/// `width` columns, labelled at `grain`. Empty with fewer than 2 periods or no line to draw.
std::string trend_lines(const std::vector<PeriodMetrics>& periods, SparkCharset charset,
                        std::size_t width = 80, Grain grain = Grain::month);

}  // namespace csm::io
