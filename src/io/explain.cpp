#include "csm/io/explain.hpp"

#include <fmt/format.h>

#include "text_output.hpp"

namespace csm::io {

ExplainReport make_explain(RecordKind kind, const ReadReport& input,
                           const std::optional<ActivityStats>& activity,
                           const std::vector<PeriodMetrics>& periods, const InputProfile& profile) {
  ExplainReport r;
  r.kind = kind;
  r.rows_used = input.records;
  r.rows_skipped = input.skipped;
  r.rows_read = input.records + input.skipped;
  if (activity) r.customers = activity->customers;
  if (!periods.empty()) {
    r.first = periods.front().period;
    r.last = periods.back().period;
    r.months = static_cast<std::int64_t>(periods.size());
  }
  if (kind == RecordKind::invoice) r.invoices = input.invoices;
  // Subscription and invoice records have service periods: a month without rows is a month in
  // which nobody is active.
  if (kind == RecordKind::subscription || kind == RecordKind::invoice) {
    for (const PeriodMetrics& m : periods) {
      if (m.customers_end.value_or(0) == 0) r.months_without_rows.push_back(m.period);
    }
  } else if (r.first) {
    // Summary records list only the months given: the gaps are between them.
    for (YearMonth m = *r.first; m <= *r.last; m = m.next()) {
      if (!profile.has_rows(m)) r.months_without_rows.push_back(m);
    }
  }
  if (kind == RecordKind::summary && r.first) {
    r.months = r.last->index - r.first->index + 1;
  }
  if (kind != RecordKind::summary) r.duplicate_rows = profile.duplicate_rows();
  r.zero_revenue_rows = profile.zero_revenue_rows();
  r.invalid_by_field = input.skipped_by_field;
  return r;
}

std::string explain_text(const ExplainReport& r) {
  const bool subscriptions = r.kind == RecordKind::subscription;
  const bool invoices = r.kind == RecordKind::invoice && r.invoices;
  std::string out = fmt::format("input report ({} records)\n", to_string(r.kind));
  const auto line = [&](std::string_view label, const std::string& value, const std::string& note) {
    out += fmt::format("  {:<22}{:>12}{}\n", label, value, note.empty() ? "" : "  " + note);
  };
  line(subscriptions ? "subscriptions read" : invoices ? "invoice lines read" : "rows read",
       text::grouped_count(r.rows_read),
       r.rows_skipped ? fmt::format("({} used, {} invalid and skipped)", text::grouped_count(r.rows_used),
                                    text::grouped_count(r.rows_skipped))
                      : "");
  if (r.customers) line("customers", text::grouped_count(*r.customers), "");
  line("months", text::grouped_count(static_cast<std::uint64_t>(r.months)),
       r.first ? fmt::format("({} to {})", to_string(*r.first), to_string(*r.last)) : "");
  std::string gaps;
  for (std::size_t i = 0; i < r.months_without_rows.size(); ++i) {
    if (i == 12) {
      gaps += fmt::format(", ... ({} more)", r.months_without_rows.size() - 12);
      break;
    }
    gaps += (i ? ", " : "") + to_string(r.months_without_rows[i]);
  }
  line(subscriptions || invoices ? "months none active" : "months with no rows",
       text::grouped_count(r.months_without_rows.size()), gaps);
  if (r.duplicate_rows) {
    line("duplicate rows", text::grouped_count(*r.duplicate_rows),
         *r.duplicate_rows ? "(identical in every field to an earlier row)" : "");
  }
  if (invoices) {
    const InvoiceStats& s = *r.invoices;
    const auto n = [](std::uint64_t v) { return text::grouped_count(v); };
    line("subscription lines", n(s.subscription_lines),
         fmt::format("({} by whole months, {} by days{})", n(s.whole_month_lines), n(s.day_rule_lines),
                     s.after_until_lines ? fmt::format(", {} after --until left out", n(s.after_until_lines))
                                         : std::string()));
    line("trials (amount 0)", n(s.trial_lines), "(make nobody active)");
    line("credit lines", n(s.credit_lines), s.credit_lines ? "(subscription lines with amount < 0)" : "");
    line("no month end covered", n(s.no_month_end_lines),
         s.no_month_end_lines ? "(periods that end before any month's last day: no MRR)" : "");
    line("one-time lines", n(s.one_time_lines), fmt::format("(sum {}, not MRR)", format_money(s.one_time_amount)));
    line("refund lines", n(s.refund_lines), fmt::format("(sum {}, not MRR)", format_money(s.refund_amount)));
    line("converted lines", n(s.converted_lines),
         s.currency.empty() ? std::string("(no currency named)")
                            : fmt::format("(to {}{})", s.currency, s.converted_lines ? " at the --fx rates" : ""));
  } else {
    line(subscriptions ? "mrr 0" : "zero-revenue rows", text::grouped_count(r.zero_revenue_rows), "");
  }
  std::string problems;
  std::uint64_t invalid = 0;
  for (const auto& [field, n] : r.invalid_by_field) {
    problems += fmt::format("{}{} {}", problems.empty() ? "" : ", ", field, text::grouped_count(n));
    invalid += n;
  }
  line("invalid values", text::grouped_count(invalid), problems);
  return out;
}

}  // namespace csm::io
