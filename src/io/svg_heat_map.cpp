// Heat maps: the cohort retention table as coloured cells (svg_chart.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "csm/io/svg_chart.hpp"
#include "svg_plot.hpp"

namespace csm::io::svg {
namespace {

using draw::num;
using draw::text_width;
using draw::open_svg;
using draw::close_svg;

}  // namespace

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


}  // namespace csm::io::svg
