#include "csm/io/state_file.hpp"

#include <algorithm>
#include <cstdio>

#include "state_format.hpp"

// What the state files of every kind share: the framing, the `stats` line, the reading of a
// whole state (read_state) and its kind (state_kind). The kinds: state_file_activity.cpp,
// state_file_rfm.cpp, state_file_cohorts.cpp.

namespace csm::io {
namespace state_format {

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

namespace {

std::string hex64(std::uint64_t v) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
  return buffer;
}

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

}  // namespace

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
  StateLines lines(body, name);
  lines.next();
  const auto& kind = lines.expect("kind", 1);
  if (kind[1] != "activity" && kind[1] != "cohorts" && kind[1] != "rfm") {
    lines.fail("unknown state kind " + quote_for_message(kind[1]));
  }
  return {body, std::string(kind[1])};
}

// The last line: how many lines come before it and the checksum of their bytes.
void append_end(std::string& out) {
  std::uint64_t lines = 0;
  for (const char c : out) lines += c == '\n' ? 1u : 0u;
  out += "end " + std::to_string(lines) + " " + hex64(shard_hash(out)) + "\n";
}

void append_stats(std::string& out, const ActivityStats& st) {
  out += "stats " + std::to_string(st.records) + " " + std::to_string(st.zero_revenue_records) + " " +
         std::to_string(st.customers) + " " + std::to_string(st.customer_months) + " " +
         (st.first ? to_string(*st.first) : std::string("-")) + " " +
         (st.last ? to_string(*st.last) : std::string("-")) + " " + (st.has_acquisition_cost ? "1" : "0") + "\n";
}

ActivityStats parse_stats(StateLines& lines) {
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

}  // namespace state_format

using state_format::check_first_line;
using state_format::checked_state;

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

std::string state_kind(std::string_view text, const std::string& name) {
  return checked_state(text, name).second;
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
