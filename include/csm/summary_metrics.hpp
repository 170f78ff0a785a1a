#pragma once
/// From summary records (one already-aggregated row per period) to the same PeriodMetrics as the
/// activity input: every field the summary determines is filled, the others stay null.

#include <map>
#include <vector>

#include "csm/period_metrics.hpp"
#include "csm/record.hpp"

namespace csm {

class SummaryAggregator {
 public:
  /// Take one period's row. Returns false (and keeps the first) when the period was already given.
  bool add(const SummaryRecord& record);

  /// The given periods in month order (months without a row are not invented).
  std::vector<PeriodMetrics> finish(const MetricOptions& options) const;

  std::size_t size() const noexcept { return rows_.size(); }

 private:
  std::map<std::int32_t, SummaryRecord> rows_;  // by month index
};

}  // namespace csm
