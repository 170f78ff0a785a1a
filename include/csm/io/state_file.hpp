#pragma once
/// Partial aggregation states (`compute --emit-state`, `merge`): a versioned line-based text
/// format with a checksum trailer, described in docs/scale-out.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csm/activity_state.hpp"
#include "csm/grain.hpp"
#include "csm/invoice.hpp"
#include "csm/io/source.hpp"
#include "csm/period_metrics.hpp"
#include "csm/rfm.hpp"

namespace csm::io {

/// The largest state `merge` and `predict --from-state` read (a state holds sums, or one line per
/// customer for rfm: about 15 million customers in one shard); a larger input is refused.
inline constexpr std::uint64_t kMaxStateBytes = std::uint64_t{1} << 30;
/// The first line of a state is checked once this many bytes are read, or a line break.
inline constexpr std::size_t kStateHeadBytes = 64;

/// The whole of a state from `source`, its first line checked (a csm-metrics state of this format
/// version) before the rest is read. Throws InputError (not a state, another format version, more
/// than kMaxStateBytes), SourceError (a read error).
std::string read_state(InputSource& source);

/// The format version this build writes and reads (the number on the first line). Version 2 added
/// the `records` and `until` lines of activity states (subscription records) and the `period` and
/// `gperiod` lines of the period-end counts (--grain quarter|year).
inline constexpr int kStateFormatVersion = 2;
/// Version 3 = version 2 plus the `invoices` and `nonrec` lines of invoice states (what the
/// normalisation counted and the one-time and refund sums by month). Only invoice states are
/// written as version 3 (the other kinds stay byte for byte version 2); both versions are read,
/// and a version-2 invoice state (which lacks those lines) is refused.
inline constexpr int kInvoiceStateFormatVersion = 3;

/// One `compute --emit-state` output: the settings that change the numbers, the shard, what was
/// read, and the counts and sums.
struct ActivityState {
  std::string tool_version;          ///< informational
  std::uint32_t shard = 0;           ///< this input is shard `shard` of `shard_count`
  std::uint32_t shard_count = 1;
  MetricOptions options;
  Grain grain = Grain::month;
  std::string group_by;              ///< --by COLUMN as given; empty: no groups
  /// Subscription records (expanded into months) instead of activity records.
  bool subscriptions = false;
  bool invoices = false;  ///< invoice records ("records invoice"); subscriptions is set too
  std::optional<YearMonth> until;    ///< subscription records: --until (required for a state)
  std::vector<std::string> sources;  ///< the input names, in reading order
  std::uint64_t records = 0;         ///< records taken
  std::uint64_t skipped = 0;         ///< invalid records skipped (--skip-invalid)
  /// Invoice records: what the normalisation counted and the non-recurring sums (the JSON member
  /// "invoices"); they add up across any split of the lines.
  std::optional<InvoiceStats> invoice_stats;
  ActivityRaw raw;
};

/// The state as text, ending with its `end` line.
std::string to_state_text(const ActivityState& state);

/// One `rfm --emit-state` output: the per-customer summary of a customer shard.
struct RfmState {
  std::string tool_version;
  std::uint32_t shard = 0;
  std::uint32_t shard_count = 1;
  std::vector<std::string> sources;
  std::uint64_t records = 0;
  std::uint64_t skipped = 0;
  RfmSummary summary;  ///< unit, end and the customers (no holdout: rfm has none)
  /// `rfm --emit-state --periods UNIT`: the BG/BB period (day, week, month, quarter, year) of
  /// summary.periods, one PeriodHistory per customer; empty without.
  std::string periods;
};

std::string to_state_text(const RfmState& state);

/// One `cohorts --emit-state` output: the cohort table of a customer shard at month grain (rolled
/// up to `options.grain` by merge).
struct CohortState {
  std::string tool_version;
  std::uint32_t shard = 0;
  std::uint32_t shard_count = 1;
  CohortOptions options;  ///< as asked (the table itself is by month)
  std::string group_by;
  std::vector<std::string> sources;
  std::uint64_t records = 0;
  std::uint64_t skipped = 0;
  ActivityStats stats;
  CohortTable monthly;
};

std::string to_state_text(const CohortState& state);
/// Read a cohorts state; throws InputError like parse_activity_state.
CohortState parse_cohort_state(std::string_view text, const std::string& name);
/// Read an rfm state; throws InputError like parse_activity_state.
RfmState parse_rfm_state(std::string_view text, const std::string& name);

/// Read a state written by to_state_text(). Throws InputError("name", line, "", message) for a
/// file that is not a state, of another format version or kind, truncated or corrupted.
ActivityState parse_activity_state(std::string_view text, const std::string& name);

/// The record kind of a state ("activity", "cohorts", "rfm") from its first two lines; throws
/// InputError like parse_activity_state.
std::string state_kind(std::string_view text, const std::string& name);

/// Refuse a state written by another version of csm-metrics than `this_version` (InputError
/// naming the file and both versions): another version may compute some number differently.
void check_state_tool_version(const std::string& state_version, const std::string& this_version,
                              const std::string& name);

/// A setting value in a message: the shortest text that reads back as the same double (0.7 and
/// 0.7000000000000001 print differently).
std::string shortest_double_text(double v);

/// A string as one field of a state line: "=" then the bytes, with '%', bytes up to ' ' and
/// DEL as %XX.
std::string encode_state_string(std::string_view text);

}  // namespace csm::io
