#include "grain_report.hpp"

#include <string>

namespace csm::cli {

void roll_up_report(io::MetricsReport& report, const ActivityRaw* raw, const MetricOptions& options) {
  if (report.grain == Grain::month) return;
  GrainPeriods rolled;
  if (raw != nullptr) {
    rolled = roll_up(report.periods, *raw, options, &report.groups);
  } else {
    for (GroupPeriods& g : report.groups) g = roll_up(g, report.grain, options);
    rolled = roll_up(report.periods, report.grain, options);
  }
  report.periods = std::move(rolled.periods);
  report.period_months = std::move(rolled.months);
  const int full = months_in(report.grain);
  for (std::size_t i = 0; i < report.periods.size(); ++i) {
    if (report.period_months[i] < full) {
      report.warnings.push_back(period_label(report.periods[i].period, report.grain) +
                                ": the data covers " + std::to_string(report.period_months[i]) +
                                " of its " + std::to_string(full) + " months");
    }
  }
}

}  // namespace csm::cli
