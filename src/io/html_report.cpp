#include "csm/io/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>

#include "csm/io/svg_chart.hpp"
#include "csm/period_fields.hpp"
#include "html_sections.hpp"

// The HTML report page (to_html): its head and style, the header, the data-quality warnings, the
// sections (html_sections.cpp) and the settings table; and the cohort table as a heat map's rows
// (cohort_retention).

namespace csm::io {
namespace {

using html::word;
using svg::escape;
using svg::Unit;

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
  html::headline_section(out, r);
  html::customers_section(out, r);
  html::revenue_section(out, r);
  if (input.forecast && !input.forecast->labels.empty()) html::forecast_section(out, *input.forecast);
  html::satisfaction_section(out, r);
  if (input.cohorts) html::cohort_section(out, *input.cohorts);
  if (input.groups && !input.groups->groups.empty()) html::group_section(out, *input.groups, r.grain);
  if (input.churn_risk_html) out += *input.churn_risk_html;
  settings_section(out, input);

  out += "<footer>Made by csm-metrics " + escape(r.version);
  if (input.timestamp) out += " on " + escape(*input.timestamp);
  out += ". Self-contained: no scripts, no network; the charts are inline SVG. Money is in the "
         "input's currency.</footer>\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace csm::io
