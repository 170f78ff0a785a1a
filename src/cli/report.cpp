// `csm-metrics report`: the HTML report (docs/report.md). Reads its input like `compute` (the
// same input and metric options, the same numbers) and writes one self-contained page.

#include <unistd.h>

#include <cctype>
#include <ctime>

#include "cli/commands.hpp"
#include "cli/input_options.hpp"
#include "cli/run.hpp"
#include "csm/error.hpp"
#include "csm/grain.hpp"
#include "csm/io/html_report.hpp"
#include "csm/io/output_file.hpp"

namespace csm::cli {
namespace {

struct ReportOptions {
  InputOptions input;
  std::string output;
  std::string title = "Customer-success report";
  bool timestamp = false;
  std::string cohort_grain = "month";
};

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
  return std::string(text, n);
}

int report(const ReportOptions& options, Streams io) {
  if (options.input.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError(
        "no input: give a file (csm-metrics report customers.csv -o report.html), pipe records in, or "
        "use '-' to type them");
  }
  io::ReportInput page;
  page.title = options.title;
  // The metrics, the groups of --by and the cohort table come from one read of the input.
  CohortRequest cohorts;
  std::string cohort_grain = options.cohort_grain;
  for (char& ch : cohort_grain) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  cohorts.options.grain = parse_grain(cohort_grain).value_or(Grain::month);
  page.metrics = read_metrics(options.input, io.err, nullptr, &cohorts);
  if (cohorts.table && !cohorts.table->cohorts.empty()) page.cohorts = io::cohort_retention(*cohorts.table);
  if (!page.metrics.group_by.empty()) {
    io::GroupBreakdown groups;
    groups.by = page.metrics.group_by;
    for (const GroupPeriods& g : page.metrics.groups) {
      groups.groups.push_back({g.group.empty() ? std::string("(none)") : g.group, g.periods});
    }
    page.groups = std::move(groups);
  }
  if (options.timestamp) page.timestamp = utc_now();

  const std::string html = io::to_html(page);
  if (!options.output.empty() && options.output != "-") {
    io::write_file_atomically(options.output, html);
    return kOk;
  }
  io.out << html;
  io.out.flush();
  if (!io.out) throw OutputError("<stdout>: write failed");
  return kOk;
}

}  // namespace

CommandRunner add_report_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "One self-contained HTML page with charts of the monthly metrics (docs/report.md)");
  add_input_options(*cmd, options->input);
  cmd->add_option("-o,--output", options->output,
                  "Write the page to this file (atomically: all or nothing) instead of stdout");
  cmd->add_option("--by", options->input.by,
                  "Also a section per group: the value of input column COLUMN (e.g. segment, plan), "
                  "as compute --by")
      ->type_name("COLUMN");
  cmd->add_option("--grain", options->input.grain,
                  "Periods of the charts: month (default), quarter or year, rolled up as compute --grain")
      ->transform(CLI::IsMember({"month", "quarter", "year"}, CLI::ignore_case));
  cmd->add_option("--cohort-grain", options->cohort_grain,
                  "Cohorts and ages of the heat map in months (default), quarters or years")
      ->transform(CLI::IsMember({"month", "quarter", "year"}, CLI::ignore_case));
  cmd->add_option("--title", options->title, "Title of the page")->default_val("Customer-success report");
  cmd->add_flag("--timestamp", options->timestamp,
                "Put the current time (UTC) in the footer; without it, the same input gives the same bytes");
  return [options, io] { return report(*options, io); };
}

}  // namespace csm::cli
