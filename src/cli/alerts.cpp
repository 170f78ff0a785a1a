#include "cli/alerts.hpp"

#include "cli/commands.hpp"
#include "csm/error.hpp"
#include "csm/io/run.hpp"
#include "io/text_output.hpp"

namespace csm::cli {
std::string field_name_lines(std::size_t width) {
  std::string text;
  const auto add_list = [&](const std::string& heading, const std::vector<std::string>& names) {
    std::string line = "  " + heading;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string word = names[i] + (i + 1 < names.size() ? "," : "");
      if (line.size() + 1 + word.size() > width) {
        text += line + "\n";
        line = "   ";
      }
      line += " " + word;
    }
    text += line + "\n";
  };
  std::vector<std::string> period;
  std::vector<std::string> summary;
  for (const std::string& name : threshold_field_names()) {
    (name.starts_with("summary.") ? summary : period).push_back(name);
  }
  add_list("period fields:", period);
  add_list("summary fields:", summary);
  add_list("group fields (with --by):", group_threshold_field_names());
  std::vector<std::string> headings;
  for (const auto& [heading, field] : threshold_heading_names()) headings.push_back(heading + " (" + field + ")");
  add_list("table headings:", headings);
  text.pop_back();  // the caller ends the message
  return text;
}

std::vector<Threshold> parse_fail_if(const std::vector<std::string>& expressions, bool grouped) {
  std::vector<Threshold> thresholds;
  for (const std::string& expression : expressions) {
    try {
      thresholds.push_back(parse_threshold(expression));
      const Threshold& t = thresholds.back();
      if (t.group_only && !grouped) {
        throw UsageError("--fail-if " + quote_for_message(t.expression) + ": " + t.field +
                         " is a field of groups only (the customers or MRR that moved between "
                         "groups): give --by COLUMN; all customers together have no such field");
      }
    } catch (const ThresholdError& e) {
      // Positions count in the trimmed expression, which is what the caret line shows.
      std::string_view shown = expression;
      while (!shown.empty() && (shown.front() == ' ' || shown.front() == '\t')) shown.remove_prefix(1);
      while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\t')) shown.remove_suffix(1);
      std::string message = "--fail-if " + quote_for_message(shown) + ": " + e.what() +
                            " at character " + std::to_string(e.position() + 1);
      if (!e.suggestion().empty()) message += " (did you mean " + e.suggestion() + "?)";
      message += "\n    " + std::string(shown) + "\n    " + std::string(e.position(), ' ') +
                 "^" + std::string(e.length() > 1 ? e.length() - 1 : 0, '~');
      if (std::string_view(e.what()).starts_with("unknown field")) {
        message += "\n" + field_name_lines() + "\n  (docs/alerts.md describes them)";
      }
      throw UsageError(message);
    }
  }
  return thresholds;
}

bool print_crossings(const std::vector<ThresholdCheck>& checks, std::ostream& err, Grain grain) {
  bool any = false;
  for (const ThresholdCheck& check : checks) {
    if (!check.crossed) continue;
    any = true;
    err << "csm-metrics: threshold crossed: " << check.threshold.field << ' '
        << to_string(check.threshold.op) << ' ' << limit_text(check.threshold) << ' '
        << io::threshold_where(check, grain) << ": " << *check.value << '\n';
  }
  err.flush();
  return any;
}

}  // namespace csm::cli
