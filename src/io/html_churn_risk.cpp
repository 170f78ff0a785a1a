#include "csm/io/html_churn_risk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>

#include "csm/io/svg_chart.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

using svg::escape;

// The 6-decimal text the JSON writer gives a probability or a metric.
std::string fixed6(double x) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.6f", x);
  return buffer;
}
std::int64_t micro(double p) { return std::llround(std::stod(fixed6(p)) * 1e6); }

// A table cell of a number shown with `decimals` (of its 6-decimal value), with the exact value.
std::string metric_cell(const std::optional<double>& x, int decimals, double scale = 1,
                        const char* suffix = "") {
  if (!x || !std::isfinite(*x)) return "<td class=\"num\">&ndash;</td>";
  const std::string exact = fixed6(*x);
  return fmt::format("<td class=\"num\" data-value=\"{}\">{:.{}f}{}</td>", exact,
                     scale * std::stod(exact), decimals, suffix);
}

// A bin's lower bound in percent: micro-units / 1e4, with the decimals the width needs.
std::string percent_text(std::int64_t micro_units, int decimals) {
  return fmt::format("{:.{}f}", static_cast<double>(micro_units) / 1e4, decimals);
}

}  // namespace

ScoreHistogram score_histogram(const std::vector<double>& probabilities, std::size_t max_bins) {
  ScoreHistogram h;
  if (probabilities.empty()) return h;
  std::int64_t lowest = 1000000;
  std::int64_t highest = 0;
  for (const double p : probabilities) {
    lowest = std::min(lowest, micro(p));
    highest = std::max(highest, micro(p));
  }
  // The smallest 1, 2, 5 x 10^k with at most max_bins bins from the lowest to the highest.
  const auto bins = [&](std::int64_t width) {
    return static_cast<std::size_t>(highest / width - lowest / width) + 1;
  };
  h.width = 0;
  for (std::int64_t power = 1; h.width == 0; power *= 10) {
    for (const std::int64_t step : {1, 2, 5}) {
      if (bins(step * power) <= std::max<std::size_t>(max_bins, 1)) {
        h.width = step * power;
        break;
      }
    }
  }
  h.first = lowest / h.width;
  h.counts.assign(bins(h.width), 0);
  for (const double p : probabilities) ++h.counts[static_cast<std::size_t>(micro(p) / h.width - h.first)];
  return h;
}

