#include "csm/io/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>

#include "csm/io/svg_chart.hpp"
#include "csm/period_fields.hpp"

namespace csm::io {
namespace {

using svg::escape;
using svg::Unit;

// Okabe-Ito colours with a fixed meaning across the page.
constexpr const char* kBlue = "#0072B2";
constexpr const char* kGreen = "#009E73";
constexpr const char* kSky = "#56B4E9";
constexpr const char* kVermillion = "#D55E00";
constexpr const char* kPurple = "#CC79A7";

constexpr const char* kStyle = R"css(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1b1f24;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 40px; }
header h1 { font-size: 1.7rem; margin: 0 0 4px; }
header p { margin: 0; color: #4a5059; }
section { background: #fff; border: 1px solid #dde0e4; border-radius: 8px; padding: 16px 20px; margin: 18px 0; }
section h2 { font-size: 1.25rem; margin: 0 0 8px; }
figure { margin: 14px 0 6px; }
figure h3 { font-size: 1rem; margin: 0 0 4px; }
figcaption { color: #4a5059; font-size: 0.88rem; margin-top: 2px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #1b1f24; }
svg.chart text.cell { font-size: 11px; }
svg.chart text.cell.light { fill: #fff; }
svg.chart text.axis-title, svg.chart text.panel-title { font-weight: 600; }
svg.chart text.no-data { fill: #6a717b; font-style: italic; }
svg.chart line.grid { stroke: #e3e5e8; stroke-width: 1; }
svg.chart line.zero, svg.chart line.baseline { stroke: #6a717b; stroke-width: 1; }
svg.chart line.connector { stroke: #6a717b; stroke-dasharray: 3 3; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e5e8; vertical-align: top; }
td.num, th.num { text-align: right; }
table.settings th { width: 16em; }
.better { color: #006b4f; }
.worse { color: #b3470a; }
.note { color: #4a5059; font-style: italic; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { color: #6a717b; font-size: 0.85rem; margin-top: 24px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
@page { margin: 12mm; }
@media print {
  body { background: none; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section { border: none; border-radius: 0; padding: 0; margin: 0 0 8mm; break-before: page; }
  section.first { break-before: auto; }
  figure, table { break-inside: avoid; }
  .better, .worse { color: inherit; }
}
)css";

// A period's label at the grain of the report: "2025-03", "2025-Q1" or "2025".
std::string period_text(const PeriodMetrics& m, Grain grain) { return period_label(m.period, grain); }

// "month", "quarter" or "year".
std::string word(Grain grain) { return std::string(to_string(grain)); }

std::optional<double> as_double(const Count& v) {
  return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
}
std::optional<double> as_double(const Amount& v) {
  return v ? std::optional<double>(to_double(*v)) : std::nullopt;
}
std::optional<double> as_double(const Rate& v) { return v; }

// The fields of the headline table, in its order; label, unit and direction from period_fields().
// NPS follows CSAT when the input has an nps column.
constexpr std::string_view kHeadlines[] = {
    "customers_end", "new_customers", "reactivated_customers", "churned_customers",
    "churn_rate",    "retention_rate", "mrr_end",              "nrr",
    "grr",           "arpu",          "csat",                  "nps",
    "cac",           "clv"};

// The chart unit of a field: money per customer is money, NPS points are plain numbers.
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

// "▲ +1.2 pp" with a word for screen readers and a class for colour; colour is never the only cue.
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

void headline_section(std::string& out, const MetricsReport& r) {
  out += "<section class=\"first\" id=\"headline\">\n<h2>Headline numbers</h2>\n";
  if (r.periods.empty()) {
    out += "<p class=\"note\">The input has no months, so there is nothing to report.</p>\n</section>\n";
    return;
  }
  const PeriodMetrics& now = r.periods.back();
  const PeriodMetrics* before = r.periods.size() >= 2 ? &r.periods[r.periods.size() - 2] : nullptr;
  out += "<table class=\"headline\">\n<thead><tr><th scope=\"col\">metric</th>";
  out += fmt::format("<th scope=\"col\" class=\"num\">{}</th>", escape(period_text(now, r.grain)));
  out += fmt::format("<th scope=\"col\" class=\"num\">{}</th>",
                     before ? escape(period_text(*before, r.grain)) : "previous " + word(r.grain));
  out += "<th scope=\"col\" class=\"num\">change</th></tr></thead>\n<tbody>\n";
  const bool with_nps = has_nps(r);
  for (const std::string_view name : kHeadlines) {
    const PeriodField& field = *find_period_field(name);
    if (field.nps && !with_nps) continue;
    const Unit unit = chart_unit(field.unit);
    const auto v_now = field_value(now, field);
    const auto v_before = before ? field_value(*before, field) : std::nullopt;
    out += fmt::format("<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>{}</tr>\n",
                       field.label, value_text(v_now, unit), value_text(v_before, unit),
                       change_cell(v_now, v_before, unit, field.better));
  }
  out += "</tbody>\n</table>\n";
  out += "<p class=\"note\">&#9650; up, &#9660; down; pp = percentage points. Green marks a change for the "
         "better, orange one for the worse (churn and CAC are better when they fall). &ndash; = not defined "
         "(docs/metrics.md lists when each value is null).";
  if (!before) {
    out += " Only one " + word(r.grain) + " of data: there is no " + word(r.grain) + " before to compare with.";
  }
  if (r.grain != Grain::month) {
    if (r.kind == RecordKind::summary) {
      out += "</p>\n<p class=\"note\">Periods are " + word(r.grain) +
             "s: the summary records' movements are summed over their months; start counts and MRR "
             "are those of the first month, end counts and MRR those of the last (docs/metrics.md, "
             "section 10).";
    } else {
      out += "</p>\n<p class=\"note\">Periods are " + word(r.grain) +
             "s: each customer is compared in the period's last month with the last month of the "
             "period before, so who joins and leaves inside a period is neither new nor churned; "
             "CSAT and acquisition cost are summed over the months (docs/metrics.md, section 10).";
    }
  }
  out += "</p>\n";
  const RangeSummary& s = r.summary;
  if (s.average_churn_rate || s.average_nrr) {
    out += "<p>Over all " + std::to_string(s.months) + " months:";
    if (s.average_churn_rate) {
      out += " average monthly churn " + escape(svg::format_value(*s.average_churn_rate, Unit::percent));
      if (s.annualized_churn_rate) {
        out += " (annualized " + escape(svg::format_value(*s.annualized_churn_rate, Unit::percent)) + ")";
      }
    }
    if (s.average_nrr) {
      out += std::string(s.average_churn_rate ? "," : "") + " average NRR " +
             escape(svg::format_value(*s.average_nrr, Unit::percent));
    }
    out += ".</p>\n";
  }
  out += "</section>\n";
}

std::vector<std::string> period_labels(const std::vector<PeriodMetrics>& periods, Grain grain) {
  std::vector<std::string> labels;
  for (const PeriodMetrics& m : periods) labels.push_back(period_text(m, grain));
  return labels;
}

template <typename T>
svg::Series series_of(const std::vector<PeriodMetrics>& periods, std::string label, T PeriodMetrics::*member,
                      std::string colour = {}) {
  svg::Series s;
  s.label = std::move(label);
  s.colour = std::move(colour);
  for (const PeriodMetrics& m : periods) s.values.push_back(as_double(m.*member));
  return s;
}

bool all_null(const svg::Series& s) {
  return std::none_of(s.values.begin(), s.values.end(), [](const auto& v) { return v.has_value(); });
}

// Words for a chart's <desc>: each series' latest value and its range.
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

// A line chart of monthly series with its heading and how-to-read line, or `empty_note` in its
// place when every value is null.
struct LineFigure {
  const char* id;
  const char* heading;
  std::string title;
  std::vector<svg::Series> series;
  Unit unit;
  const char* y_label;
  std::optional<double> y_floor;
  std::optional<double> y_ceiling;
  std::string how;
  std::string empty_note;
};

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

void customers_section(std::string& out, const MetricsReport& r) {
  const auto& p = r.periods;
  const auto labels = period_labels(p, r.grain);
  out += "<section id=\"customers\">\n<h2>Customers</h2>\n";
  svg::StackedBars bars;
  bars.text.id = "chart-customers";
  bars.text.title = "Customers per " + word(r.grain) + " by movement";
  bars.up = {series_of(p, "retained", &PeriodMetrics::retained_customers, kBlue),
             series_of(p, "new", &PeriodMetrics::new_customers, kGreen),
             series_of(p, "reactivated", &PeriodMetrics::reactivated_customers, kSky)};
  bars.down = {series_of(p, "churned", &PeriodMetrics::churned_customers, kVermillion)};
  std::vector<svg::Series> described = bars.up;
  described.push_back(bars.down.front());
  bars.text.description = "Stacked bars. " + describe_series(labels, described, Unit::count, r.grain);
  bars.categories = labels;
  bars.x_label = word(r.grain);
  bars.unit = Unit::count;
  bars.y_label = "customers";
  const std::string g = word(r.grain);
  figure(out, "Customers over time", svg::stacked_bars(bars),
         "How to read: the bar above the line is the " + g + "'s active customers (retained + new + "
         "reactivated); the bar below the line is the customers lost that " + g + ". A " + g + " whose bar "
         "below is longer than its green and light-blue parts above shrank.");

  line_figure(out, labels, r.grain,
              {"chart-churn", "Churn rate", "Churn rate per " + word(r.grain),
               {series_of(p, "churn_rate", &PeriodMetrics::churn_rate, kVermillion)}, Unit::percent,
               "churn rate (% of customers at start)", 0, std::nullopt,
               "How to read: the share of the customers active at the start of a " + g + " who were gone by "
               "its end (100&middot;C/S). Lower is better. The first " + g + " has no customers at start, so "
               "its value is missing (a gap), not zero.",
               "Not available: no " + g + " has customers at its start."});
  out += "</section>\n";
}

void revenue_section(std::string& out, const MetricsReport& r) {
  const auto& p = r.periods;
  const auto labels = period_labels(p, r.grain);
  out += "<section id=\"revenue\">\n<h2>Revenue</h2>\n";

  if (!p.empty()) {
    const PeriodMetrics& m = p.back();
    const std::optional<double> parts[] = {as_double(m.mrr_start),       as_double(m.new_mrr),
                                           as_double(m.reactivation_mrr), as_double(m.expansion_mrr),
                                           as_double(m.contraction_mrr),  as_double(m.churned_mrr),
                                           as_double(m.mrr_end)};
    const bool complete = std::all_of(std::begin(parts), std::end(parts), [](const auto& v) { return v.has_value(); });
    const std::string heading = "MRR bridge for " + period_text(m, r.grain);
    if (complete) {
      svg::Waterfall w;
      w.text.id = "chart-bridge";
      w.text.title = "MRR bridge for " + period_text(m, r.grain);
      w.steps = {{"start", *parts[0], svg::StepKind::total},
                 {"new", *parts[1], svg::StepKind::increase},
                 {"reactivation", *parts[2], svg::StepKind::increase},
                 {"expansion", *parts[3], svg::StepKind::increase},
                 {"contraction", *parts[4], svg::StepKind::decrease},
                 {"churned", *parts[5], svg::StepKind::decrease},
                 {"end", *parts[6], svg::StepKind::total}};
      std::string desc = "Waterfall. ";
      for (const auto& step : w.steps) {
        desc += step.label + " " + (step.kind == svg::StepKind::increase ? "+" : step.kind == svg::StepKind::decrease ? "-" : "") +
                svg::format_value(step.value, Unit::money) + "; ";
      }
      w.text.description = desc;
      w.unit = Unit::money;
      w.x_label = "revenue movements in " + period_text(m, r.grain);
      w.y_label = "MRR (money per month)";
      figure(out, heading, svg::waterfall(w),
             "How to read: start from the recurring revenue at the start of the " + word(r.grain) +
                 " (mrr_start), add what new, reactivated and expanding customers brought, subtract "
                 "what contracting and churned customers took away, and you arrive at its end (mrr_end).");
    } else {
      note(out, heading,
           "Not available: the bridge needs revenue movements, which only activity records give "
           "(summary records carry no new, expansion, contraction or churned revenue).");
    }
  }

  line_figure(out, labels, r.grain,
              {"chart-mrr", "MRR over time", "MRR at the end of each " + word(r.grain),
               {series_of(p, "mrr_end", &PeriodMetrics::mrr_end, kBlue)}, Unit::money, "MRR (money per month)", 0,
               std::nullopt, "How to read: total recurring revenue of the customers active at the end of each " + word(r.grain) + ".",
               "Not available: the input has no revenue."});
  line_figure(out, labels, r.grain,
              {"chart-retention", "Retention, GRR and NRR", "Retention rates per " + word(r.grain),
               {series_of(p, "retention_rate", &PeriodMetrics::retention_rate), series_of(p, "grr", &PeriodMetrics::grr),
                series_of(p, "nrr", &PeriodMetrics::nrr)},
               Unit::percent, "percent (%)", std::nullopt, 100,
               "How to read: retention_rate is the share of the customers at the start of the " + word(r.grain) +
                   " still there at its end; GRR the share of the revenue at its start kept before expansion "
                   "(at most 100&nbsp;%); NRR the same "
               "with expansion added, so above 100&nbsp;% means existing customers grew faster than they "
               "left. Missing values are gaps.",
               "Not available: no " + word(r.grain) + " has customers or revenue at its start."});
  out += "</section>\n";
}

void forecast_section(std::string& out, const ForecastView& f) {
  out += "<section id=\"forecast\">\n<h2>MRR forecast</h2>\n";
  const std::size_t seen = f.observed_labels.size();
  std::vector<std::string> labels = f.observed_labels;
  labels.insert(labels.end(), f.labels.begin(), f.labels.end());
  const std::string percent = fmt::format("{:g}", 100 * f.interval);
  // The forecast lines start at the last observed month, so that they join the observed line.
  auto ahead = [&](std::string label, const std::vector<double>& values, const char* colour) {
    svg::Series s;
    s.label = std::move(label);
    s.colour = colour;
    s.values.assign(seen, std::nullopt);
    if (seen > 0) s.values.back() = f.observed_mrr.back();
    s.values.insert(s.values.end(), values.begin(), values.end());
    return s;
  };
  svg::Series observed;
  observed.label = "mrr_end (observed)";
  observed.colour = kBlue;
  observed.values.assign(f.observed_mrr.begin(), f.observed_mrr.end());
  observed.values.resize(labels.size(), std::nullopt);
  std::vector<svg::Series> series;
  if (seen > 0) series.push_back(std::move(observed));
  series.push_back(ahead("forecast", f.mrr, kVermillion));
  series.push_back(ahead("lower bound (" + percent + " %)", f.mrr_low, kSky));
  series.push_back(ahead("upper bound (" + percent + " %)", f.mrr_high, kPurple));
  svg::LineChart chart;
  chart.text = {"chart-forecast", "MRR forecast for the next " + std::to_string(f.labels.size()) + " months",
                "Line chart. " + describe_series(labels, series, Unit::money, Grain::month)};
  chart.categories = labels;
  chart.x_label = "month";
  chart.series = std::move(series);
  chart.unit = Unit::money;
  chart.y_label = "MRR (money per month)";
  chart.y_floor = 0;
  figure(out, "MRR forecast", svg::line_chart(chart),
         "How to read: the observed MRR, then the expected MRR of each coming month with the bounds "
         "that hold it with " + percent + "&nbsp;% probability. " + escape(f.method));
  out += "<table class=\"forecast\">\n<thead><tr><th>month</th><th>customers</th><th>low</th><th>high</th>"
         "<th>MRR</th><th>low</th><th>high</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < f.labels.size(); ++i) {
    out += "<tr><td>" + escape(f.labels[i]) + "</td>";
    for (double v : {f.customers[i], f.customers_low[i], f.customers_high[i]}) {
      out += "<td>" + svg::format_value(v, Unit::count) + "</td>";
    }
    for (double v : {f.mrr[i], f.mrr_low[i], f.mrr_high[i]}) out += "<td>" + svg::format_value(v, Unit::money) + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void satisfaction_section(std::string& out, const MetricsReport& r) {
  const auto& p = r.periods;
  const auto labels = period_labels(p, r.grain);
  out += "<section id=\"satisfaction\">\n<h2>Satisfaction and acquisition</h2>\n";
  line_figure(out, labels, r.grain,
              {"chart-csat", "CSAT", "CSAT per " + word(r.grain), {series_of(p, "csat", &PeriodMetrics::csat, kPurple)},
               Unit::percent, "satisfied responses (%)", 0, 100,
               fmt::format("How to read: the percent of the {0}'s survey responses scoring {1} or more. "
                           "A {0} without responses is a gap; few responses make a {0}'s value jumpy.",
                           word(r.grain), r.options.csat_threshold),
               "Not shown: the input has no csat responses in any " + word(r.grain) + "."});
  if (has_nps(r)) {
    line_figure(out, labels, r.grain,
                {"chart-nps", "NPS", "NPS per " + word(r.grain), {series_of(p, "nps", &PeriodMetrics::nps, kBlue)},
                 Unit::count, "NPS (points)", -100, 100,
                 fmt::format("How to read: the percent of the {0}'s NPS answers of 9 or 10 (promoters) less the "
                             "percent of 0 to 6 (detractors), from -100 to +100; every answer counts. A {0} "
                             "without answers is a gap; few answers make a {0}'s value jumpy.",
                             word(r.grain)),
                 "Not shown: the input's nps column has no answers in any " + word(r.grain) + "."});
  }
  line_figure(out, labels, r.grain,
              {"chart-cac", "CAC", "CAC per " + word(r.grain), {series_of(p, "cac", &PeriodMetrics::cac, kBlue)}, Unit::money,
               "money per new customer", 0, std::nullopt,
               "How to read: the " + word(r.grain) + "'s acquisition spend divided by the customers acquired in it. Lower "
               "is better. A " + word(r.grain) + " without new customers is a gap.",
               "Not shown: no " + word(r.grain) + " has both acquisition spend and new customers (the input has no "
               "acquisition_cost, or no " + word(r.grain) + " with N &gt; 0)."});
  out += "</section>\n";
}

void cohort_section(std::string& out, const CohortRetention& c) {
  out += "<section id=\"cohorts\">\n<h2>Cohort retention</h2>\n";
  svg::HeatMap h;
  h.text.id = "chart-cohorts";
  h.text.title = "Cohort retention heat map";
  h.text.description = fmt::format(
      "Heat map of {} cohorts by {} {}s of age; each cell is the percent of the cohort still "
      "active; blank cells are not observed yet.",
      c.cohorts.size(), c.ages.size(), word(c.grain));
  for (std::size_t i = 0; i < c.cohorts.size(); ++i) {
    h.row_labels.push_back(i < c.sizes.size() ? fmt::format("{} ({})", c.cohorts[i], c.sizes[i]) : c.cohorts[i]);
  }
  h.column_labels = c.ages;
  h.cells = c.percent;
  h.unit = Unit::percent;
  h.x_label = word(c.grain) + "s since the cohort's first " + word(c.grain);
  h.y_label = c.sizes.empty() ? "cohort" : "cohort (customers)";
  svg::Frame frame;
  frame.left = c.sizes.empty() ? 70 : 110;
  frame.top = 26;
  frame.bottom = 46;
  std::string how =
      "How to read: each row is a cohort, the customers who started in that " + word(c.grain) +
      "; reading along the row shows what percent of them were still active 1, 2, 3&hellip; " +
      word(c.grain) + "s later. Darker is better; compare rows to see whether newer cohorts keep "
      "customers longer.";
  if (!c.note.empty()) how += " " + escape(c.note);
  figure(out, "Retention by cohort", svg::heat_map(h, frame), how);
  out += "</section>\n";
}

void group_section(std::string& out, const GroupBreakdown& g, Grain grain) {
  out += "<section id=\"groups\">\n<h2>By " + escape(g.by) + "</h2>\n";
  // One period axis for all groups: the union of their months, a missing month is a gap.
  std::map<YearMonth, std::size_t> slot;
  for (const GroupMetrics& group : g.groups) {
    for (const PeriodMetrics& m : group.periods) slot.emplace(m.period, 0);
  }
  std::vector<std::string> labels;
  for (auto& [month, index] : slot) {
    index = labels.size();
    labels.push_back(period_label(month, grain));
  }
  auto panels = [&](auto member) {
    std::vector<svg::Series> list;
    for (const GroupMetrics& group : g.groups) {
      svg::Series s;
      s.label = group.name;
      s.values.assign(labels.size(), std::nullopt);
      for (const PeriodMetrics& m : group.periods) s.values[slot.at(m.period)] = as_double(m.*member);
      list.push_back(std::move(s));
    }
    return list;
  };
  struct Panel {
    const char* id;
    const char* heading;
    std::vector<svg::Series> series;
    Unit unit;
    const char* y_label;
    const char* how;
  };
  const Panel charts[] = {
      {"chart-groups-customers", "Active customers", panels(&PeriodMetrics::customers_end), Unit::count,
       "active customers", "How to read: each panel is one group; all panels share one scale, so their heights compare."},
      {"chart-groups-mrr", "MRR", panels(&PeriodMetrics::mrr_end), Unit::money, "MRR (money per month)",
       "How to read: recurring revenue of each group's active customers, on one shared scale."},
      {"chart-groups-churn", "Churn rate", panels(&PeriodMetrics::churn_rate), Unit::percent,
       "churn rate (%)", "How to read: the share of each group's customers at the start of a period lost in it; gaps where a group had no customers at the start."},
      {"chart-groups-nrr", "NRR", panels(&PeriodMetrics::nrr), Unit::percent, "NRR (%)",
       "How to read: net revenue retention of each group; above 100&nbsp;% the group's existing customers grew."},
  };
  for (const Panel& c : charts) {
    svg::SmallMultiples sm;
    sm.text.id = c.id;
    sm.text.title = std::string(c.heading) + " by " + g.by;
    sm.text.description = "Small multiples, one panel per group. " + describe_series(labels, c.series, c.unit, grain);
    sm.categories = labels;
    sm.panels = c.series;
    sm.unit = c.unit;
    sm.y_label = c.y_label;
    if (c.unit != Unit::percent) sm.y_floor = 0;
    figure(out, sm.text.title, svg::small_multiples(sm), c.how);
  }
  // The latest month of each group, as numbers.
  out += "<table class=\"groups\">\n<thead><tr><th scope=\"col\">" + escape(g.by) +
         "</th><th scope=\"col\">" + word(grain) + "</th><th scope=\"col\" class=\"num\">active</th><th scope=\"col\" "
         "class=\"num\">MRR</th><th scope=\"col\" class=\"num\">churn rate</th><th scope=\"col\" "
         "class=\"num\">NRR</th></tr></thead>\n<tbody>\n";
  for (const GroupMetrics& group : g.groups) {
    if (group.periods.empty()) continue;
    const PeriodMetrics& m = group.periods.back();
    out += fmt::format(
        "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        escape(group.name), escape(period_text(m, grain)), value_text(as_double(m.customers_end), Unit::count),
        value_text(as_double(m.mrr_end), Unit::money), value_text(m.churn_rate, Unit::percent),
        value_text(m.nrr, Unit::percent));
  }
  out += "</tbody>\n</table>\n</section>\n";
}

// An argument as a POSIX shell word: as it is when it has only safe characters, else in single
// quotes (a quote inside becomes '\'').
std::string shell_word(const std::string& arg) {
  const bool safe = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./:=@%+,").find(c) != std::string_view::npos;
  });
  if (safe) return arg;
  std::string quoted = "'";
  for (const char c : arg) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted.push_back(c);
    }
  }
  return quoted + "'";
}

void settings_section(std::string& out, const ReportInput& input) {
  const MetricsReport& r = input.metrics;
  const std::optional<ReportSettings>& s = input.settings;
  out += "<section id=\"settings\">\n<h2>Settings and input</h2>\n<table class=\"settings\">\n<tbody>\n";
  auto row = [&out](const std::string& name, const std::string& value_html) {
    out += "<tr><th scope=\"row\">" + escape(name) + "</th><td>" + value_html + "</td></tr>\n";
  };
  auto code = [](const std::string& text) { return "<code>" + escape(text) + "</code>"; };
  std::string sources;
  for (const std::string& source : r.input.sources) {
    sources += (sources.empty() ? "" : "<br>") + code(source);
  }
  row("sources", sources.empty() ? "&ndash;" : sources);
  if (s) {
    row("input format", s->input_format == "auto" ? "auto (by extension, else content)"
                                                  : escape(s->input_format) + " (--input-format)");
    row("record kind", escape(std::string(to_string(r.kind))) +
                           (s->kind == "auto" ? " (detected; --kind auto)" : " (--kind " + escape(s->kind) + ")"));
    std::string columns;
    for (const std::string& c : s->columns) columns += (columns.empty() ? "" : "<br>") + code("--column " + c);
    row("column mappings", columns.empty() ? "none (the canonical column names)" : columns);
    row("invalid records", s->skip_invalid ? "skipped and counted (--skip-invalid)"
                                           : "stop the run (no --skip-invalid)");
    if (r.kind == RecordKind::subscription || s->until) {
      row("subscriptions run to", s->until ? escape(to_string(*s->until)) + " (--until)"
                                           : "the latest start_date or end_date (no --until)");
    }
  } else {
    row("record kind", escape(std::string(to_string(r.kind))));
  }
  row("records", escape(svg::format_number(static_cast<double>(r.input.records), 0)));
  row("invalid records skipped", escape(svg::format_number(static_cast<double>(r.input.skipped), 0)));
  if (r.activity) row("customers", escape(svg::format_number(static_cast<double>(r.activity->customers), 0)));
  if (r.summary.first && r.summary.last) {
    row("months", fmt::format("{} ({} to {})", r.summary.months, escape(to_string(*r.summary.first)),
                              escape(to_string(*r.summary.last))));
  } else {
    row("months", "0");
  }
  row("periods", r.grain == Grain::month ? "months (--grain month)"
                                         : escape(word(r.grain) + "s (--grain " + word(r.grain) + ")"));
  if (!r.group_by.empty()) row("groups", "by <code>" + escape(r.group_by) + "</code> (--by)");
  if (s && input.cohorts) {
    row("cohorts", escape(word(s->cohort_grain) + "s (--cohort-grain " + word(s->cohort_grain) + ")"));
  }
  if (r.spend) {
    std::string spend = s && s->spend_file ? code(*s->spend_file) : std::string("a spend file");
    spend += r.spend->mode == SpendMode::add ? ", added to the records' acquisition_cost (--spend-mode add)"
                                             : ", replacing the records' acquisition_cost (--spend-mode replace)";
    spend += fmt::format("; {} records, {} applied", r.spend->input.records,
                         escape(svg::format_value(to_double(r.spend->applied.applied), Unit::money)));
    row("marketing spend", spend);
  } else if (s) {
    row("marketing spend", "none (the records' acquisition_cost; no --spend)");
  }
  row("csat threshold", fmt::format("a response &ge; {} is satisfied", r.options.csat_threshold));
  row("gross margin (for clv)", escape(fmt::format("{}", r.options.gross_margin)));
  row("discount rate per month (for clv)", escape(fmt::format("{}", r.options.discount_rate)));
  row("quick ratio", r.options.quick_ratio_reactivation
                         ? "gains include reactivation_mrr"
                         : "gains without reactivation_mrr (--quick-ratio-without-reactivation)");
  std::string warnings;
  for (const std::string& w : r.warnings) warnings += (warnings.empty() ? "" : "<br>") + escape(w);
  row("warnings", warnings.empty() ? "none" : warnings);
  row("computed by", "csm-metrics " + escape(r.version));
  if (s && !s->command.empty()) {
    std::string command;
    for (const std::string& arg : s->command) command += (command.empty() ? "" : " ") + shell_word(arg);
    row("made with", code(command));
  }
  out += "</tbody>\n</table>\n";
  out += "<p class=\"note\">The same numbers as <code>csm-metrics compute</code> with these options; "
         "docs/metrics.md defines every field.</p>\n</section>\n";
}

}  // namespace

CohortRetention cohort_retention(const CohortTable& table, std::size_t max_cohorts) {
  CohortRetention c;
  c.grain = table.options.grain;
  const std::size_t total = table.cohorts.size();
  const std::size_t first = total > max_cohorts ? total - max_cohorts : 0;
  std::size_t ages = 0;
  for (std::size_t i = first; i < total; ++i) ages = std::max(ages, table.cohorts[i].ages.size());
  for (std::size_t k = 0; k < ages; ++k) c.ages.push_back(std::to_string(k));
  for (std::size_t i = first; i < total; ++i) {
    const Cohort& cohort = table.cohorts[i];
    c.cohorts.push_back(period_label(cohort.period, c.grain));
    c.sizes.push_back(cohort.customers);
    std::vector<std::optional<double>> row(ages);
    for (std::size_t k = 0; k < cohort.ages.size(); ++k) row[k] = cohort.ages[k].logo_retention;
    c.percent.push_back(std::move(row));
  }
  std::string note = "Logo retention: a customer counts at every age at which it is active, also after a gap "
                     "(csm-metrics cohorts gives revenue retention too).";
  if (first > 0) {
    note += fmt::format(" The latest {} of {} cohorts are shown; csm-metrics cohorts lists them all.",
                        total - first, total);
  }
  const auto& covered = table.months_covered;
  const int full = months_in(c.grain);
  if (covered.size() > 1 && covered.back() < full) {
    note += fmt::format(" The last {} covers {} of its {} months: its ages are counted at its last month in the data.",
                        word(c.grain), covered.back(), full);
  }
  c.note = std::move(note);
  return c;
}

std::string to_html(const ReportInput& input) {
  const MetricsReport& r = input.metrics;
  std::string out;
  out.reserve(64 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"csm-metrics " + escape(r.version) + "\">\n";
  out += "<title>" + escape(input.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n";

  out += "<header>\n<h1>" + escape(input.title) + "</h1>\n<p>";
  if (r.summary.first && r.summary.last) {
    out += escape(to_string(*r.summary.first)) + " to " + escape(to_string(*r.summary.last)) + " &middot; " +
           std::to_string(r.summary.months) + (r.summary.months == 1 ? " month" : " months");
  } else {
    out += "no months";
  }
  if (r.activity) {
    out += " &middot; " + escape(svg::format_number(static_cast<double>(r.activity->customers), 0)) + " customers";
  }
  out += " &middot; " + escape(svg::format_number(static_cast<double>(r.input.records), 0)) + " records";
  if (!r.input.sources.empty()) {
    out += " &middot; from ";
    for (std::size_t i = 0; i < r.input.sources.size(); ++i) {
      out += (i ? ", " : "") + std::string("<code>") + escape(r.input.sources[i]) + "</code>";
    }
  }
  out += "</p>\n</header>\n";

  // Data-quality warnings first: the numbers below may be wrong (docs/metrics.md, section 15).
  if (!r.data_warnings.empty()) {
    out += "<section id=\"data-quality\">\n<h2>Data-quality warnings</h2>\n<ul>\n";
    for (const DataWarning& w : r.data_warnings) {
      out += "<li><code>" + escape(w.code) + "</code> " + escape(w.message) + "</li>\n";
    }
    out += "</ul>\n</section>\n";
  }
  headline_section(out, r);
  customers_section(out, r);
  revenue_section(out, r);
  if (input.forecast && !input.forecast->labels.empty()) forecast_section(out, *input.forecast);
  satisfaction_section(out, r);
  if (input.cohorts) cohort_section(out, *input.cohorts);
  if (input.groups && !input.groups->groups.empty()) group_section(out, *input.groups, r.grain);
  if (input.churn_risk_html) out += *input.churn_risk_html;
  settings_section(out, input);

  out += "<footer>Made by csm-metrics " + escape(r.version);
  if (input.timestamp) out += " on " + escape(*input.timestamp);
  out += ". Self-contained: no scripts, no network; the charts are inline SVG. Money is in the "
         "input's currency.</footer>\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace csm::io
