#include "csm/io/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "csm/io/utf8.hpp"
#include "text_output.hpp"

#include "svg_plot.hpp"

// The number formats and ticks of the charts, and the line charts (one chart, small multiples).
// Bars and waterfalls: svg_bar_charts.cpp; heat maps: svg_heat_map.cpp.

namespace csm::io::svg {
namespace {

using draw::num;
using draw::open_svg;
using draw::close_svg;
using draw::tick_label;
using draw::Plot;
using draw::y_axis;
using draw::x_axis;
using draw::LegendEntry;
using draw::legend;
using draw::no_data;
using draw::Range;
using draw::draw_series;
using draw::colour_of;

}  // namespace

double nice_number(double x, bool round) noexcept {
  if (!(x > 0) || !std::isfinite(x)) return 1;
  const double exponent = std::floor(std::log10(x));
  const double power = std::pow(10.0, exponent);
  // 1 <= fraction < 10, up to rounding: 0.7 / 0.1 is 6.999999999999999, so compare with a margin.
  const double fraction = x / power;
  constexpr double e = 1e-9;
  double nice = 10;
  if (round) {
    nice = fraction < 1.5 - e ? 1 : fraction < 3 - e ? 2 : fraction < 7 - e ? 5 : 10;
  } else {
    nice = fraction <= 1 + e ? 1 : fraction <= 2 + e ? 2 : fraction <= 5 + e ? 5 : 10;
  }
  return nice * power;
}

Ticks nice_ticks(double lo, double hi, int target, bool integers) {
  if (!std::isfinite(lo) && !std::isfinite(hi)) lo = hi = 0;
  if (!std::isfinite(lo)) lo = hi;
  if (!std::isfinite(hi)) hi = lo;
  if (lo > hi) std::swap(lo, hi);
  if (lo == hi) {
    // A flat series: a unit range around it (0..1 for zero).
    if (lo == 0) {
      hi = 1;
    } else {
      const double pad = nice_number(std::fabs(lo), false) / 10;
      lo -= pad;
      hi += pad;
    }
  }
  target = std::max(target, 2);
  const double range = nice_number(hi - lo, false);
  double step = nice_number(range / (target - 1), true);
  if (integers && step < 1) step = 1;  // counts: no 0.2 of a customer
  Ticks t;
  t.step = step;
  t.min = std::floor(lo / step + 1e-9) * step;
  t.max = std::ceil(hi / step - 1e-9) * step;
  t.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  const auto count = static_cast<std::int64_t>(std::llround((t.max - t.min) / step));
  const double scale = std::pow(10.0, t.decimals);
  for (std::int64_t i = 0; i <= count; ++i) {
    // Multiply from the start instead of adding steps, then round away float noise.
    const double v = std::round((t.min + static_cast<double>(i) * step) * scale) / scale;
    t.values.push_back(v == 0 ? 0 : v);
  }
  t.min = t.values.front();
  t.max = t.values.back();
  return t;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t bad = first_invalid_utf8(text);
    const std::string_view good = text.substr(0, bad);
    for (std::size_t i = 0; i < good.size(); ++i) {
      const char c = good[i];
      // A bidirectional control (U+202E, ...) from the data could reorder the text around it
      // in a <title> or a label: shown as its code, as the tables do.
      if (const std::uint32_t bidi = text::bidi_control_at(good, i)) {
        out += fmt::format("\\u{:04x}", bidi);
        i += bidi < 0x800 ? 1 : 2;
        continue;
      }
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          // XML 1.0 allows only tab, line feed and carriage return below U+0020.
          if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            out += "\xef\xbf\xbd";
          } else {
            out.push_back(c);
          }
      }
    }
    if (bad == std::string_view::npos) break;
    out += "\xef\xbf\xbd";  // an invalid byte or a NUL
    text.remove_prefix(bad + 1);
  }
  return out;
}

std::string format_number(double value, int decimals) {
  if (!std::isfinite(value)) return "-";
  std::string plain = fmt::format("{:.{}f}", std::fabs(value), std::max(decimals, 0));
  const std::size_t dot = plain.find('.');
  const std::string whole = plain.substr(0, dot);
  std::string out;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(whole[i]);
  }
  if (dot != std::string::npos) out += plain.substr(dot);
  const bool negative = value < 0 && plain.find_first_not_of("0.") != std::string::npos;
  return (negative ? "\xe2\x88\x92" : "") + out;
}

std::string format_value(double value, Unit unit) {
  switch (unit) {
    case Unit::percent:
      return format_number(value, 1) + "%";
    case Unit::money:
      return format_number(value, 2);
    case Unit::count:
      break;
  }
  return format_number(value, value == std::round(value) ? 0 : 2);
}

