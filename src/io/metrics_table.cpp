// The metrics as an aligned table for people (to_table): the key columns or all of them, trend
// lines, the groups, and a footer with the summary and what was read.

#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "csm/io/metrics_writer.hpp"
#include "csm/io/sparkline.hpp"
#include "metrics_text.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

using metrics_text::written;

// `compact`: money as 11.2M where the table would not fit 80 columns otherwise.
std::string human_text(const PeriodMetrics& m, const PeriodField& field, bool compact = false) {
  return std::visit(
      [&](auto member) -> std::string {
        const auto& value = m.*member;
        if (!value) return "-";
        using T = std::decay_t<decltype(*value)>;
        if constexpr (std::is_same_v<T, double>) {
          if (field.unit == FieldUnit::percent || field.unit == FieldUnit::points) {
            return fmt::format("{:.1f}", *value);
          }
          if (field.unit == FieldUnit::ratio) return fmt::format("{:.2f}", *value);
          return compact ? text::compact_number(*value, 2, 0) : text::grouped_number(*value, 2);
        } else if constexpr (std::is_same_v<T, MoneySum>) {
          return compact ? text::compact_number(to_double(*value), 2, 0)
                         : text::grouped_number(to_double(*value), 2);
        } else {
          return text::grouped_number(static_cast<double>(*value), 0);
        }
      },
      field.member);
}

// "average monthly churn 2.94% (annualized 30.1%), average nrr 100.6%", or "" when undefined.
std::string summary_line(const RangeSummary& s) {
  std::string line;
  if (s.average_churn_rate) {
    line += fmt::format("average monthly churn {:.2f}% (annualized {:.1f}%)", *s.average_churn_rate,
                        s.annualized_churn_rate.value_or(0));
  }
  if (s.average_nrr) line += fmt::format("{}average nrr {:.1f}%", line.empty() ? "" : ", ", *s.average_nrr);
  return line;
}

struct Column {
  std::string heading;
  const PeriodField* field;  // nullptr: the period, or a group's moves
  int moved = 0;  // with field nullptr: 1..4 = moved_in/out_customers, moved_in/out_mrr
};

}  // namespace

