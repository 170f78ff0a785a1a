#include "csm/io/churn_risk_writer.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "text_output.hpp"

namespace csm::io {
namespace {

using text::json_string;
using text::number_text;

std::size_t first_n(std::size_t top, std::size_t count) { return top == 0 ? count : std::min(top, count); }

// A probability or metric rounded for JSON/CSV: 6 decimals are plenty and keep files stable.
std::string fixed6(double x) {
  if (!std::isfinite(x)) return "null";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.6f", x);
  return buffer;
}
std::string optional6(const std::optional<double>& x) { return x ? fixed6(*x) : "null"; }
std::string money2(double x) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.2f", x);
  return buffer;
}
std::string month_or_null(const std::optional<YearMonth>& m) {
  return m ? json_string(to_string(*m)) : "null";
}

std::string evaluation_json(const ChurnEvaluation& e) {
  std::string out = fmt::format(
      "{{\"scorer\": {}, \"roc_auc\": {}, \"pr_auc\": {}, \"brier\": {}, \"top_decile\": "
      "{{\"size\": {}, \"churned\": {}, \"lift\": {}, \"recall\": {}}}, \"calibration\": [",
      json_string(e.name), optional6(e.roc_auc), optional6(e.pr_auc), optional6(e.brier),
      e.top_decile.size, e.top_decile.churners, optional6(e.top_decile.lift),
      optional6(e.top_decile.recall));
  for (std::size_t i = 0; i < e.calibration.size(); ++i) {
    const CalibrationBin& b = e.calibration[i];
    out += fmt::format("{}{{\"count\": {}, \"mean_predicted\": {}, \"observed_rate\": {}}}",
                       i ? ", " : "", b.count, fixed6(b.mean_predicted), fixed6(b.observed_rate));
  }
  return out + "]}";
}

std::string pct(const std::optional<double>& x) {
  return x ? fmt::format("{:.0f} %", 100 * *x) : "-";
}
std::string dec2(const std::optional<double>& x) { return x ? fmt::format("{:.2f}", *x) : "-"; }
std::string dec3(const std::optional<double>& x) { return x ? fmt::format("{:.3f}", *x) : "-"; }

}  // namespace

std::vector<std::size_t> shown_customers(const ChurnRiskReport& r) {
  std::vector<std::size_t> out;
  if (r.group_by.empty()) {
    for (std::size_t i = 0; i < first_n(r.top, r.customers.size()); ++i) out.push_back(i);
    return out;
  }
  for (const ChurnGroup& g : r.groups) {
    for (std::size_t i = 0; i < first_n(r.top, g.count); ++i) out.push_back(g.first + i);
  }
  return out;
}

