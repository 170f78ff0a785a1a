// The metrics as one JSON document (to_json, docs/output.md) and the explain document
// (to_explain_json).

#include <map>
#include <string>
#include <utility>
#include <variant>

#include "csm/io/data_warnings.hpp"
#include "csm/io/metrics_writer.hpp"
#include "metrics_text.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

using metrics_text::JsonOut;
using metrics_text::machine_text;
using metrics_text::written;
using text::number_text;

// The invoice line counts of how the subscription lines were normalised, in output order: the
// explain report names them NAME, the member "invoices" NAME_lines.
constexpr std::pair<const char*, std::uint64_t InvoiceStats::*> kNormalisedLines[] = {
    {"trial", &InvoiceStats::trial_lines},
    {"credit", &InvoiceStats::credit_lines},
    {"whole_month", &InvoiceStats::whole_month_lines},
    {"day_rule", &InvoiceStats::day_rule_lines},
    {"no_month_end", &InvoiceStats::no_month_end_lines},
    {"after_until", &InvoiceStats::after_until_lines},
    {"converted", &InvoiceStats::converted_lines}};

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
    j.count("subscription", s.subscription_lines);
    j.count("one_time", s.one_time_lines);
    j.count("refund", s.refund_lines);
    for (const auto& [name, member] : kNormalisedLines) j.count(name, s.*member);
    j.key("currency");
    j.string_or_null(s.currency);
    j.close('}');
  }
  j.close('}');
}

// What was read: the members "sources", "records" and "skipped_records".
void write_read(JsonOut& j, const ReadReport& read) {
  j.key("sources");
  j.open('[', true);
  for (const std::string& source : read.sources) j.string(source);
  j.close(']');
  j.count("records", read.records);
  j.count("skipped_records", read.skipped);
}

// Invoice records: what the normalisation counted, and the one-time and refund sums per period of
// the grain (they are not MRR, so they are here and not among the metrics).
void write_invoices(JsonOut& j, const InvoiceStats& s, Grain grain) {
  j.key("invoices");
  j.open('{');
  j.key("currency");
  j.string_or_null(s.currency);
  j.count("lines", s.lines);
  j.count("subscription_lines", s.subscription_lines);
  for (const auto& [name, member] : kNormalisedLines) j.count(std::string(name) + "_lines", s.*member);
  j.count("one_time_lines", s.one_time_lines);
  j.key("one_time_amount");
  j.raw(format_money(s.one_time_amount));
  j.count("refund_lines", s.refund_lines);
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
  write_read(j, report.input);
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
    write_read(j, spend.input);
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

}  // namespace csm::io
