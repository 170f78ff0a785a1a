#pragma once
/// Reading records: open each input, pick its format (CSV, TSV, JSON array, JSON Lines), pick the
/// record kind, check every field and hand typed records to an aggregator. Several inputs are read
/// as one stream.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_sink.hpp"
#include "csm/io/columns.hpp"
#include "csm/data_quality.hpp"
#include "csm/input_profile.hpp"
#include "csm/invoice.hpp"
#include "csm/rfm.hpp"
#include "csm/spend.hpp"
#include "csm/subscription.hpp"
#include "csm/summary_metrics.hpp"

namespace csm::io {

enum class InputFormat : std::uint8_t { automatic, csv, tsv, json, jsonl };
/// `spend` is the marketing spend file of `--spend` (period, amount): never detected, only asked for.
enum class RecordKind : std::uint8_t { automatic, activity, summary, subscription, spend, transaction, invoice };

struct ReadOptions {
  InputFormat format = InputFormat::automatic;
  RecordKind kind = RecordKind::automatic;
  /// (canonical column, input column) pairs from --column.
  std::vector<std::pair<std::string, std::string>> renames;
  /// Optional columns that must be there all the same (e.g. "segment" for compute --by).
  std::vector<std::string> required_columns;
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
  /// Subscription records: the last month of the range (default: the latest start or end month).
  std::optional<YearMonth> until;
  /// When set, every valid row is described to it (--explain). Such a read uses one thread.
  InputProfile* profile = nullptr;
  /// `--shard I/N` (N > 0): every activity record's customer_id must be in shard I of N
  /// (csm::shard_of), else an InputError that --skip-invalid does not skip.
  std::uint32_t shard = 0;
  std::uint32_t shard_count = 0;
  /// Inputs without records are no error (an empty shard of `compute --emit-state`).
  bool allow_empty = false;
  /// --since / --until: rows of activity and summary records outside these months are counted
  /// (ReadReport::outside_range) and left out; subscription records start the range at `since`
  /// (and end it at `until`, above).
  std::optional<YearMonth> since;
  std::optional<YearMonth> last_month;
  /// When set, every valid row in the range is described to it (data-quality warnings); a file
  /// read in shares describes it as one stream would (each share's profile merged in file order).
  DataProfile* quality = nullptr;
  /// --dedupe: drop rows identical in every field to an earlier one (needs a detailed `quality`;
  /// such a read uses one thread).
  bool dedupe = false;
  /// CSV field delimiter; 0: ',' for CSV, tab for TSV, or detected from the header.
  char delimiter = 0;
  /// --round-money: amounts with more than 6 decimal places are rounded to the micro-unit, half
  /// to even (counted in ReadReport::rounded_amounts), instead of refused.
  bool round_money = false;
  /// Invoice records: --currency (the base), --fx (rate file), --preset (a billing export).
  std::string currency;
  std::string fx;
  std::string preset;
  /// Activity records: numeric signal columns to read as well (`churn-risk --signal NAME`), in
  /// this order; each must be a column of a CSV/TSV header. Empty: none (compute reads none).
  std::vector<std::string> signals;
};

/// A row of an activity record's month: where an error about the range of months points.
struct MonthRow {
  YearMonth month;
  std::string source;
  std::uint64_t line = 0;
};

/// The first rows (in input order) of the two earliest and the two latest distinct months of the
/// activity records read: enough to name the row that stretches the range (a mistyped year).
/// The same on any number of threads.
struct MonthRows {
  std::optional<MonthRow> first, next_first, last, next_last;
  void add(YearMonth month, std::string_view source, std::uint64_t line) {
    // Nearly every row is of a month between the two earliest and the two latest: nothing to do.
    if (next_first && next_last && next_first->month <= month && month <= next_last->month) return;
    add_extreme(month, source, line);
  }
  /// Those of a later part of the input whose lines are counted from `lines_before`.
  void add(const MonthRows& later, std::uint64_t lines_before);

