#pragma once
/// Where a command's result goes and in which form: the options every report-writing command
/// shares (-f, -o, --csv-raw, --color, -a), stdout or an atomic -o FILE, and the table / JSON / CSV
/// switch of the reports whose writers share one shape (at-risk, churn-risk, cohorts).

#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/csv_option.hpp"
#include "cli/terminal.hpp"
#include "csm/data_quality.hpp"
#include "csm/io/cohort_writer.hpp"
#include "csm/io/data_warnings.hpp"
#include "csm/io/output_file.hpp"
#include "io/text_output.hpp"

namespace csm::cli {

/// The output options of compute, merge and cohorts (each registers those it takes).
struct OutputOptions {
  std::string format = "table";  ///< -f: table, json or csv
  std::string output;            ///< -o FILE; empty or "-": stdout
  bool csv_raw = false;          ///< --csv-raw
  std::string color = "auto";    ///< --color: auto, always or never
  bool all = false;              ///< -a: every field in the metrics table
};

/// -o, -a, --csv-raw and --color, in that order, as compute and merge register them.
void add_table_output_options(CLI::App& cmd, OutputOptions& options);

/// True when the result goes to stdout (no -o, or -o -).
bool to_stdout(const std::string& path);

/// --color's value (any case) as a mode; anything but "always" and "never" is automatic.
ColorMode color_mode(const std::string& color);

/// stdout, or -o FILE written atomically (empty or "-": stdout). Throws OutputError.
void write_output(const std::string& path, Streams io, const std::string& text);
/// write_output with the text made in pieces by produce(sink) (io::write_file_atomically_in_pieces):
/// for the large CSVs, which are then never whole in memory.
void write_output_in_pieces(const std::string& path, Streams io,
                            const std::function<void(const io::TextSink&)>& produce);

/// A report with the writers io::to_json, io::to_csv and io::to_table (at-risk, churn-risk) in
/// the format asked (lower case): JSON with the data-quality warnings as its member
/// "data_warnings", CSV (--csv-raw), else the table.
template <typename Report>
std::string report_text(const Report& report, const std::string& format, bool csv_raw,
                        const std::vector<DataWarning>& data_warnings) {
  if (format == "json") {
    std::string text = to_json(report);  // found by argument-dependent lookup, in csm::io
    io::add_data_warnings_member(text, data_warnings);
    return text;
  }
  if (format == "csv") return to_csv(report, csv_style(csv_raw));
  return to_table(report);
}

/// report_text in the format of -f (any case), written to -o FILE or stdout.
template <typename Report>
void write_report(const Report& report, const OutputOptions& options, const std::vector<DataWarning>& data_warnings,
                  Streams io) {
  write_output(options.output, io,
               report_text(report, io::text::ascii_lower(options.format), options.csv_raw, data_warnings));
}

/// The cohort table of `cohorts` and of `merge` of cohort states: JSON (with the data-quality
/// warnings, when there are any), CSV, or the table of --metric logo, revenue or both, coloured
/// per --color when it goes to `terminal` (stdout).
std::string cohort_text(const io::CohortReport& report, const OutputOptions& options, const std::string& metric,
                        const std::vector<DataWarning>& data_warnings, const std::ostream& terminal);

}  // namespace csm::cli
