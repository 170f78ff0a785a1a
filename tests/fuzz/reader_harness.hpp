#pragma once
// Shared by the CSV and JSON reader targets: a RowConsumer that writes down everything a reader
// delivers, and a feeder that hands a reader the input in pieces the way RecordInput does (keep
// the unconsumed tail, append the next read). The property both targets check is that the pieces
// do not matter: feeding the input whole and feeding it split at data-derived offsets must give
// the same rows, the same rejects and the same final error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "csm/error.hpp"
#include "csm/io/columns.hpp"

namespace csm::fuzz {

[[noreturn]] inline void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "PROPERTY VIOLATED: %s\n%s\n", what, detail.c_str());
  std::abort();
}

inline std::uint64_t fnv1a(std::string_view bytes) noexcept {
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

/// The activity columns, as RecordInput builds them (customer_id, period and revenue required).
inline io::ColumnMap activity_column_map() {
  return io::ColumnMap({{"customer_id", true},
                        {"period", true},
                        {"revenue", true},
                        {"acquisition_cost", false},
                        {"csat", false},
                        {"segment", false}});
}

/// Writes every delivered row and reject as one line of text; checks the per-row invariants.
class TraceConsumer final : public io::RowConsumer {
 public:
  TraceConsumer(std::size_t slots, bool rethrow_rejects) : slots_(slots), rethrow_(rethrow_rejects) {}

  void row(std::span<const io::Cell> cells, const io::Location& where) override {
    if (cells.size() != slots_) fail("row() got a cell per slot", std::to_string(cells.size()));
    if (where.line == 0) fail("lines count from 1", "line 0");
    if (where.line < last_line_) fail("record lines never go back", std::to_string(where.line));
    last_line_ = where.line;
    std::string line = "row " + std::to_string(where.line) + ":";
    for (const io::Cell& cell : cells) {
      line += ' ';
      line += std::to_string(static_cast<int>(cell.type));
      line += '/';
      line += std::to_string(cell.text.size());
      line += '/';
      line.append(cell.text);
    }
    trace.push_back(std::move(line));
    ++rows;
  }

  void reject(const InputError& error) override {
    if (rethrow_) throw error;
    trace.push_back("reject: " + std::string(error.what()));
  }

  std::vector<std::string> trace;
  std::uint64_t rows = 0;

 private:
  std::size_t slots_;
  bool rethrow_;
  std::uint64_t last_line_ = 0;
};

/// Cut points for `size` bytes derived from the data: several pieces, or one byte at a time for
/// small inputs (the hardest case for a reader that must wait for the rest of a token).
inline std::vector<std::size_t> cut_points(std::string_view data) {
  const std::uint64_t h = fnv1a(data);
  std::vector<std::size_t> cuts;
  const std::size_t n = data.size();
  if ((h & 3u) == 0 && n <= 512) {
    for (std::size_t i = 1; i < n; ++i) cuts.push_back(i);
  } else {
    const std::size_t pieces = 1 + static_cast<std::size_t>((h >> 2) % 4);
    for (std::size_t i = 0; i < pieces; ++i) {
      cuts.push_back(static_cast<std::size_t>((h >> (8 + 13 * i)) % (n + 1)));
    }
    std::sort(cuts.begin(), cuts.end());
  }
  return cuts;
}

/// Feed `data` to `reader` in the pieces ended by `cuts` (the last piece ends at the end), with
/// the feeding contract of parse(): the unconsumed tail is kept and the next piece appended.
/// Returns the trace entry of the InputError that stopped it, or "" when none did.
template <class Reader>
std::string feed(Reader& reader, std::string_view data, const std::vector<std::size_t>& cuts) {
  std::string pending;
  std::size_t from = 0;
  std::uint64_t consumed_total = 0;
  try {
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
      const bool at_end = i == cuts.size();
      const std::size_t to = at_end ? data.size() : cuts[i];
      pending.append(data.substr(from, to - from));
      from = to;
      const std::size_t used = reader.parse(pending, at_end);
      if (used > pending.size()) fail("parse() consumed more than it was given", pending);
      if (at_end && used != pending.size()) fail("parse(at_end) consumes everything", pending);
      consumed_total += used;
      pending.erase(0, used);
      if (reader.offset() != consumed_total) {
        fail("offset() counts the bytes consumed",
             std::to_string(reader.offset()) + " != " + std::to_string(consumed_total));
      }
    }
  } catch (const InputError& e) {
    return "error: " + std::string(e.what());
  }
  return "";
}

inline std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

/// What one reading of a document gave: the trace of rows and rejects, the final error.
struct Outcome {
  std::vector<std::string> trace;
  std::string error;
  std::uint64_t records = 0;
};

/// Read `data` with the reader `make_reader(columns, consumer)` builds, fed at `cuts` (whole when
/// empty), and check that records() counts the rows delivered. Shared by the CSV and JSON targets.
template <typename MakeReader>
Outcome read_traced(std::string_view data, bool rethrow, const std::vector<std::size_t>& cuts,
                    MakeReader make_reader) {
  const csm::io::ColumnMap columns = activity_column_map();
  TraceConsumer consumer(columns.size(), rethrow);
  Outcome out;
  try {
    auto reader = make_reader(columns, consumer);
    out.error = feed(reader, data, cuts);
    out.records = reader.records();
    if (out.error.empty() && reader.records() != consumer.rows) {
      fail("records() counts the rows delivered", std::to_string(reader.records()));
    }
  } catch (const csm::InputError& e) {
    out.error = std::string("ctor error: ") + e.what();
  }
  out.trace = std::move(consumer.trace);
  return out;
}

}  // namespace csm::fuzz
