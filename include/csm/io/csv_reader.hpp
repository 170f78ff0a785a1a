#pragma once
/// RFC 4180 CSV and TSV: quoted fields with delimiters, doubled quotes and line breaks; CRLF or
/// LF; an optional UTF-8 byte-order mark; the first record is the header.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "csm/io/columns.hpp"

namespace csm::io {

/// Limits that keep a hostile file from taking all memory (documented in docs/reliability.md).
inline constexpr std::size_t kMaxRecordBytes = 64u << 20;  ///< one record, quotes included

/// Incremental CSV/TSV parser. The caller feeds the bytes of one source through parse() in
/// buffers that grow at the end; parse() consumes whole records only and says how many bytes it
/// used, so the caller keeps the rest and appends the next read to it.
class CsvReader {
 public:
  /// `delimiter` is ',' for CSV and '\t' for TSV. Throws InputError for a bad header.
  CsvReader(const ColumnMap& columns, RowConsumer& consumer, std::string source_name,
            char delimiter);

  /// Parse the complete records at the start of `buffer` and return the number of bytes consumed.
  /// With `at_end`, the buffer holds the rest of the source and everything is consumed (a last
  /// record without a line break is accepted; an open quote is an error). Throws InputError.
  std::size_t parse(std::string_view buffer, bool at_end);

  /// A reader for a later part of the same source, from the record that starts at byte `start`:
  /// it takes the header of `header_reader` (which must have read it) and counts lines from 1.
  CsvReader(const CsvReader& header_reader, RowConsumer& consumer, std::uint64_t start);

  /// Stop once the header is read (for a reader whose data records other readers will take).
  void stop_after_header() noexcept { stop_after_header_ = true; }
  /// Stop before a record that starts at byte `end` of the source or later.
  void stop_at(std::uint64_t end) noexcept { stop_at_ = end; }
  /// True when parse() stopped at one of the limits above; the rest was not consumed.
  bool stopped() const noexcept { return stopped_; }
  /// Bytes of the source consumed so far (counting from the start of the source).
  std::uint64_t offset() const noexcept { return offset_; }
  /// Line breaks consumed so far.
  std::uint64_t line_breaks() const noexcept { return line_ - 1; }

  /// Data records delivered so far (the header is not counted).
  std::uint64_t records() const noexcept { return records_; }
  /// True once the header line has been read.
  bool has_header() const noexcept { return header_done_; }
  /// The header's field names as read (quotes removed), once has_header().
  const std::vector<std::string>& header_fields() const noexcept { return header_fields_; }

  /// The bytes of the record being handed over, as they are in the caller's buffer: from its first
  /// byte through its line break (none at the end of the input). Valid inside RowConsumer::row()
  /// and reject(); for the header (without a byte-order mark), valid after the parse() that read it
  /// as long as the buffer is. `shard` copies records with it, unchanged.
  std::string_view record_text() const noexcept { return record_text_; }

  /// The fields of a record the reader has accepted (record_text() less its line break), as they
  /// are written: quotes and doubled quotes kept. Follows the reader's rules (a quote opens a
  /// quoted field only at the start of the field).
  static std::vector<std::string_view> raw_fields(std::string_view record, char delimiter);

 private:
  std::size_t parse_records(std::string_view buffer, bool at_end);
  static constexpr std::size_t kNotSimple = static_cast<std::size_t>(-1);
  static constexpr std::size_t kNeedMore = static_cast<std::size_t>(-2);
  std::size_t parse_simple_record(std::string_view buffer, std::size_t pos, bool at_end);
  void on_header(const std::vector<std::string_view>& fields, std::uint64_t line);
  void on_record(const std::vector<std::string_view>& fields, std::uint64_t line);

  const ColumnMap& columns_;
  RowConsumer& consumer_;
  std::string source_;
  char delimiter_;
  bool header_done_ = false;
  bool stop_after_header_ = false;
  bool stopped_ = false;
  std::uint64_t stop_at_ = UINT64_MAX;
  std::uint64_t offset_ = 0;
  bool bom_checked_ = false;
  std::uint64_t line_ = 1;       // line where the next record starts
  std::uint64_t records_ = 0;
  std::size_t field_count_ = 0;  // fields in the header
  std::vector<std::size_t> slot_of_field_;
  std::vector<std::string_view> fields_;
  std::vector<Cell> cells_;
  std::string unquoted_;         // storage for quoted fields with doubled quotes
  std::string_view record_text_;
  std::vector<std::string> header_fields_;
};

}  // namespace csm::io
