#include "csm/io/json_reader.hpp"

#include <string>
#include <utility>

#include "json_record_scanner.hpp"

// JsonReader and the two layouts of JSON input: one top-level array of records, or JSON Lines (one
// record per line). Each record is read by RecordScanner::object() (json_record_scanner.cpp).

namespace csm::io {
namespace {

using json_scan::is_digit;
using json_scan::is_value_start;
using json_scan::kEof;

// What a value is, from its first byte, for "found a ..." messages.
const char* kind_of(int c) noexcept {
  switch (c) {
    case '{':
      return "an object";
    case '[':
      return "an array";
    case '"':
      return "a string";
    case 't':
    case 'f':
      return "a boolean";
    case 'n':
      return "null";
    default:
      return "a number";
  }
}

}  // namespace

// Returns false while the buffer is too short to tell whether it starts with a byte-order mark.
bool JsonReader::RecordScanner::byte_order_mark() {
  const auto size = static_cast<std::size_t>(end - p);
  if (size < 3 && !at_end) return false;
  const auto byte = [&](std::size_t i) {
    return i < size ? static_cast<unsigned char>(p[i]) : 0;
  };
  if ((byte(0) == 0xFF && byte(1) == 0xFE) || (byte(0) == 0xFE && byte(1) == 0xFF)) {
    fail("the file is UTF-16; expected UTF-8 (convert it, e.g. with iconv -f UTF-16 -t UTF-8)");
  }
  if (byte(0) == 0xEF && byte(1) == 0xBB && byte(2) == 0xBF) p += 3;
  r.bom_checked_ = true;
  commit();
  return true;
}

void JsonReader::RecordScanner::element(std::string_view expected) {
  const int c = peek();
  const std::uint64_t element_line = line;
  const char* const start = p;
  element_number = r.elements_ + 1;
  element_offset = r.offset_ + static_cast<std::uint64_t>(p - begin);
  if (!is_value_start(c)) fail_expected(expected);
  const char* const saved_kind = open_kind;
  const std::uint64_t saved_line = open_line;
  open_kind = c == '[' ? "the array" : "the object";
  open_line = element_line;
  if (c == '{') {
    object();
  } else {
    skip_record_value();
  }
  open_kind = saved_kind;
  open_line = saved_line;
  check_record_size(element_line);
  r.stage_ = Stage::after_element;
  commit();
  r.record_text_ = std::string_view(start, static_cast<std::size_t>(p - start));
  ++r.elements_;
  if (c == '{') {
    deliver(element_line);
  } else {
    reject(element_line, "", std::string("expected an object, found ") + kind_of(c));
  }
  element_number = 0;
}

void JsonReader::RecordScanner::run_array() {
  if (r.stage_ != Stage::start && r.stage_ != Stage::done) {
    open_kind = "the array";
    open_line = r.array_line_;
  }
  for (;;) {
    skip_ws_between();
    commit();
    const int c = peek();
    switch (r.stage_) {
      case Stage::start:
        if (c == kEof) throw InputError(r.source_, 0, "", "empty input: expected a JSON array");
        if (c == '[') {
          r.array_line_ = line;
          open_kind = "the array";
          open_line = line;
          ++p;
          r.stage_ = Stage::first_element;
          continue;
        }
        if (c == '{') {
          fail(
              "expected a JSON array of objects, found an object (use --input-format jsonl for "
              "JSON Lines)");
        }
        if (c == '"' || c == '-' || is_digit(c)) {
          fail(std::string("expected a JSON array of objects, found ") + kind_of(c));
        }
        fail_expected("a JSON array of objects");
      case Stage::first_element:
        if (c == ']') {
          ++p;
          r.stage_ = Stage::done;
          open_kind = nullptr;
          continue;
        }
        element("an object or ']'");
        continue;
      case Stage::next_element:
        element("an object after ','");
        continue;
      case Stage::after_element:
        if (c == ',') {
          ++p;
          r.stage_ = Stage::next_element;
          continue;
        }
        if (c == ']') {
          ++p;
          r.stage_ = Stage::done;
          open_kind = nullptr;
          continue;
        }
        fail_expected("',' or ']' after an array element");
      case Stage::done:
        if (c == kEof) return;
        fail_expected("the end of input after the closing ']'");
    }
  }
}

void JsonReader::RecordScanner::end_of_line(const char* what) {
  while (p != end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
  const int c = peek();
  if (c == '\n') {
    ++p;
    ++line;
  } else if (c != kEof) {
    fail_expected(what);
  }
}

void JsonReader::RecordScanner::run_lines() {
  for (;;) {
    if (r.offset_ + static_cast<std::uint64_t>(p - begin) >= r.stop_at_) {
      commit();
      r.stopped_ = true;
      return;
    }
    skip_ws_between();
    commit();
    const int c = peek();
    if (c == kEof) return;
    const std::uint64_t record_line = line;
    const char* const start = p;
    if (c == '{') {
      object();
      check_record_size(record_line);
      end_of_line("a line break after the object");
      r.seen_value_ = true;
      commit();
      r.record_text_ = std::string_view(start, static_cast<std::size_t>(p - start));
      deliver(record_line);
      continue;
    }
    if (c == '[' && !r.seen_value_) {
      fail(
          "expected a JSON object per line, found an array (use --input-format json for a JSON "
          "array)");
    }
    if (!is_value_start(c)) fail_expected("a JSON object");
    skip_record_value();
    check_record_size(record_line);
    end_of_line("a line break after the value");
    r.seen_value_ = true;
    commit();
    r.record_text_ = std::string_view(start, static_cast<std::size_t>(p - start));
    reject(record_line, "", std::string("expected a JSON object per line, found ") + kind_of(c));
  }
}

std::size_t JsonReader::RecordScanner::run() {
  try {
    if (!r.bom_checked_ && !byte_order_mark()) return 0;
    if (lines()) {
      run_lines();
    } else {
      run_array();
    }
    if (!r.stopped_) consumed = end;
  } catch (const json_scan::NeedMore&) {
    // The record at `consumed` is incomplete: the caller appends more bytes and calls again.
    if (static_cast<std::size_t>(end - consumed) > kMaxJsonRecordBytes) fail_too_long(r.line_);
  }
  return static_cast<std::size_t>(consumed - begin);
}

JsonReader::JsonReader(const ColumnMap& columns, RowConsumer& consumer, std::string source_name,
                       JsonLayout layout)
    : columns_(columns),
      consumer_(consumer),
      source_(std::move(source_name)),
      layout_(layout),
      cells_(columns.size()) {}

JsonReader::JsonReader(const JsonReader& like, RowConsumer& consumer, std::uint64_t start)
    : columns_(like.columns_),
      consumer_(consumer),
      source_(like.source_),
      layout_(JsonLayout::lines),
      bom_checked_(true),
      seen_value_(true),
      offset_(start),
      cells_(like.columns_.size()) {}

std::size_t JsonReader::parse(std::string_view buffer, bool at_end) {
  RecordScanner scanner(*this, buffer, at_end);
  const std::size_t used = scanner.run();
  offset_ += used;
  return used;
}

}  // namespace csm::io
