#include "csm/io/metrics_writer.hpp"
#include "csm/io/data_warnings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <span>
#include <variant>

#include "csm/io/sparkline.hpp"
#include "csm/period_fields.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

using text::append_json_string;
using text::number_text;

// The fields a report writes: all of period_fields(), without the NPS ones when no period has
// NPS counts.
bool written(const PeriodField& field, bool with_nps) { return with_nps || !field.nps; }

// The exact machine text of a field, or nullopt for null.
std::optional<std::string> machine_text(const PeriodMetrics& m, const PeriodField& field) {
  return std::visit(
      [&](auto member) -> std::optional<std::string> {
        const auto& value = m.*member;
        if (!value) return std::nullopt;
        using T = std::decay_t<decltype(*value)>;
        if constexpr (std::is_same_v<T, double>) {
          return number_text(*value);
        } else if constexpr (std::is_same_v<T, MoneySum>) {
          return format_money(*value);
        } else {
          return std::to_string(*value);
        }
      },
      field.member);
}

// A small streaming JSON writer: members in the order written, two-space indentation for the
// document, one line per period so that diffs of outputs stay readable.
class JsonOut {
 public:
  std::string text;

  void key(std::string_view name) {
    separator();
    append_json_string(text, name);
    text += ": ";
    fresh_ = true;
  }
  void raw(std::string_view value) {
    separator();
    text += value;
  }
  void string(std::string_view value) {
    separator();
    append_json_string(text, value);
  }
  void null() { raw("null"); }
  template <typename T>
  void optional_number(const std::optional<T>& value) {
    if (!value) return null();
    if constexpr (std::is_same_v<T, double>) {
      raw(number_text(*value));
    } else if constexpr (std::is_same_v<T, MoneySum>) {
      raw(format_money(*value));
    } else {
      raw(std::to_string(*value));
    }
  }
  void open(char bracket, bool inline_layout = false) {
    separator();
    text.push_back(bracket);
    stack_.push_back(inline_layout || (!stack_.empty() && stack_.back()));
    fresh_ = true;
    first_ = true;
  }
  void close(char bracket) {
    const bool was_inline = stack_.back();
    stack_.pop_back();
    if (!first_ && !was_inline) newline();
    text.push_back(bracket);
    first_ = false;
    fresh_ = false;
  }

 private:
  void separator() {
    if (fresh_ && !first_) {  // a value right after its key
      fresh_ = false;
      return;
    }
    if (!first_) text.push_back(',');
    if (!stack_.empty()) {
      if (stack_.back()) {
        if (!first_) text.push_back(' ');
      } else {
        newline();
      }
    }
    first_ = false;
    fresh_ = false;
  }
  void newline() {
    text.push_back('\n');
    text.append(2 * stack_.size(), ' ');
  }
  std::vector<bool> stack_;  // true = inline layout
  bool fresh_ = false;
  bool first_ = true;
};

// The member "data_warnings", only when there are any (docs/metrics.md, section 15).
void write_data_warnings(JsonOut& j, const std::vector<DataWarning>& warnings) {
  if (warnings.empty()) return;
  j.key("data_warnings");
  j.open('[');
  for (const DataWarning& w : warnings) j.raw(data_warning_json(w));
  j.close(']');
}

void write_explain(JsonOut& j, const ExplainReport& r) {
  j.key("explain");
  j.open('{');
  j.key("rows_read");
  j.raw(std::to_string(r.rows_read));
  j.key("rows_used");
  j.raw(std::to_string(r.rows_used));
  j.key("rows_skipped");
  j.raw(std::to_string(r.rows_skipped));
  j.key("customers");
  j.optional_number(r.customers);
  j.key("first_period");
  if (r.first) {
    j.string(to_string(*r.first));
  } else {
    j.null();
  }
  j.key("last_period");
  if (r.last) {
    j.string(to_string(*r.last));
  } else {
    j.null();
  }
  j.key("months");
  j.raw(std::to_string(r.months));
  j.key("months_without_rows");
  j.open('[', true);
  for (const YearMonth m : r.months_without_rows) j.string(to_string(m));
  j.close(']');
  j.key("duplicate_rows");
  j.optional_number(r.duplicate_rows);
  j.key("zero_revenue_rows");
  j.raw(std::to_string(r.zero_revenue_rows));
  j.key("invalid_by_field");
  j.open('{', true);
  for (const auto& [field, n] : r.invalid_by_field) {
    j.key(field);
    j.raw(std::to_string(n));
  }
  j.close('}');
  if (r.invoices) {  // invoice records only: the lines by type and how they were normalised
    const InvoiceStats& s = *r.invoices;
    j.key("invoice_lines");
    j.open('{', true);
    const auto count = [&j](const char* key, std::uint64_t n) {
      j.key(key);
      j.raw(std::to_string(n));
    };
    count("subscription", s.subscription_lines);
    count("one_time", s.one_time_lines);
    count("refund", s.refund_lines);
    count("trial", s.trial_lines);
    count("credit", s.credit_lines);
    count("whole_month", s.whole_month_lines);
    count("day_rule", s.day_rule_lines);
    count("no_month_end", s.no_month_end_lines);
    count("after_until", s.after_until_lines);
    count("converted", s.converted_lines);
    j.key("currency");
    if (s.currency.empty()) {
      j.null();
    } else {
      j.string(s.currency);
    }
    j.close('}');
  }
  j.close('}');
}

}  // namespace

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