std::string to_json(const ChurnRiskReport& r) {
  std::string out = "{\n";
  out += text::envelope_lines({r.version, "churn-risk", to_string(r.input.kind)});
  if (!r.group_by.empty()) out += "  \"group_by\": " + json_string(r.group_by) + ",\n";
  out += fmt::format(
      "  \"settings\": {{\"as_of\": {}, \"horizon\": {}, \"sort\": {}, \"top\": {}}},\n",
      json_string(to_string(r.as_of)), r.horizon, json_string(r.sort),
      r.top == 0 ? "null" : std::to_string(r.top));
  out += "  \"input\": {\"sources\": [";
  for (std::size_t i = 0; i < r.input.sources.size(); ++i) {
    out += (i ? ", " : "") + json_string(r.input.sources[i]);
  }
  out += fmt::format("], \"record_kind\": {}, \"records\": {}, \"skipped_records\": {}, "
                     "\"active_customers\": {}}},\n",
                     json_string(to_string(r.input.kind)), r.input.records, r.input.skipped,
                     r.active_customers);
  if (!r.group_by.empty()) {
    out += "  \"groups\": [";
    for (std::size_t g = 0; g < r.groups.size(); ++g) {
      const ChurnGroup& group = r.groups[g];
      out += fmt::format(
          "{}{{\"group\": {}, \"active_customers\": {}, \"shown\": {}, \"expected_churners\": {}, "
          "\"revenue\": {}, \"revenue_at_risk\": {}}}",
          g ? ",\n    " : "\n    ", json_string(group.group), group.count,
          first_n(r.top, group.count), fixed6(group.expected_churners), format_money(group.revenue),
          money2(group.revenue_at_risk));
    }
    out += r.groups.empty() ? "],\n" : "\n  ],\n";
  }
  const std::vector<std::size_t> shown = shown_customers(r);
  out += "  \"customers\": [";
  for (std::size_t n = 0; n < shown.size(); ++n) {
    const ChurnScore& c = r.customers[shown[n]];
    out += n ? ",\n    " : "\n    ";
    out += "{\"customer_id\": " + json_string(c.customer_id) + ", ";
    if (!r.group_by.empty()) out += "\"group\": " + json_string(c.group) + ", ";
    out += fmt::format(
        "\"churn_probability\": {}, \"revenue\": {}, "
        "\"revenue_at_risk\": {}, \"model_score\": {}, \"baseline_probability\": {}, "
        "\"factors\": [",
        fixed6(c.churn_probability), format_money(c.revenue),
        money2(c.revenue_at_risk), number_text(c.model_score), fixed6(c.baseline_probability));
    for (std::size_t k = 0; k < c.factors.size(); ++k) {
      out += fmt::format("{}{{\"feature\": {}, \"contribution\": {}, \"text\": {}}}",
                         k ? ", " : "", json_string(c.factors[k].feature),
                         fixed6(c.factors[k].contribution), json_string(c.factors[k].text));
    }
    out += "]}";
  }
  out += shown.empty() ? "],\n" : "\n  ],\n";
  out += "  \"model\": {\"kind\": \"xgboost\", \"objective\": \"binary:logistic\", \"features\": [";
  for (std::size_t i = 0; i < r.features.size(); ++i) {
    out += (i ? ", " : "") + json_string(r.features[i]);
  }
  out += fmt::format(
      "],\n    \"training_rows\": {}, \"training_churned\": {}, \"training_candidates\": {}, "
      "\"training_months\": [{}, {}],\n    \"parameters\": {{",
      r.training_rows, r.training_churned, r.training_candidates, month_or_null(r.training_first),
      month_or_null(r.training_last));
  for (std::size_t i = 0; i < r.parameters.size(); ++i) {
    out += fmt::format("{}{}: {}", i ? ", " : "", json_string(r.parameters[i].first),
                       json_string(r.parameters[i].second));
  }
  out += fmt::format(
      "}},\n    \"calibration\": {{\"method\": \"platt\", \"fitted\": {}, \"a\": {}, \"b\": {}, "
      "\"rows\": {}, \"months\": [{}, {}]}},\n"
      "    \"baseline\": {{\"kind\": \"logistic_regression\", \"penalty\": \"l2\", \"lambda\": {}}}\n  }},\n",
      r.calibration.fitted ? "true" : "false", number_text(r.calibration.a),
      number_text(r.calibration.b), r.calibration_rows, month_or_null(r.calibration_first),
      month_or_null(r.calibration_last), number_text(r.baseline_lambda));
  if (r.backtest) {
    const ChurnBacktest& b = *r.backtest;
    out += fmt::format("  \"backtest\": {{\"months\": {}, \"origins\": [", b.months);
    for (std::size_t i = 0; i < b.origins.size(); ++i) {
      out += (i ? ", " : "") + json_string(to_string(b.origins[i]));
    }
    out += fmt::format("], \"scored\": {}, \"churned\": {}, \"scorers\": [", b.scored, b.churned);
    for (std::size_t i = 0; i < b.scorers.size(); ++i) {
      out += (i ? ",\n    " : "\n    ") + evaluation_json(b.scorers[i]);
    }
    out += "\n  ],\n  \"by_origin\": [";
    for (std::size_t i = 0; i < b.by_origin.size(); ++i) {
      const ChurnBacktest::Origin& o = b.by_origin[i];
      out += fmt::format(
          "{}{{\"origin\": {}, \"scored\": {}, \"churned\": {}, \"roc_auc\": {{\"model\": {}, "
          "\"baseline\": {}, \"rules\": {}}}}}",
          i ? ",\n    " : "\n    ", json_string(to_string(o.origin)), o.scored, o.churned,
          optional6(o.model_roc_auc), optional6(o.baseline_roc_auc), optional6(o.rules_roc_auc));
    }
    out += b.by_origin.empty() ? "]},\n" : "\n  ]},\n";
  } else {
    out += "  \"backtest\": null,\n";
  }
  out += "  \"notes\": [";
  for (std::size_t i = 0; i < r.notes.size(); ++i) out += (i ? ", " : "") + json_string(r.notes[i]);
  out += "],\n  \"warnings\": [";
  for (std::size_t i = 0; i < r.warnings.size(); ++i) {
    out += (i ? ", " : "") + json_string(r.warnings[i]);
  }
  out += "]\n}\n";
  return out;
}

std::string to_csv(const ChurnRiskReport& r, const CsvStyle& style) {
  std::string out = r.group_by.empty() ? "" : "group,";
  out += "customer_id,churn_probability,revenue,revenue_at_risk,baseline_probability,factor_1,"
         "factor_2,factor_3\n";
  for (const std::size_t i : shown_customers(r)) {
    const ChurnScore& c = r.customers[i];
    // As compute's CSV: a customer without a value is in the group "(none)".
    if (!r.group_by.empty()) out += text::csv_group_field(c.group, style.formula_guard) + ",";
    text::append_csv_field(out, c.customer_id, style.formula_guard);
    out += "," + fixed6(c.churn_probability) + "," + format_money(c.revenue) + "," +
           money2(c.revenue_at_risk) + "," + fixed6(c.baseline_probability);
    for (std::size_t k = 0; k < 3; ++k) {
      out += ",";
      if (k < c.factors.size()) text::append_csv_field(out, c.factors[k].text, style.formula_guard);
    }
    out += "\n";
  }
  return out;
}