std::string churn_risk_section(const ChurnRiskReport& r, std::size_t top) {
  std::string out = "<section id=\"churn-risk\">\n<h2>Churn risk</h2>\n";
  double expected = 0;
  double at_risk = 0;
  std::vector<double> probabilities;
  for (const ChurnScore& c : r.customers) {
    expected += c.churn_probability;
    at_risk += c.revenue_at_risk;
    probabilities.push_back(c.churn_probability);
  }
  out += fmt::format(
      "<p>As of {} (churn within {} month{}): <span id=\"churn-scored\">{}</span> active customers "
      "scored, about {} expected to churn (the sum of their probabilities), {} of revenue at risk "
      "(probability &times; MRR). Model: boosted trees trained on {} customer-months ({} churned), "
      "{} features, calibrated by Platt scaling. The same numbers as <code>csm-metrics churn-risk "
      "-f json</code> with the same options; how to read them: docs/churn-risk.md.</p>\n",
      escape(to_string(r.as_of)), r.horizon, r.horizon == 1 ? "" : "s", r.active_customers,
      escape(svg::format_number(expected, 1)), escape(svg::format_value(at_risk, svg::Unit::money)),
      escape(svg::format_number(static_cast<double>(r.training_rows), 0)),
      escape(svg::format_number(static_cast<double>(r.training_churned), 0)), r.features.size());
  for (const std::string& n : r.notes) out += "<p class=\"note\">" + escape(n) + "</p>\n";
  for (const std::string& w : r.warnings) out += "<p class=\"note\">" + escape(w) + "</p>\n";

  // The distribution of the scores.
  if (!probabilities.empty()) {
    const ScoreHistogram h = score_histogram(probabilities);
    int decimals = 0;
    for (std::int64_t w = h.width; w < 10000 && decimals < 4; w *= 10) ++decimals;
    svg::StackedBars chart;
    svg::Series s;
    s.label = "customers";
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      chart.categories.push_back(percent_text((h.first + static_cast<std::int64_t>(i)) * h.width, decimals));
      s.values.push_back(static_cast<double>(h.counts[i]));
    }
    const std::string width_text = percent_text(h.width, decimals);
    std::string desc = fmt::format("Bar chart. Customers by churn probability, in bins {} percentage points "
                                   "wide. ", width_text);
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      if (h.counts[i] > 0) desc += fmt::format("From {} %: {}. ", chart.categories[i], h.counts[i]);
    }
    chart.up.push_back(std::move(s));
    chart.text = {"chart-churn-scores", "How the churn probabilities are spread", desc};
    chart.unit = svg::Unit::count;
    chart.y_label = "customers";
    chart.x_label = "churn probability from (%)";
    out += "<figure>\n<h3>Score distribution</h3>\n" + svg::stacked_bars(chart) +
           "<figcaption>How to read: each bar counts the customers whose probability of churning "
           "within the horizon lies in a bin " + escape(width_text) +
           "&nbsp;percentage points wide, starting at the label. A list worth acting on has a few "
           "customers far to the right of the rest.</figcaption>\n</figure>\n";
    out += "<details>\n<summary>The counts</summary>\n<table class=\"churn-histogram\">\n<thead><tr><th>probability from (%)</th>"
           "<th class=\"num\">customers</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      out += fmt::format("<tr><td data-value=\"{}\">{}</td><td class=\"num\">{}</td></tr>\n",
                         (h.first + static_cast<std::int64_t>(i)) * h.width, chart.categories[i], h.counts[i]);
    }
    out += "</tbody>\n</table>\n</details>\n";
  }

  // The backtest: each scorer's ROC AUC per origin, then the pooled figures.
  if (r.backtest && !r.backtest->scorers.empty()) {
    const ChurnBacktest& b = *r.backtest;
    if (!b.by_origin.empty()) {
      svg::LineChart chart;
      std::vector<std::string> labels;
      svg::Series model{"model (boosted trees)", {}, "#D55E00"};
      svg::Series baseline{"baseline (logistic regression)", {}, "#0072B2"};
      svg::Series rules{"rules (at-risk)", {}, "#009E73"};
      std::string desc = "Line chart. ROC AUC of each scorer per backtest month. ";
      for (const ChurnBacktest::Origin& o : b.by_origin) {
        labels.push_back(to_string(o.origin));
        model.values.push_back(o.model_roc_auc);
        baseline.values.push_back(o.baseline_roc_auc);
        rules.values.push_back(o.rules_roc_auc);
        const auto v = [](const std::optional<double>& x) { return x ? fmt::format("{:.3f}", *x) : std::string("none"); };
        desc += fmt::format("{}: model {}, baseline {}, rules {}. ", to_string(o.origin), v(o.model_roc_auc),
                            v(o.baseline_roc_auc), v(o.rules_roc_auc));
      }
      chart.text = {"chart-churn-backtest", "Backtest: ROC AUC per month", desc};
      chart.categories = labels;
      chart.series = {model, baseline, rules};
      // Two decimals and fractional ticks, as the money axis has (Unit::count would tick 0 and 1).
      chart.unit = svg::Unit::money;
      chart.y_label = "ROC AUC (0.5 = chance)";
      chart.x_label = "month scored (trained on what was known then)";
      chart.y_floor = 0.5;
      chart.y_ceiling = 1.0;
      out += "<figure>\n<h3>Backtest: how well each scorer ranked the customers who churned</h3>\n" +
             svg::line_chart(chart) +
             "<figcaption>How to read: for each past month, the model was trained on what was known "
             "then and scored that month's active customers; ROC AUC is the probability that a "
             "customer who churned was scored above one who stayed (0.5 = chance, 1 = perfect). "
             "The model should stay above the rules month after month.</figcaption>\n</figure>\n";
    }
    out += fmt::format(
        "<table class=\"churn-backtest\">\n<caption>Backtest over {} month{} ({} to {}), pooled: {} "
        "scores, {} churned</caption>\n<thead><tr><th>scorer</th><th class=\"num\">ROC AUC</th>"
        "<th class=\"num\">PR AUC</th><th class=\"num\">top-10 % lift</th><th class=\"num\">top-10 % "
        "recall</th><th class=\"num\">Brier</th></tr></thead>\n<tbody>\n",
        b.origins.size(), b.origins.size() == 1 ? "" : "s",
        b.origins.empty() ? "-" : escape(to_string(b.origins.front())),
        b.origins.empty() ? "-" : escape(to_string(b.origins.back())), b.scored, b.churned);
    for (const ChurnEvaluation& e : b.scorers) {
      out += "<tr><td>" + escape(e.name) + "</td>" + metric_cell(e.roc_auc, 3) + metric_cell(e.pr_auc, 3) +
             metric_cell(e.top_decile.lift, 2) + metric_cell(e.top_decile.recall, 0, 100, "&nbsp;%") +
             metric_cell(e.brier, 3) + "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
  } else {
    out += "<p class=\"note\">No backtest: too few months with a known outcome (or --backtest 0).</p>\n";
  }

  // The top of the list, by probability (under --by, across the groups).
  std::vector<std::size_t> order(r.customers.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const ChurnScore& x = r.customers[a];
    const ChurnScore& y = r.customers[b];
    if (x.churn_probability != y.churn_probability) return x.churn_probability > y.churn_probability;
    return x.customer_id < y.customer_id;
  });
  if (order.size() > top) order.resize(top);
  const bool grouped = !r.group_by.empty();
  out += fmt::format("<h3>The {} customers most likely to churn</h3>\n", order.size());
  out += "<table class=\"churn-top\">\n<thead><tr><th>customer</th>";
  if (grouped) out += "<th>" + escape(r.group_by) + "</th>";
  out += "<th class=\"num\">churn probability</th><th class=\"num\">revenue</th>"
         "<th class=\"num\">revenue at risk</th><th>why (largest contributions first)</th></tr></thead>\n<tbody>\n";
  for (const std::size_t i : order) {
    const ChurnScore& c = r.customers[i];
    out += "<tr><td>" + escape(c.customer_id) + "</td>";
    if (grouped) out += "<td>" + escape(c.group.empty() ? std::string("(none)") : c.group) + "</td>";
    out += metric_cell(c.churn_probability, 1, 100, "&nbsp;%");
    out += "<td class=\"num\">" + escape(format_money(c.revenue)) + "</td>";
    out += "<td class=\"num\">" + escape(svg::format_value(c.revenue_at_risk, svg::Unit::money)) + "</td><td>";
    for (std::size_t k = 0; k < c.factors.size(); ++k) out += (k ? "<br>" : "") + escape(c.factors[k].text);
    out += "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n</section>\n";
  return out;
}

}  // namespace csm::io
