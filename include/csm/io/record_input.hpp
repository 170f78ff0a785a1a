#pragma once
/// Reading records: open each input, pick its format (CSV, TSV, JSON array, JSON Lines), pick the
/// record kind, check every field and hand typed records to an aggregator. Several inputs are read
/// as one stream.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/rfm.hpp"
#include "csm/summary_metrics.hpp"

namespace csm::io {

enum class InputFormat : std::uint8_t { automatic, csv, tsv, json, jsonl };
enum class RecordKind : std::uint8_t { automatic, activity, summary, transaction };

struct ReadOptions {
  InputFormat format = InputFormat::automatic;
  RecordKind kind = RecordKind::automatic;
  /// (canonical column, input column) pairs from --column.
  std::vector<std::pair<std::string, std::string>> renames;
  /// Skip invalid records (counted, the first few kept) instead of stopping at the first.
  bool skip_invalid = false;
  std::size_t max_kept_messages = 5;
  /// Threads for reading large regular files and for aggregating (0 = one per core).
  unsigned threads = 0;
  /// Regular files at least this large are read by several threads at once (CSV, TSV, JSON
  /// Lines); smaller ones are not worth splitting.
  std::uint64_t split_min_bytes = std::uint64_t{32} << 20;
  /// When set, the bytes parsed so far are added here as reading goes (for a progress display;
  /// another thread may read it at any time).
  std::atomic<std::uint64_t>* bytes_parsed = nullptr;
};

/// What reading found, for the "input" member of the output and for stderr.
struct ReadReport {
  RecordKind kind = RecordKind::automatic;
  std::vector<std::string> sources;         ///< names as shown in messages
  std::uint64_t records = 0;                ///< records taken
  std::uint64_t skipped = 0;                ///< invalid records skipped (--skip-invalid)
  std::vector<std::string> skipped_messages;  ///< the first few skip reasons
};

/// The canonical columns of each record kind, in slot order (docs/metrics.md lists them).
const std::vector<std::string>& activity_columns();
const std::vector<std::string>& summary_columns();
const std::vector<std::string>& transaction_columns();

/// `requested`, or the number of cores when it is 0.
unsigned effective_threads(unsigned requested);

std::string_view to_string(RecordKind kind) noexcept;
std::string_view to_string(InputFormat format) noexcept;

class RecordInput {
 public:
  /// `paths` empty means standard input. Nothing is opened until kind() or read().
  RecordInput(std::vector<std::string> paths, ReadOptions options);
  ~RecordInput();

  /// The record kind: as given in the options, or detected from the first input's header or
  /// first object (a `customers_start` column means summary records; `date` and `amount`
  /// without `period` mean transaction records). Throws InputError,
  /// SourceError, std::invalid_argument (an unknown column in a rename).
  RecordKind kind();

  /// Read every input into the aggregator of the kind(). Throws InputError (the first invalid
  /// record unless skipping), SourceError.
  void read(ActivityAggregator& aggregator);
  void read(SummaryAggregator& aggregator);
  void read(RfmAccumulator& accumulator);

  const ReadReport& report() const noexcept { return report_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ReadReport report_;
};

}  // namespace csm::io
