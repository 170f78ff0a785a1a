// The activity state (`compute --emit-state`, read by `merge`): the settings, what was read, and the
// month and period counts and sums of all customers and of each group (docs/scale-out.md).

#include <string>
#include <utility>
#include <vector>

#include "csm/io/state_file.hpp"
#include "state_format.hpp"

namespace csm::io {
namespace {

using namespace state_format;  // the shared framing and StateLines (state_format.hpp)

constexpr double kMaxDiscountRate = 1e6;  // as compute --discount-rate

void append_counts(std::string& out, const MonthCounts& c) {
  for (const std::int64_t n : {c.start, c.churned, c.fresh, c.reactivated, c.end, c.expanded, c.contracted}) {
    out += ' ';
    out += std::to_string(n);
  }
  for (const MoneySum m : {c.mrr_start, c.mrr_end, c.new_mrr, c.reactivation_mrr, c.expansion_mrr,
                           c.contraction_mrr, c.churned_mrr}) {
    out += ' ';
    out += int128_text(m);
  }
}

void append_sums(std::string& out, const MonthSums& s) {
  for (const std::uint64_t n : s.csat_by_score) {
    out += ' ';
    out += std::to_string(n);
  }
  out += ' ';
  out += int128_text(s.acquisition_cost);
}

// With an nps column: the month's NPS answers (promoters, passives, detractors) at the line's end.
void append_nps(std::string& out, const MonthSums& s, bool has_nps) {
  if (!has_nps) return;
  for (const std::uint64_t n : s.nps) {
    out += ' ';
    out += std::to_string(n);
  }
}

// The month walk's identities, which every state a csm-metrics wrote satisfies (a hand-made or
// damaged state with a valid checksum must not turn into plausible numbers): customers and MRR
// at the end are those at the start less churn plus new and reactivated (and expansion less
// contraction for MRR), and each month starts where the one before ended (the first with
// nobody: a shard's state starts at its first row).
void check_walk(const StateLines& lines, const std::vector<MonthCounts>& months, const std::string& month,
                const char* unit = "month") {
  const MonthCounts& c = months.back();
  if (c.end != c.start - c.churned + c.fresh + c.reactivated || c.churned > c.start ||
      c.expanded + c.contracted > c.start - c.churned) {
    lines.fail(unit + (" " + month) + ": inconsistent counts (expected end = start - churned + new + reactivated)");
  }
  if (c.mrr_end != c.mrr_start - c.churned_mrr + c.new_mrr + c.reactivation_mrr + c.expansion_mrr - c.contraction_mrr) {
    lines.fail(unit + (" " + month) + ": inconsistent MRR (expected mrr_end = mrr_start - churned + new + "
               "reactivation + expansion - contraction)");
  }
  const MonthCounts before = months.size() > 1 ? months[months.size() - 2] : MonthCounts{};
  if (c.start != before.end || c.mrr_start != before.mrr_end) {
    lines.fail(unit + (" " + month) + ": does not start where the " + unit + " before ended");
  }
}

// Invoice states (version 3): what the normalisation counted, then the one-time and refund sums
// by month (`nonrec` lines, months ascending).
void append_invoice_stats(std::string& out, const InvoiceStats& s) {
  out += "invoices " + encode_state_string(s.currency);
  for (const std::uint64_t n : {s.lines, s.subscription_lines, s.trial_lines, s.credit_lines, s.whole_month_lines,
                                s.day_rule_lines, s.no_month_end_lines, s.after_until_lines, s.converted_lines,
                                s.one_time_lines}) {
    out += ' ';
    out += std::to_string(n);
  }
  out += ' ' + int128_text(s.one_time_amount) + ' ' + std::to_string(s.refund_lines) + ' ' +
         int128_text(s.refund_amount) + ' ' + std::to_string(s.non_recurring_by_month.size()) + '\n';
  for (const auto& [month, sums] : s.non_recurring_by_month) {
    out += "nonrec " + to_string(YearMonth{month}) + ' ' + int128_text(sums.first) + ' ' +
           int128_text(sums.second) + '\n';
  }
}

// Reads what append_invoice_stats wrote, with the identities every such state satisfies.
InvoiceStats parse_invoice_stats(StateLines& lines, std::uint64_t records) {
  InvoiceStats s;
  const auto& f = lines.expect("invoices", 15);
  s.currency = lines.string(f[1]);
  if (!s.currency.empty() && !is_currency_code(s.currency)) {
    lines.fail("'invoices' line: currency " + quote_for_message(s.currency) + " is not an ISO 4217 code");
  }
  std::uint64_t* const counts[] = {&s.lines, &s.subscription_lines, &s.trial_lines, &s.credit_lines,
                                   &s.whole_month_lines, &s.day_rule_lines, &s.no_month_end_lines,
                                   &s.after_until_lines, &s.converted_lines, &s.one_time_lines};
  for (std::size_t k = 0; k < 10; ++k) *counts[k] = lines.integer<std::uint64_t>(f[2 + k], 0, std::uint64_t{1} << 50);
  s.one_time_amount = lines.money(f[12]);
  s.refund_lines = lines.integer<std::uint64_t>(f[13], 0, std::uint64_t{1} << 50);
  s.refund_amount = lines.money(f[14]);
  const auto months = lines.integer<std::uint64_t>(f[15], 0, 1200000);
  if (s.lines != records || s.subscription_lines + s.one_time_lines + s.refund_lines != s.lines ||
      s.whole_month_lines + s.day_rule_lines + s.after_until_lines != s.subscription_lines ||
      s.trial_lines + s.credit_lines > s.subscription_lines || s.no_month_end_lines > s.subscription_lines ||
      s.converted_lines > s.lines) {
    lines.fail("'invoices' line: inconsistent counts (expected lines = records read = subscription + one_time + "
               "refund lines, and subscription lines = whole-month + day-rule + after-until lines)");
  }
  MoneySum one_time = 0;
  MoneySum refunds = 0;
  for (std::uint64_t i = 0; i < months; ++i) {
    const auto& m = lines.expect("nonrec", 3);
    const YearMonth month = lines.month(m[1]);
    if (!s.non_recurring_by_month.empty() && s.non_recurring_by_month.rbegin()->first >= month.index) {
      lines.fail("'nonrec' lines out of order (or repeated): " + quote_for_message(m[1]));
    }
    auto& sums = s.non_recurring_by_month[month.index];
    sums.first = lines.money(m[2]);
    sums.second = lines.money(m[3]);
    one_time += sums.first;
    refunds += sums.second;
  }
  if (one_time != s.one_time_amount || refunds != s.refund_amount ||
      (s.one_time_lines + s.refund_lines == 0) != (months == 0)) {
    lines.fail("'nonrec' lines: the one-time and refund sums by month do not add up to the 'invoices' line");
  }
  return s;
}

}  // namespace

std::string to_state_text(const ActivityState& state) {
  std::string out;
  // Invoice states carry the invoice lines (version 3); the others keep the bytes of version 2.
  append_head(out, "activity", state, state.invoices ? kInvoiceStateFormatVersion : kStateFormatVersion);
  out += "csat_threshold " + std::to_string(state.options.csat_threshold) + "\n";
  out += "gross_margin " + double_text(state.options.gross_margin) + "\n";
  out += "discount_rate " + double_text(state.options.discount_rate) + "\n";
  out += std::string("quick_ratio_reactivation ") + (state.options.quick_ratio_reactivation ? "1" : "0") + "\n";
  out += "grain " + std::string(to_string(state.grain)) + "\n";
  out += "by " + std::string(state.raw.grouped ? "1 " : "0 ") + encode_state_string(state.group_by) + "\n";
  out += std::string("records ") + (state.invoices ? "invoice" : state.subscriptions ? "subscription" : "activity") + "\n";
  out += "until " + (state.until ? to_string(*state.until) : std::string("-")) + "\n";
  append_sources(out, state);
  if (state.invoices) append_invoice_stats(out, state.invoice_stats.value_or(InvoiceStats{}));
  const ActivityStats& st = state.raw.stats;
  append_stats(out, st);
  // Only with an nps column (so that other states keep their bytes): then each month and group
  // month line ends with its NPS answers.
  if (st.has_nps) out += "nps\n";
  const auto month_text = [&](std::size_t i) {
    return to_string(YearMonth{st.first->index + static_cast<std::int32_t>(i)});
  };
  for (std::size_t i = 0; i < state.raw.counts.size(); ++i) {
    out += "month " + month_text(i);
    append_counts(out, state.raw.counts[i]);
    append_sums(out, state.raw.sums[i]);
    append_nps(out, state.raw.sums[i], st.has_nps);
    out += '\n';
  }
  // With a coarser grain, the walk over the period-end snapshots, one line per period (named by
  // its first month).
  const std::int32_t grain_months = months_in(state.grain);
  const auto period_text = [&](std::size_t i) {
    return to_string(
        YearMonth{(st.first->index / grain_months + static_cast<std::int32_t>(i)) * grain_months});
  };
  for (std::size_t i = 0; i < state.raw.period_counts.size(); ++i) {
    out += "period " + period_text(i);
    append_counts(out, state.raw.period_counts[i]);
    out += '\n';
  }
  out += "groups " + std::to_string(state.raw.groups.size()) + "\n";
  for (const GroupRaw& g : state.raw.groups) {
    out += "group " + encode_state_string(g.name) + "\n";
    for (std::size_t i = 0; i < g.counts.size(); ++i) {
      out += "gmonth " + month_text(i);
      append_counts(out, g.counts[i]);
      append_sums(out, g.sums[i]);
      const GroupMoves& m = g.moves[i];
      out += " " + std::to_string(m.moved_in_customers) + " " + std::to_string(m.moved_out_customers) + " " +
             int128_text(m.moved_in_mrr) + " " + int128_text(m.moved_out_mrr);
      append_nps(out, g.sums[i], st.has_nps);
      out += '\n';
    }
    for (std::size_t i = 0; i < g.period_counts.size(); ++i) {
      out += "gperiod " + period_text(i);
      append_counts(out, g.period_counts[i]);
      const GroupMoves& m = g.period_moves[i];
      out += " " + std::to_string(m.moved_in_customers) + " " + std::to_string(m.moved_out_customers) + " " +
             int128_text(m.moved_in_mrr) + " " + int128_text(m.moved_out_mrr);
      out += '\n';
    }
  }
  append_end(out);
  return out;
}

ActivityState parse_activity_state(std::string_view text, const std::string& name) {
  ActivityState state;
  StateLines lines = open_state(text, name, "activity", state);
  // The same ranges as the command line (compute --csat-threshold, --gross-margin, --discount-rate).
  {
    const auto& f = lines.expect("csat_threshold", 1);
    if (f[1].size() != 1 || f[1][0] < '1' || f[1][0] > '5') {
      lines.fail("csat_threshold " + quote_for_message(f[1]) + ": expected 1..5 (--csat-threshold)");
    }
    state.options.csat_threshold = f[1][0] - '0';
  }
  state.options.gross_margin = lines.real(lines.expect("gross_margin", 1)[1]);
  if (!(state.options.gross_margin >= 0 && state.options.gross_margin <= 1)) {
    lines.fail("gross_margin " + shortest_double_text(state.options.gross_margin) + ": expected 0..1 (--gross-margin)");
  }
  state.options.discount_rate = lines.real(lines.expect("discount_rate", 1)[1]);
  if (!(state.options.discount_rate >= 0 && state.options.discount_rate <= kMaxDiscountRate)) {
    lines.fail("discount_rate " + shortest_double_text(state.options.discount_rate) +
               ": expected 0..1000000 (--discount-rate)");
  }
  state.options.quick_ratio_reactivation = lines.integer<int>(lines.expect("quick_ratio_reactivation", 1)[1], 0, 1) == 1;
  state.grain = lines.grain_line();
  state.raw.grain = state.grain;
  state.raw.grouped = lines.by_line(state.group_by);
  {
    const auto& f = lines.expect("records", 1);
    if (f[1] != "activity" && f[1] != "subscription" && f[1] != "invoice") {
      lines.fail("records " + quote_for_message(f[1]) + ": expected activity, subscription or invoice");
    }
    state.subscriptions = f[1] == "subscription" || f[1] == "invoice";
    state.invoices = f[1] == "invoice";
  }
  {
    const auto& f = lines.expect("until", 1);
    if (f[1] != "-") state.until = lines.month(f[1]);
    if (state.subscriptions != state.until.has_value()) {
      lines.fail("'until' line: subscription states have an --until month, activity states none");
    }
  }
  read_sources(lines, state);
  if (state.invoices) {
    if (check_first_line(text.substr(0, text.find('\n')), name) != kInvoiceStateFormatVersion) {
      lines.fail("an invoice state of format version " + std::to_string(kStateFormatVersion) +
                 ", without the one-time and refund sums (written by an earlier build): run compute "
                 "--emit-state again with this csm-metrics");
    }
    state.invoice_stats = parse_invoice_stats(lines, state.records);
  }
  ActivityStats& st = state.raw.stats;
  st = parse_stats(lines);
  if (lines.peek_keyword() == "nps") {
    lines.expect("nps", 0);
    st.has_nps = true;
  }
  const std::size_t nps_fields = st.has_nps ? 3 : 0;
  const std::size_t months = st.first ? static_cast<std::size_t>(st.last->index - st.first->index + 1) : 0;
  const auto check_month = [&](std::string_view field, std::size_t i) {
    if (lines.month(field).index != st.first->index + static_cast<std::int32_t>(i)) {
      lines.fail("expected month " + to_string(YearMonth{st.first->index + static_cast<std::int32_t>(i)}) +
                 ", found " + quote_for_message(field));
    }
  };
  for (std::size_t i = 0; i < months; ++i) {
    const auto& f = lines.expect("month", 1 + kCountFields + 6 + nps_fields);
    check_month(f[1], i);
    state.raw.counts.push_back(lines.counts(f, 2));
    state.raw.sums.push_back(lines.sums(f, 2 + kCountFields));
    if (st.has_nps) lines.nps(f, 2 + kCountFields + 6, state.raw.sums.back());
    check_walk(lines, state.raw.counts, to_string(YearMonth{st.first->index + static_cast<std::int32_t>(i)}));
  }
  if (months > 0 && st.customers == 0) lines.fail("'stats' line: months but no customers");
  if (st.records < st.customer_months || st.customer_months < st.customers) {
    lines.fail("'stats' line: expected records >= customer-months >= customers");
  }
  if (state.subscriptions && st.first && *state.until < *st.last) {
    lines.fail("'stats' line: months after --until " + to_string(*state.until));
  }
  const std::int32_t grain_months = months_in(state.grain);
  const std::size_t periods =
      st.first && state.grain != Grain::month
          ? static_cast<std::size_t>(st.last->index / grain_months - st.first->index / grain_months + 1)
          : 0;
  const auto check_period = [&](std::string_view field, std::size_t i) {
    const YearMonth want{(st.first->index / grain_months + static_cast<std::int32_t>(i)) * grain_months};
    if (lines.month(field) != want) {
      lines.fail("expected period " + to_string(want) + ", found " + quote_for_message(field));
    }
  };
  const auto read_moves = [&](const std::vector<std::string_view>& f, std::size_t at) {
    GroupMoves m;
    m.moved_in_customers = lines.integer<std::int64_t>(f[at], 0, kMaxCount);
    m.moved_out_customers = lines.integer<std::int64_t>(f[at + 1], 0, kMaxCount);
    m.moved_in_mrr = lines.money(f[at + 2]);
    m.moved_out_mrr = lines.money(f[at + 3]);
    return m;
  };
  for (std::size_t i = 0; i < periods; ++i) {
    const auto& f = lines.expect("period", 1 + kCountFields);
    check_period(f[1], i);
    state.raw.period_counts.push_back(lines.counts(f, 2));
    check_walk(lines, state.raw.period_counts, std::string(f[1]), "period");
  }
  const auto group_count = lines.integer<std::uint64_t>(lines.expect("groups", 1)[1], 0, ActivityAggregator::kMaxGroups);
  if (group_count > 0 && !state.raw.grouped) lines.fail("groups in a state without --by");
  if (group_count > 0 && months == 0) lines.fail("groups in a state without months");
  for (std::uint64_t g = 0; g < group_count; ++g) {
    GroupRaw group;
    group.name = lines.string(lines.expect("group", 1)[1]);
    if (!state.raw.groups.empty() && !(state.raw.groups.back().name < group.name)) {
      lines.fail("groups out of order (or repeated): " + quote_for_message(group.name));
    }
    for (std::size_t i = 0; i < months; ++i) {
      const auto& f = lines.expect("gmonth", 1 + kCountFields + 6 + 4 + nps_fields);
      check_month(f[1], i);
      group.counts.push_back(lines.counts(f, 2));
      group.sums.push_back(lines.sums(f, 2 + kCountFields));
      group.moves.push_back(read_moves(f, 2 + kCountFields + 6));
      if (st.has_nps) lines.nps(f, 2 + kCountFields + 6 + 4, group.sums.back());
    }
    for (std::size_t i = 0; i < periods; ++i) {
      const auto& f = lines.expect("gperiod", 1 + kCountFields + 4);
      check_period(f[1], i);
      group.period_counts.push_back(lines.counts(f, 2));
      group.period_moves.push_back(read_moves(f, 2 + kCountFields));
    }
    state.raw.groups.push_back(std::move(group));
  }
  lines.expect_done("groups");
  return state;
}

}  // namespace csm::io