// Invoice records: what the normalisation counted, and the one-time and refund sums per period of
// the grain (they are not MRR, so they are here and not among the metrics).
void write_invoices(JsonOut& j, const InvoiceStats& s, Grain grain) {
  j.key("invoices");
  j.open('{');
  j.key("currency");
  if (s.currency.empty()) {
    j.null();
  } else {
    j.string(s.currency);
  }
  const auto count = [&j](const char* key, std::uint64_t n) {
    j.key(key);
    j.raw(std::to_string(n));
  };
  count("lines", s.lines);
  count("subscription_lines", s.subscription_lines);
  count("trial_lines", s.trial_lines);
  count("credit_lines", s.credit_lines);
  count("whole_month_lines", s.whole_month_lines);
  count("day_rule_lines", s.day_rule_lines);
  count("no_month_end_lines", s.no_month_end_lines);
  count("after_until_lines", s.after_until_lines);
  count("converted_lines", s.converted_lines);
  count("one_time_lines", s.one_time_lines);
  j.key("one_time_amount");
  j.raw(format_money(s.one_time_amount));
  count("refund_lines", s.refund_lines);
  j.key("refund_amount");
  j.raw(format_money(s.refund_amount));
  std::map<std::int32_t, std::pair<MoneySum, MoneySum>> by_period;
  for (const auto& [month, sums] : s.non_recurring_by_month) {
    auto& p = by_period[period_start(YearMonth{month}, grain).index];
    p.first += sums.first;
    p.second += sums.second;
  }
  j.key("non_recurring");
  j.open('[');
  for (const auto& [first, sums] : by_period) {
    j.open('{', true);
    j.key("period");
    j.string(period_label(YearMonth{first}, grain));
    j.key("one_time");
    j.raw(format_money(sums.first));
    j.key("refunds");
    j.raw(format_money(sums.second));
    j.close('}');
  }
  j.close(']');
  j.close('}');
}

namespace {
// The envelope (text::envelope_members): tool, version, command, kind.
void put_envelope(JsonOut& j, const MetricsReport& report) {
  for (const auto& [name, value] : text::envelope_members({report.version, report.command, to_string(report.kind)})) {
    j.key(name);
    if (value) {
      j.string(*value);
    } else {
      j.null();
    }
  }
}
}  // namespace

