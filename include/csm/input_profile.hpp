#pragma once
/// What `compute --explain` and `check` say about the input rows before any metric: which months
/// have rows, how many rows are exact duplicates, how many have zero revenue. Fed one valid row
/// at a time by the readers; costs nothing unless asked for.

#include <cstdint>
#include <string_view>
#include <vector>

#include "csm/month.hpp"

namespace csm {

class InputProfile {
 public:
  /// One valid row: its month and a 64-bit hash of all its parsed fields (rows with equal hashes
  /// count as duplicates). Memory: one hash per distinct row, about 16 bytes with the table's
  /// free slots; a false match has a chance of about rows^2 / 2^65.
  void row(YearMonth month, std::uint64_t fields_hash, bool zero_revenue);

  std::uint64_t rows() const noexcept { return rows_; }
  std::uint64_t duplicate_rows() const noexcept { return duplicates_; }
  std::uint64_t zero_revenue_rows() const noexcept { return zero_revenue_; }
  /// Whether some valid row fell in `month`.
  bool has_rows(YearMonth month) const noexcept;

  /// Hashing the fields of a row: start with kSeed, then mix in each field.
  static constexpr std::uint64_t kSeed = 0x9e3779b97f4a7c15ull;
  static std::uint64_t mix(std::uint64_t hash, std::string_view bytes) noexcept;
  static std::uint64_t mix(std::uint64_t hash, std::int64_t value) noexcept;

 private:
  void grow();

  std::uint64_t rows_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t zero_revenue_ = 0;
  std::vector<std::uint64_t> slots_;  // open addressing; 0 = free
  std::size_t used_ = 0;
  std::vector<bool> months_;          // index = month.index - months_base_
  std::int32_t months_base_ = 0;
};

}  // namespace csm