const std::vector<std::string>& palette() {
  static const std::vector<std::string> colours = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                   "#E69F00", "#56B4E9", "#000000"};
  return colours;
}

std::string line_chart(const LineChart& chart, const Frame& frame) {
  Range range;
  for (const Series& s : chart.series) {
    for (const auto& v : s.values) {
      if (v) range.add(*v);
    }
  }
  const bool any = range.any;
  if (chart.y_floor) range.add(*chart.y_floor);
  if (chart.y_ceiling) range.add(*chart.y_ceiling);
  Plot plot{frame, nice_ticks(range.any ? range.lo : 0, range.any ? range.hi : 1, 5, chart.unit == Unit::count),
            chart.categories.size()};

  std::string out;
  open_svg(out, chart.text, frame.width, frame.height);
  std::vector<LegendEntry> entries;
  std::vector<std::string> colours;
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    colours.push_back(colour_of(chart.series[i], i));
    entries.push_back({chart.series[i].label, colours.back(), true, i});
  }
  legend(out, entries, frame);
  y_axis(out, plot, chart.unit, chart.y_label);
  x_axis(out, plot, chart.categories, chart.x_label);
  if (!any) no_data(out, frame);
  const bool markers = chart.categories.size() <= 40;
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    draw_series(out, plot, chart.series[i], chart.categories, chart.unit, colours[i], i, markers);
  }
  close_svg(out);
  return out;
}


std::string small_multiples(const SmallMultiples& chart, const Frame& panel) {
  Range range;
  for (const Series& s : chart.panels) {
    for (const auto& v : s.values) {
      if (v) range.add(*v);
    }
  }
  if (chart.y_floor) range.add(*chart.y_floor);
  if (chart.y_ceiling) range.add(*chart.y_ceiling);
  const Ticks ticks = nice_ticks(range.any ? range.lo : 0, range.any ? range.hi : 1, 3, chart.unit == Unit::count);
  const std::size_t columns = std::max<std::size_t>(chart.columns, 1);
  const std::size_t rows = std::max<std::size_t>((chart.panels.size() + columns - 1) / columns, 1);
  constexpr double kHeader = 20;  // one line naming the shared y axis
  const double width = panel.width * static_cast<double>(columns);
  const double height = kHeader + panel.height * static_cast<double>(rows);

  std::string out;
  open_svg(out, chart.text, width, height);
  out += fmt::format("<text class=\"axis-title\" x=\"4\" y=\"14\">{} (same scale in every panel)</text>\n",
                     escape(chart.y_label));
  // Only the first and the last category under each panel: the panels are small.
  std::vector<std::string> ends(chart.categories.size());
  if (!ends.empty()) {
    ends.front() = chart.categories.front();
    ends.back() = chart.categories.back();
  }
  for (std::size_t p = 0; p < chart.panels.size(); ++p) {
    const double dx = panel.width * static_cast<double>(p % columns);
    const std::size_t row = p / columns;
    const double dy = kHeader + panel.height * static_cast<double>(row);
    out += fmt::format("<g class=\"panel\" transform=\"translate({} {})\">\n", num(dx), num(dy));
    out += fmt::format("<text class=\"panel-title\" x=\"{}\" y=\"16\">{}</text>\n", num(panel.left),
                       escape(chart.panels[p].label));
    Plot plot{panel, ticks, chart.categories.size()};
    out += "<g class=\"axis y-axis\">\n";
    for (const double v : ticks.values) {
      const double y = plot.y_of(v);
      out += fmt::format("<line class=\"{}\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>", v == 0 ? "zero" : "grid",
                         num(panel.left), num(plot.right()), num(y), num(y));
      out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                         num(panel.left - 4), num(y + 4), escape(tick_label(v, ticks, chart.unit)));
    }
    out += "</g>\n<g class=\"axis x-axis\">\n";
    out += fmt::format("<line class=\"baseline\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\n", num(panel.left),
                       num(plot.right()), num(plot.bottom()), num(plot.bottom()));
    for (std::size_t i = 0; i < ends.size(); ++i) {
      if (ends[i].empty()) continue;
      const char* anchor = ends.size() == 1 ? "middle" : i == 0 ? "start" : "end";
      const double x = ends.size() == 1 ? plot.x(i) : i == 0 ? panel.left : plot.right();
      out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>\n", num(x),
                         num(plot.bottom() + 16), anchor, escape(ends[i]));
    }
    out += "</g>\n";
    draw_series(out, plot, chart.panels[p], chart.categories, chart.unit, colour_of(chart.panels[p], 0), 0,
                chart.categories.size() <= 24);
    out += "</g>\n";
  }
  close_svg(out);
  return out;
}


}  // namespace csm::io::svg
