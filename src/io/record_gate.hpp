#pragma once
// What happens to a record once its fields are read (internal to csm_io): the errors of one
// record's fields (FieldErrors), the gate every kind's rows pass (RecordGate: --skip-invalid,
// --since/--until, --shard, --explain, data-quality warnings, --dedupe, --round-money), and the
// state every kind's consumer keeps (KindConsumer).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/record_input.hpp"

namespace csm::io {

// Counts and keeps skipped records, or stops the run at the first one.
// The errors of one record's fields, each field checked on its own: the first is the record's
// error; with --skip-invalid every bad field is counted (the data report lists invalid values by
// column, and a row with a bad revenue and a bad csat has two).
class FieldErrors {
 public:
  template <typename Parse>
  void check(Parse&& parse) {
    try {
      parse();
    } catch (const InputError& error) {
      if (!first_) {
        first_ = error;
      } else {
        more_.push_back(error.field());
      }
    }
  }
  bool any() const noexcept { return first_.has_value(); }
  const InputError& first() const { return *first_; }
  const std::vector<std::string>& more_fields() const noexcept { return more_; }

 private:
  std::optional<InputError> first_;
  std::vector<std::string> more_;
};

class RecordGate {
 public:
  RecordGate(const ReadOptions& options, ReadReport& report)
      : profile(options.profile), quality(options.quality), shard(options.shard),
        shard_count(options.shard_count), since(options.since), last_month(options.last_month),
        dedupe(options.dedupe), rounded(options.round_money ? &report.rounded_amounts : nullptr),
        options_(options), report_(report) {}
  /// Whether a row of `month` is outside --since / --until (then counted).
  bool outside(YearMonth month) {
    if ((since && month < *since) || (last_month && month > *last_month)) {
      ++report_.outside_range;
      return true;
    }
    return false;
  }
  void invalid(const InputError& error) {
    if (!options_.skip_invalid) throw error;
    ++report_.skipped;
    ++report_.skipped_by_field[error.field().empty() ? "(record)" : error.field()];
    if (kept.size() < options_.max_kept_messages) kept.push_back(error);
  }
  /// --shard: a record of customer `id` must be in this shard; else the input is wrong for the
  /// shard (never skipped, whatever --skip-invalid says).
  void check_shard(std::string_view id, const Location& where, const std::string& column) const {
    if (shard_count == 0) return;
    const std::uint32_t owner = shard_of(id, shard_count);
    if (owner == shard) return;
    throw InputError(std::string(where.source), where.line, column,
                     "customer " + quote_for_message(id) + " belongs to shard " +
                         std::to_string(owner) + "/" + std::to_string(shard_count) +
                         ", not to shard " + std::to_string(shard) + "/" +
                         std::to_string(shard_count) +
                         " (--shard); split the input with 'csm-metrics shard'");
  }
  void invalid(const FieldErrors& errors) {
    invalid(errors.first());
    for (const std::string& field : errors.more_fields()) {
      ++report_.skipped_by_field[field.empty() ? "(record)" : field];
    }
  }
  /// The first few skipped records' errors, in input order.
  std::vector<InputError> kept;
  /// --explain: where valid rows are described (nullptr: not asked for).
  InputProfile* profile;
  /// Data-quality warnings: where valid rows in the range are described (nullptr: not asked for).
  DataProfile* quality;
  std::uint32_t source_index = 0;  ///< the input being read, for DataProfile::Place
  bool several_inputs = false;     ///< overlaps between inputs are possible (customer_month)
  /// --shard: the shard every record must be in (shard_count 0: no check).
  std::uint32_t shard;
  std::uint32_t shard_count;
  std::optional<YearMonth> since;
  std::optional<YearMonth> last_month;
  bool dedupe;
  std::uint64_t* rounded;  ///< --round-money: the count of rounded amounts; nullptr: refuse them

 private:
  const ReadOptions& options_;
  ReadReport& report_;
};

/// What every kind's consumer keeps: its columns, where its records go (`Out`), the gate and the
/// read's report. A record the reader could not make into cells goes to the gate.
template <typename Out>
class KindConsumer : public RowConsumer {
 public:
  KindConsumer(const ColumnMap& columns, Out& out, RecordGate& gate, ReadReport& report)
      : columns_(columns), out_(out), gate_(gate), report_(report) {}
  void reject(const InputError& error) override { gate_.invalid(error); }

 protected:
  const ColumnMap& columns_;
  Out& out_;
  RecordGate& gate_;
  ReadReport& report_;
};

}  // namespace csm::io
