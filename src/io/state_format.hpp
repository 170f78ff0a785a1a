#pragma once
/// Private to csm_io (not installed): what the state files of every kind share (state_file.cpp):
/// the framing (the first line, the `kind`, `tool`, `shard`, `sources` and `read` lines, the
/// checksummed `end` line), the `stats` line, and StateLines, the reader of a state's lines.
/// Each kind is written and read in a file of its own: state_file_activity.cpp,
/// state_file_rfm.cpp, state_file_cohorts.cpp.

#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/error.hpp"
#include "csm/io/state_file.hpp"

namespace csm::io::state_format {

inline constexpr std::string_view kMagic = "csm-metrics state ";
inline constexpr std::size_t kCountFields = 14;  // MonthCounts: 7 counts, 7 sums
// Bounds on what a state may hold, far above any real input, so that adding 65536 states and
// deriving the rates cannot overflow: counts up to 2^40, amounts up to 30 digits (< 2^100).
inline constexpr std::int64_t kMaxCount = std::int64_t{1} << 40;
inline constexpr std::size_t kMaxAmountDigits = 30;

// An exact sum as decimal digits (money in micro-units), and a double that reads back the same.
std::string int128_text(MoneySum v);
std::string double_text(double v);

// Reads the lines of a state, each split at single spaces, with errors naming file and line.
class StateLines {
 public:
  StateLines(std::string_view text, const std::string& name) : text_(text), name_(name) {}

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
  // The `grain` line of activity and cohorts states.
  Grain grain_line() {
    const auto& f = expect("grain", 1);
    const auto grain = parse_grain(f[1]);
    if (!grain || f[1] != to_string(*grain)) fail("invalid grain " + quote_for_message(f[1]));
    return *grain;
  }
  // The `by` line: whether the state has groups (returned) and the --by column (empty without).
  bool by_line(std::string& group_by) {
    const auto& f = expect("by", 2);
    const bool grouped = integer<int>(f[1], 0, 1) == 1;
    group_by = string(f[2]);
    if (grouped == group_by.empty()) fail("'by' line: grouping flag and column disagree");
    return grouped;
  }
  // After the last line of a state (before its `end`): nothing may follow `what`.
  void expect_done(const char* what) {
    if (done()) return;
    next();
    fail(std::string("unexpected line after the ") + what);
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

// The first line of a state: the magic words and a format version this build reads (returned).
int check_first_line(std::string_view first, const std::string& name);

// The body of a csm-metrics state (format version and checksum checked) and its kind.
std::pair<std::string_view, std::string> checked_state(std::string_view text, const std::string& name);

// "an activity", "a cohorts", "an rfm": the kind with its article.
std::string article(const std::string& kind);

// The lines every state begins with: the format, the kind, the tool and the shard.
template <class Kind>
void append_head(std::string& out, const std::string& kind, const Kind& state,
                 int version = kStateFormatVersion) {
  out += std::string(kMagic) + std::to_string(version) + "\n";
  out += "kind " + kind + "\n";
  out += "tool " + encode_state_string(state.tool_version) + "\n";
  out += "shard " + std::to_string(state.shard) + " " + std::to_string(state.shard_count) + "\n";
}

// What a state was made from: its inputs in reading order, the records taken and skipped.
template <class Kind>
void append_sources(std::string& out, const Kind& state) {
  out += "sources " + std::to_string(state.sources.size()) + "\n";
  for (const std::string& source : state.sources) out += "source " + encode_state_string(source) + "\n";
  out += "read " + std::to_string(state.records) + " " + std::to_string(state.skipped) + "\n";
}

// The last line: how many lines come before it and the checksum of their bytes.
void append_end(std::string& out);

// The checked body of a state that must be of `kind`, with its head read into `state`: the
// lines that follow start after the shard line.
template <class Kind>
StateLines open_state(std::string_view text, const std::string& name, const std::string& kind, Kind& state) {
  const auto [body, found] = checked_state(text, name);
  if (found != kind) throw InputError(name, 2, "", article(found) + " state, not " + article(kind) + " state");
  StateLines lines(body, name);
  lines.next();
  lines.next();
  state.tool_version = lines.string(lines.expect("tool", 1)[1]);
  const auto& f = lines.expect("shard", 2);
  state.shard_count = lines.integer<std::uint32_t>(f[2], 1);
  state.shard = lines.integer<std::uint32_t>(f[1], 0, state.shard_count - 1);
  return lines;
}

// Reads what append_sources wrote.
template <class Kind>
void read_sources(StateLines& lines, Kind& state) {
  const auto source_count = lines.integer<std::uint64_t>(lines.expect("sources", 1)[1], 0, 1000000);
  for (std::uint64_t i = 0; i < source_count; ++i) state.sources.push_back(lines.string(lines.expect("source", 1)[1]));
  const auto& f = lines.expect("read", 2);
  state.records = lines.integer<std::uint64_t>(f[1]);
  state.skipped = lines.integer<std::uint64_t>(f[2]);
}

// The `stats` line of activity and cohorts states: what was read and its first and last month.
void append_stats(std::string& out, const ActivityStats& st);
ActivityStats parse_stats(StateLines& lines);

}  // namespace csm::io::state_format
