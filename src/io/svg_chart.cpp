#include "csm/io/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "csm/io/utf8.hpp"
#include "text_output.hpp"

namespace csm::io::svg {
namespace {

constexpr double kCharWidth = 6.6;  // average width of a 12 px sans-serif character, for layout

// SVG coordinates with one decimal: enough for a screen and stable across platforms.
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

const std::array<const char*, 4> kDashes = {"", "7 4", "2 3", "9 3 2 3"};
enum class Marker { circle, square, triangle, diamond };
const std::array<Marker, 4> kMarkers = {Marker::circle, Marker::square, Marker::triangle, Marker::diamond};

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

// Tick labels: money and counts in millions get an "M" so that the axis stays narrow.
std::string tick_label(double value, const Ticks& ticks, Unit unit) {
  const double span = std::max(std::fabs(ticks.min), std::fabs(ticks.max));
  if (unit != Unit::percent && span >= 1e6) {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(ticks.step / 1e6) + 1e-9)));
    return format_number(value / 1e6, decimals) + "M";
  }
  return format_number(value, ticks.decimals) + (unit == Unit::percent ? "%" : "");
}

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
            const std::string& title, bool thin = true) {
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

// Legend entries left to right from the plot's left edge, wrapping at the frame's width.
struct LegendEntry {
  std::string label;
  std::string colour;
  bool line = false;  // a line sample with a marker, else a filled square
  std::size_t style = 0;
};

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

std::string stacked_bars(const StackedBars& chart, const Frame& frame) {
  const std::size_t n = chart.categories.size();
  auto stack_height = [](const std::vector<Series>& group, std::size_t i) {
    double total = 0;
    for (const Series& s : group) {
      if (i < s.values.size() && s.values[i] && *s.values[i] > 0) total += *s.values[i];
    }
    return total;
  };
  Range range;
  range.add(0);
  for (std::size_t i = 0; i < n; ++i) {
    range.add(stack_height(chart.up, i));
    range.add(-stack_height(chart.down, i));
  }
  Plot plot{frame, nice_ticks(range.lo, range.hi, 5, chart.unit == Unit::count), n};

  std::string out;
  open_svg(out, chart.text, frame.width, frame.height);
  // Legend and colours: the up series first, then the down series.
  std::vector<LegendEntry> entries;
  std::vector<std::string> up_colours;
  std::vector<std::string> down_colours;
  const std::vector<std::string>& colours = palette();
  std::size_t next = 0;
  for (const Series& s : chart.up) {
    up_colours.push_back(s.colour.empty() ? colours[next % colours.size()] : s.colour);
    ++next;
    entries.push_back({s.label, up_colours.back()});
  }
  for (const Series& s : chart.down) {
    down_colours.push_back(s.colour.empty() ? colours[next % colours.size()] : s.colour);
    ++next;
    entries.push_back({s.label + " (below 0)", down_colours.back()});
  }
  legend(out, entries, frame);
  y_axis(out, plot, chart.unit, chart.y_label);
  x_axis(out, plot, chart.categories, chart.x_label);

  const double width = std::max(1.0, plot.band() * 0.7);
  out += "<g class=\"bars\">\n";
  for (std::size_t i = 0; i < n; ++i) {
    const double left = plot.x(i) - width / 2;
    for (int direction : {1, -1}) {
      const std::vector<Series>& group = direction > 0 ? chart.up : chart.down;
      const std::vector<std::string>& fills = direction > 0 ? up_colours : down_colours;
      double base = 0;
      for (std::size_t s = 0; s < group.size(); ++s) {
        const auto& v = i < group[s].values.size() ? group[s].values[i] : std::nullopt;
        if (!v || !(*v > 0)) continue;
        const double next_base = base + direction * *v;
        const double top = plot.y_of(std::max(base, next_base));
        const double height = plot.y_of(std::min(base, next_base)) - top;
        out += fmt::format(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} {}: {}</title></rect>\n",
            num(left), num(top), num(width), num(height), fills[s], escape(chart.categories[i]),
            escape(group[s].label), escape(format_value(*v, chart.unit)));
        base = next_base;
      }
    }
  }
  out += "</g>\n";
  close_svg(out);
  return out;
}

std::vector<WaterfallBar> waterfall_layout(const std::vector<WaterfallStep>& steps) {
  std::vector<WaterfallBar> bars;
  double level = 0;
  for (const WaterfallStep& step : steps) {
    switch (step.kind) {
      case StepKind::total:
        bars.push_back({0, step.value});
        level = step.value;
        break;
      case StepKind::increase:
        bars.push_back({level, level + step.value});
        level += step.value;
        break;
      case StepKind::decrease:
        bars.push_back({level, level - step.value});
        level -= step.value;
        break;
    }
  }
  return bars;
}

