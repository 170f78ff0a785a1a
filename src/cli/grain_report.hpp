#pragma once
// --grain quarter|year for compute, report and merge: the monthly periods (and groups) of a report
// replaced by those of the grain, with a warning for each period the data covers only in part.

#include "csm/activity_state.hpp"
#include "csm/io/metrics_writer.hpp"

namespace csm::cli {

/// Roll report.periods and report.groups up to report.grain. Activity records give `raw` (the
/// aggregation they were finished from, counted at that grain): customers and MRR then come from
/// the period-end snapshots. Summary records (raw == nullptr) can only sum their months.
void roll_up_report(io::MetricsReport& report, const ActivityRaw* raw, const MetricOptions& options);

}  // namespace csm::cli
