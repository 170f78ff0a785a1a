#pragma once
// BG/BB opportunities from transactions (docs/predictive.md, section 11): the period of a day in
// --unit day|week|month|quarter|year, for `predict --model bg-bb --end --unit` and for
// `rfm --emit-state --periods` (BG/BB through rfm states). Defined in predict_bgbb.cpp.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "csm/bgbb.hpp"
#include "csm/month.hpp"
#include "csm/rfm.hpp"

namespace csm::cli {

/// The number of the period of a day (weeks end on `end` and every 7 days before it; months,
/// quarters and years are calendar periods, and `end` must be the last day of one: UsageError,
/// exit 2, otherwise; `end_text` is --end as given, for that message). UsageError for another unit.
std::function<std::int32_t(std::int32_t)> bgbb_period_function(const std::string& unit, Date end,
                                                                const std::string& end_text);

/// The rows of BG/BB: customers with the same (x, t_x, n) as one row, ascending.
std::vector<BgBbRow> bgbb_rows_of(const std::vector<PeriodHistory>& periods);

}  // namespace csm::cli
