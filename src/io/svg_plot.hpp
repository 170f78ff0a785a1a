#pragma once
/// Private to csm_io (not installed): the drawing primitives the SVG charts share (svg_plot.cpp):
/// the <svg> element, the plot area, axes, legend, series lines and markers. The charts:
/// svg_chart.cpp (line charts, small multiples), svg_bar_charts.cpp (stacked bars, waterfall),
/// svg_heat_map.cpp.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "csm/io/svg_chart.hpp"

namespace csm::io::svg::draw {

inline constexpr double kCharWidth = 6.6;  // average width of a 12 px sans-serif character, for layout

// SVG coordinates with one decimal: enough for a screen and stable across platforms.
std::string num(double v);

// Code points, not bytes; the width of a text at kCharWidth per character.
std::size_t text_length(std::string_view text);
double text_width(std::string_view text);

inline constexpr std::array<const char*, 4> kDashes = {"", "7 4", "2 3", "9 3 2 3"};
enum class Marker { circle, square, triangle, diamond };
inline constexpr std::array<Marker, 4> kMarkers = {Marker::circle, Marker::square, Marker::triangle,
                                                   Marker::diamond};

std::string marker_path(Marker marker, double x, double y, double r);

void open_svg(std::string& out, const ChartText& text, double width, double height);
void close_svg(std::string& out);

// Tick labels: money and counts in millions get an "M" so that the axis stays narrow.
std::string tick_label(double value, const Ticks& ticks, Unit unit);

// The plot area of a chart with categories along x and values along y.
struct Plot {
  Frame frame;
  Ticks y;
  std::size_t count = 0;  // categories

  double band() const { return frame.plot_width() / static_cast<double>(std::max<std::size_t>(count, 1)); }
  double x(std::size_t i) const { return frame.left + band() * (static_cast<double>(i) + 0.5); }
  double y_of(double v) const {
    return frame.top + frame.plot_height() * (y.max - v) / (y.max - y.min);
  }
  double bottom() const { return frame.top + frame.plot_height(); }
  double right() const { return frame.left + frame.plot_width(); }
};

void y_axis(std::string& out, const Plot& plot, Unit unit, const std::string& y_label);

// Category labels under the plot, thinned out so that they do not overlap.
void x_axis(std::string& out, const Plot& plot, const std::vector<std::string>& categories,
            const std::string& title, bool thin = true);

// Legend entries left to right from the plot's left edge, wrapping at the frame's width.
struct LegendEntry {
  std::string label;
  std::string colour;
  bool line = false;  // a line sample with a marker, else a filled square
  std::size_t style = 0;
};

void legend(std::string& out, const std::vector<LegendEntry>& entries, const Frame& frame);

void no_data(std::string& out, const Frame& frame);

// Value range of some series plus the values an axis must include.
struct Range {
  double lo = 0;
  double hi = 0;
  bool any = false;
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = any ? std::min(lo, v) : v;
    hi = any ? std::max(hi, v) : v;
    any = true;
  }
};

// One series as a path broken at every nullopt, plus its markers.
void draw_series(std::string& out, const Plot& plot, const Series& s, const std::vector<std::string>& categories,
                 Unit unit, const std::string& colour, std::size_t style, bool markers);

// The series' own colour, else the palette's colour for its index.
std::string colour_of(const Series& s, std::size_t index);

}  // namespace csm::io::svg::draw
