#include "text_output.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "csm/io/utf8.hpp"

namespace csm::io::text {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

bool is_bidi_control(std::uint32_t code) noexcept {
  return code == 0x061c || code == 0x200e || code == 0x200f || (code >= 0x202a && code <= 0x202e) ||
         (code >= 0x2066 && code <= 0x2069);
}

// Code points a terminal does not show as a character but obeys: C1 controls, the
// bidirectional controls (Trojan Source, CVE-2021-42574) and the line separators.
bool is_invisible_control(std::uint32_t code) noexcept {
  return (code >= 0x80 && code <= 0x9f) || is_bidi_control(code) || code == 0x2028 ||
         code == 0x2029;
}

bool is_wide(std::uint32_t c) noexcept {
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
         (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
         (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
         (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
         (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
         (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
         (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

bool is_combining(std::uint32_t c) noexcept {
  return (c >= 0x0300 && c <= 0x036f) || (c >= 0x1ab0 && c <= 0x1aff) ||
         (c >= 0x1dc0 && c <= 0x1dff) || (c >= 0x20d0 && c <= 0x20ff) ||
         (c >= 0xfe20 && c <= 0xfe2f) || c == 0x200b || c == 0x200c || c == 0x200d ||
         (c >= 0xfe00 && c <= 0xfe0f);
}

// Width of the code point at `i` (which must be valid, as in terminal_text's output).
std::size_t width_of(std::uint32_t code) noexcept {
  if (is_combining(code)) return 0;
  return is_wide(code) ? 2 : 1;
}

std::string with_separators(const std::string& whole) {
  std::string out;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(whole[i]);
  }
  return out;
}

// Three significant digits and a suffix: 11234567 -> "11.2M". `magnitude` >= 1000.
std::string compact_positive(double magnitude) {
  static constexpr const char* kSuffix[] = {"K", "M", "B", "T", "Q"};
  double scaled = magnitude / 1e3;
  std::size_t s = 0;
  while (scaled >= 999.5 && s + 1 < std::size(kSuffix)) {
    scaled /= 1e3;
    ++s;
  }
  const int decimals = scaled >= 99.95 ? 0 : scaled >= 9.995 ? 1 : 2;
  return fmt::format("{:.{}f}{}", scaled, decimals, kSuffix[s]);
}

}  // namespace

// ---- CSV ------------------------------------------------------------------------------------

bool looks_like_formula(std::string_view text) noexcept {
  if (text.empty()) return false;
  switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

bool csv_needs_change(std::string_view text, bool guard) noexcept {
  return (guard && looks_like_formula(text)) ||
         text.find_first_of(",\"\r\n") != std::string_view::npos;
}

void append_csv_field(std::string& out, std::string_view text, bool guard) {
  if (!csv_needs_change(text, guard)) {
    out.append(text);
    return;
  }
  const bool formula = guard && looks_like_formula(text);
  out.push_back('"');
  if (formula) out.push_back('\'');
  for (const char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string csv_field(std::string_view text, bool guard) {
  std::string out;
  append_csv_field(out, text, guard);
  return out;
}

std::string csv_group_field(std::string_view group, bool guard) {
  if (group.empty()) return "(none)";
  if (group == "(none)") return "'(none)";
  return csv_field(group, guard);
}

// ---- JSON -----------------------------------------------------------------------------------

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  // Invalid UTF-8 (a file name from another encoding) becomes U+FFFD: the document stays JSON.
  std::string repaired;
  for (std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos;
       bad = first_invalid_utf8(text)) {
    repaired.append(text.substr(0, bad));
    if (text[bad] == '\0') {
      repaired.push_back('\0');  // valid UTF-8; escaped as \u0000 below
    } else {
      repaired += "\xef\xbf\xbd";
    }
    text.remove_prefix(bad + 1);
  }
  if (!repaired.empty()) {
    repaired.append(text);
    text = repaired;
  }
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[static_cast<unsigned char>(c) >> 4];
          out += kHex[static_cast<unsigned char>(c) & 15];
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::array<std::pair<std::string_view, std::optional<std::string_view>>, 4> envelope_members(
    const JsonEnvelope& envelope) {
  return {{{"tool", "csm-metrics"},
           {"version", envelope.version},
           {"command", envelope.command},
           {"kind", envelope.kind}}};
}

std::string envelope_lines(const JsonEnvelope& envelope, std::string_view indent) {
  std::string out;
  for (const auto& [name, value] : envelope_members(envelope)) {
    out += indent;
    append_json_string(out, name);
    out += ": ";
    if (value) {
      append_json_string(out, *value);
    } else {
      out += "null";
    }
    out += ",\n";
  }
  return out;
}

// ---- numbers --------------------------------------------------------------------------------

std::string number_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string grouped_number(double value, int decimals) {
  const std::string plain = fmt::format("{:.{}f}", std::fabs(value), decimals);
  const std::size_t dot = plain.find('.');
  std::string out = with_separators(plain.substr(0, dot));
  if (dot != std::string::npos) out += plain.substr(dot);
  return (value < 0 && plain.find_first_not_of("0.") != std::string::npos ? "-" : "") + out;
}

std::string grouped_money(MoneySum amount) {
  const std::string exact = format_money(amount);
  const bool negative = exact.front() == '-';
  const std::string digits = exact.substr(negative ? 1 : 0);
  const std::size_t dot = digits.find('.');
  return (negative ? "-" : "") + with_separators(digits.substr(0, dot)) +
         (dot == std::string::npos ? "" : digits.substr(dot));
}

std::string grouped_count(std::uint64_t n) { return with_separators(std::to_string(n)); }

std::string compact_money(MoneySum amount, std::size_t width) {
  std::string full = grouped_money(amount);
  if (full.size() <= width) return full;
  const double value = to_double(amount);
  if (std::fabs(value) < 1e3) return full;
  return (value < 0 ? "-" : "") + compact_positive(std::fabs(value));
}

std::string compact_number(double value, int decimals, std::size_t width) {
  std::string full = grouped_number(value, decimals);
  if (full.size() <= width || !std::isfinite(value) || std::fabs(value) < 1e3) return full;
  return (value < 0 ? "-" : "") + compact_positive(std::fabs(value));
}

// ---- lower case -----------------------------------------------------------------------------

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// ---- terminal -------------------------------------------------------------------------------

std::string terminal_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c < 0x80) {  // C0 controls and DEL
      append_hex_byte(out, c);
      ++i;
      continue;
    }
    const Utf8Char d = decode_utf8(text, i);
    if (d.length == 0) {
      append_hex_byte(out, c);
      ++i;
      continue;
    }
    if (is_invisible_control(d.code)) {
      out += fmt::format("\\u{:04x}", d.code);
    } else {
      out.append(text.substr(i, d.length));
    }
    i += d.length;
  }
  return out;
}

std::uint32_t bidi_control_at(std::string_view text, std::size_t i) noexcept {
  if (i >= text.size()) return 0;
  const auto c = static_cast<unsigned char>(text[i]);
  if (c != 0xd8 && c != 0xe2) return 0;  // lead bytes of U+061C and U+2000-U+2FFF
  const Utf8Char d = decode_utf8(text, i);
  return d.length != 0 && is_bidi_control(d.code) ? d.code : 0;
}

std::size_t display_width(std::string_view text) noexcept {
  std::size_t width = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const Utf8Char d = decode_utf8(text, i);
    if (d.length == 0) {  // not expected after terminal_text; counted as one column
      ++width;
      ++i;
      continue;
    }
    width += width_of(d.code);
    i += d.length;
  }
  return width;
}

std::string elide_middle(std::string_view text, std::size_t max_width) {
  const std::size_t width = display_width(text);
  if (width <= max_width) return std::string(text);
  constexpr std::string_view kDots = "...";
  if (max_width <= kDots.size()) return std::string(kDots.substr(0, max_width));
  const std::size_t keep = max_width - kDots.size();
  const std::size_t head_width = (keep + 1) / 2;
  const std::size_t tail_width = keep - head_width;
  // The head: whole code points while they fit.
  std::size_t head_end = 0;
  std::size_t used = 0;
  while (head_end < text.size()) {
    const Utf8Char d = decode_utf8(text, head_end);
    const std::size_t length = d.length ? d.length : 1;
    const std::size_t w = d.length ? width_of(d.code) : 1;
    if (used + w > head_width) break;
    used += w;
    head_end += length;
  }
  // The tail: whole code points from the end while they fit (start bytes only).
  std::size_t tail_begin = text.size();
  used = 0;
  while (tail_begin > head_end) {
    std::size_t start = tail_begin - 1;
    while (start > head_end && (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80) --start;
    const Utf8Char d = decode_utf8(text, start);
    const std::size_t w = d.length ? width_of(d.code) : 1;
    if (d.length != 0 && start + d.length != tail_begin) break;  // not a whole code point
    if (used + w > tail_width) break;
    used += w;
    tail_begin = start;
  }
  std::string out(text.substr(0, head_end));
  out += kDots;
  out.append(text.substr(tail_begin));
  return out;
}

std::string cell(std::string_view text, std::size_t max_width) {
  return elide_middle(terminal_text(text), max_width);
}

std::string pad_right(std::string_view text, std::size_t width) {
  std::string out(text);
  const std::size_t w = display_width(text);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::string pad_left(std::string_view text, std::size_t width) {
  const std::size_t w = display_width(text);
  std::string out(w < width ? width - w : 0, ' ');
  out.append(text);
  return out;
}

std::string group_label(std::string_view group, std::size_t max_width) {
  if (group.empty()) return "(none)";
  if (group == "(none)" || group.front() == '"') {
    std::string quoted = "\"";
    for (const char c : group) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c);
    }
    quoted.push_back('"');
    return cell(quoted, max_width);
  }
  return cell(group, max_width);
}

std::string message_text(std::string_view text) { return cell(text, 40); }

std::string wrap(std::string_view text, std::size_t width, std::string_view first,
                 std::string_view rest) {
  std::string out;
  std::string line(first);
  std::size_t line_width = display_width(first);
  bool empty = true;  // no word on the line yet
  const auto flush = [&] {
    out += line;
    out.push_back('\n');
    line.assign(rest);
    line_width = display_width(rest);
    empty = true;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i == text.size()) break;
    std::size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(i, end - i);
    i = end;
    while (true) {
      const std::size_t w = display_width(word);
      const std::size_t needed = (empty ? 0 : 1) + w;
      if (line_width + needed <= width) {
        if (!empty) line.push_back(' ');
        line.append(word);
        line_width += needed;
        empty = false;
        break;
      }
      if (!empty) {
        flush();
        continue;
      }
      // A word longer than a whole line: cut it at a code point boundary.
      const std::size_t room = width > line_width ? width - line_width : 1;
      std::size_t cut = 0;
      std::size_t used = 0;
      while (cut < word.size()) {
        std::size_t next = cut + 1;
        while (next < word.size() && (static_cast<unsigned char>(word[next]) & 0xc0) == 0x80) ++next;
        if (used + display_width(word.substr(cut, next - cut)) > room && cut > 0) break;
        used += display_width(word.substr(cut, next - cut));
        cut = next;
      }
      line.append(word.substr(0, cut));
      empty = false;
      word.remove_prefix(cut);
      if (word.empty()) break;
      flush();
    }
  }
  if (!empty || out.empty()) flush();
  return out;
}

}  // namespace csm::io::text