std::string waterfall(const Waterfall& chart, const Frame& frame) {
  const std::vector<WaterfallBar> bars = waterfall_layout(chart.steps);
  Range range;
  range.add(0);
  for (const WaterfallBar& b : bars) {
    range.add(b.from);
    range.add(b.to);
  }
  // The value labels above the highest bar go into the top margin, under the legend.
  const Plot plot{frame, nice_ticks(range.lo, range.hi), bars.size()};

  std::string out;
  open_svg(out, chart.text, frame.width, frame.height);
  const std::string total_colour = "#0072B2";
  const std::string up_colour = "#009E73";
  const std::string down_colour = "#D55E00";
  legend(out,
         {{"total", total_colour}, {"increase (+)", up_colour}, {"decrease (\xe2\x88\x92)", down_colour}},
         frame);
  y_axis(out, plot, chart.unit, chart.y_label);
  std::vector<std::string> labels;
  for (const WaterfallStep& s : chart.steps) labels.push_back(s.label);
  x_axis(out, plot, labels, chart.x_label, false);

  const double width = std::max(1.0, plot.band() * 0.6);
  out += "<g class=\"bars\">\n";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const WaterfallStep& step = chart.steps[i];
    const double top = plot.y_of(std::max(bars[i].from, bars[i].to));
    const double height = std::fabs(plot.y_of(bars[i].from) - plot.y_of(bars[i].to));
    const std::string& fill = step.kind == StepKind::total      ? total_colour
                              : step.kind == StepKind::increase ? up_colour
                                                                : down_colour;
    // A zero step gets no sign ("0.00", not "-0.00").
    const std::string sign = step.value == 0 || step.kind == StepKind::total ? ""
                             : step.kind == StepKind::increase               ? "+"
                                                                             : "\xe2\x88\x92";
    const std::string value = sign + format_value(step.value, chart.unit);
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\n",
        num(plot.x(i) - width / 2), num(top), num(width), num(height), fill, escape(step.label), escape(value));
    out += fmt::format("<text class=\"value\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       num(plot.x(i)), num(top - 5), escape(value));
    if (i + 1 < bars.size()) {
      // A dashed connector at the running level, into the next bar.
      const double y = plot.y_of(bars[i].to);
      out += fmt::format("<line class=\"connector\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\n",
                         num(plot.x(i) + width / 2), num(plot.x(i + 1) - width / 2), num(y), num(y));
    }
  }
  out += "</g>\n";
  close_svg(out);
  return out;
}

