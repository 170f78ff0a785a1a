#include "csm/io/data_warnings.hpp"

#include <nlohmann/json.hpp>

namespace csm::io {

std::string data_warning_json(const DataWarning& warning) {
  nlohmann::ordered_json j;
  j["code"] = warning.code;
  j["message"] = warning.message;
  nlohmann::ordered_json evidence;
  evidence["periods"] = nlohmann::ordered_json::array();
  for (const YearMonth m : warning.periods) evidence["periods"].push_back(to_string(m));
  evidence["counts"] = nlohmann::ordered_json::object();
  for (const auto& [name, n] : warning.counts) evidence["counts"][name] = n;
  evidence["locations"] = warning.locations;
  j["evidence"] = std::move(evidence);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void add_data_warnings_member(std::string& json, const std::vector<DataWarning>& warnings) {
  if (warnings.empty()) return;
  const std::size_t close = json.rfind('}');
  if (close == std::string::npos) return;
  std::size_t end = close;  // the end of the last member, before the line break ahead of '}'
  while (end > 0 && (json[end - 1] == '\n' || json[end - 1] == ' ')) --end;
  std::string member = ",\n  \"data_warnings\": [";
  for (std::size_t i = 0; i < warnings.size(); ++i) {
    member += (i ? ",\n    " : "\n    ") + data_warning_json(warnings[i]);
  }
  member += "\n  ]\n";
  json.replace(end, close - end, member);
}

}  // namespace csm::io
