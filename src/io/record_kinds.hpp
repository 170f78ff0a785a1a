#pragma once
// The table of record kinds (internal to csm_io). Each kind lives in its own file
// (activity_kind.cpp, summary_kind.cpp, subscription_kind.cpp, transaction_kind.cpp,
// spend_kind.cpp, invoice_kind.cpp) and declares there, in one KindSpec, its columns, how it is
// detected and what it feeds; how a row is parsed is that file's RowConsumer. record_input.cpp
// opens the inputs and reads them for whichever kind (RecordReading below).
//
// Adding a kind: a RecordKind value (include/csm/io/record_input.hpp), its file with its
// KindSpec, and one line in record_kinds() (record_kinds.cpp); a test beside the others in
// tests/io/record_input_test.cpp.

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "csm/io/columns.hpp"
#include "csm/io/record_input.hpp"

namespace csm::io {

class RecordGate;
struct SplitPlan;

/// What a kind's reading functions get from RecordInput: the options, the report, and the loop
/// that reads every input with a consumer the kind makes.
class RecordReading {
 public:
  /// The consumer of one stream of rows (a kind's RowConsumer), made once the columns are known.
  using MakeConsumer =
      std::function<std::unique_ptr<RowConsumer>(const ColumnMap&, RecordGate&, ReadReport&)>;
  /// Reads a large file in shares on several threads (split_read.hpp); false: a share boundary
  /// fell inside a record or a thread could not start, and the file is read in one stream.
  using ReadShares = std::function<bool(const SplitPlan&, RecordGate&)>;

  virtual const ReadOptions& options() const = 0;
  virtual ReadReport& report() = 0;
  /// Read every input as records of `kind` (its columns, its --column renames): each row to the
  /// consumer `make` gives; large regular files in shares when `split` is given.
  virtual void read(RecordKind kind, const MakeConsumer& make, const ReadShares& split) = 0;

 protected:
  ~RecordReading() = default;
};

/// One record kind: its columns, how it is recognised, and what it feeds (nullptr: not that).
/// Each kind's file writes its spec as one designated initialiser; every member has a default,
/// so a spec names only what the kind has.
struct KindSpec {
  RecordKind kind = RecordKind::automatic;
  std::string_view name{};  ///< as --kind and the "input" member of the output name it
  /// The canonical columns in slot order (the row a consumer gets), with the required ones.
  std::vector<ColumnSpec> (*columns)() = nullptr;
  /// Activity and invoice records read declared --signal columns after their own.
  bool signals = false;
  /// Detection from a header or first object: every `detect_with` column and none of
  /// `detect_without` (kinds are tried in table order; an empty detect_with matches anything;
  /// not `detectable`: only ever asked for, as spend with --spend).
  std::vector<const char*> detect_with{};
  std::vector<const char*> detect_without{};
  bool detectable = true;
  /// A --preset (a billing export) means this kind, and adjust_columns applies it.
  bool preset_kind = false;
  void (*adjust_columns)(ColumnMap&, const ReadOptions&) = nullptr;
  /// What it feeds.
  void (*months)(RecordReading&, ActivityAggregator&) = nullptr;  ///< compute, report, ...
  void (*month_sink)(RecordReading&, ActivitySink&) = nullptr;    ///< movements, at-risk, ...
  void (*summary)(RecordReading&, SummaryAggregator&) = nullptr;
  void (*purchases)(RecordReading&, RfmAccumulator&) = nullptr;  ///< rfm, predict
  void (*spend)(RecordReading&, SpendTotals&) = nullptr;         ///< --spend
};

/// Reads every input as records of `kind`, each stream with a `Consumer(columns, out, gate,
/// report)`; large files in shares when `split` is given.
template <typename Consumer, typename Out>
void read_with(RecordReading& reading, RecordKind kind, Out& out,
               const RecordReading::ReadShares& split = nullptr) {
  reading.read(
      kind,
      [&out](const ColumnMap& columns, RecordGate& gate, ReadReport& report) {
        return std::make_unique<Consumer>(columns, out, gate, report);
      },
      split);
}

const KindSpec& activity_kind();
const KindSpec& summary_kind();
const KindSpec& subscription_kind();
const KindSpec& transaction_kind();
const KindSpec& spend_kind();
const KindSpec& invoice_kind();

/// Every kind, in the order detection tries them (activity, which needs no column, last).
const std::vector<const KindSpec*>& record_kinds();
/// The entry of `kind` (not automatic).
const KindSpec& kind_spec(RecordKind kind);

/// The columns of `kind` as read with `options`: its own, declared signals, --column renames.
/// Throws std::invalid_argument for a rename or signal that does not fit.
ColumnMap make_columns(RecordKind kind, const ReadOptions& options);

/// The kind the header (CSV) or the first object (JSON) in `head` names.
RecordKind detect_kind(std::string_view head, const ReadOptions& options);

/// `names` as ColumnSpecs, the slots in `required` required (a helper for the kinds' columns()).
std::vector<ColumnSpec> column_specs(const std::vector<std::string>& names,
                                     std::initializer_list<std::size_t> required);

}  // namespace csm::io
