#pragma once
/// `csm-metrics shard`: records split by customer into N outputs (shard_of(customer_id, N)), each
/// record's bytes unchanged. Inputs are read by the readers every command uses (CsvReader,
/// JsonReader): the same record boundaries, the same header matching, the same limits and errors
/// as `compute`; the reader only finds where a record starts and ends and what its id is, and the
/// record is copied from the input as it was.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/io/record_input.hpp"
#include "csm/io/source.hpp"

namespace csm::io {

/// Where the shards' bytes go: a FileSet in the CLI, strings in tests.
class ShardSink {
 public:
  virtual ~ShardSink() = default;
  /// Append `bytes` to shard `shard` (< the shard count).
  virtual void write(std::uint32_t shard, std::string_view bytes) = 0;
};

/// Splits the records of one or more inputs into `count` shards.
/// - CSV/TSV: the first input's header line goes to every shard, then each record as it was
///   (quotes, CRLF kept; a last record without a line break gets "\n"). A later input with the
///   same columns in another order has its fields (each as written) put in the first header's
///   order; other columns are an InputError.
/// - JSON Lines: each line as it was. A JSON array: each element on one line (line breaks between
///   its tokens become spaces; strings and numbers are not touched).
/// Records the readers refuse (a wrong number of fields, invalid UTF-8 in the id, an element that
/// is not an object, an id that is missing, blank or not a string) are refused here too:
/// InputError naming the input and line, as `compute` says it.
class RecordSharder {
 public:
  /// `format`: automatic detects each input's format as every command does. `renames`: the
  /// --column pairs (canonical, input name); the one for customer_id names the id column.
  RecordSharder(ShardSink& sink, std::uint32_t count, InputFormat format,
                std::vector<std::pair<std::string, std::string>> renames);
  ~RecordSharder();
  RecordSharder(const RecordSharder&) = delete;
  RecordSharder& operator=(const RecordSharder&) = delete;

  /// Read one input to its end. Throws InputError, SourceError (from the source).
  void add(InputSource& source);
  /// The same for an input held in memory, handed to the reader at most `piece` bytes at a time
  /// (tests and the fuzz target).
  void add_bytes(const std::string& name, std::string_view bytes, std::size_t piece = SIZE_MAX);

  /// The format of the shards: csv, tsv or jsonl; automatic before the first input.
  InputFormat output_format() const noexcept;
  /// Data records sent to the shards so far.
  std::uint64_t records() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csm::io
