// `csm-metrics report`: the HTML report (docs/report.md). Reads its input like `compute` (the
// same input and metric options, the same numbers) and writes one self-contained page.

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

#include "cli/churn_risk.hpp"
#include "cli/commands.hpp"
#include "cli/forecast_cohorts.hpp"
#include "io/text_output.hpp"
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
  std::size_t forecast_months = 0;  // --forecast: 0 = no forecast section
  ReportChurnOptions churn_risk;    // --churn-risk and its options
};

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
  return std::string(text, n);
}

// The arguments of a `report` run that makes the same page: the files and every option whose
// value differs from its default.
std::vector<std::string> equivalent_command(const ReportOptions& options, const std::string& cohort_grain) {
  const InputOptions& in = options.input;
  std::vector<std::string> args{"csm-metrics", "report"};
  if (in.files.empty()) args.emplace_back("-");
  for (const std::string& file : in.files) args.push_back(file);
  const auto add = [&args](const char* option, const std::string& value) {
    args.emplace_back(option);
    args.push_back(value);
  };
  if (io::text::ascii_lower(in.input_format) != "auto") add("--input-format", io::text::ascii_lower(in.input_format));
  if (io::text::ascii_lower(in.kind) != "auto") add("--kind", io::text::ascii_lower(in.kind));
  if (!in.until.empty()) add("--until", in.until);
  if (!in.since.empty()) add("--since", in.since);
  if (in.dedupe) args.emplace_back("--dedupe");
  if (!in.delimiter.empty()) add("--delimiter", in.delimiter);
  if (in.round_money) args.emplace_back("--round-money");
  if (in.strict) args.emplace_back("--strict");
  for (const std::string& column : in.columns) add("--column", column);
  if (in.skip_invalid) args.emplace_back("--skip-invalid");
  if (in.metrics.csat_threshold != 4) add("--csat-threshold", std::to_string(in.metrics.csat_threshold));
  if (in.metrics.gross_margin != 1.0) add("--gross-margin", fmt::format("{}", in.metrics.gross_margin));
  if (in.metrics.discount_rate != 0.0) add("--discount-rate", fmt::format("{}", in.metrics.discount_rate));
  if (!in.metrics.quick_ratio_reactivation) args.emplace_back("--quick-ratio-without-reactivation");
  if (!in.spend.empty()) add("--spend", in.spend);
  if (!in.spend.empty() && io::text::ascii_lower(in.spend_mode) != "replace") add("--spend-mode", io::text::ascii_lower(in.spend_mode));
  if (!in.by.empty()) add("--by", in.by);
  if (io::text::ascii_lower(in.grain) != "month") add("--grain", io::text::ascii_lower(in.grain));
  if (cohort_grain != "month") add("--cohort-grain", cohort_grain);
  if (options.title != "Customer-success report") add("--title", options.title);
  if (options.timestamp) args.emplace_back("--timestamp");
  if (options.forecast_months > 0) add("--forecast", std::to_string(options.forecast_months));
  add_report_churn_args(options.churn_risk, args);
  return args;
}

// The forecast section: `forecast --months N` with its defaults (docs/retention.md), after the
// last 12 observed months. It reads the files a second time, for the monthly cohorts.
io::ForecastView forecast_view(const ReportOptions& options, const io::MetricsReport& metrics) {
  MrrForecastOptions settings;
  settings.months = options.forecast_months;
  const MrrForecast f = forecast_mrr(forecast_cohorts(options.input.files, read_options(options.input)), settings);
  io::ForecastView view;
  view.interval = settings.interval;
  view.method = fmt::format(
      "Existing customers follow their monthly cohort's fitted sBG retention ({} of the cohorts with their "
      "own fit, the rest the pooled one), their MRR grows at the recent net rate ({:+.2f} % a month); new "
      "customers join at the recent rate ({:.1f} a month); the bounds come from {} simulations (seed {}). "
      "The same numbers as csm-metrics forecast --months {}.",
      f.cohorts_own_fit, 100 * f.net_expansion_rate, f.new_per_month, settings.simulations, settings.seed,
      options.forecast_months);
  std::optional<YearMonth> last;
  if (metrics.grain == Grain::month && !metrics.periods.empty()) {
    const std::size_t from = metrics.periods.size() > 12 ? metrics.periods.size() - 12 : 0;
    for (std::size_t i = from; i < metrics.periods.size(); ++i) {
      const PeriodMetrics& m = metrics.periods[i];
      view.observed_labels.push_back(to_string(m.period));
      view.observed_mrr.push_back(m.mrr_end ? to_double(*m.mrr_end) : 0.0);
    }
    last = metrics.periods.back().period;
  } else if (metrics.activity && metrics.activity->last) {
    last = *metrics.activity->last;
  }
  for (const ForecastMonth& m : f.months) {
    view.labels.push_back(last ? to_string(YearMonth{last->index + static_cast<std::int32_t>(m.month)})
                               : "+" + std::to_string(m.month));
    view.customers.push_back(m.customers);
    view.customers_low.push_back(m.customers_low);
    view.customers_high.push_back(m.customers_high);
    view.mrr.push_back(m.mrr);
    view.mrr_low.push_back(m.mrr_low);
    view.mrr_high.push_back(m.mrr_high);
  }
  return view;
}