std::string to_json(const MetricsReport& report) {
  JsonOut j;
  j.open('{');
  put_envelope(j, report);
  if (report.grain != Grain::month) {
    j.key("grain");
    j.string(to_string(report.grain));
  }
  if (!report.group_by.empty()) {
    j.key("group_by");
    j.string(report.group_by);
  }

  j.key("settings");
  j.open('{', true);
  j.key("csat_threshold");
  j.raw(std::to_string(report.options.csat_threshold));
  j.key("gross_margin");
  j.raw(number_text(report.options.gross_margin));
  j.key("discount_rate");
  j.raw(number_text(report.options.discount_rate));
  j.key("quick_ratio_reactivation");
  j.raw(report.options.quick_ratio_reactivation ? "true" : "false");
  j.close('}');

  j.key("input");
  j.open('{');
  j.key("sources");
  j.open('[', true);
  for (const std::string& s : report.input.sources) j.string(s);
  j.close(']');
  j.key("records");
  j.raw(std::to_string(report.input.records));
  j.key("skipped_records");
  j.raw(std::to_string(report.input.skipped));
  // Only with the options that make them, so that other documents keep their bytes.
  if (report.input.outside_range > 0) {
    j.key("outside_range_records");
    j.raw(std::to_string(report.input.outside_range));
  }
  if (report.input.dedupe) {
    j.key("duplicate_records_dropped");
    j.raw(std::to_string(report.input.duplicates_dropped));
  }
  if (report.input.round_money) {
    j.key("rounded_amounts");
    j.raw(std::to_string(report.input.rounded_amounts));
  }
  j.key("customers");
  if (report.activity) {
    j.raw(std::to_string(report.activity->customers));
  } else {
    j.null();
  }
  j.key("zero_revenue_records");
  if (report.activity) {
    j.raw(std::to_string(report.activity->zero_revenue_records));
  } else {
    j.null();
  }
  j.key("first_period");
  if (report.summary.first) {
    j.string(to_string(*report.summary.first));
  } else {
    j.null();
  }
  j.key("last_period");
  if (report.summary.last) {
    j.string(to_string(*report.summary.last));
  } else {
    j.null();
  }
  j.key("months");
  j.raw(std::to_string(report.summary.months));
  j.close('}');
  if (report.input.invoices) write_invoices(j, *report.input.invoices, report.grain);

  const auto write_summary = [&j](const RangeSummary& s) {
    j.open('{');
    for (const SummaryField& field : summary_fields()) {
      j.key(field.name);
      std::visit([&](auto member) { j.optional_number(s.*member); }, field.member);
    }
    j.close('}');
  };
  const bool with_nps = has_nps(report);
  // One period object; `moves` adds the four moved_* members of a group's period.
  const auto write_period = [&](const PeriodMetrics& m, std::size_t i, const GroupMoves* moves) {
    j.open('{', true);
    j.key("period");
    j.string(period_label(m.period, report.grain));
    for (const PeriodField& field : period_fields()) {
      if (!written(field, with_nps)) continue;
      j.key(field.name);
      const auto text = machine_text(m, field);
      if (text) {
        j.raw(*text);
      } else {
        j.null();
      }
    }
    if (report.grain != Grain::month) {
      j.key("months");
      j.raw(std::to_string(i < report.period_months.size() ? report.period_months[i] : 0));
    }
    if (moves != nullptr) {
      j.key("moved_in_customers");
      j.raw(std::to_string(moves->moved_in_customers));
      j.key("moved_out_customers");
      j.raw(std::to_string(moves->moved_out_customers));
      j.key("moved_in_mrr");
      j.raw(format_money(moves->moved_in_mrr));
      j.key("moved_out_mrr");
      j.raw(format_money(moves->moved_out_mrr));
    }
    j.close('}');
  };

  if (report.spend) {
    const SpendReport& spend = *report.spend;
    j.key("spend");
    j.open('{');
    j.key("sources");
    j.open('[', true);
    for (const std::string& source : spend.input.sources) j.string(source);
    j.close(']');
    j.key("records");
    j.raw(std::to_string(spend.input.records));
    j.key("skipped_records");
    j.raw(std::to_string(spend.input.skipped));
    j.key("mode");
    j.string(spend.mode == SpendMode::add ? "add" : "replace");
    j.key("total");
    j.raw(format_money(spend.applied.total));
    j.key("applied");
    j.raw(format_money(spend.applied.applied));
    j.key("months_outside_range");
    j.open('[', true);
    for (const YearMonth month : spend.applied.outside) j.string(to_string(month));
    j.close(']');
    j.close('}');
  }

  j.key("summary");
  write_summary(report.summary);

  j.key("periods");
  j.open('[');
  for (std::size_t i = 0; i < report.periods.size(); ++i) write_period(report.periods[i], i, nullptr);
  j.close(']');

  if (!report.group_by.empty()) {
    j.key("groups");
    j.open('[');
    for (std::size_t g = 0; g < report.groups.size(); ++g) {
      const GroupPeriods& group = report.groups[g];
      j.open('{');
      j.key("group");
      j.string(group.group);
      j.key("summary");
      write_summary(g < report.group_summaries.size() ? report.group_summaries[g] : RangeSummary{});
      j.key("periods");
      j.open('[');
      for (std::size_t i = 0; i < group.periods.size(); ++i) {
        write_period(group.periods[i], i, i < group.moves.size() ? &group.moves[i] : nullptr);
      }
      j.close(']');
      j.close('}');
    }
    j.close(']');
  }

  if (report.thresholds) {
    j.key("thresholds");
    j.open('[');
    for (const ThresholdCheck& check : *report.thresholds) {
      j.open('{', true);
      j.key("expression");
      j.string(check.threshold.expression);
      if (check.is_group) {
        j.key("group");
        j.string(check.group);
      }
      j.key("field");
      j.string(check.threshold.field);
      j.key("op");
      j.string(to_string(check.threshold.op));
      j.key("limit");
      j.raw(limit_text(check.threshold));
      j.key("period");
      if (check.period) {
        j.string(period_label(*check.period, report.grain));
      } else {
        j.null();
      }
      j.key("value");
      if (check.value) {
        j.raw(*check.value);
      } else {
        j.null();
      }
      j.key("crossed");
      j.raw(check.crossed ? "true" : "false");
      j.key("note");
      if (check.value) {
        j.null();
      } else {
        j.string(check.null_reason);
      }
      j.close('}');
    }
    j.close(']');
  }

  j.key("warnings");
  j.open('[', true);
  for (const std::string& w : report.warnings) j.string(w);
  j.close(']');
  write_data_warnings(j, report.data_warnings);
  if (report.explain) write_explain(j, *report.explain);
  j.close('}');
  j.text.push_back('\n');
  return std::move(j.text);
}

std::string to_explain_json(const MetricsReport& report) {
  JsonOut j;
  j.open('{');
  put_envelope(j, report);
  if (report.explain) write_explain(j, *report.explain);
  j.key("warnings");
  j.open('[', true);
  for (const std::string& w : report.warnings) j.string(w);
  j.close(']');
  write_data_warnings(j, report.data_warnings);
  j.close('}');
  j.text.push_back('\n');
  return std::move(j.text);
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

namespace {

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
