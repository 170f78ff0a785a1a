// The drawing primitives of the SVG charts (svg_plot.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "svg_plot.hpp"

namespace csm::io::svg::draw {

std::string num(double v) {
  if (!std::isfinite(v) || std::fabs(v) < 0.05) v = 0;
  return fmt::format("{:.1f}", v);
}

std::size_t text_length(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;  // count code points, not bytes
  }
  return n;
}

double text_width(std::string_view text) { return kCharWidth * static_cast<double>(text_length(text)); }

std::string marker_path(Marker marker, double x, double y, double r) {
  switch (marker) {
    case Marker::square:
      return fmt::format("M{} {}h{}v{}h-{}z", num(x - r), num(y - r), num(2 * r), num(2 * r), num(2 * r));
    case Marker::triangle:
      return fmt::format("M{} {}L{} {}L{} {}z", num(x), num(y - 1.2 * r), num(x + 1.1 * r),
                         num(y + 0.9 * r), num(x - 1.1 * r), num(y + 0.9 * r));
    case Marker::diamond:
      return fmt::format("M{} {}L{} {}L{} {}L{} {}z", num(x), num(y - 1.3 * r), num(x + 1.3 * r), num(y),
                         num(x), num(y + 1.3 * r), num(x - 1.3 * r), num(y));
    case Marker::circle:
      break;
  }
  // A circle as two arcs, so that every marker is a path.
  return fmt::format("M{} {}a{} {} 0 1 0 {} 0a{} {} 0 1 0 -{} 0z", num(x - r), num(y), num(r), num(r),
                     num(2 * r), num(r), num(r), num(2 * r));
}

void open_svg(std::string& out, const ChartText& text, double width, double height) {
  out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" "
      "height=\"{h}\" role=\"img\" id=\"{id}\" aria-label=\"{t}\" aria-describedby=\"{id}-desc\">\n"
      "<title>{t}</title>\n<desc id=\"{id}-desc\">{d}</desc>\n",
      fmt::arg("w", num(width)), fmt::arg("h", num(height)), fmt::arg("id", escape(text.id)),
      fmt::arg("t", escape(text.title)), fmt::arg("d", escape(text.description)));
}

void close_svg(std::string& out) { out += "</svg>\n"; }

std::string tick_label(double value, const Ticks& ticks, Unit unit) {
  const double span = std::max(std::fabs(ticks.min), std::fabs(ticks.max));
  if (unit != Unit::percent && span >= 1e6) {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(ticks.step / 1e6) + 1e-9)));
    return format_number(value / 1e6, decimals) + "M";
  }
  return format_number(value, ticks.decimals) + (unit == Unit::percent ? "%" : "");
}

void y_axis(std::string& out, const Plot& plot, Unit unit, const std::string& y_label) {
  out += "<g class=\"axis y-axis\">\n";
  for (const double v : plot.y.values) {
    const double y = plot.y_of(v);
    out += fmt::format("<line class=\"{}\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>", v == 0 ? "zero" : "grid",
                       num(plot.frame.left), num(plot.right()), num(y), num(y));
    out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                       num(plot.frame.left - 6), num(y + 4), escape(tick_label(v, plot.y, unit)));
  }
  const double middle = plot.frame.top + plot.frame.plot_height() / 2;
  out += fmt::format(
      "<text class=\"axis-title\" transform=\"rotate(-90)\" x=\"{}\" y=\"14\" text-anchor=\"middle\">{}</text>\n",
      num(-middle), escape(y_label));
  out += "</g>\n";
}

// Category labels under the plot, thinned out so that they do not overlap.
void x_axis(std::string& out, const Plot& plot, const std::vector<std::string>& categories,
            const std::string& title, bool thin) {
  out += "<g class=\"axis x-axis\">\n";
  out += fmt::format("<line class=\"baseline\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\n", num(plot.frame.left),
                     num(plot.right()), num(plot.bottom()), num(plot.bottom()));
  double widest = 0;
  for (const std::string& c : categories) widest = std::max(widest, text_width(c) + 10);
  std::size_t every = 1;
  if (thin && plot.band() > 0) every = static_cast<std::size_t>(std::max(1.0, std::ceil(widest / plot.band())));
  for (std::size_t i = 0; i < categories.size(); i += every) {
    out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(plot.x(i)),
                       num(plot.bottom() + 16), escape(categories[i]));
  }
  if (!title.empty()) {
    out += fmt::format("<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       num(plot.frame.left + plot.frame.plot_width() / 2), num(plot.bottom() + 34), escape(title));
  }
  out += "</g>\n";
}

