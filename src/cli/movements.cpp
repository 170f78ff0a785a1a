// `csm-metrics movements`: one line per customer and period with a movement of the MRR bridge,
// from the same reading and the same walk as compute (docs/movements.md).

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>

#include "io/text_output.hpp"
#include "cli/commands.hpp"
#include "cli/input_options.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "csm/error.hpp"
#include "csm/io/movement_writer.hpp"

namespace csm::cli {
namespace {

struct MovementCommandOptions {
  InputOptions input;  // files, formats, kinds, --until, --column, --by, --grain, -q, -j
  std::string format = "table";
  std::string output;
  std::vector<std::string> periods;    // --period (repeatable)
  std::vector<std::string> types;      // --type (repeatable, or a comma list)
  std::vector<std::string> customers;  // --customer (repeatable)
};

// A period label of `grain`: 2024-03, 2024-Q1 or 2024; its first month.
YearMonth parse_period_label(const std::string& text, Grain grain) {
  const auto digits = [&](std::size_t from, std::size_t n) {
    if (from + n > text.size()) return false;
    return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(from),
                       text.begin() + static_cast<std::ptrdiff_t>(from + n),
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  if (grain == Grain::month) {
    YearMonth month;
    if (text.size() == 7 && parse_period(text, month) == PeriodError::ok) return month;
    throw UsageError("--period " + text + ": expected a month as YYYY-MM, e.g. 2025-03");
  }
  if (grain == Grain::quarter) {
    if (text.size() == 7 && digits(0, 4) && text[4] == '-' && (text[5] == 'Q' || text[5] == 'q') &&
        text[6] >= '1' && text[6] <= '4' && std::stoi(text.substr(0, 4)) >= 1) {
      return YearMonth::from(std::stoi(text.substr(0, 4)), (text[6] - '1') * 3 + 1);
    }
    throw UsageError("--period " + text + ": expected a quarter as YYYY-Qn with --grain quarter, e.g. 2025-Q1");
  }
  if (text.size() == 4 && digits(0, 4) && std::stoi(text) >= 1) return YearMonth::from(std::stoi(text), 1);
  throw UsageError("--period " + text + ": expected a year as YYYY with --grain year, e.g. 2025");
}

// --type values, each a name or a comma list of names, as a bit set.
std::uint8_t parse_types(const std::vector<std::string>& values) {
  if (values.empty()) return (1u << kMovementTypes) - 1;
  std::uint8_t types = 0;
  for (const std::string& value : values) {
    std::size_t begin = 0;
    while (begin <= value.size()) {
      const std::size_t comma = std::min(value.find(',', begin), value.size());
      const std::string name = io::text::ascii_lower(value.substr(begin, comma - begin));
      const auto type = parse_movement_type(name);
      if (!type) {
        throw UsageError("--type " + value + ": " + quote_for_message(name) +
                         " is not a movement (new, reactivation, expansion, contraction, churn, "
                         "moved_in, moved_out)");
      }
      types = static_cast<std::uint8_t>(types | (1u << static_cast<unsigned>(*type)));
      begin = comma + 1;
    }
  }
  return types;
}

int movements(const MovementCommandOptions& options, Streams io) {
  const InputOptions& in = options.input;
  if (in.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError("no input: give a file (csm-metrics movements customers.csv) or pipe records in");
  }
  const Grain grain = parse_grain(io::text::ascii_lower(in.grain)).value_or(Grain::month);
  MovementOptions wanted;
  wanted.grain = grain;
  wanted.types = parse_types(options.types);
  for (const std::string& p : options.periods) wanted.periods.push_back(parse_period_label(p, grain));
  wanted.customers = options.customers;
  const bool moves_asked = (wanted.types & ((1u << static_cast<unsigned>(MovementType::moved_in)) |
                                                     (1u << static_cast<unsigned>(MovementType::moved_out)))) != 0;
  if (in.by.empty() && !options.types.empty() && moves_asked) {
    throw UsageError("--type moved_in and moved_out are moves between groups: they need --by COLUMN");
  }

  io::MetricsRequest request = metrics_request(in, read_options(in), "movements");
  request.movements = wanted;
  io::MetricsRun run = io::run_metrics(request);
  print_messages(run.messages, in.quiet, io.err);
  const io::MetricsReport& metrics = run.report;

  io::MovementReport report;
  report.version = CSM_VERSION;
  report.kind = metrics.kind;
  report.input = metrics.input;
  if (metrics.activity) report.activity = *metrics.activity;
  report.group_by = in.by;
  report.options = wanted;
  report.list = std::move(run.movements);
  report.warnings = metrics.warnings;

  // Filters that select nothing are worth a note: a typo in an id or a period outside the data.
  std::vector<std::string> notes;
  if (report.activity.first) {
    const YearMonth first = period_start(*report.activity.first, grain);
    const YearMonth last = period_start(*report.activity.last, grain);
    for (const YearMonth p : report.options.periods) {
      if (p < first || p > last) {
        notes.push_back("--period " + period_label(p, grain) + " is outside the data (" +
                        period_label(first, grain) + " to " + period_label(last, grain) + ")");
      }
    }
  }
  if (!report.options.customers.empty()) {
    std::set<std::string_view> listed;
    for (std::uint32_t c = 0; c < report.list.customer_count(); ++c) listed.insert(report.list.customer_id(c));
    for (const std::string& id : report.options.customers) {
      if (listed.count(id) == 0) {
        notes.push_back("--customer " + quote_for_message(id) +
                        ": no movements (not in the input, or no change in the periods and types asked for)");
      }
    }
  }
  for (const std::string& note : notes) {
    if (!in.quiet) io.err << "csm-metrics: note: " << note << '\n';
    report.warnings.push_back(note);
  }

  const std::string format = io::text::ascii_lower(options.format);
  const auto write = [&](const io::TextSink& sink) {
    if (format == "json") {
      io::movements_to_json(report, sink);
    } else if (format == "csv") {
      io::movements_to_csv(report, sink);
    } else {
      io::movements_to_table(report, sink);
    }
  };
  write_output_in_pieces(options.output, io, write);
  return kOk;
}

}  // namespace

CommandRunner add_movements_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<MovementCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "movements", "One line per customer and period with a movement of the MRR bridge (new, "
                   "reactivation, expansion, contraction, churn; moves between groups with --by)");
  cmd->add_option("-f,--format", options->format, "Output: table (default), json or csv")
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  add_record_options(*cmd, options->input);
  add_group_options(*cmd, options->input);
  cmd->add_option("--period", options->periods,
                  "Only this period (a label of the --grain: 2025-03, 2025-Q1 or 2025; repeatable)")
      ->type_name("PERIOD")
      ->allow_extra_args(false);
  cmd->add_option("--type", options->types,
                  "Only these movements: new, reactivation, expansion, contraction, churn, "
                  "moved_in, moved_out (repeatable, or a comma list)")
      ->type_name("TYPE[,TYPE...]")
      ->allow_extra_args(false);
  cmd->add_option("--customer", options->customers, "Only this customer_id (repeatable)")
      ->type_name("ID")
      ->allow_extra_args(false);
  cmd->add_option("-o,--output", options->output,
                  "Write the result to this file (atomically: all or nothing) instead of stdout");
  cmd->add_flag("-q,--quiet", options->input.quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("-j,--threads", options->input.threads,
                  "Threads for large files (default 0: one per core); the result is the same")
      ->check(CLI::Range(0u, 256u));
  return [options, io] { return movements(*options, io); };
}

}  // namespace csm::cli
