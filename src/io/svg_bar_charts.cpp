// Stacked bar charts and waterfalls (svg_chart.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "csm/io/svg_chart.hpp"
#include "svg_plot.hpp"

namespace csm::io::svg {
namespace {

using draw::num;
using draw::open_svg;
using draw::close_svg;
using draw::Plot;
using draw::y_axis;
using draw::x_axis;
using draw::LegendEntry;
using draw::legend;
using draw::Range;

}  // namespace

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


}  // namespace csm::io::svg