std::string heat_colour(double share) {
  // ColorBrewer "Blues" (9 classes): ordered by lightness, so readable without hue and in grey.
  static const std::array<std::array<int, 3>, 9> stops = {{{247, 251, 255},
                                                           {222, 235, 247},
                                                           {198, 219, 239},
                                                           {158, 202, 225},
                                                           {107, 174, 214},
                                                           {66, 146, 198},
                                                           {33, 113, 181},
                                                           {8, 81, 156},
                                                           {8, 48, 107}}};
  if (!std::isfinite(share)) share = 0;
  share = std::clamp(share, 0.0, 1.0);
  const double at = share * static_cast<double>(stops.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(at), stops.size() - 2);
  const double f = at - static_cast<double>(i);
  std::array<int, 3> rgb{};
  for (std::size_t c = 0; c < 3; ++c) {
    rgb[c] = static_cast<int>(std::lround(stops[i][c] + f * (stops[i + 1][c] - stops[i][c])));
  }
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

std::string heat_cell_label(double value, Unit unit) {
  return format_number(value, 0) + (unit == Unit::percent ? "%" : "");
}

double heat_label_width(std::string_view label) {
  // Generous advances for 11 px sans-serif text (DejaVu Sans, the widest common fallback, has
  // digits of 0.636 em and a percent sign of 0.95 em): 0.64 em a character, 0.96 em for "%" and
  // the minus sign.
  double em = 0;
  for (std::size_t i = 0; i < label.size(); ++i) {
    const auto c = static_cast<unsigned char>(label[i]);
    if ((c & 0xC0U) == 0x80U) continue;  // a continuation byte of a code point already counted
    em += c == '%' || c >= 0x80U ? 0.96 : 0.64;
  }
  return em * kHeatLabelFontSize;
}

bool heat_labels_fit(const HeatMap& chart, double cell_width) {
  // One rule for the whole grid: every value prints if the widest one fits with room on both
  // sides, else none does (a few labels among unlabelled cells read as the only values, and
  // labels that touch run together into "0%0%0%").
  double widest = 0;
  for (const auto& row : chart.cells) {
    for (const auto& v : row) {
      if (v && std::isfinite(*v)) widest = std::max(widest, heat_label_width(heat_cell_label(*v, chart.unit)));
    }
  }
  return widest > 0 && cell_width >= widest + kHeatLabelPadding;
}

std::string heat_map(const HeatMap& chart, const Frame& frame_in) {
  Frame frame = frame_in;
  frame.height = frame.top + kHeatRowHeight * static_cast<double>(chart.row_labels.size()) + frame.bottom;
  const double span = chart.hi > chart.lo ? chart.hi - chart.lo : 1;
  const std::size_t columns = std::max<std::size_t>(chart.column_labels.size(), 1);
  const double cell_width = frame.plot_width() / static_cast<double>(columns);
  const bool labels = heat_labels_fit(chart, cell_width);
  // Cells without a value are hatched, so that they never look like a low value's light fill.
  const std::string hatch = escape(chart.text.id) + "-no-data";

  std::string out;
  open_svg(out, chart.text, frame.width, frame.height);
  out += fmt::format(
      "<defs><pattern id=\"{}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"{}\" stroke-width=\"2\"/></pattern></defs>\n",
      hatch, kHeatNoDataStroke);
  // A stepped key: five swatches from lo to hi, then the hatch for no data.
  out += "<g class=\"legend\">\n";
  double x = frame.left;
  for (int k = 0; k <= 4; ++k) {
    const double v = chart.lo + span * k / 4;
    out += fmt::format("<rect x=\"{}\" y=\"4\" width=\"14\" height=\"12\" fill=\"{}\" stroke=\"#999\"/>", num(x),
                       heat_colour(k / 4.0));
    const std::string label = format_number(v, 0) + (chart.unit == Unit::percent ? "%" : "");
    out += fmt::format("<text class=\"legend-label\" x=\"{}\" y=\"14\">{}</text>\n", num(x + 18), escape(label));
    x += 18 + text_width(label) + 14;
  }
  out += fmt::format("<rect class=\"no-data-key\" x=\"{}\" y=\"4\" width=\"14\" height=\"12\" fill=\"url(#{})\" "
                     "stroke=\"#999\"/>",
                     num(x), hatch);
  out += fmt::format("<text class=\"legend-label\" x=\"{}\" y=\"14\">no data (not observed yet)</text>\n",
                     num(x + 18));
  out += "</g>\n";

  out += "<g class=\"cells\">\n";
  for (std::size_t r = 0; r < chart.row_labels.size(); ++r) {
    const double y = frame.top + kHeatRowHeight * static_cast<double>(r);
    out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                       num(frame.left - 6), num(y + kHeatRowHeight / 2 + 4), escape(chart.row_labels[r]));
    for (std::size_t c = 0; c < columns; ++c) {
      // A plain double and a flag: GCC 12 warns (maybe-uninitialized) about a copied optional here.
      double value = 0;
      bool has_value = false;
      if (r < chart.cells.size() && c < chart.cells[r].size() && chart.cells[r][c].has_value() &&
          std::isfinite(chart.cells[r][c].value())) {
        value = chart.cells[r][c].value();
        has_value = true;
      }
      const double cx = frame.left + cell_width * static_cast<double>(c);
      const std::string where =
          escape(chart.row_labels[r]) + ", " + escape(c < chart.column_labels.size() ? chart.column_labels[c] : "");
      if (!has_value) {
        out += fmt::format(
            "<rect class=\"no-data\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"url(#{})\"><title>{}: no "
            "data</title></rect>\n",
            num(cx + 0.5), num(y + 0.5), num(cell_width - 1), num(kHeatRowHeight - 1), hatch, where);
        continue;
      }
      const double share = (value - chart.lo) / span;
      out += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
          num(cx + 0.5), num(y + 0.5), num(cell_width - 1), num(kHeatRowHeight - 1), heat_colour(share), where,
          escape(format_value(value, chart.unit)));
      if (labels) {
        // Light text on dark cells; the class lets a page's CSS keep that choice.
        const bool dark = share > 0.55;
        out += fmt::format(
            "<text class=\"cell{}\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
            dark ? " light" : "", num(cx + cell_width / 2), num(y + kHeatRowHeight / 2 + 4),
            dark ? "#ffffff" : "#000000", escape(heat_cell_label(value, chart.unit)));
      }
      out += '\n';
    }
  }
  out += "</g>\n";

  // Column labels under the grid, thinned like a category axis.
  const double bottom = frame.top + kHeatRowHeight * static_cast<double>(chart.row_labels.size());
  double widest = 0;
  for (const std::string& c : chart.column_labels) widest = std::max(widest, text_width(c) + 8);
  const auto every = static_cast<std::size_t>(std::max(1.0, std::ceil(widest / cell_width)));
  out += "<g class=\"axis x-axis\">\n";
  for (std::size_t c = 0; c < chart.column_labels.size(); c += every) {
    out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       num(frame.left + cell_width * (static_cast<double>(c) + 0.5)), num(bottom + 16),
                       escape(chart.column_labels[c]));
  }
  out += fmt::format("<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     num(frame.left + frame.plot_width() / 2), num(bottom + 36), escape(chart.x_label));
  out += fmt::format(
      "<text class=\"axis-title\" transform=\"rotate(-90)\" x=\"{}\" y=\"12\" text-anchor=\"middle\">{}</text>\n",
      num(-(frame.top + (bottom - frame.top) / 2)), escape(chart.y_label));
  out += "</g>\n";
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
