#pragma once
/// Private text-output helpers shared by every writer and by the CLI (not installed): CSV
/// fields, JSON strings, numbers, grouped money, and text from the data made safe for a
/// terminal. docs/reliability.md, "Output escaping", describes what users see.

#include <cstddef>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "csm/decimal.hpp"
#include "csm/io/csv_style.hpp"

namespace csm::io::text {

// ---- CSV ------------------------------------------------------------------------------------

/// True when `text` starts with a character a spreadsheet reads as a formula: = + - @ TAB CR
/// (the OWASP list for CSV injection).
bool looks_like_formula(std::string_view text) noexcept;

/// A CSV text field (RFC 4180): quoted when it holds a comma, a quote or a line break. With
/// `guard` (the default of every command), a field that looks like a formula is written as
/// "'TEXT" (a single quote first, the whole field quoted), as OWASP recommends.
std::string csv_field(std::string_view text, bool guard = false);
/// True when csv_field would change `text` (quotes or the formula guard); false: write it as is.
bool csv_needs_change(std::string_view text, bool guard) noexcept;
void append_csv_field(std::string& out, std::string_view text, bool guard = false);

/// The group column of a grouped CSV: the empty value is the marker "(none)"; a value that is
/// literally "(none)" is written "'(none)" (also with --csv-raw) so that the two differ.
std::string csv_group_field(std::string_view group, bool guard);

// ---- JSON -----------------------------------------------------------------------------------

/// A JSON string literal that is always valid UTF-8: each byte that is not part of valid UTF-8
/// becomes U+FFFD; quote, backslash, \n, \r, \t and other control bytes are escaped.
std::string json_string(std::string_view text);
void append_json_string(std::string& out, std::string_view text);

/// The envelope every JSON document of csm-metrics starts with (docs/cli.md, "JSON output";
/// docs/schema/csm-metrics.schema.json): "tool" ("csm-metrics"), "version", "command" (the
/// subcommand, "at-risk"), "kind" (the kind of records read, "activity"; null where a command
/// reads none, calc). Every writer puts these first, through the functions below, so that the
/// commands cannot drift apart.
struct JsonEnvelope {
  std::string_view version;
  std::string_view command;
  std::optional<std::string_view> kind;
};
/// The members in their order: (name, string value or nullopt for null).
std::array<std::pair<std::string_view, std::optional<std::string_view>>, 4> envelope_members(
    const JsonEnvelope& envelope);
/// The members as lines of a pretty document: each is INDENT "name": value, then a comma and a
/// newline (the writers that build their text by hand).
std::string envelope_lines(const JsonEnvelope& envelope, std::string_view indent = "  ");
/// The same members set on a (first still empty) nlohmann::ordered_json object.
template <class Json>
void put_envelope(Json& j, const JsonEnvelope& envelope) {
  for (const auto& [name, value] : envelope_members(envelope)) {
    j[std::string(name)] = value ? Json(std::string(*value)) : Json(nullptr);
  }
}

/// A JSON number, or null for a missing value or one JSON cannot hold (NaN, infinity).
template <class Json>
Json json_number_or_null(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return nullptr;
  return *value;
}

// ---- numbers --------------------------------------------------------------------------------

/// Shortest text that reads back as the same double ("0.1", "15.384615384615385", "1e+20").
std::string number_text(double value);

/// Thousands separators for people: (1234567.891, 2) -> "1,234,567.89"; no "-0.00".
std::string grouped_number(double value, int decimals);
/// Exact money with separators: 1234567.5 -> "1,234,567.50".
std::string grouped_money(MoneySum amount);
/// A count with separators: 1234567 -> "1,234,567".
std::string grouped_count(std::uint64_t n);
/// Money in at most `width` columns: grouped_money when it fits, else a compact form with
/// three significant digits ("11.2M", "987K", "1.23B", "4.56T").
std::string compact_money(MoneySum amount, std::size_t width);
/// The same for a double amount shown with `decimals` decimals (metrics tables).
std::string compact_number(double value, int decimals, std::size_t width);

// ---- lower case -----------------------------------------------------------------------------

/// `text` with ASCII A-Z in lower case (other bytes unchanged).
std::string ascii_lower(std::string_view text);

// ---- terminal -------------------------------------------------------------------------------

/// Data made safe for a terminal or a log: printable UTF-8 is kept; C0 controls (ESC, CR, LF,
/// NUL, ...), DEL and bytes that are not UTF-8 become \xNN; C1 controls, bidirectional
/// controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and line/paragraph
/// separators (U+2028, U+2029) become \uNNNN. The result is one line without escape sequences.
std::string terminal_text(std::string_view text);

/// The code point of a bidirectional control (as terminal_text escapes them) starting at byte
/// `i` of `text`, or 0 when there is none: for writers of other formats (SVG, HTML).
std::uint32_t bidi_control_at(std::string_view text, std::size_t i) noexcept;

/// Columns `text` takes on a terminal: one per code point, two for East Asian wide ones, none
/// for combining marks. For text that terminal_text returned.
std::size_t display_width(std::string_view text) noexcept;

/// `text` (safe already) cut to at most `max_width` columns by replacing its middle with "...":
/// "cus_0123456789abcdef" at 12 -> "cus_0...cdef".
std::string elide_middle(std::string_view text, std::size_t max_width);

/// A value from the data for a table cell: terminal_text, then elide_middle to `max_width`.
std::string cell(std::string_view text, std::size_t max_width);

/// `text` padded with spaces to `width` display columns, on the right (left-aligned) or left.
std::string pad_right(std::string_view text, std::size_t width);
std::string pad_left(std::string_view text, std::size_t width);

/// A group value for a table heading or a message: "(none)" for the empty value; a value that
/// could be taken for that marker (literally "(none)", or starting with a double quote) in
/// double quotes; terminal_text otherwise; at most `max_width` columns.
std::string group_label(std::string_view group, std::size_t max_width = 40);

/// Lines of at most `width` columns, broken at spaces (a word longer than a line is cut):
/// `first` before the first line, `rest` before the others, each line ending in '\n'.
std::string wrap(std::string_view text, std::size_t width, std::string_view first,
                 std::string_view rest);

/// The width every table keeps to (docs/cli.md): 80 columns.
inline constexpr std::size_t kTableWidth = 80;

/// A value from the data for an error or alert message (stderr): terminal_text cut to 40
/// columns, so that a message stays one line of bounded length.
std::string message_text(std::string_view text);

}  // namespace csm::io::text
