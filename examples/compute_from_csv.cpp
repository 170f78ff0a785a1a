// Using csm-metrics as a library: the run of `csm-metrics compute FILE --by COLUMN`, one line per
// period and group, through the run API (csm/io/run.hpp).
//   compute_from_csv examples/activity.csv [GROUP_COLUMN]
#include <cstdio>
#include <exception>
#include <string>

#include "csm/io/run.hpp"

namespace {

std::string count(const csm::Count& n) { return n ? std::to_string(*n) : "null"; }

void print(const std::string& group, const csm::PeriodMetrics& m) {
  std::printf("%s %s customers_start=%s new=%s churned=%s customers_end=%s mrr_end=%s\n",
              csm::to_string(m.period).c_str(), group.c_str(), count(m.customers_start).c_str(),
              count(m.new_customers).c_str(), count(m.churned_customers).c_str(),
              count(m.customers_end).c_str(), m.mrr_end ? csm::format_money(*m.mrr_end).c_str() : "null");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s ACTIVITY.csv [GROUP_COLUMN]\n", argv[0]);
    return 2;
  }
  csm::io::MetricsRequest request;
  request.inputs = {argv[1]};
  if (argc == 3) request.group_by = argv[2];
  try {
    const csm::io::MetricsRun run = csm::io::run_metrics(request);
    for (const csm::io::RunMessage& message : run.messages) {
      std::fprintf(stderr, "note: %s\n", message.text.c_str());
    }
    for (const csm::PeriodMetrics& m : run.report.periods) print("*", m);
    for (const csm::GroupPeriods& g : run.report.groups) {
      for (const csm::PeriodMetrics& m : g.periods) print(g.group, m);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 65;
  }
  return 0;
}
