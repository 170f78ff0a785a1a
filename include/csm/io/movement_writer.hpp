#pragma once
/// Writers for `csm-metrics movements`: CSV, JSON and a table, handed out in chunks so that
/// millions of lines go out without holding the whole text.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/io/record_input.hpp"
#include "csm/io/text_sink.hpp"
#include "csm/movements.hpp"

namespace csm::io {

/// Everything one run of `movements` reports.
struct MovementReport {
  std::string version;
  RecordKind kind = RecordKind::activity;
  ReadReport input;
  ActivityStats activity;
  std::string group_by;     ///< --by COLUMN; empty: no groups
  MovementOptions options;  ///< grain and filters
  MovementList list;
  std::vector<std::string> warnings;
};

/// `period,customer_id,movement,mrr_before,mrr_after,mrr_change,group`, one line per movement;
/// group is empty without --by and "(none)" for the empty value.
void movements_to_csv(const MovementReport& report, const TextSink& sink);

/// {"tool", "version", "command", "kind", "settings", "input", "movements": [...], "warnings"}.
void movements_to_json(const MovementReport& report, const TextSink& sink);

/// Aligned columns within 80 characters (long ids and group names are cut), then the lines and
/// the MRR change of each type.
void movements_to_table(const MovementReport& report, const TextSink& sink);

}  // namespace csm::io
