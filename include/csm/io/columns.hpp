#pragma once
/// The bridge between a tabular reader (CSV, TSV, JSON) and a record schema: which input columns
/// (or JSON keys) are wanted, in which slot each arrives, and what a cell looks like.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/error.hpp"

namespace csm::io {

/// What kind of value a cell holds. CSV cells are always `text` (an empty field is empty text);
/// JSON values keep their type so that a number where a string is expected can be refused.
enum class CellType : std::uint8_t {
  absent,     ///< the column/key is not in this record
  null,       ///< JSON null
  text,       ///< CSV field or JSON string (unescaped)
  number,     ///< JSON number, text exactly as written ("104.740")
  boolean,    ///< JSON true/false, text "true"/"false"
  composite,  ///< JSON object or array (text is empty)
};

struct Cell {
  std::string_view text;
  CellType type = CellType::absent;
};

/// One wanted column of a record kind.
struct ColumnSpec {
  std::string name;       ///< canonical name, lower case ("revenue")
  bool required = false;
};

/// Input column names for the wanted columns, matched case-insensitively. A rename
/// (`--column revenue=MRR`) makes "MRR" the name looked for instead of "revenue".
class ColumnMap {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  explicit ColumnMap(std::vector<ColumnSpec> specs);

  /// Look for `input_name` instead of the canonical `canonical`. Returns false when `canonical`
  /// is not a column of this record kind.
  bool rename(std::string_view canonical, std::string_view input_name);

  /// Also accept `input_name` for `canonical` (a billing export that names a column one way in
  /// its API and another in its CSV export). The name looked for first stays the one of rename();
  /// a later rename() of the column drops its alternatives. Returns false for an unknown column.
  bool add_alternative(std::string_view canonical, std::string_view input_name);

  /// Slot of an input column name (case-insensitive, surrounding spaces ignored), or npos.
  std::size_t find(std::string_view input_name) const noexcept;

  std::size_t size() const noexcept { return specs_.size(); }
  const ColumnSpec& spec(std::size_t slot) const noexcept { return specs_[slot]; }
  /// The name as the user knows it (the renamed input name when renamed), for messages.
  const std::string& display_name(std::size_t slot) const noexcept { return display_[slot]; }
  /// True when the column was renamed with rename().
  bool renamed(std::size_t slot) const noexcept { return display_[slot] != specs_[slot].name; }

 private:
  std::vector<ColumnSpec> specs_;
  std::vector<std::string> lookup_;   // lower-case name looked for, per slot
  std::vector<std::string> display_;  // the name looked for, as the user spelled it
  std::vector<std::pair<std::size_t, std::string>> alternatives_;  // (slot, lower-case name)
};

/// Where a record came from, for error messages.
struct Location {
  std::string_view source;  ///< file name as given, or "<stdin>"
  std::uint64_t line = 0;   ///< 1-based line where the record starts
  std::uint64_t record = 0;  ///< JSON array: 1-based element number (0: not given)
  std::uint64_t offset = 0;  ///< JSON array: byte offset of the record from the file's start
};

/// Receives records from a reader, one at a time: cells[slot] for each ColumnMap slot.
class RowConsumer {
 public:
  virtual ~RowConsumer() = default;
  virtual void row(std::span<const Cell> cells, const Location& where) = 0;
  /// A record the reader could not make into cells (wrong number of fields, invalid UTF-8, a JSON
  /// value of the wrong shape). The default rethrows, stopping the run; a consumer that skips
  /// invalid records counts it and returns, and the reader goes on with the next record.
  virtual void reject(const InputError& error) { throw error; }
};

}  // namespace csm::io
