// The messages of malformed JSON and of records that cannot be cells: what JsonReader throws
// (InputError) or hands to RowConsumer::reject(), worded from the cursor of the RecordScanner.

#include <string>
#include <utility>

#include "csm/io/utf8.hpp"
#include "json_record_scanner.hpp"

namespace csm::io {
namespace {

using json_scan::kEof;

constexpr std::size_t kMaxTokenShown = 32;
constexpr const char* kLinesHint = " (JSON Lines needs each object on one line)";

bool is_structural(int c) noexcept {
  return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' || c == '"';
}

// Ends a token shown in a message.
bool is_token_end(int c) noexcept { return c < 0x20 || c == ' ' || is_structural(c); }

}  // namespace

[[noreturn]] void JsonReader::RecordScanner::fail(std::string message) {
  if (element_number != 0) {
    message += " (record " + std::to_string(element_number) + ", byte " +
               std::to_string(r.offset_ + static_cast<std::uint64_t>(p - begin)) + ")";
  }
  throw InputError(r.source_, line, "", std::move(message));
}

std::string JsonReader::RecordScanner::element_suffix() const {
  if (element_number == 0) return "";
  return " (record " + std::to_string(element_number) + ", byte " + std::to_string(element_offset) + ")";
}

// A record longer than kMaxJsonRecordBytes, checked both while it is incomplete (so that the
// caller's buffer stops growing) and once it is complete (so that the limit does not depend on
// how the input was cut into reads).
[[noreturn]] void JsonReader::RecordScanner::fail_too_long(std::uint64_t record_line) const {
  throw InputError(r.source_, record_line, "",
                   "record longer than " + std::to_string(kMaxJsonRecordBytes >> 20) +
                       " MiB: expected the end of the object (is this a JSON file?)");
}

[[noreturn]] void JsonReader::RecordScanner::fail_nul() {
  fail("malformed JSON: unexpected NUL byte (is the file UTF-16 or binary?)");
}

// The token at the cursor, quoted. Waits for more input rather than showing a token cut short by
// the end of the buffer, so that a message never depends on how the input was split into reads.
std::string JsonReader::RecordScanner::token_here() {
  const char* q = p;
  if (q != end && is_structural(static_cast<unsigned char>(*q))) {
    ++q;
  } else {
    while (q != end && !is_token_end(static_cast<unsigned char>(*q)) &&
           static_cast<std::size_t>(q - p) < kMaxTokenShown) {
      ++q;
    }
    if (q == p && q != end) ++q;  // a lone space or control byte
    // At kMaxTokenShown bytes the next byte still decides whether "..." follows.
    if (q == end && !at_end && static_cast<std::size_t>(q - p) <= kMaxTokenShown) {
      throw json_scan::NeedMore{};
    }
  }
  std::string shown = quote_for_message(std::string_view(p, static_cast<std::size_t>(q - p)));
  if (q != end && static_cast<std::size_t>(q - p) == kMaxTokenShown &&
      !is_token_end(static_cast<unsigned char>(*q))) {
    shown += "...";
  }
  return shown;
}

std::string JsonReader::RecordScanner::eof_context() const {
  if (open_kind == nullptr) return "";
  return std::string(" (") + open_kind + " that starts on line " + std::to_string(open_line) +
         " is not closed)";
}

// "expected X, found Y" for whatever is at the cursor, end of input included.
[[noreturn]] void JsonReader::RecordScanner::fail_expected(std::string_view expected) {
  const int c = peek();
  if (c == kEof) {
    fail("unexpected end of input: expected " + std::string(expected) + eof_context());
  }
  if (c == 0) fail_nul();
  if (c == 0xEF && peek_at(1) == 0xBB && peek_at(2) == 0xBF) fail(kMidFileBomMessage);
  std::string message = "malformed JSON: expected ";
  message += expected;
  message += ", found ";
  if (c == '\n') {
    message += "a line break";
    if (lines()) message += kLinesHint;
  } else {
    message += token_here();
  }
  fail(std::move(message));
}

// A problem of the record, not of the JSON syntax: noted, and reported once the record is
// complete, through RowConsumer::reject().
void JsonReader::RecordScanner::row_error(std::size_t slot, std::string message) {
  if (r.row_error_) return;
  r.row_error_ = true;
  r.row_error_field_ = slot == ColumnMap::npos ? std::string() : r.columns_.display_name(slot);
  r.row_error_message_ = std::move(message);
}

void JsonReader::RecordScanner::reject(std::uint64_t record_line, std::string field, std::string message) {
  message += element_suffix();
  r.consumer_.reject(InputError(r.source_, record_line, std::move(field), std::move(message)));
}

[[noreturn]] void JsonReader::RecordScanner::fail_token_at(const char* start, std::string_view what) {
  p = start;
  std::string message = "malformed JSON: ";
  message += what;
  message += ' ';
  message += token_here();
  fail(std::move(message));
}

[[noreturn]] void JsonReader::RecordScanner::fail_nesting() {
  fail("nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
}

}  // namespace csm::io