std::string to_table(const ChurnRiskReport& r) {
  std::string out = fmt::format(
      "Churn risk as of {} (churn within {} month{}): {} active customers scored\n",
      to_string(r.as_of), r.horizon, r.horizon == 1 ? "" : "s",
      text::grouped_count(r.active_customers));
  out += fmt::format("Model: boosted trees, {} customer-months ({} churned), {} features\n",
                     text::grouped_count(r.training_rows), text::grouped_count(r.training_churned),
                     r.features.size());
  if (r.backtest && !r.backtest->scorers.empty()) {
    const ChurnBacktest& b = *r.backtest;
    out += fmt::format("\nBacktest, last {} month{} ({} to {}): {} scores, {} churned\n", b.months,
                       b.months == 1 ? "" : "s",
                       b.origins.empty() ? "-" : to_string(b.origins.front()),
                       b.origins.empty() ? "-" : to_string(b.origins.back()),
                       text::grouped_count(b.scored), text::grouped_count(b.churned));
    out += "  scorer       ROC AUC   PR AUC   top-10% lift   top-10% recall   Brier\n";
    for (const ChurnEvaluation& e : b.scorers) {
      out += fmt::format("  {:<10} {:>9} {:>8} {:>14} {:>16} {:>7}\n", e.name, dec3(e.roc_auc),
                         dec3(e.pr_auc), dec2(e.top_decile.lift), pct(e.top_decile.recall),
                         dec3(e.brier));
    }
  } else {
    out += "\nNo backtest (--backtest 0, or too few months with a known outcome)\n";
  }
  // The list of customers first..first+count, the first --top of them shown.
  const auto list = [&](std::size_t begin, std::size_t count) {
  // 16 + 2 + 7 + 2 + 11 + 2 + 40 = 80 columns.
  out += fmt::format("{}  {}  {}  {}\n", text::pad_right("customer", 16), "churn p",
                     text::pad_left("revenue", 11), "why (largest contributions first)");
  const std::size_t n = first_n(r.top, count);
  for (std::size_t i = begin; i < begin + n; ++i) {
    const ChurnScore& c = r.customers[i];
    const std::string first = c.factors.empty() ? "-" : c.factors[0].text;
    out += fmt::format("{}  {:>6.1f}%  {}  {}\n", text::pad_right(text::cell(c.customer_id, 16), 16),
                       100 * c.churn_probability,
                       text::pad_left(text::compact_money(c.revenue, 11), 11),
                       text::cell(first, 40));
    for (std::size_t k = 1; k < c.factors.size(); ++k) {
      out += std::string(40, ' ') + text::cell(c.factors[k].text, 40) + "\n";
    }
  }
  if (n < count) {
    out += fmt::format("... {} more (--top 0 shows all)\n", text::grouped_count(count - n));
  }
  };
  if (r.group_by.empty()) {
    out += "\n";
    list(0, r.customers.size());
  }
  for (const ChurnGroup& g : r.groups) {
    // As compute --by labels its blocks: "COLUMN = value".
    out += "\n" + text::wrap(fmt::format("{} = {}: {} active, {:.1f} expected to churn, {:.2f} revenue "
                                         "at risk", text::cell(r.group_by, 24),
                                         text::group_label(g.group, 24),
                                         text::grouped_count(g.count), g.expected_churners,
                                         g.revenue_at_risk),
                             text::kTableWidth, "", "  ");
    list(g.first, g.count);
  }
  for (const std::string& note : r.notes) out += text::wrap(note, text::kTableWidth, "Note: ", "  ");
  return out;
}

std::string features_csv(const FeatureTable& t, const std::vector<char>& in_training, const CsvStyle& style) {
  std::string out = "customer_id,period,label,in_training";
  for (const FeatureInfo& f : t.features) {
    out += ",";
    text::append_csv_field(out, f.name, style.formula_guard);
  }
  out += "\n";
  char buffer[32];
  for (std::size_t r = 0; r < t.rows(); ++r) {
    text::append_csv_field(out, t.customer_ids[t.customer[r]], style.formula_guard);
    out += "," + to_string(YearMonth{t.month[r]}) + ",";
    if (t.label[r] >= 0) out += t.label[r] == 1 ? "1" : "0";
    out += r < in_training.size() && in_training[r] ? ",1" : ",0";
    const float* v = t.row(r);
    for (std::size_t j = 0; j < t.columns(); ++j) {
      out += ",";
      if (std::isnan(v[j])) continue;
      // 9 significant digits read back as the same float.
      std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(v[j]));
      out += buffer;
    }
    out += "\n";
  }
  return out;
}

}  // namespace csm::io
