// Using csm-metrics as a library: read activity records, aggregate them, print one line a month.
//   compute_from_csv examples/activity.csv
#include <cstdio>
#include <exception>

#include "csm/activity_aggregator.hpp"
#include "csm/io/record_input.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s ACTIVITY.csv\n", argv[0]);
    return 2;
  }
  try {
    csm::io::ReadOptions options;
    options.kind = csm::io::RecordKind::activity;
    csm::io::RecordInput input({argv[1]}, options);
    csm::ActivityAggregator aggregator;
    input.read(aggregator);
    for (const csm::PeriodMetrics& m : aggregator.finish(csm::MetricOptions{})) {
      std::printf("%s customers=%lld churn_rate=%s mrr_end=%s\n", csm::to_string(m.period).c_str(),
                  static_cast<long long>(m.customers_end.value_or(0)),
                  m.churn_rate ? std::to_string(*m.churn_rate).c_str() : "null",
                  csm::format_money(m.mrr_end.value_or(0)).c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 65;
  }
  return 0;
}