void legend(std::string& out, const std::vector<LegendEntry>& entries, const Frame& frame) {
  if (entries.empty()) return;
  out += "<g class=\"legend\">\n";
  double x = frame.left;
  double y = 14;
  for (const LegendEntry& e : entries) {
    const double width = (e.line ? 30 : 18) + text_width(e.label) + 16;
    if (x > frame.left && x + width > frame.width - frame.right) {
      x = frame.left;
      y += 16;
    }
    if (e.line) {
      out += fmt::format("<path d=\"M{} {}h24\" stroke=\"{}\" stroke-width=\"2\" fill=\"none\"{}/>", num(x),
                         num(y - 4), e.colour,
                         *kDashes[e.style % kDashes.size()]
                             ? fmt::format(" stroke-dasharray=\"{}\"", kDashes[e.style % kDashes.size()])
                             : "");
      out += fmt::format("<path d=\"{}\" fill=\"{}\"/>",
                         marker_path(kMarkers[e.style % kMarkers.size()], x + 12, y - 4, 3.5), e.colour);
      x += 30;
    } else {
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>", num(x), num(y - 10),
                         e.colour);
      x += 18;
    }
    out += fmt::format("<text class=\"legend-label\" x=\"{}\" y=\"{}\">{}</text>\n", num(x), num(y),
                       escape(e.label));
    x += text_width(e.label) + 16;
  }
  out += "</g>\n";
}

void no_data(std::string& out, const Frame& frame) {
  out += fmt::format("<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>\n",
                     num(frame.left + frame.plot_width() / 2), num(frame.top + frame.plot_height() / 2));
}

void draw_series(std::string& out, const Plot& plot, const Series& s, const std::vector<std::string>& categories,
                 Unit unit, const std::string& colour, std::size_t style, bool markers) {
  std::string d;
  bool pen_down = false;
  for (std::size_t i = 0; i < s.values.size() && i < plot.count; ++i) {
    if (!s.values[i] || !std::isfinite(*s.values[i])) {
      pen_down = false;  // a gap, not a zero
      continue;
    }
    d += fmt::format("{}{} {}", pen_down ? "L" : (d.empty() ? "M" : " M"), num(plot.x(i)),
                     num(plot.y_of(*s.values[i])));
    pen_down = true;
  }
  out += fmt::format("<g class=\"series\" data-series=\"{}\">\n", escape(s.label));
  if (!d.empty()) {
    const char* dash = kDashes[style % kDashes.size()];
    out += fmt::format("<path class=\"line\" d=\"{}\" stroke=\"{}\" stroke-width=\"2\" fill=\"none\"{}/>\n", d,
                       colour, *dash ? fmt::format(" stroke-dasharray=\"{}\"", dash) : "");
  }
  for (std::size_t i = 0; i < s.values.size() && i < plot.count; ++i) {
    if (!s.values[i] || !std::isfinite(*s.values[i])) continue;
    // A lone value between two gaps has no line: it always gets its marker.
    const bool alone = (i == 0 || !s.values[i - 1]) && (i + 1 >= s.values.size() || !s.values[i + 1]);
    if (!markers && !alone) continue;
    out += fmt::format("<path class=\"marker\" d=\"{}\" fill=\"{}\"><title>{} {}: {}</title></path>\n",
                       marker_path(kMarkers[style % kMarkers.size()], plot.x(i), plot.y_of(*s.values[i]), 3.5),
                       colour, escape(s.label), escape(i < categories.size() ? categories[i] : ""),
                       escape(format_value(*s.values[i], unit)));
  }
  out += "</g>\n";
}

std::string colour_of(const Series& s, std::size_t index) {
  return s.colour.empty() ? palette()[index % palette().size()] : s.colour;
}

}  // namespace csm::io::svg::draw