std::string to_table(const MetricsReport& report, const TableStyle& style) {
  std::vector<Column> columns = {{"period", nullptr}};
  if (style.all_columns) {
    const bool with_nps = has_nps(report);
    for (const PeriodField& f : period_fields()) {
      if (written(f, with_nps)) columns.push_back({std::string(f.name), &f});
    }
  } else {
    // The key columns, chosen to fit 80 columns: movement of customers, revenue, satisfaction.
    const std::pair<const char*, const char*> key[] = {
        {"active", "customers_end"}, {"new", "new_customers"},   {"react", "reactivated_customers"},
        {"churn", "churned_customers"}, {"churn%", "churn_rate"},   {"mrr", "mrr_end"},
        {"nrr%", "nrr"},                {"arpu", "arpu"},           {"csat%", "csat"}};
    for (const auto& [heading, name] : key) columns.push_back({heading, find_period_field(name)});
  }

  const char* bold = style.color ? "\x1b[1m" : "";
  const char* dim = style.color ? "\x1b[2m" : "";
  const char* reset = style.color ? "\x1b[0m" : "";
  bool partial = false;  // a quarter or year the data covers only in part is starred
  // The aligned rows of one list of periods (all customers, or one group with its moves).
  const auto block = [&](const std::vector<Column>& cols, const std::vector<PeriodMetrics>& periods,
                         const std::vector<GroupMoves>* moves) {
    // Money columns shown compact (11.2M), the widest first, until the key columns fit.
    std::vector<bool> compact(cols.size(), false);
    const auto make_cells = [&] {
      std::vector<std::vector<std::string>> cells;
      for (std::size_t i = 0; i < periods.size(); ++i) {
        const PeriodMetrics& m = periods[i];
        std::string label = period_label(m.period, report.grain);
        if (i < report.period_months.size() && report.period_months[i] < months_in(report.grain)) {
          label += '*';
          partial = true;
        }
        std::vector<std::string> row;
        for (std::size_t k = 0; k < cols.size(); ++k) {
          const Column& c = cols[k];
          if (c.field) {
            row.push_back(human_text(m, *c.field, compact[k]));
          } else if (c.moved == 0) {
            row.push_back(label);
          } else if (moves == nullptr || i >= moves->size()) {
            row.push_back("-");
          } else {
            const GroupMoves& mv = (*moves)[i];
            switch (c.moved) {
              case 1:
                row.push_back(text::grouped_number(static_cast<double>(mv.moved_in_customers), 0));
                break;
              case 2:
                row.push_back(text::grouped_number(static_cast<double>(mv.moved_out_customers), 0));
                break;
              case 3:
                row.push_back(text::grouped_number(to_double(mv.moved_in_mrr), 2));
                break;
              default:
                row.push_back(text::grouped_number(to_double(mv.moved_out_mrr), 2));
                break;
            }
          }
        }
        cells.push_back(std::move(row));
      }
      return cells;
    };
    std::vector<std::vector<std::string>> cells = make_cells();
    std::vector<std::size_t> width(cols.size());
    const auto measure = [&] {
      std::size_t total = 0;
      for (std::size_t c = 0; c < cols.size(); ++c) {
        width[c] = cols[c].heading.size();
        for (const auto& row : cells) width[c] = std::max(width[c], row[c].size());
        total += (c ? 2 : 0) + width[c];
      }
      return total;
    };
    while (measure() > text::kTableWidth && !style.all_columns) {
      std::size_t widest = cols.size();
      for (std::size_t c = 0; c < cols.size(); ++c) {
        const bool money = cols[c].field != nullptr && (cols[c].field->unit == FieldUnit::money ||
                                                        cols[c].field->unit == FieldUnit::money_per);
        if (money && !compact[c] && (widest == cols.size() || width[c] > width[widest])) widest = c;
      }
      if (widest == cols.size()) break;
      compact[widest] = true;
      cells = make_cells();
    }
    std::string text = bold;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      if (c) text += "  ";
      text += c == 0 ? fmt::format("{:<{}}", cols[c].heading, width[c])
                     : fmt::format("{:>{}}", cols[c].heading, width[c]);
    }
    text += reset;
    text.push_back('\n');
    for (const auto& row : cells) {
      for (std::size_t c = 0; c < cols.size(); ++c) {
        if (c) text += "  ";
        const bool null = row[c] == "-";
        if (null) text += dim;
        text += c == 0 ? fmt::format("{:<{}}", row[c], width[c]) : fmt::format("{:>{}}", row[c], width[c]);
        if (null) text += reset;
      }
      text.push_back('\n');
    }
    return text;
  };
  std::string out = block(columns, report.periods, nullptr);
  // Trend lines for people, under the key columns only (--all is wide already).
  if (!style.all_columns) {
    const std::string trend = trend_lines(
        report.periods, style.unicode ? SparkCharset::unicode : SparkCharset::ascii, 80,
        report.grain);
    if (!trend.empty()) out += "\n" + trend;
  }
  if (!report.group_by.empty()) {
    // Per group: customers moved in from and out to other groups in place of csat (80 columns).
    std::vector<Column> group_columns;
    for (const Column& c : columns) {
      if (!style.all_columns && c.field != nullptr && std::string_view(c.field->name) == "csat") continue;
      group_columns.push_back(c);
      if (!style.all_columns && c.heading == "churn%") {
        group_columns.push_back({"in", nullptr, 1});
        group_columns.push_back({"out", nullptr, 2});
      }
    }
    if (style.all_columns) {
      group_columns.push_back({"moved_in_customers", nullptr, 1});
      group_columns.push_back({"moved_out_customers", nullptr, 2});
      group_columns.push_back({"moved_in_mrr", nullptr, 3});
      group_columns.push_back({"moved_out_mrr", nullptr, 4});
    }
    for (std::size_t k = 0; k < report.groups.size(); ++k) {
      const GroupPeriods& g = report.groups[k];
      out += fmt::format("\n{}{} = {}{}\n", bold, text::cell(report.group_by, 40),
                         text::group_label(g.group), reset);
      out += block(group_columns, g.periods, &g.moves);
      if (k < report.group_summaries.size()) {
        const std::string line = summary_line(report.group_summaries[k]);
        if (!line.empty()) out += fmt::format("{}{}{}\n", dim, line, reset);
      }
    }
  }

  std::string footer = summary_line(report.summary);
  const RangeSummary& s = report.summary;
  // Under --by the groups' summaries come first: this one is labelled.
  if (!footer.empty() && !report.group_by.empty()) {
    footer = (footer.size() + 15 <= text::kTableWidth ? "all customers: " : "all customers:\n") + footer;
  }
  if (!footer.empty()) out += "\n" + footer + "\n";
  if (!report.group_by.empty() && !style.all_columns) {
    out += fmt::format("{}in/out: customers who moved from/to another {} (not churn){}\n", dim,
                       text::cell(report.group_by, 40), reset);
  }
  if (partial) {
    out += fmt::format("{}* the data covers only part of this {}{}\n", dim, to_string(report.grain), reset);
  }
  std::string input = fmt::format("{} records", text::grouped_number(static_cast<double>(report.input.records), 0));
  if (report.activity) {
    input += fmt::format(", {} customers", text::grouped_number(static_cast<double>(report.activity->customers), 0));
  }
  input += fmt::format(", {} months", s.months);
  if (report.input.outside_range) {
    input += fmt::format(", {} outside --since/--until", text::grouped_number(static_cast<double>(report.input.outside_range), 0));
  }
  if (report.input.duplicates_dropped) {
    input += fmt::format(", {} duplicates dropped", text::grouped_number(static_cast<double>(report.input.duplicates_dropped), 0));
  }
  if (report.input.rounded_amounts) {
    input += fmt::format(", {} amounts rounded", text::grouped_number(static_cast<double>(report.input.rounded_amounts), 0));
  }
  if (report.input.skipped) {
    input += fmt::format(", {} invalid records skipped", text::grouped_number(static_cast<double>(report.input.skipped), 0));
  }
  out += fmt::format("{}{}{}\n", dim, input, reset);
  if (!style.all_columns) out += fmt::format("{}(--all shows every field; --format json or csv for machines){}\n", dim, reset);
  return out;
}

}  // namespace csm::io
