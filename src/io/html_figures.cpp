// The figure helpers of the HTML report's sections (html_sections.hpp).

#include <fmt/format.h>

#include <cmath>

#include "html_sections.hpp"

namespace csm::io::html {

using svg::escape;
using svg::Unit;

std::string period_text(const PeriodMetrics& m, Grain grain) { return period_label(m.period, grain); }

std::string word(Grain grain) { return std::string(to_string(grain)); }

std::optional<double> as_double(const Count& v) {
  return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
}
std::optional<double> as_double(const Amount& v) {
  return v ? std::optional<double>(to_double(*v)) : std::nullopt;
}
std::optional<double> as_double(const Rate& v) { return v; }

Unit chart_unit(FieldUnit unit) {
  switch (unit) {
    case FieldUnit::money:
    case FieldUnit::money_per:
      return Unit::money;
    case FieldUnit::percent:
      return Unit::percent;
    case FieldUnit::count:
    case FieldUnit::points:
    case FieldUnit::ratio:
      break;
  }
  return Unit::count;
}

std::optional<double> field_value(const PeriodMetrics& m, const PeriodField& field) {
  return std::visit([&](auto member) { return as_double(m.*member); }, field.member);
}

std::string value_text(const std::optional<double>& v, Unit unit) {
  return v ? escape(svg::format_value(*v, unit)) : "&ndash;";
}

std::string change_cell(const std::optional<double>& now, const std::optional<double>& before, Unit unit,
                        int better) {
  if (!now || !before) return "<td class=\"num\">&ndash;</td>";
  const int decimals = unit == Unit::money ? 2 : unit == Unit::percent ? 1 : 0;
  const double scale = std::pow(10.0, decimals);
  const double diff = std::round((*now - *before) * scale) / scale;  // as printed, so "0.0" is flat
  const char* suffix = unit == Unit::percent ? " pp" : "";
  if (diff == 0) {
    return fmt::format("<td class=\"num\"><span aria-hidden=\"true\">&#9644; </span>no change</td>");
  }
  const bool up = diff > 0;
  const bool good = up == (better > 0);
  return fmt::format(
      "<td class=\"num {}\"><span aria-hidden=\"true\">{} </span><span class=\"sr-only\">{} </span>{}{}{}</td>",
      good ? "better" : "worse", up ? "&#9650;" : "&#9660;", up ? "up" : "down", up ? "+" : "",
      escape(svg::format_number(diff, decimals)), suffix);
}

std::vector<std::string> period_labels(const std::vector<PeriodMetrics>& periods, Grain grain) {
  std::vector<std::string> labels;
  for (const PeriodMetrics& m : periods) labels.push_back(period_text(m, grain));
  return labels;
}

bool all_null(const svg::Series& s) {
  return std::none_of(s.values.begin(), s.values.end(), [](const auto& v) { return v.has_value(); });
}

std::string describe_series(const std::vector<std::string>& categories, const std::vector<svg::Series>& series,
                            Unit unit, Grain grain) {
  std::string periods = word(grain) + "s";
  periods.front() = static_cast<char>(periods.front() - 'a' + 'A');  // "Months", "Quarters", "Years"
  std::string text;
  if (!categories.empty()) text = periods + " " + categories.front() + " to " + categories.back() + ". ";
  for (const svg::Series& s : series) {
    std::optional<double> lo;
    std::optional<double> hi;
    std::size_t last = s.values.size();
    for (std::size_t i = 0; i < s.values.size(); ++i) {
      if (!s.values[i]) continue;
      lo = lo ? std::min(*lo, *s.values[i]) : *s.values[i];
      hi = hi ? std::max(*hi, *s.values[i]) : *s.values[i];
      last = i;
    }
    if (!lo) {
      text += s.label + ": no values. ";
      continue;
    }
    text += fmt::format("{}: latest {} ({}), lowest {}, highest {}. ", s.label,
                        svg::format_value(*s.values[last], unit), last < categories.size() ? categories[last] : "",
                        svg::format_value(*lo, unit), svg::format_value(*hi, unit));
  }
  return text + periods + " without a value are gaps.";
}

void figure(std::string& out, const std::string& heading, const std::string& chart, const std::string& how) {
  out += "<figure>\n<h3>" + escape(heading) + "</h3>\n" + chart + "<figcaption>" + how + "</figcaption>\n</figure>\n";
}

void note(std::string& out, const std::string& heading, const std::string& text) {
  out += "<figure>\n<h3>" + escape(heading) + "</h3>\n<p class=\"note\">" + text + "</p>\n</figure>\n";
}

void line_figure(std::string& out, const std::vector<std::string>& labels, Grain grain, LineFigure f) {
  if (std::all_of(f.series.begin(), f.series.end(), all_null)) {
    note(out, f.heading, f.empty_note);
    return;
  }
  svg::LineChart chart;
  chart.text = {f.id, f.title, "Line chart. " + describe_series(labels, f.series, f.unit, grain)};
  chart.categories = labels;
  chart.x_label = word(grain);
  chart.series = std::move(f.series);
  chart.unit = f.unit;
  chart.y_label = f.y_label;
  chart.y_floor = f.y_floor;
  chart.y_ceiling = f.y_ceiling;
  figure(out, f.heading, svg::line_chart(chart), f.how);
}

}  // namespace csm::io::html
