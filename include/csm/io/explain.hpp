#pragma once
/// The data report of `compute --explain` and `check`: what went into the metrics (rows, customers,
/// months, months without rows, duplicates, zero-revenue rows, invalid values by column).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/input_profile.hpp"
#include "csm/io/record_input.hpp"
#include "csm/period_metrics.hpp"

namespace csm::io {

struct ExplainReport {
  RecordKind kind = RecordKind::activity;
  std::uint64_t rows_read = 0;     ///< valid + invalid records
  std::uint64_t rows_used = 0;
  std::uint64_t rows_skipped = 0;  ///< invalid, skipped under --skip-invalid
  std::optional<std::uint64_t> customers;  ///< null for summary records
  std::optional<YearMonth> first;
  std::optional<YearMonth> last;
  std::int64_t months = 0;
  /// Activity and summary records: months of the range without a valid row. Subscription
  /// records: months in which no subscription is active.
  std::vector<YearMonth> months_without_rows;
  std::optional<std::uint64_t> duplicate_rows;  ///< null for summary records (an error there)
  std::uint64_t zero_revenue_rows = 0;          ///< revenue, mrr (subscriptions) or revenue 0
  std::map<std::string, std::uint64_t> invalid_by_field;
  /// Invoice records: the lines by type, how they were normalised and converted (the counts of
  /// the output's "invoices" member); nullopt for the other kinds.
  std::optional<InvoiceStats> invoices;
};

/// The report of one run, from what reading and aggregating found.
ExplainReport make_explain(RecordKind kind, const ReadReport& input,
                           const std::optional<ActivityStats>& activity,
                           const std::vector<PeriodMetrics>& periods, const InputProfile& profile);

/// For people: a few aligned lines (compute prints them on stderr, check on stdout).
std::string explain_text(const ExplainReport& report);

}  // namespace csm::io
