#include "csm/io/state_file.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "csm/error.hpp"

namespace csm::io {
namespace {

constexpr std::string_view kMagic = "csm-metrics state ";
constexpr std::size_t kCountFields = 14;  // MonthCounts: 7 counts, 7 sums
// Bounds on what a state may hold, far above any real input, so that adding 65536 states and
// deriving the rates cannot overflow: counts up to 2^40, amounts up to 30 digits (< 2^100).
constexpr std::int64_t kMaxCount = std::int64_t{1} << 40;
constexpr std::size_t kMaxAmountDigits = 30;
constexpr double kMaxDiscountRate = 1e6;  // as compute --discount-rate

std::string int128_text(MoneySum v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  auto u = negative ? UnsignedMoneySum(0) - static_cast<UnsignedMoneySum>(v) : static_cast<UnsignedMoneySum>(v);
  std::string digits;
  while (u != 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (negative) digits.push_back('-');
  return {digits.rbegin(), digits.rend()};
}

std::string double_text(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

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

std::string hex64(std::uint64_t v) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
  return buffer;
}

// Reads the lines of a state, each split at single spaces, with errors naming file and line.
class Lines {
 public:
  Lines(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(name_, line_, "", message);
  }
  bool done() const noexcept { return pos_ >= text_.size(); }
  std::uint64_t line() const noexcept { return line_; }

  // The next line's fields; the first is its keyword.
  const std::vector<std::string_view>& next() {
    if (done()) fail("truncated state: expected more lines");
    const std::size_t eol = text_.find('\n', pos_);
    if (eol == std::string_view::npos) fail("truncated state: the last line has no newline");
    const std::string_view line = text_.substr(pos_, eol - pos_);
    pos_ = eol + 1;
    ++line_;
    fields_.clear();
    std::size_t start = 0;
    for (;;) {
      const std::size_t space = line.find(' ', start);
      fields_.push_back(line.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
      if (space == std::string_view::npos) break;
      start = space + 1;
    }
    return fields_;
  }
  // The next line, which must be `keyword` with `count` values after it.
  const std::vector<std::string_view>& expect(std::string_view keyword, std::size_t count) {
    const auto& f = next();
    if (f[0] != keyword) fail("expected a '" + std::string(keyword) + "' line, found " + quote_for_message(f[0]));
    if (f.size() != count + 1) {
      fail("'" + std::string(keyword) + "' line: expected " + std::to_string(count) + " values, found " +
           std::to_string(f.size() - 1));
    }
    return f;
  }
  std::string_view peek_keyword() const {
    if (done()) return {};
    const std::size_t end = text_.find_first_of(" \n", pos_);
    return text_.substr(pos_, end == std::string_view::npos ? std::string_view::npos : end - pos_);
  }

  template <typename T>
  T integer(std::string_view field, T min = std::numeric_limits<T>::min(),
            T max = std::numeric_limits<T>::max()) const {
    T value{};
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || error != std::errc() || end != field.data() + field.size() || value < min ||
        value > max || (field.size() > 1 && field[0] == '0') || field[0] == '+') {
      fail("invalid number " + quote_for_message(field));
    }
    return value;
  }
  MoneySum money(std::string_view field) const {
    const bool negative = !field.empty() && field[0] == '-';
    const std::string_view digits = negative ? field.substr(1) : field;
    if (digits.empty() || digits.size() > kMaxAmountDigits || (digits.size() > 1 && digits[0] == '0')) {
      fail("invalid amount " + quote_for_message(field));
    }
    UnsignedMoneySum v = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') fail("invalid amount " + quote_for_message(field));
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return negative ? -static_cast<MoneySum>(v) : static_cast<MoneySum>(v);
  }
  double real(std::string_view field) const {
    const std::string text(field);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(v)) {
      fail("invalid number " + quote_for_message(field));
    }
    return v;
  }
  YearMonth month(std::string_view field) const {
    YearMonth m;
    if (field.size() != 7 || parse_period(field, m) != PeriodError::ok) {
      fail("invalid month " + quote_for_message(field));
    }
    return m;
  }
  std::string string(std::string_view field) const {
    if (field.empty() || field[0] != '=') fail("invalid string field " + quote_for_message(field));
    std::string out;
    for (std::size_t i = 1; i < field.size(); ++i) {
      const char c = field[i];
      if (c != '%') {
        out += c;
        continue;
      }
      const auto hex = [&](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        fail("invalid escape in string field " + quote_for_message(field));
      };
      if (i + 2 >= field.size()) fail("invalid escape in string field " + quote_for_message(field));
      out += static_cast<char>(hex(field[i + 1]) * 16 + hex(field[i + 2]));
      i += 2;
    }
    return out;
  }
  MonthCounts counts(const std::vector<std::string_view>& f, std::size_t at) const {
    MonthCounts c;
    std::int64_t* const counts[] = {&c.start, &c.churned, &c.fresh, &c.reactivated, &c.end, &c.expanded, &c.contracted};
    MoneySum* const sums[] = {&c.mrr_start, &c.mrr_end, &c.new_mrr, &c.reactivation_mrr, &c.expansion_mrr,
                              &c.contraction_mrr, &c.churned_mrr};
    for (std::size_t k = 0; k < 7; ++k) *counts[k] = integer<std::int64_t>(f[at + k], 0, kMaxCount);
    for (std::size_t k = 0; k < 7; ++k) *sums[k] = money(f[at + 7 + k]);
    return c;
  }
  MonthSums sums(const std::vector<std::string_view>& f, std::size_t at) const {
    MonthSums s;
    for (std::size_t k = 0; k < 5; ++k) s.csat_by_score[k] = integer<std::uint64_t>(f[at + k], 0, std::uint64_t{1} << 40);
    s.acquisition_cost = money(f[at + 5]);
    return s;
  }
  void nps(const std::vector<std::string_view>& f, std::size_t at, MonthSums& s) const {
    for (std::size_t k = 0; k < 3; ++k) s.nps[k] = integer<std::uint64_t>(f[at + k], 0, std::uint64_t{1} << 40);
  }

 private:
  std::string_view text_;
  const std::string& name_;
  std::size_t pos_ = 0;
  std::uint64_t line_ = 0;
  std::vector<std::string_view> fields_;
};

// The text without its `end` line, after checking that line: the count of lines before it and
// the FNV-1a hash of their bytes.
std::string_view checked_body(std::string_view text, const std::string& name) {
  if (text.empty()) throw InputError(name, 0, "", "empty file: not a csm-metrics state");
  if (text.back() != '\n') throw InputError(name, 0, "", "truncated state: no newline at the end");
  const std::size_t start = text.rfind('\n', text.size() - 2);
  const std::size_t begin = start == std::string_view::npos ? 0 : start + 1;
  const std::string_view last = text.substr(begin, text.size() - 1 - begin);
  std::uint64_t lines = 0;
  for (std::size_t i = 0; i < begin; ++i) lines += text[i] == '\n' ? 1u : 0u;
  if (last.substr(0, 4) != "end ") {
    throw InputError(name, lines + 1, "", "truncated state: the last line is not its 'end' line");
  }
  const std::string_view body = text.substr(0, begin);
  const std::string expected = "end " + std::to_string(lines) + " " + hex64(shard_hash(body));
  if (last != expected) {
    throw InputError(name, lines + 1, "", "corrupted state: the checksum or line count of its 'end' line does not match its contents");
  }
  return body;
}

// "an activity", "a cohorts", "an rfm": the kind with its article.
std::string article(const std::string& kind) {
  return (kind == "activity" || kind == "rfm" ? "an " : "a ") + kind;
}

// The first line of a state: the magic words and a format version this build reads (returned).
int check_first_line(std::string_view first, const std::string& name) {
  if (first.substr(0, kMagic.size()) != kMagic) {
    throw InputError(name, 1, "", "not a csm-metrics state (it does not start with \"csm-metrics state\")");
  }
  const std::string_view version = first.substr(kMagic.size());
  if (version == std::to_string(kInvoiceStateFormatVersion)) return kInvoiceStateFormatVersion;
  if (version != std::to_string(kStateFormatVersion)) {
    throw InputError(name, 1, "", "state format version " + quote_for_message(version) +
                                      "; this csm-metrics reads version " +
                                      std::to_string(kStateFormatVersion) + " (and " +
                                      std::to_string(kInvoiceStateFormatVersion) +
                                      " for invoice records)");
  }
  return kStateFormatVersion;
}

// The body of a csm-metrics state (format version and checksum checked) and its kind.
std::pair<std::string_view, std::string> checked_state(std::string_view text, const std::string& name) {
  check_first_line(text.substr(0, text.find('\n')), name);
  const std::string_view body = checked_body(text, name);
  Lines lines(body, name);
  lines.next();
  const auto& kind = lines.expect("kind", 1);
  if (kind[1] != "activity" && kind[1] != "cohorts" && kind[1] != "rfm") {
    lines.fail("unknown state kind " + quote_for_message(kind[1]));
  }
  return {body, std::string(kind[1])};
}

// The lines every state begins with: the format, the kind, the tool and the shard.
template <class State>
void append_head(std::string& out, const std::string& kind, const State& state,
                 int version = kStateFormatVersion) {
  out += std::string(kMagic) + std::to_string(version) + "\n";
  out += "kind " + kind + "\n";
  out += "tool " + encode_state_string(state.tool_version) + "\n";
  out += "shard " + std::to_string(state.shard) + " " + std::to_string(state.shard_count) + "\n";
}

// What a state was made from: its inputs in reading order, the records taken and skipped.
template <class State>
void append_sources(std::string& out, const State& state) {
  out += "sources " + std::to_string(state.sources.size()) + "\n";
  for (const std::string& source : state.sources) out += "source " + encode_state_string(source) + "\n";
  out += "read " + std::to_string(state.records) + " " + std::to_string(state.skipped) + "\n";
}

// The last line: how many lines come before it and the checksum of their bytes.
void append_end(std::string& out) {
  std::uint64_t lines = 0;
  for (const char c : out) lines += c == '\n' ? 1u : 0u;
  out += "end " + std::to_string(lines) + " " + hex64(shard_hash(out)) + "\n";
}

// The checked body of a state that must be of `kind`, with its head read into `state`: the
// lines that follow start after the shard line.
template <class State>
Lines open_state(std::string_view text, const std::string& name, const std::string& kind, State& state) {
  const auto [body, found] = checked_state(text, name);
  if (found != kind) throw InputError(name, 2, "", article(found) + " state, not " + article(kind) + " state");
  Lines lines(body, name);
  lines.next();
  lines.next();
  state.tool_version = lines.string(lines.expect("tool", 1)[1]);
  const auto& f = lines.expect("shard", 2);
  state.shard_count = lines.integer<std::uint32_t>(f[2], 1);
  state.shard = lines.integer<std::uint32_t>(f[1], 0, state.shard_count - 1);
  return lines;
}

// Reads what append_sources wrote.
template <class State>
void read_sources(Lines& lines, State& state) {
  const auto source_count = lines.integer<std::uint64_t>(lines.expect("sources", 1)[1], 0, 1000000);
  for (std::uint64_t i = 0; i < source_count; ++i) state.sources.push_back(lines.string(lines.expect("source", 1)[1]));
  const auto& f = lines.expect("read", 2);
  state.records = lines.integer<std::uint64_t>(f[1]);
  state.skipped = lines.integer<std::uint64_t>(f[2]);
}

// The month walk's identities, which every state a csm-metrics wrote satisfies (a hand-made or
// damaged state with a valid checksum must not turn into plausible numbers): customers and MRR
// at the end are those at the start less churn plus new and reactivated (and expansion less
// contraction for MRR), and each month starts where the one before ended (the first with
// nobody: a shard's state starts at its first row).
void check_walk(const Lines& lines, const std::vector<MonthCounts>& months, const std::string& month,
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
InvoiceStats parse_invoice_stats(Lines& lines, std::uint64_t records) {
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

void append_stats(std::string& out, const ActivityStats& st) {
  out += "stats " + std::to_string(st.records) + " " + std::to_string(st.zero_revenue_records) + " " +
         std::to_string(st.customers) + " " + std::to_string(st.customer_months) + " " +
         (st.first ? to_string(*st.first) : std::string("-")) + " " +
         (st.last ? to_string(*st.last) : std::string("-")) + " " + (st.has_acquisition_cost ? "1" : "0") + "\n";
}

ActivityStats parse_stats(Lines& lines) {
  ActivityStats st;
  const auto& f = lines.expect("stats", 7);
  st.records = lines.integer<std::uint64_t>(f[1]);
  st.zero_revenue_records = lines.integer<std::uint64_t>(f[2]);
  st.customers = lines.integer<std::uint64_t>(f[3]);
  st.customer_months = lines.integer<std::uint64_t>(f[4]);
  if ((f[5] == "-") != (f[6] == "-")) lines.fail("'stats' line: first and last period must both be set or both '-'");
  if (f[5] != "-") {
    st.first = lines.month(f[5]);
    st.last = lines.month(f[6]);
    if (*st.last < *st.first) lines.fail("'stats' line: the last period is before the first");
  }
  st.has_acquisition_cost = lines.integer<int>(f[7], 0, 1) == 1;
  return st;
}

}  // namespace

std::string shortest_double_text(double v) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

void check_state_tool_version(const std::string& state_version, const std::string& this_version,
                              const std::string& name) {
  if (state_version == this_version) return;
  throw InputError(name, 3, "", "a state written by csm-metrics " + quote_for_message(state_version) +
                                    "; this is csm-metrics " + this_version +
                                    ", which merges only its own states (another version may compute a "
                                    "number differently): run every shard with one version");
}

std::string encode_state_string(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "=";
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == '%' || b == 0x7f) {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    } else {
      out += c;
    }
  }
  return out;
}

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

std::string state_kind(std::string_view text, const std::string& name) {
  return checked_state(text, name).second;
}

ActivityState parse_activity_state(std::string_view text, const std::string& name) {
  ActivityState state;
  Lines lines = open_state(text, name, "activity", state);
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
  {
    const auto& f = lines.expect("grain", 1);
    const auto grain = parse_grain(f[1]);
    if (!grain || f[1] != to_string(*grain)) lines.fail("invalid grain " + quote_for_message(f[1]));
    state.grain = *grain;
    state.raw.grain = *grain;
  }
  {
    const auto& f = lines.expect("by", 2);
    state.raw.grouped = lines.integer<int>(f[1], 0, 1) == 1;
    state.group_by = lines.string(f[2]);
    if (state.raw.grouped == state.group_by.empty()) lines.fail("'by' line: grouping flag and column disagree");
  }
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
  if (!lines.done()) {
    lines.next();
    lines.fail("unexpected line after the groups");
  }
  return state;
}

std::string to_state_text(const RfmState& state) {
  std::string out;
  append_head(out, "rfm", state);
  const RfmSummary& s = state.summary;
  out += "end_date " + to_string(s.end) + "\n";
  out += "unit " + std::string(to_string(s.unit)) + "\n";
  if (!state.periods.empty()) out += "periods " + state.periods + "\n";
  append_sources(out, state);
  out += "totals " + std::to_string(s.transactions) + " " + std::to_string(s.transactions_used) + " " +
         std::to_string(s.excluded_customers) + "\n";
  out += "customers " + std::to_string(s.customers.size()) + "\n";
  for (const RfmCustomer& c : s.customers) {
    out += "c " + encode_state_string(c.customer_id) + " " + to_string(c.first) + " " + to_string(c.last) +
           " " + std::to_string(c.x) + " " + double_text(c.t_x) + " " + double_text(c.T) + " " +
           int128_text(c.repeat_amount) + " " + (c.monetary ? double_text(*c.monetary) : std::string("-")) + "\n";
  }
  if (!state.periods.empty()) {
    // One line per customer, in the order above: x t_x n in periods.
    for (const PeriodHistory& h : s.periods) {
      out += "p " + std::to_string(h.x) + " " + std::to_string(h.t_x) + " " + std::to_string(h.n) + "\n";
    }
  }
  append_end(out);
  return out;
}

RfmState parse_rfm_state(std::string_view text, const std::string& name) {
  RfmState state;
  Lines lines = open_state(text, name, "rfm", state);
  RfmSummary& s = state.summary;
  const auto date = [&](std::string_view field) {
    Date d;
    if (field.size() != 10 || parse_date(field, d) != PeriodError::ok) lines.fail("invalid date " + quote_for_message(field));
    return d;
  };
  s.end = date(lines.expect("end_date", 1)[1]);
  {
    const auto& f = lines.expect("unit", 1);
    if (f[1] == "day") s.unit = TimeUnit::day;
    else if (f[1] == "week") s.unit = TimeUnit::week;
    else if (f[1] == "month") s.unit = TimeUnit::month;
    else lines.fail("invalid unit " + quote_for_message(f[1]));
  }
  if (lines.peek_keyword() == "periods") {
    const auto& f = lines.expect("periods", 1);
    if (f[1] != "day" && f[1] != "week" && f[1] != "month" && f[1] != "quarter" && f[1] != "year") {
      lines.fail("invalid periods " + quote_for_message(f[1]));
    }
    state.periods = std::string(f[1]);
  }
  read_sources(lines, state);
  {
    const auto& f = lines.expect("totals", 3);
    s.transactions = lines.integer<std::uint64_t>(f[1], 0, std::uint64_t{1} << 50);
    s.transactions_used = lines.integer<std::uint64_t>(f[2], 0, std::uint64_t{1} << 50);
    s.excluded_customers = lines.integer<std::uint64_t>(f[3], 0, std::uint64_t{1} << 50);
    if (s.transactions_used > s.transactions) lines.fail("'totals' line: more transactions used than read");
  }
  const auto count = lines.integer<std::uint64_t>(lines.expect("customers", 1)[1], 0, std::uint64_t{1} << 40);
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto& f = lines.expect("c", 8);
    RfmCustomer c;
    c.customer_id = lines.string(f[1]);
    if (!s.customers.empty() && !(s.customers.back().customer_id < c.customer_id)) {
      lines.fail("customers out of order (or repeated): " + quote_for_message(c.customer_id));
    }
    c.first = date(f[2]);
    c.last = date(f[3]);
    c.x = lines.integer<std::uint32_t>(f[4]);
    c.t_x = lines.real(f[5]);
    c.T = lines.real(f[6]);
    c.repeat_amount = lines.money(f[7]);
    if (f[8] != "-") c.monetary = lines.real(f[8]);
    if (c.last < c.first || s.end < c.last) lines.fail("customer dates out of order");
    // t_x, T and monetary follow from the dates, x and the amount (as RfmAccumulator computes
    // them): a state whose numbers disagree was not written by csm-metrics.
    const double per_unit = days_per_unit(s.unit);
    if (c.t_x != static_cast<double>(c.last.days - c.first.days) / per_unit ||
        c.T != static_cast<double>(s.end.days - c.first.days) / per_unit) {
      lines.fail("customer " + quote_for_message(c.customer_id) + ": t_x or T does not match its dates and --unit");
    }
    if ((c.x == 0) != (c.last == c.first) || c.x > static_cast<std::uint32_t>(c.last.days - c.first.days) ||
        (c.x == 0) == c.monetary.has_value() || (c.x == 0 && c.repeat_amount != 0) ||
        (c.monetary && *c.monetary != to_double(c.repeat_amount) / static_cast<double>(c.x))) {
      lines.fail("customer " + quote_for_message(c.customer_id) +
                 ": x, the dates, the repeat amount and monetary do not agree");
    }
    if (c.x > 0) ++s.customers_with_repeats;
    s.repeat_occasions += c.x;
    s.customers.push_back(std::move(c));
  }
  if (!state.periods.empty()) {
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto& f = lines.expect("p", 3);
      PeriodHistory h;
      h.x = lines.integer<std::uint32_t>(f[1]);
      h.t_x = lines.integer<std::uint32_t>(f[2]);
      h.n = lines.integer<std::uint32_t>(f[3]);
      if (h.x > h.t_x || h.t_x > h.n || (h.x == 0) != (h.t_x == 0)) {
        lines.fail("period history " + std::to_string(h.x) + " " + std::to_string(h.t_x) + " " +
                   std::to_string(h.n) + ": expected 0 <= x <= t_x <= n, and t_x = 0 exactly when x = 0");
      }
      s.periods.push_back(h);
    }
  }
  if (!lines.done()) {
    lines.next();
    lines.fail("unexpected line after the customers");
  }
  return state;
}

