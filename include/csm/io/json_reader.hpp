#pragma once
/// JSON input: a top-level array of flat objects, or JSON Lines (one object per line; blank lines
/// ignored). Each object is one record; its keys are matched to the ColumnMap like CSV headers.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/io/columns.hpp"

namespace csm::io {

inline constexpr std::size_t kMaxJsonDepth = 64;  ///< nesting accepted inside an ignored value
/// One record (an element of the array or a JSON Lines line), as CSV's kMaxRecordBytes.
inline constexpr std::size_t kMaxJsonRecordBytes = 64u << 20;

enum class JsonLayout : std::uint8_t { array, lines };

/// Incremental JSON reader with the same feeding contract as CsvReader: parse() consumes whole
/// records from the start of the buffer and returns the bytes used. Values of known keys are
/// handed over as cells with their JSON type; number text is kept exactly as written. Unknown keys
/// are skipped whatever their value. Throws InputError (with the line) for malformed JSON, a
/// top-level value that is not the expected array/objects, or invalid UTF-8 in strings.
class JsonReader {
 public:
  /// `layout` says whether the source is one JSON array of objects or JSON Lines.
  JsonReader(const ColumnMap& columns, RowConsumer& consumer, std::string source_name,
             JsonLayout layout);

  /// Parse the complete records at the start of `buffer` and return the number of bytes consumed.
  /// With `at_end`, the buffer holds the rest of the source and everything is consumed or an
  /// InputError is thrown. Records that are well-formed JSON but cannot be cells (an element that
  /// is not an object, a duplicate key, invalid UTF-8) go to RowConsumer::reject().
  std::size_t parse(std::string_view buffer, bool at_end);

  /// A JSON Lines reader for a later part of the same source, from the line that starts at byte
  /// `start`; it counts lines from 1.
  JsonReader(const JsonReader& like, RowConsumer& consumer, std::uint64_t start);

  /// JSON Lines: stop before a record whose line starts at byte `end` of the source or later.
  void stop_at(std::uint64_t end) noexcept { stop_at_ = end; }
  /// True when parse() stopped at stop_at(); the rest was not consumed.
  bool stopped() const noexcept { return stopped_; }
  /// Bytes of the source consumed so far.
  std::uint64_t offset() const noexcept { return offset_; }
  /// Line breaks consumed so far.
  std::uint64_t line_breaks() const noexcept { return line_ - 1; }

  /// The source name used in messages.
  const std::string& source() const noexcept { return source_; }

  /// Records delivered to RowConsumer::row() so far (rejected ones are not counted).
  std::uint64_t records() const noexcept { return records_; }

  /// The bytes of the record being handed over, as they are in the caller's buffer: an array
  /// element from its first byte to its last (line breaks inside it included); a JSON Lines record
  /// from its first byte through its line break (none at the end of the input). Valid inside
  /// RowConsumer::row() and reject(). `shard` copies records with it, unchanged.
  std::string_view record_text() const noexcept { return record_text_; }

 private:
  struct RecordScanner;  // the cursor of one parse() call; src/io/json_record_scanner.hpp

  enum class Stage : std::uint8_t {
    start,          // before the '[' (array) or at the start of the source (lines)
    first_element,  // just after '['
    next_element,   // just after ','
    after_element,  // after an element: ',' or ']' next
    done,           // after the closing ']': only whitespace may follow
  };

  struct EscapedText {  // a cell whose unescaped text lives in strings_
    std::size_t slot;
    std::size_t offset;
    std::size_t size;
  };

  const ColumnMap& columns_;
  RowConsumer& consumer_;
  std::string source_;
  JsonLayout layout_;
  Stage stage_ = Stage::start;
  bool bom_checked_ = false;
  bool seen_value_ = false;  // lines: a non-blank line has been read
  std::uint64_t records_ = 0;
  std::uint64_t elements_ = 0;  // array elements read, valid or not
  std::uint64_t offset_ = 0;      // bytes consumed before the current buffer
  std::uint64_t stop_at_ = UINT64_MAX;
  bool stopped_ = false;
  std::uint64_t line_ = 1;        // line of the first unconsumed byte
  std::uint64_t array_line_ = 0;  // line of the top-level '[', for "not closed" messages
  std::string_view record_text_;

  // Per-record scratch, reused so that the steady state allocates nothing.
  std::vector<Cell> cells_;
  std::vector<EscapedText> escaped_;
  std::string strings_;  // unescaped string values of the current record
  std::string key_;      // the current key when it has escapes
  struct KnownKey {  // a key seen in this source and its slot (ColumnMap::npos when unknown)
    std::string key;
    std::size_t slot = ColumnMap::npos;
    bool plain = false;  // no byte scan_string stops at: it matches its raw bytes in the input
  };
  std::vector<KnownKey> key_cache_;   // the key seen last at each position of the record
  std::vector<KnownKey> known_keys_;  // the first kMaxKnownKeys distinct keys, for cache misses
  static constexpr std::size_t kMaxKnownKeys = 32;
  bool row_error_ = false;
  std::string row_error_field_;
  std::string row_error_message_;
};

}  // namespace csm::io