 private:
  void add_extreme(YearMonth month, std::string_view source, std::uint64_t line);
};

/// What reading found, for the "input" member of the output and for stderr.
struct ReadReport {
  RecordKind kind = RecordKind::automatic;
  std::vector<std::string> sources;         ///< names as shown in messages
  std::uint64_t records = 0;                ///< records taken
  std::uint64_t skipped = 0;                ///< invalid records skipped (--skip-invalid)
  std::vector<std::string> skipped_messages;  ///< the first few skip reasons
  /// Subscription records only: what the expansion into months saw (the aggregator's
  /// ActivityStats count the expanded month rows instead).
  std::optional<SubscriptionStats> subscriptions;
  /// Invalid records skipped, by the field named in their error ("(record)" for a record the
  /// reader could not split into fields: wrong number of fields, invalid UTF-8, bad JSON).
  std::map<std::string, std::uint64_t> skipped_by_field;
  /// Valid rows left out by --since / --until (subscriptions: those outside the range).
  std::uint64_t outside_range = 0;
  /// Exact duplicate rows dropped by --dedupe.
  std::uint64_t duplicates_dropped = 0;
  /// Amounts rounded to the micro-unit by --round-money.
  std::uint64_t rounded_amounts = 0;
  /// Unused since the shares keep detailed data profiles (kept for source compatibility).
  bool quality_split = false;
  /// Whether --dedupe and --round-money were given (their counts are reported).
  bool dedupe = false;
  bool round_money = false;
  /// Activity records: the rows of the extreme months.
  MonthRows month_rows;
  /// Invoice records only: what the normalisation saw.
  std::optional<InvoiceStats> invoices;
};

/// The canonical columns of each record kind, in slot order (docs/metrics.md lists them).
const std::vector<std::string>& activity_columns();
const std::vector<std::string>& summary_columns();
const std::vector<std::string>& subscription_columns();
const std::vector<std::string>& spend_columns();
const std::vector<std::string>& transaction_columns();
const std::vector<std::string>& invoice_columns();
/// The invoice presets (--preset): whether `name` is one, and their names for messages.
bool is_invoice_preset(std::string_view name);
std::string invoice_preset_names();

/// `requested`, or the number of cores when it is 0.
unsigned effective_threads(unsigned requested);

/// The format of an input, as every command reads it: by the name's extension (.csv, .tsv, .tab,
/// .jsonl, .ndjson; .json unless its first line is a whole object), else from `head`, the first
/// bytes of the input (a JSON array, JSON Lines, TSV by a tab and no comma in the first line, CSV).
InputFormat detect_input_format(const std::string& path, std::string_view head);

/// The text of a required string field, checked as the readers check every record's fields:
/// InputError at `where` for a missing or blank cell, or a JSON value that is not a string.
std::string_view required_text(const ColumnMap& columns, std::size_t slot, const Cell& cell,
                               const Location& where);

std::string_view to_string(RecordKind kind) noexcept;
/// The kind named `name` as --kind names it ("auto", "activity", "invoice", ...; any case).
/// Throws std::invalid_argument for another name.
RecordKind record_kind_named(std::string_view name);
std::string_view to_string(InputFormat format) noexcept;

/// An input held in memory: the name messages give it (its extension picks the format as a
/// file's does) and its bytes.
struct InputText {
  std::string name;
  std::string bytes;
};

class RecordInput {
 public:
  /// `paths` empty means standard input. Nothing is opened until kind() or read().
  RecordInput(std::vector<std::string> paths, ReadOptions options);
  /// Inputs held in memory (at least one), read as files of the same names and bytes would be
  /// (large ones in shares too).
  static RecordInput from_memory(std::vector<InputText> texts, ReadOptions options);
  RecordInput(RecordInput&&) noexcept;
  RecordInput& operator=(RecordInput&&) noexcept;
  ~RecordInput();

  /// The record kind: as given in the options, or detected from the first input's header or
  /// first object (a `customers_start` column means summary records, a `start_date` column
  /// subscription records, `date` and `amount` without `period` transaction records). Throws InputError,
  /// SourceError, std::invalid_argument (an unknown column in a rename).
  RecordKind kind();

  /// Read every input into the aggregator of the kind() (subscription records are expanded into
  /// the activity records of their active months). Throws InputError (the first invalid record
  /// unless skipping), SourceError, std::invalid_argument (--until before every start).
  void read(ActivityAggregator& aggregator);
  void read(SummaryAggregator& aggregator);
  /// Read activity records into any sink, in one stream (files are not split across threads).
  void read(ActivitySink& sink);
  /// Read spend records (period, amount, optional channel or segment), whatever kind() says.
  void read(SpendTotals& totals);
  /// Read transaction records into the per-customer purchase summary (rfm, predict).
  void read(RfmAccumulator& accumulator);

  const ReadReport& report() const noexcept { return report_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ReadReport report_;
};

}  // namespace csm::io