namespace {

void append_cohorts(std::string& out, const std::vector<Cohort>& cohorts) {
  for (const Cohort& c : cohorts) {
    out += "cohort " + to_string(c.period) + " " + std::to_string(c.customers) + " " + std::to_string(c.ages.size()) + "\n";
    for (const CohortAge& a : c.ages) out += "a " + std::to_string(a.active_customers) + " " + int128_text(a.revenue) + "\n";
  }
}

std::vector<Cohort> parse_cohorts(Lines& lines, std::uint64_t count, const ActivityStats& st) {
  std::vector<Cohort> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto& f = lines.expect("cohort", 3);
    Cohort c;
    c.period = lines.month(f[1]);
    c.customers = lines.integer<std::int64_t>(f[2], 0, kMaxCount);
    const auto ages = lines.integer<std::uint64_t>(f[3], 0, 120000);
    if (!st.first || c.period < *st.first || *st.last < c.period ||
        ages != static_cast<std::uint64_t>(st.last->index - c.period.index + 1)) {
      lines.fail("cohort " + to_string(c.period) + " outside the months of the state, or the wrong number of ages");
    }
    if (!out.empty() && !(out.back().period < c.period)) lines.fail("cohorts out of order");
    for (std::uint64_t k = 0; k < ages; ++k) {
      const auto& a = lines.expect("a", 2);
      CohortAge age;
      age.active_customers = lines.integer<std::int64_t>(a[1], 0, kMaxCount);
      if (age.active_customers > c.customers) {
        lines.fail("cohort " + to_string(c.period) + ": more active customers than the cohort has");
      }
      age.revenue = lines.money(a[2]);
      c.ages.push_back(age);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::string to_state_text(const CohortState& state) {
  std::string out;
  append_head(out, "cohorts", state);
  out += "grain " + std::string(to_string(state.options.grain)) + "\n";
  out += std::string("exclude_reactivated ") + (state.options.exclude_reactivated ? "1" : "0") + "\n";
  out += "by " + std::string(state.group_by.empty() ? "0 " : "1 ") + encode_state_string(state.group_by) + "\n";
  append_sources(out, state);
  append_stats(out, state.stats);
  out += "cohorts " + std::to_string(state.monthly.cohorts.size()) + "\n";
  append_cohorts(out, state.monthly.cohorts);
  out += "groups " + std::to_string(state.monthly.groups.size()) + "\n";
  for (const CohortGroup& g : state.monthly.groups) {
    out += "group " + encode_state_string(g.group) + " " + std::to_string(g.cohorts.size()) + "\n";
    append_cohorts(out, g.cohorts);
  }
  append_end(out);
  return out;
}

CohortState parse_cohort_state(std::string_view text, const std::string& name) {
  CohortState state;
  Lines lines = open_state(text, name, "cohorts", state);
  {
    const auto& f = lines.expect("grain", 1);
    const auto grain = parse_grain(f[1]);
    if (!grain || f[1] != to_string(*grain)) lines.fail("invalid grain " + quote_for_message(f[1]));
    state.options.grain = *grain;
  }
  state.options.exclude_reactivated = lines.integer<int>(lines.expect("exclude_reactivated", 1)[1], 0, 1) == 1;
  bool grouped = false;
  {
    const auto& f = lines.expect("by", 2);
    grouped = lines.integer<int>(f[1], 0, 1) == 1;
    state.group_by = lines.string(f[2]);
    if (grouped == state.group_by.empty()) lines.fail("'by' line: grouping flag and column disagree");
  }
  read_sources(lines, state);
  state.stats = parse_stats(lines);
  state.monthly.cohorts = parse_cohorts(lines, lines.integer<std::uint64_t>(lines.expect("cohorts", 1)[1], 0, 120000), state.stats);
  const auto group_count = lines.integer<std::uint64_t>(lines.expect("groups", 1)[1], 0, ActivityAggregator::kMaxGroups);
  if (group_count > 0 && !grouped) lines.fail("groups in a state without --by");
  for (std::uint64_t g = 0; g < group_count; ++g) {
    const auto& f = lines.expect("group", 2);
    CohortGroup group;
    group.group = lines.string(f[1]);
    const auto count = lines.integer<std::uint64_t>(f[2], 0, 120000);
    if (!state.monthly.groups.empty() && !(state.monthly.groups.back().group < group.group)) {
      lines.fail("groups out of order (or repeated): " + quote_for_message(group.group));
    }
    group.cohorts = parse_cohorts(lines, count, state.stats);
    state.monthly.groups.push_back(std::move(group));
  }
  if (!lines.done()) {
    lines.next();
    lines.fail("unexpected line after the groups");
  }
  return state;
}

std::string read_state(InputSource& source) {
  const std::string& name = source.name();
  const auto too_large = [&name] {
    return InputError(name, 0, "",
                      "larger than " + std::to_string(kMaxStateBytes >> 20) +
                          " MiB, the most a state may hold: not a state (docs/scale-out.md, limits)");
  };
  if (const auto size = source.size(); size && *size > kMaxStateBytes) throw too_large();
  std::string text;
  char buffer[1 << 16];
  // The first line is checked as soon as it is in (or kStateHeadBytes are, without a line break),
  // before the rest is read: a file that is no state is refused after a few bytes, whatever its size.
  bool head_checked = false;
  for (;;) {
    const std::size_t n = source.read(buffer, sizeof buffer);
    if (text.size() + n > kMaxStateBytes) throw too_large();
    text.append(buffer, n);
    if (!head_checked && (n == 0 || text.size() >= kStateHeadBytes || text.find('\n') != std::string::npos)) {
      check_first_line(std::string_view(text).substr(0, std::min(text.find('\n'), kStateHeadBytes)), name);
      head_checked = true;
    }
    if (n == 0) return text;
  }
}

}  // namespace csm::io
