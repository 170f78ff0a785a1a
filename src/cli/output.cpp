// Where a command's result goes and in which form (output.hpp).

#include "cli/output.hpp"

#include "csm/error.hpp"
#include "csm/io/output_file.hpp"

namespace csm::cli {

void add_table_output_options(CLI::App& cmd, OutputOptions& options) {
  cmd.add_option("-o,--output", options.output,
                 "Write the result to this file (atomically: all or nothing) instead of stdout");
  cmd.add_flag("-a,--all", options.all, "Table: show every field, not only the key columns");
  add_csv_raw_flag(cmd, options.csv_raw);
  cmd.add_option("--color", options.color,
                 "Colour in the table: auto (terminal only, not with NO_COLOR), always, never")
      ->transform(CLI::IsMember({"auto", "always", "never"}, CLI::ignore_case));
}

bool to_stdout(const std::string& path) { return path.empty() || path == "-"; }

ColorMode color_mode(const std::string& color) {
  return color == "always" ? ColorMode::always : color == "never" ? ColorMode::never : ColorMode::automatic;
}

void write_output(const std::string& path, Streams io, const std::string& text) {
  write_output_in_pieces(path, io, [&text](const io::TextSink& sink) { sink(text); });
}

void write_output_in_pieces(const std::string& path, Streams io,
                            const std::function<void(const io::TextSink&)>& produce) {
  if (!to_stdout(path)) {
    io::write_file_atomically_in_pieces(path, produce);
    return;
  }
  // Checked after each piece: a closed pipe (`| head`) ends the run at once, not after the rest.
  produce([&](std::string_view piece) {
    io.out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    if (!io.out) throw OutputError("<stdout>: write failed");
  });
  io.out.flush();
  if (!io.out) throw OutputError("<stdout>: write failed");
}

std::string cohort_text(const io::CohortReport& report, const OutputOptions& options, const std::string& metric,
                        const std::vector<DataWarning>& data_warnings, const std::ostream& terminal) {
  if (options.format == "json") {
    std::string text = io::cohorts_to_json(report);
    io::add_data_warnings_member(text, data_warnings);
    return text;
  }
  if (options.format == "csv") return io::cohorts_to_csv(report, csv_style(options.csv_raw));
  io::CohortTableStyle style;
  style.metric = metric == "revenue" ? io::CohortMetric::revenue
                 : metric == "both"  ? io::CohortMetric::both
                                     : io::CohortMetric::logo;
  style.color = to_stdout(options.output) && use_color(color_mode(options.color), terminal);
  return io::cohorts_to_table(report, style);
}

}  // namespace csm::cli
