#pragma once
/// Charts as inline SVG text, drawn by csm-metrics itself (no scripts, fonts or images), for the
/// HTML report. Every chart carries <title> and <desc> for screen readers, uses a colour-blind-safe
/// palette (Okabe-Ito) and never relies on colour alone: lines differ in dash and marker, bars are
/// labelled in a legend, waterfall steps carry a signed value, heat-map cells print their value.
/// Output is deterministic: the same inputs give the same bytes (fixed number formatting, no ids
/// but the ones given).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace csm::io::svg {

/// Round tick values for an axis: min and max are multiples of step, step is 1, 2 or 5 times a
/// power of ten, and [min, max] covers the data.
struct Ticks {
  double min = 0;
  double max = 1;
  double step = 1;
  std::vector<double> values;  ///< min, min + step, ..., max
  int decimals = 0;            ///< decimals needed to print every value exactly
};

/// A "nice" number near x > 0: 1, 2, 5 or 10 times a power of ten; the nearest one when
/// `round`, else the smallest one >= x (Heckbert, Graphics Gems I, 1990).
double nice_number(double x, bool round) noexcept;

/// About `target` ticks (at least 2) covering [lo, hi] (lo == hi, or both non-finite, gets a unit
/// range around the value). With `integers` (axes of counts) the step is at least 1, so every
/// tick is a whole number.
Ticks nice_ticks(double lo, double hi, int target = 5, bool integers = false);

/// Text safe in XML/HTML text and attribute values: & < > " ' become entities, invalid UTF-8 and
/// control characters XML forbids become U+FFFD, bidirectional controls (U+202A-U+202E,
/// U+2066-U+2069, U+200E, U+200F, U+061C) become the visible text \u202e.
std::string escape(std::string_view text);

/// `value` with `decimals` decimals, thousands separated by commas and a real minus sign (U+2212):
/// 1234567.891, 2 -> "1,234,567.89"; -0.04, 1 -> "0.0".
std::string format_number(double value, int decimals);

enum class Unit { count, percent, money };

/// A value for a label: counts "1,234", percent "12.5%", money "1,234.00".
std::string format_value(double value, Unit unit);

/// One named sequence of values, one per category; nullopt = no value (a gap in a line).
struct Series {
  std::string label;
  std::vector<std::optional<double>> values;
  std::string colour;  ///< "#rrggbb"; empty = the next palette() colour
};

/// What a chart says to screen readers and to a hovering mouse. `id` must be unique in the page.
struct ChartText {
  std::string id;
  std::string title;
  std::string description;
};

/// Outer size and the margins around the plot area, in SVG user units (pixels at 100 %).
struct Frame {
  double width = 720;
  double height = 300;
  double left = 70;
  double right = 16;
  double top = 40;
  double bottom = 48;
  double plot_width() const noexcept { return width - left - right; }
  double plot_height() const noexcept { return height - top - bottom; }
};

/// The Okabe-Ito colours in the order charts use them (black last; yellow left out: too light
/// for lines on white).
const std::vector<std::string>& palette();

/// Lines over categories (e.g. months), with a marker per value, gaps at nullopt, one legend entry
/// per series. `y_floor` / `y_ceiling` are values the axis must include (e.g. 0 or 100).
struct LineChart {
  ChartText text;
  std::vector<std::string> categories;
  std::vector<Series> series;
  Unit unit = Unit::count;
  std::string y_label;  ///< the axis title with its unit, e.g. "percent of customers (%)"
  std::string x_label;  ///< the title under the categories, e.g. "month"; empty = none
  std::optional<double> y_floor;
  std::optional<double> y_ceiling;
};
std::string line_chart(const LineChart& chart, const Frame& frame = {});

/// Bars per category: the `up` series stacked upwards from 0 and the `down` series (given as
/// positive amounts) stacked downwards from 0. nullopt draws nothing.
struct StackedBars {
  ChartText text;
  std::vector<std::string> categories;
  std::vector<Series> up;
  std::vector<Series> down;
  Unit unit = Unit::count;
  std::string y_label;
  std::string x_label;  ///< the title under the categories, e.g. "month"; empty = none
};
std::string stacked_bars(const StackedBars& chart, const Frame& frame = {});

/// A bridge from a start total to an end total. Increase and decrease steps carry their size
/// (>= 0); a total step is drawn from 0 and sets the running level.
enum class StepKind { total, increase, decrease };
struct WaterfallStep {
  std::string label;
  double value = 0;
  StepKind kind = StepKind::total;
};
/// Where each step's bar starts and ends, in data units (`from` is the running level before it).
struct WaterfallBar {
  double from = 0;
  double to = 0;
};
std::vector<WaterfallBar> waterfall_layout(const std::vector<WaterfallStep>& steps);

struct Waterfall {
  ChartText text;
  std::vector<WaterfallStep> steps;
  Unit unit = Unit::money;
  std::string y_label;
  std::string x_label;  ///< the title under the categories, e.g. "month"; empty = none
};
std::string waterfall(const Waterfall& chart, const Frame& frame = {});

/// A grid of cells coloured from light (`lo`) to dark (`hi`), each printing its value when every
/// value's label fits its cell (else none does: heat_labels_fit); cells without a value (nullopt,
/// or past the end of a shorter row) are hatched and the key says so. cells[row][column].
struct HeatMap {
  ChartText text;
  std::vector<std::string> row_labels;
  std::vector<std::string> column_labels;
  std::vector<std::vector<std::optional<double>>> cells;
  Unit unit = Unit::percent;
  double lo = 0;
  double hi = 100;
  std::string x_label;  ///< e.g. "months since the first month"
  std::string y_label;  ///< e.g. "cohort (first month)"
};
/// The frame's height grows with the rows (kHeatRowHeight each); its width is kept.
std::string heat_map(const HeatMap& chart, const Frame& frame = {});
inline constexpr double kHeatRowHeight = 22;
/// Room a cell needs beside its label's width: 3 px on each side.
inline constexpr double kHeatLabelPadding = 6;
/// The font size of cell labels (the page's CSS says the same: svg.chart text.cell).
inline constexpr double kHeatLabelFontSize = 11;
/// The stroke of the no-data hatch.
inline constexpr const char* kHeatNoDataStroke = "#b8bec6";

/// The text a heat-map cell prints for `value`: "82%" (a whole number and the unit's sign).
std::string heat_cell_label(double value, Unit unit);
/// An upper estimate of the width of a cell label at kHeatLabelFontSize, in user units.
double heat_label_width(std::string_view label);
/// Whether the cells of `chart`, `cell_width` wide, print their values: only if the widest label
/// fits with kHeatLabelPadding to spare.
bool heat_labels_fit(const HeatMap& chart, double cell_width);

/// The fill of a heat-map cell for `share` in 0..1 (clamped): light to dark blue.
std::string heat_colour(double share);

/// One small line chart per series, all on the same y axis, in a grid of `columns` panels: for
/// comparing groups (e.g. segments) without a tangle of lines.
struct SmallMultiples {
  ChartText text;
  std::vector<std::string> categories;
  std::vector<Series> panels;
  Unit unit = Unit::count;
  std::string y_label;
  std::size_t columns = 3;
  std::optional<double> y_floor;
  std::optional<double> y_ceiling;
};
/// `panel` is the frame of one panel; the whole chart is columns wide and as many rows as needed.
std::string small_multiples(const SmallMultiples& chart, const Frame& panel = {240, 190, 56, 10, 30, 40});

}  // namespace csm::io::svg
