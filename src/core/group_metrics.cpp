#include "csm/group_metrics.hpp"

namespace csm {

GroupPeriods roll_up(const GroupPeriods& monthly, Grain grain, const MetricOptions& options) {
  GroupPeriods out;
  out.group = monthly.group;
  GrainPeriods rolled = roll_up(monthly.periods, grain, options, Population::group);
  out.periods = std::move(rolled.periods);
  std::size_t month = 0;
  for (std::size_t i = 0; i < rolled.months.size(); ++i) {
    const std::int32_t n = rolled.months[i];
    GroupMoves sum;
    for (std::int32_t k = 0; k < n && month < monthly.moves.size(); ++k) sum += monthly.moves[month++];
    out.moves.push_back(sum);
  }
  return out;
}

}  // namespace csm