int report(const ReportOptions& options, Streams io) {
  const InputOptions& in = options.input;
  if (options.forecast_months > 0 &&
      (in.files.empty() || std::find(in.files.begin(), in.files.end(), "-") != in.files.end())) {
    throw UsageError("--forecast reads the input twice (the metrics, then the monthly cohorts): give files, "
                     "not standard input");
  }
  check_report_churn_options(options.churn_risk, in);
  if (in.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError(
        "no input: give a file (csm-metrics report customers.csv -o report.html), pipe records in, or "
        "use '-' to type them");
  }
  io::ReportInput page;
  page.title = options.title;
  // The metrics, the groups of --by and the cohort table come from one read of the input, by the
  // same code as compute's (io::run_metrics, csm/io/run.hpp).
  io::MetricsRequest request = metrics_request(in, read_options(in), "report");
  const std::string cohort_grain = io::text::ascii_lower(options.cohort_grain);
  CohortOptions cohort_options;
  cohort_options.grain = parse_grain(cohort_grain).value_or(Grain::month);
  request.cohorts = cohort_options;
  io::MetricsRun run = io::run_metrics(request);
  print_messages(run.messages, in.quiet, io.err);
  page.metrics = std::move(run.report);
  if (run.cohorts && !run.cohorts->cohorts.empty()) page.cohorts = io::cohort_retention(*run.cohorts);
  if (!page.metrics.group_by.empty()) {
    io::GroupBreakdown groups;
    groups.by = page.metrics.group_by;
    for (const GroupPeriods& g : page.metrics.groups) {
      groups.groups.push_back({g.group.empty() ? std::string("(none)") : g.group, g.periods});
    }
    page.groups = std::move(groups);
  }
  if (options.forecast_months > 0) page.forecast = forecast_view(options, page.metrics);
  if (std::string section = report_churn_section(options.churn_risk, in); !section.empty()) {
    page.churn_risk_html = std::move(section);
  }
  if (options.timestamp) page.timestamp = utc_now();
  io::ReportSettings settings;
  settings.input_format = io::text::ascii_lower(in.input_format);
  settings.kind = io::text::ascii_lower(in.kind);
  settings.columns = in.columns;
  settings.skip_invalid = in.skip_invalid;
  settings.until = parse_until(in.until);
  if (!in.spend.empty()) settings.spend_file = in.spend;
  settings.cohort_grain = cohort_options.grain;
  settings.command = equivalent_command(options, cohort_grain);
  page.settings = std::move(settings);

  const std::string html = io::to_html(page);
  if (!options.output.empty() && options.output != "-") {
    io::write_file_atomically(options.output, html);
  } else {
    io.out << html;
    io.out.flush();
    if (!io.out) throw OutputError("<stdout>: write failed");
  }
  return strict_status(in, page.metrics.data_warnings, kOk, io.err);
}

}  // namespace

CommandRunner add_report_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "One self-contained HTML page with charts of the monthly metrics (docs/report.md)");
  add_input_options(*cmd, options->input);
  cmd->add_option("-o,--output", options->output,
                  "Write the page to this file (atomically: all or nothing) instead of stdout");
  add_group_options(*cmd, options->input);
  cmd->add_option("--cohort-grain", options->cohort_grain,
                  "Cohorts and ages of the heat map in months (default), quarters or years")
      ->transform(CLI::IsMember({"month", "quarter", "year"}, CLI::ignore_case));
  cmd->add_option("--title", options->title, "Title of the page")->default_val("Customer-success report");
  cmd->add_option("--forecast", options->forecast_months,
                  "Add an MRR forecast for the next N months, with its 80 % interval (as 'csm-metrics "
                  "forecast --months N'; activity or subscription records, from files)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{120}));
  add_report_churn_options(*cmd, options->churn_risk);
  cmd->add_flag("--timestamp", options->timestamp,
                "Put the current time (UTC) in the footer; without it, the same input gives the same bytes");
  return [options, io] { return report(*options, io); };
}

}  // namespace csm::cli
