#include "csm/io/at_risk_writer.hpp"

#include <fmt/format.h>

#include "text_output.hpp"

namespace csm::io {
namespace {

using text::grouped_money;
using text::json_string;
using text::number_text;

// The rows shown: all, or the first `top`.
std::size_t shown(const AtRiskReport& report) {
  const std::size_t n = report.result.customers_at_risk.size();
  return report.top == 0 ? n : std::min(n, report.top);
}

std::string reasons_text(const AtRiskCustomer& c) {
  std::string out;
  for (const std::string_view name : c.reasons()) {
    if (!out.empty()) out.push_back(',');
    out += name;
  }
  return out;
}

// The contraction percentage as written in the settings: "20", "12.5".
std::string pct_text(Money micro) {
  std::string text = format_money(micro);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

// A percentile as an ordinal: "25th", "1st", "12.5th", "100th".
std::string ordinal(Money micro) {
  std::string text = pct_text(micro);
  if (text.find('.') != std::string::npos) return text + "th";
  const int n = std::stoi(text);
  const char* suffix = (n % 100 >= 11 && n % 100 <= 13) ? "th"
                       : n % 10 == 1                    ? "st"
                       : n % 10 == 2                    ? "nd"
                       : n % 10 == 3                    ? "rd"
                                                        : "th";
  return text + suffix;
}

// "3 months", "1 month".
std::string months(int n) { return std::to_string(n) + (n == 1 ? " month" : " months"); }

}  // namespace

std::string to_json(const AtRiskReport& report) {
  const AtRiskOptions& o = report.options;
  const AtRiskResult& r = report.result;
  std::string out = "{\n";
  out += text::envelope_lines({report.version, "at-risk", to_string(report.input.kind)});
  out += fmt::format(
      "  \"settings\": {{\"as_of\": {}, \"contraction_window\": {}, \"contraction_pct\": {}, "
      "\"csat_window\": {}, \"csat_max\": {}, \"gap_window\": {}, \"flat_months\": {}, "
      "\"low_tier_pct\": {}, \"top\": {}}},\n",
      r.as_of ? json_string(to_string(*r.as_of)) : "null", o.contraction_window,
      pct_text(o.contraction_pct), o.csat_window, o.csat_max, o.gap_window, o.flat_months,
      pct_text(o.low_tier_pct), report.top == 0 ? "null" : std::to_string(report.top));
  out += "  \"input\": {\n    \"sources\": [";
  for (std::size_t i = 0; i < report.input.sources.size(); ++i) {
    out += (i ? ", " : "") + json_string(report.input.sources[i]);
  }
  out += fmt::format(
      "],\n    \"record_kind\": {},\n    \"records\": {},\n    \"skipped_records\": {},\n    \"customers\": {},\n"
      "    \"active_customers\": {},\n    \"customers_at_risk\": {},\n    \"tier_limit\": {}\n  }},\n",
      json_string(to_string(report.input.kind)), report.input.records, report.input.skipped, r.customers, r.active_customers,
      r.customers_at_risk.size(), r.active_customers ? format_money(r.tier_limit) : "null");
  out += "  \"customers\": [";
  for (std::size_t i = 0; i < shown(report); ++i) {
    const AtRiskCustomer& c = r.customers_at_risk[i];
    out += i ? ",\n    " : "\n    ";
    out += "{\"customer_id\": " + json_string(c.customer_id) +
           ", \"revenue_at_risk\": " + format_money(c.revenue_at_risk) + ", \"reasons\": [";
    const auto names = c.reasons();
    for (std::size_t k = 0; k < names.size(); ++k) out += (k ? ", \"" : "\"") + std::string(names[k]) + "\"";
    out += "], \"contraction\": ";
    out += c.contraction ? fmt::format("{{\"previous_max\": {}, \"previous_max_period\": \"{}\", \"drop_pct\": {}}}",
                                       format_money(c.contraction->previous_max),
                                       to_string(c.contraction->previous_max_period),
                                       number_text(c.contraction->drop_pct))
                         : "null";
    out += ", \"low_csat\": ";
    out += c.low_csat ? fmt::format("{{\"lowest\": {}, \"period\": \"{}\", \"responses\": {}}}",
                                    c.low_csat->lowest, to_string(c.low_csat->period),
                                    c.low_csat->responses)
                      : "null";
    out += ", \"gap_return\": ";
    out += c.gap_return ? fmt::format("{{\"returned\": \"{}\", \"gap_months\": {}}}",
                                      to_string(c.gap_return->returned), c.gap_return->gap_months)
                        : "null";
    out += ", \"flat_low_tier\": ";
    out += c.flat_low_tier ? fmt::format("{{\"months_unchanged\": {}, \"tier_limit\": {}}}",
                                         c.flat_low_tier->months_unchanged,
                                         format_money(c.flat_low_tier->tier_limit))
                           : "null";
    out += "}";
  }
  out += shown(report) ? "\n  ],\n" : "],\n";
  out += "  \"warnings\": [";
  for (std::size_t i = 0; i < report.warnings.size(); ++i) {
    out += (i ? ", " : "") + json_string(report.warnings[i]);
  }
  out += "]\n}\n";
  return out;
}

std::string to_csv(const AtRiskReport& report, const CsvStyle& style) {
  std::string out =
      "customer_id,revenue_at_risk,reasons,contraction_previous_max,contraction_previous_max_period,"
      "contraction_drop_pct,low_csat_lowest,low_csat_period,low_csat_responses,"
      "gap_return_period,gap_months,flat_months_unchanged,flat_tier_limit\n";
  for (std::size_t i = 0; i < shown(report); ++i) {
    const AtRiskCustomer& c = report.result.customers_at_risk[i];
    out += text::csv_field(c.customer_id, style.formula_guard) + "," +
           format_money(c.revenue_at_risk) + "," + text::csv_field(reasons_text(c));
    if (c.contraction) {
      out += "," + format_money(c.contraction->previous_max) + "," +
             to_string(c.contraction->previous_max_period) + "," + number_text(c.contraction->drop_pct);
    } else {
      out += ",,,";
    }
    if (c.low_csat) {
      out += fmt::format(",{},{},{}", c.low_csat->lowest, to_string(c.low_csat->period),
                         c.low_csat->responses);
    } else {
      out += ",,,";
    }
    if (c.gap_return) {
      out += fmt::format(",{},{}", to_string(c.gap_return->returned), c.gap_return->gap_months);
    } else {
      out += ",,";
    }
    if (c.flat_low_tier) {
      out += fmt::format(",{},{}", c.flat_low_tier->months_unchanged,
                         format_money(c.flat_low_tier->tier_limit));
    } else {
      out += ",,";
    }
    out.push_back('\n');
  }
  return out;
}

std::string to_table(const AtRiskReport& report) {
  // Long ids are shown with their middle elided (CSV and JSON have them whole): at most this
  // wide, and less where a line would pass 80 columns.
  constexpr std::size_t kIdWidth = 32;
  const AtRiskOptions& o = report.options;
  const AtRiskResult& r = report.result;
  struct Line {
    std::string customer;
    std::string at_risk;
    std::string reason;
    std::string evidence;
  };
  std::vector<Line> lines;
  for (std::size_t i = 0; i < shown(report); ++i) {
    const AtRiskCustomer& c = r.customers_at_risk[i];
    bool first = true;
    const auto add = [&](std::string_view reason, std::string evidence) {
      lines.push_back({first ? text::terminal_text(c.customer_id) : "",
                       first ? grouped_money(c.revenue_at_risk) : "",
                       std::string(reason), std::move(evidence)});
      first = false;
    };
    if (c.contraction) {
      add("contraction", fmt::format("down {:.1f}% from {} in {}", c.contraction->drop_pct,
                                     grouped_money(c.contraction->previous_max),
                                     to_string(c.contraction->previous_max_period)));
    }
    if (c.low_csat) {
      std::string text = fmt::format("csat {} in {}", c.low_csat->lowest, to_string(c.low_csat->period));
      if (c.low_csat->responses > 1) text += fmt::format(" ({} low responses)", c.low_csat->responses);
      add("low_csat", std::move(text));
    }
    if (c.gap_return) {
      add("gap_return", fmt::format("back in {} after a {}-month gap",
                                    to_string(c.gap_return->returned), c.gap_return->gap_months));
    }
    if (c.flat_low_tier) {
      // The percentile is named in the rules under the table.
      add("flat_low_tier", fmt::format("unchanged {} months, <= {}", c.flat_low_tier->months_unchanged,
                                       grouped_money(c.flat_low_tier->tier_limit)));
    }
  }
  std::size_t w_customer = 8;  // "customer"
  std::size_t w_risk = 7;      // "at risk"
  std::size_t w_reason = 6;    // "reason"
  std::size_t w_evidence = 0;
  for (const Line& l : lines) {
    w_customer = std::max(w_customer, text::display_width(l.customer));
    w_risk = std::max(w_risk, l.at_risk.size());
    w_reason = std::max(w_reason, l.reason.size());
    w_evidence = std::max(w_evidence, l.evidence.size());
  }
  const std::size_t others = 2 + w_risk + 2 + w_reason + 2 + w_evidence;
  const std::size_t room = others + 8 < text::kTableWidth ? text::kTableWidth - others : 8;
  w_customer = std::min({w_customer, kIdWidth, std::max(room, std::size_t{8})});
  std::string out;
  if (!r.as_of) return "no records\n";
  if (lines.empty()) {
    out += fmt::format("no customer active in {} shows a warning sign\n", to_string(*r.as_of));
  } else {
    out += fmt::format("{:<{}}  {:>{}}  {:<{}}  {}\n", "customer", w_customer, "at risk", w_risk,
                       "reason", w_reason, "evidence");
    for (const Line& l : lines) {
      out += fmt::format("{}  {:>{}}  {:<{}}  {}\n",
                         text::pad_right(text::elide_middle(l.customer, w_customer), w_customer),
                         l.at_risk, w_risk, l.reason, w_reason, l.evidence);
    }
  }
  MoneySum at_risk = 0;
  for (const AtRiskCustomer& c : r.customers_at_risk) at_risk += c.revenue_at_risk;
  out += fmt::format("\n{} of {} customers active in {} at risk, {} of monthly revenue",
                     r.customers_at_risk.size(), r.active_customers, to_string(*r.as_of),
                     grouped_money(at_risk));
  if (shown(report) < r.customers_at_risk.size()) {
    out += fmt::format(" (top {} shown)", shown(report));
  }
  out += "\n";
  out += fmt::format("rules: contraction    revenue >= {}% below the highest of the {} before\n",
                     pct_text(o.contraction_pct), months(o.contraction_window));
  out += fmt::format("       low_csat       a csat response <= {} in the last {}\n", o.csat_max,
                     months(o.csat_window));
  out += fmt::format("       gap_return     back after a month without revenue, in the last {} months\n",
                     o.gap_window);
  out += fmt::format("       flat_low_tier  unchanged >= {} months at <= {} ({} percentile)\n",
                     o.flat_months, r.active_customers ? grouped_money(r.tier_limit) : "-",
                     ordinal(o.low_tier_pct));
  return out;
}

}  // namespace csm::io
