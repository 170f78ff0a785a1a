#pragma once
/// Private to csm_io (not installed): JsonReader::RecordScanner, the scanner of one
/// JsonReader::parse() call. It walks the buffer record by record (the array or JSON Lines layout,
/// json_reader.cpp), reads each record object and its values (json_record_scanner.cpp) and words
/// the messages of malformed input (json_scan_errors.cpp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "csm/io/json_reader.hpp"

namespace csm::io {
namespace json_scan {

// Thrown when the buffer ends inside a record and more bytes may come: parse() then returns what
// it had consumed before that record. Happens at most once per parse() call, so the cost of an
// exception does not matter, and it spares every read of the cursor a status check.
struct NeedMore {};

inline constexpr int kEof = -1;

inline bool is_digit(int c) noexcept { return c >= '0' && c <= '9'; }

inline bool is_value_start(int c) noexcept {
  return c == '{' || c == '[' || c == '"' || c == '-' || is_digit(c) || c == 't' || c == 'f' ||
         c == 'n';
}

}  // namespace json_scan

/// The cursor of one parse() call. Positions are committed (consumed_, reader.line_, reader.stage_)
/// only between whole records, so a NeedMore leaves the reader as it was before the record.
struct JsonReader::RecordScanner {
  JsonReader& r;
  const char* begin;
  const char* p;
  const char* end;
  bool at_end;
  std::uint64_t line;
  const char* consumed;
  // What is open at the top level, for "unexpected end of input" messages (array layout only).
  const char* open_kind = nullptr;
  std::uint64_t open_line = 0;
  // Array layout: the element being read (1-based; 0 = none) and the byte offset where it starts,
  // named in messages since a minified array is all on line 1.
  std::uint64_t element_number = 0;
  std::uint64_t element_offset = 0;

  RecordScanner(JsonReader& reader, std::string_view buffer, bool last)
      : r(reader),
        begin(buffer.data()),
        p(buffer.data()),
        end(buffer.data() + buffer.size()),
        at_end(last),
        line(reader.line_),
        consumed(buffer.data()) {}

  bool lines() const noexcept { return r.layout_ == JsonLayout::lines; }

  void commit() noexcept {
    consumed = p;
    r.line_ = line;
  }

  int peek() {
    if (p != end) return static_cast<unsigned char>(*p);
    if (at_end) return json_scan::kEof;
    throw json_scan::NeedMore{};
  }

  int peek_at(std::size_t k) {
    if (static_cast<std::size_t>(end - p) > k) return static_cast<unsigned char>(p[k]);
    if (at_end) return json_scan::kEof;
    throw json_scan::NeedMore{};
  }

  // ---- errors (json_scan_errors.cpp) ----------------------------------------------------------

  [[noreturn]] void fail(std::string message);
  std::string element_suffix() const;
  [[noreturn]] void fail_too_long(std::uint64_t record_line) const;
  void check_record_size(std::uint64_t record_line) const {
    if (static_cast<std::size_t>(p - consumed) > kMaxJsonRecordBytes) fail_too_long(record_line);
  }
  [[noreturn]] void fail_nul();
  std::string token_here();
  std::string eof_context() const;
  [[noreturn]] void fail_expected(std::string_view expected);
  [[noreturn]] void fail_token_at(const char* start, std::string_view what);
  [[noreturn]] void fail_nesting();
  void row_error(std::size_t slot, std::string message);
  void reject(std::uint64_t record_line, std::string field, std::string message);

  // ---- whitespace -----------------------------------------------------------------------------

  // Between records: every kind of JSON whitespace, line breaks counted.
  void skip_ws_between() noexcept {
    while (p != end) {
      const char c = *p;
      if (c == '\n') {
        ++line;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return;
      }
      ++p;
    }
  }

  // Inside a record. JSON Lines records end at the line break, so there it is not whitespace.
  // Compact JSON has none, so a byte above the space ends it at once.
  void skip_ws_inside() noexcept {
    while (p != end) {
      const auto c = static_cast<unsigned char>(*p);
      if (c > ' ') return;
      if (c == ' ' || c == '\t' || c == '\r') {
        ++p;
      } else if (c == '\n' && !lines()) {
        ++line;
        ++p;
      } else {
        return;
      }
    }
  }

  // ---- one record and its values (json_record_scanner.cpp) ------------------------------------

  // Declared inline, as they were when defined in the class: the compiler then inlines them into
  // each other as before the split (they are called only from json_record_scanner.cpp).
  inline void utf8_sequence(std::size_t slot, const char* string_start);
  inline std::uint32_t hex_escape_digits();
  inline void escape(std::string* out, std::size_t slot);
  inline bool scan_string(std::string* out, std::size_t slot, std::string_view& raw);
  inline void skip_string();
  inline int skip_digits();
  inline void number();
  inline bool plain_number() noexcept;
  inline void literal(std::string_view word);
  inline void scalar(int c);
  inline void skip_container(std::size_t level);
  inline void value(std::size_t slot);
  void any_value(std::size_t slot);
  inline void skip_value(std::size_t level);
  // A top-level value that is not an object (the layouts reject it): skip_value(1).
  void skip_record_value();
  inline bool take_raw_key(const KnownKey& known, std::string_view& key) noexcept;
  inline std::size_t key_slot(std::size_t ordinal, std::string_view& key);
  std::size_t new_key_slot(std::size_t ordinal, std::string_view& key);
  void object();
  void deliver(std::uint64_t record_line);

  // ---- layouts (json_reader.cpp) --------------------------------------------------------------

  // Inline for the same reason; called only from json_reader.cpp.
  inline bool byte_order_mark();
  inline void element(std::string_view expected);
  inline void run_array();
  inline void end_of_line(const char* what);
  inline void run_lines();
  std::size_t run();
};

}  // namespace csm::io
