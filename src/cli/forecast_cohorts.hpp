#pragma once
/// The monthly cohorts of a forecast (csm-metrics forecast, report --forecast), from records.

#include <string>
#include <vector>

#include "csm/io/record_input.hpp"
#include "csm/mrr_forecast.hpp"

namespace csm::cli {

/// Reads `files` (activity or subscription records) into monthly cohorts with their survivors'
/// revenue; reactivated customers are left out of their cohort (docs/retention.md). Records of
/// another kind: InputError naming the file (exit 65).
/// `kind`, when given, is set to the kind of records read (the JSON member "kind").
std::vector<ForecastCohort> forecast_cohorts(const std::vector<std::string>& files, const io::ReadOptions& read,
                                             io::RecordKind* kind = nullptr);

}  // namespace csm::cli
