#include "csm/io/metrics_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "metrics_text.hpp"
#include "text_output.hpp"

// The field lists of the metrics outputs and the CSV writer; the JSON writer is in
// metrics_json.cpp, the table for people in metrics_table.cpp.

namespace csm::io {
namespace metrics_text {

std::optional<std::string> machine_text(const PeriodMetrics& m, const PeriodField& field) {
  return std::visit(
      [&](auto member) -> std::optional<std::string> {
        const auto& value = m.*member;
        if (!value) return std::nullopt;
        using T = std::decay_t<decltype(*value)>;
        if constexpr (std::is_same_v<T, double>) {
          return text::number_text(*value);
        } else if constexpr (std::is_same_v<T, MoneySum>) {
          return format_money(*value);
        } else {
          return std::to_string(*value);
        }
      },
      field.member);
}

}  // namespace metrics_text

using metrics_text::machine_text;
using metrics_text::written;

const std::vector<std::string>& period_field_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list = {"period"};
    for (const PeriodField& f : period_fields()) {
      if (written(f, false)) list.emplace_back(f.name);
    }
    return list;
  }();
  return names;
}

const std::vector<std::string>& nps_field_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const PeriodField& f : period_fields()) {
      if (!written(f, false)) list.emplace_back(f.name);
    }
    return list;
  }();
  return names;
}

bool has_nps(const MetricsReport& report) {
  const auto any = [](const std::vector<PeriodMetrics>& periods) {
    return std::any_of(periods.begin(), periods.end(), [](const PeriodMetrics& m) { return m.nps_responses.has_value(); });
  };
  if (any(report.periods)) return true;
  return std::any_of(report.groups.begin(), report.groups.end(), [&](const GroupPeriods& g) { return any(g.periods); });
}

std::string to_csv(const MetricsReport& report, const CsvStyle& style) {
  std::string out;
  const bool grouped = !report.group_by.empty();
  if (grouped) out += "group,";
  const auto& names = period_field_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out.push_back(',');
    out += names[i];
  }
  const bool with_nps = has_nps(report);
  if (with_nps) {
    for (const std::string& name : nps_field_names()) out += "," + name;
  }
  const bool coarse = report.grain != Grain::month;
  if (coarse) out += ",months";
  if (grouped) out += ",moved_in_customers,moved_out_customers,moved_in_mrr,moved_out_mrr";
  out.push_back('\n');
  // `group`: nullptr for the all-customers rows (an empty first field).
  const auto rows = [&](const std::vector<PeriodMetrics>& periods, const std::string* group,
                        const std::vector<GroupMoves>* moves) {
    for (std::size_t i = 0; i < periods.size(); ++i) {
      const PeriodMetrics& m = periods[i];
      if (grouped) {
        // The group without a value is "(none)", so that it cannot be taken for all customers;
        // a value that is literally "(none)" is written "'(none)".
        if (group != nullptr) out += text::csv_group_field(*group, style.formula_guard);
        out.push_back(',');
      }
      out += period_label(m.period, report.grain);
      for (const PeriodField& field : period_fields()) {
        if (!written(field, with_nps)) continue;
        out.push_back(',');
        if (const auto text = machine_text(m, field)) out += *text;
      }
      if (coarse) {
        out.push_back(',');
        out += std::to_string(i < report.period_months.size() ? report.period_months[i] : 0);
      }
      if (grouped) {
        if (moves != nullptr && i < moves->size()) {
          const GroupMoves& mv = (*moves)[i];
          out += fmt::format(",{},{},{},{}", mv.moved_in_customers, mv.moved_out_customers,
                             format_money(mv.moved_in_mrr), format_money(mv.moved_out_mrr));
        } else {
          out += ",,,,";
        }
      }
      out.push_back('\n');
    }
  };
  rows(report.periods, nullptr, nullptr);
  for (const GroupPeriods& g : report.groups) rows(g.periods, &g.group, &g.moves);
  return out;
}

}  // namespace csm::io
