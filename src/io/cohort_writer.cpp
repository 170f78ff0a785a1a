#include "csm/io/cohort_writer.hpp"

#include <fmt/format.h>

#include "text_output.hpp"

namespace csm::io {
namespace {

using text::json_string;
using text::number_text;

std::string optional_text(const Rate& value, const char* null_text) {
  return value ? number_text(*value) : null_text;
}

std::string label(const CohortTable& table, YearMonth period) {
  return period_label(period, table.options.grain);
}

}  // namespace

std::string cohorts_to_json(const CohortReport& report) {
  const CohortTable& t = report.table;
  std::string out = "{\n";
  out += text::envelope_lines({report.version, report.command, to_string(report.input.kind)});
  out += "  \"grain\": " + json_string(to_string(t.options.grain)) + ",\n";
  out += fmt::format("  \"exclude_reactivated\": {},\n", t.options.exclude_reactivated ? "true" : "false");
  if (!report.group_by.empty()) out += "  \"group_by\": " + json_string(report.group_by) + ",\n";
  out += "  \"input\": {\n    \"sources\": [";
  for (std::size_t i = 0; i < report.input.sources.size(); ++i) {
    out += (i ? ", " : "") + json_string(report.input.sources[i]);
  }
  out += "],\n";
  out += fmt::format("    \"records\": {},\n    \"skipped_records\": {},\n    \"customers\": {},\n",
                     report.input.records, report.input.skipped, report.activity.customers);
  const auto period_or_null = [](const std::optional<YearMonth>& m) {
    return m ? json_string(to_string(*m)) : std::string("null");
  };
  out += "    \"first_period\": " + period_or_null(report.activity.first) + ",\n";
  out += "    \"last_period\": " + period_or_null(report.activity.last) + "\n  },\n";
  // The cohorts array, its elements indented by `indent`.
  const auto cohort_list = [&](const std::vector<Cohort>& cohorts, const std::string& indent) {
    std::string text = "[";
    for (std::size_t c = 0; c < cohorts.size(); ++c) {
      const Cohort& cohort = cohorts[c];
      text += c ? ",\n" : "\n";
      text += indent;
      text += fmt::format("{{\"cohort\": {}, \"customers\": {}, \"revenue\": {}, \"ages\": [",
                          json_string(label(t, cohort.period)), cohort.customers,
                          format_money(cohort.ages.empty() ? 0 : cohort.ages.front().revenue));
      for (std::size_t k = 0; k < cohort.ages.size(); ++k) {
        const CohortAge& a = cohort.ages[k];
        text += (k ? ",\n  " : "\n  ") + indent;
        text += fmt::format(
            "{{\"age\": {}, \"active_customers\": {}, \"revenue\": {}, \"logo_retention\": {}, "
            "\"revenue_retention\": {}}}",
            k, a.active_customers, format_money(a.revenue), optional_text(a.logo_retention, "null"),
            optional_text(a.revenue_retention, "null"));
      }
      text += "]}";
    }
    if (!cohorts.empty()) text += "\n" + indent.substr(2);
    return text + "]";
  };
  out += "  \"cohorts\": " + cohort_list(t.cohorts, "    ") + ",\n";
  if (!report.group_by.empty()) {
    out += "  \"groups\": [";
    for (std::size_t g = 0; g < t.groups.size(); ++g) {
      out += g ? ",\n" : "\n";
      out += "    {\"group\": " + json_string(t.groups[g].group) + ", \"cohorts\": " +
             cohort_list(t.groups[g].cohorts, "      ") + "}";
    }
    out += t.groups.empty() ? "],\n" : "\n  ],\n";
  }
  out += "  \"warnings\": [";
  for (std::size_t i = 0; i < report.warnings.size(); ++i) {
    out += (i ? ", " : "") + json_string(report.warnings[i]);
  }
  out += "]\n}\n";
  return out;
}

std::string cohorts_to_csv(const CohortReport& report, const CsvStyle& style) {
  const CohortTable& t = report.table;
  const bool grouped = !report.group_by.empty();
  std::string out = grouped ? "group," : "";
  out += "cohort,age,customers,active_customers,revenue,logo_retention,revenue_retention\n";
  const auto rows = [&](const std::vector<Cohort>& cohorts, const std::string* group) {
    for (const Cohort& cohort : cohorts) {
      for (std::size_t k = 0; k < cohort.ages.size(); ++k) {
        const CohortAge& a = cohort.ages[k];
        if (grouped) {
          if (group != nullptr) out += text::csv_group_field(*group, style.formula_guard);
          out.push_back(',');
        }
        out += fmt::format("{},{},{},{},{},{},{}\n", label(t, cohort.period), k, cohort.customers,
                           a.active_customers, format_money(a.revenue),
                           optional_text(a.logo_retention, ""), optional_text(a.revenue_retention, ""));
      }
    }
  };
  rows(t.cohorts, nullptr);
  for (const CohortGroup& g : t.groups) rows(g.cohorts, &g.group);
  return out;
}

std::string cohorts_to_table(const CohortReport& report, const CohortTableStyle& style) {
  const CohortTable& t = report.table;
  const char* bold = style.color ? "\x1b[1m" : "";
  const char* dim = style.color ? "\x1b[2m" : "";
  const char* reset = style.color ? "\x1b[0m" : "";
  std::size_t ages = 0;
  for (const Cohort& c : t.cohorts) ages = std::max(ages, c.ages.size());
  for (const CohortGroup& g : t.groups) {
    for (const Cohort& c : g.cohorts) ages = std::max(ages, c.ages.size());
  }
  const std::size_t shown = std::min(ages, style.max_ages);

  std::size_t label_width = 6;
  std::size_t size_width = 9;
  for (const Cohort& c : t.cohorts) {
    label_width = std::max(label_width, label(t, c.period).size());
    size_width = std::max(size_width, std::to_string(c.customers).size());
  }
  const auto matrix = [&](const std::vector<Cohort>& cohorts, bool revenue) {
    std::string out = bold;
    out += fmt::format("{:<{}}  {:>{}}", "cohort", label_width, "customers", size_width);
    for (std::size_t k = 0; k < shown; ++k) out += fmt::format(" {:>5}", k);
    out += reset;
    out.push_back('\n');
    for (const Cohort& c : cohorts) {
      out += fmt::format("{:<{}}  {:>{}}", label(t, c.period), label_width, c.customers, size_width);
      for (std::size_t k = 0; k < shown && k < c.ages.size(); ++k) {
        const Rate& value = revenue ? c.ages[k].revenue_retention : c.ages[k].logo_retention;
        if (!value) {
          out += fmt::format(" {}{:>5}{}", dim, "-", reset);
        } else if (*value >= 999.5) {
          out += fmt::format(" {:>5.0f}", *value);
        } else {
          out += fmt::format(" {:>5.1f}", *value);
        }
      }
      out.push_back('\n');
    }
    return out;
  };

  const std::string unit = std::string(to_string(t.options.grain)) + "s";
  std::string out;
  if (style.metric != CohortMetric::revenue) {
    out += fmt::format("logo retention, % of the cohort's customers active, by {} since joining\n", unit.substr(0, unit.size() - 1));
    out += matrix(t.cohorts, false);
    for (const CohortGroup& g : t.groups) {
      out += fmt::format("\n{}{} = {}{}\n", bold, text::cell(report.group_by, 40), text::group_label(g.group), reset);
      out += matrix(g.cohorts, false);
    }
  }
  if (style.metric != CohortMetric::logo) {
    if (!out.empty()) out.push_back('\n');
    out += fmt::format("revenue retention, % of the cohort's revenue at age 0, by {} since joining\n", unit.substr(0, unit.size() - 1));
    out += matrix(t.cohorts, true);
    for (const CohortGroup& g : t.groups) {
      out += fmt::format("\n{}{} = {}{}\n", bold, text::cell(report.group_by, 40), text::group_label(g.group), reset);
      out += matrix(g.cohorts, true);
    }
  }
  if (t.cohorts.empty()) out += "(no active customers)\n";
  std::string notes;
  if (t.options.exclude_reactivated) notes += "customers who ever left are not counted again (--exclude-reactivated)\n";
  if (shown < ages) {
    notes += fmt::format("ages {} to {} not shown; --format csv or json has them all\n", shown, ages - 1);
  }
  if (!t.months_covered.empty() && t.months_covered.back() < months_in(t.options.grain)) {
    notes += fmt::format("the last {} is partial: age counted at its last month in the data\n",
                         unit.substr(0, unit.size() - 1));
  }
  out += fmt::format("\n{}{}{} records, {} customers{}\n", dim, notes, report.input.records,
                     report.activity.customers, reset);
  return out;
}

}  // namespace csm::io
