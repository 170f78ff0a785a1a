// The sections of the HTML report: headline numbers, customers, revenue, forecast, satisfaction,
// cohorts and groups (html_sections.hpp). Each appends one <section> with its charts and notes.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "html_sections.hpp"

namespace csm::io::html {
namespace {

using svg::escape;
using svg::Unit;

// The fields of the headline table, in its order; label, unit and direction from period_fields().
// NPS follows CSAT when the input has an nps column.
constexpr std::string_view kHeadlines[] = {
    "customers_end", "new_customers", "reactivated_customers", "churned_customers",
    "churn_rate",    "retention_rate", "mrr_end",              "nrr",
    "grr",           "arpu",          "csat",                  "nps",
    "cac",           "clv"};

}  // namespace

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

}  // namespace csm::io::html
