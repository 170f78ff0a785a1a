#pragma once
/// Private to csm_io (not installed): the sections of the HTML report (html_sections.cpp) and
/// the figure helpers they share (html_figures.cpp): values as text, changes, series of the
/// periods, described charts. The page itself, its style and its settings table:
/// html_report.cpp.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/io/html_report.hpp"
#include "csm/io/svg_chart.hpp"
#include "csm/period_fields.hpp"

namespace csm::io::html {

// Okabe-Ito colours with a fixed meaning across the page.
inline constexpr const char* kBlue = "#0072B2";
inline constexpr const char* kGreen = "#009E73";
inline constexpr const char* kSky = "#56B4E9";
inline constexpr const char* kVermillion = "#D55E00";
inline constexpr const char* kPurple = "#CC79A7";

// A period's label at the grain of the report: "2025-03", "2025-Q1" or "2025".
std::string period_text(const PeriodMetrics& m, Grain grain);

// "month", "quarter" or "year".
std::string word(Grain grain);

std::optional<double> as_double(const Count& v);
std::optional<double> as_double(const Amount& v);
std::optional<double> as_double(const Rate& v);

// The chart unit of a field: money per customer is money, NPS points are plain numbers.
svg::Unit chart_unit(FieldUnit unit);

std::optional<double> field_value(const PeriodMetrics& m, const PeriodField& field);

std::string value_text(const std::optional<double>& v, svg::Unit unit);

// "▲ +1.2 pp" with a word for screen readers and a class for colour; colour is never the only cue.
std::string change_cell(const std::optional<double>& now, const std::optional<double>& before, svg::Unit unit,
                        int better);

std::vector<std::string> period_labels(const std::vector<PeriodMetrics>& periods, Grain grain);

template <typename T>
svg::Series series_of(const std::vector<PeriodMetrics>& periods, std::string label, T PeriodMetrics::*member,
                      std::string colour = {}) {
  svg::Series s;
  s.label = std::move(label);
  s.colour = std::move(colour);
  for (const PeriodMetrics& m : periods) s.values.push_back(as_double(m.*member));
  return s;
}

bool all_null(const svg::Series& s);

// Words for a chart's <desc>: each series' latest value and its range.
std::string describe_series(const std::vector<std::string>& categories, const std::vector<svg::Series>& series,
                            svg::Unit unit, Grain grain);

void figure(std::string& out, const std::string& heading, const std::string& chart, const std::string& how);

void note(std::string& out, const std::string& heading, const std::string& text);

// A line chart of monthly series with its heading and how-to-read line, or `empty_note` in its
// place when every value is null.
struct LineFigure {
  const char* id;
  const char* heading;
  std::string title;
  std::vector<svg::Series> series;
  svg::Unit unit;
  const char* y_label;
  std::optional<double> y_floor;
  std::optional<double> y_ceiling;
  std::string how;
  std::string empty_note;
};

void line_figure(std::string& out, const std::vector<std::string>& labels, Grain grain, LineFigure f);

// The sections of the page, in its order (html_sections.cpp).
void headline_section(std::string& out, const MetricsReport& r);
void customers_section(std::string& out, const MetricsReport& r);
void revenue_section(std::string& out, const MetricsReport& r);
void forecast_section(std::string& out, const ForecastView& f);
void satisfaction_section(std::string& out, const MetricsReport& r);
void cohort_section(std::string& out, const CohortRetention& c);
void group_section(std::string& out, const GroupBreakdown& g, Grain grain);

}  // namespace csm::io::html
