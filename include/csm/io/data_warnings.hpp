#pragma once
/// The data-quality warnings (csm/data_quality.hpp) in JSON: the member "data_warnings" of every
/// document of a command that reads records, one object per warning.

#include <string>
#include <vector>

#include "csm/data_quality.hpp"

namespace csm::io {

/// One warning as a one-line JSON object: {"code", "message", "evidence": {"periods", "counts",
/// "locations"}}.
std::string data_warning_json(const DataWarning& warning);

/// Add the member "data_warnings" (when there are any) at the end of a JSON document written by
/// the metrics, cohort or at-risk writers (an object whose last line is "}").
void add_data_warnings_member(std::string& json, const std::vector<DataWarning>& warnings);

}  // namespace csm::io
