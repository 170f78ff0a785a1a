// `csm-metrics forecast`: customers and MRR for the next months from the cohorts' fitted
// retention, with prediction intervals and a backtest (docs/retention.md); and the monthly cohorts
// it forecasts from, which `report --forecast` reads too (forecast_cohorts.hpp).

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/forecast_cohorts.hpp"
#include "cli/option_checks.hpp"
#include "cli/output.hpp"
#include "cli/retention_options.hpp"
#include "cli/run.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/cohorts.hpp"
#include "csm/error.hpp"
#include "csm/io/record_input.hpp"
#include "csm/mrr_forecast.hpp"
#include "io/text_output.hpp"

namespace csm::cli {

std::vector<ForecastCohort> forecast_cohorts(const std::vector<std::string>& files, const io::ReadOptions& read,
                                             io::RecordKind* kind_out) {
  io::RecordInput input(files, read);
  const io::RecordKind kind = input.kind();
  if (kind_out != nullptr) *kind_out = kind;
  if (kind == io::RecordKind::summary || kind == io::RecordKind::transaction) {
    throw_wrong_kind(files, "forecast needs one row per customer and month (activity or subscription records)");
  }
  ActivityAggregator aggregator;
  CohortOptions cohort_options;
  cohort_options.grain = Grain::month;
  cohort_options.exclude_reactivated = true;
  aggregator.collect_cohorts(cohort_options);
  try {
    input.read(aggregator);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  aggregator.finish(MetricOptions{}, read.threads);
  const CohortTable table = aggregator.take_cohorts();
  std::vector<ForecastCohort> out;
  for (const Cohort& c : table.cohorts) {
    ForecastCohort f;
    f.name = period_label(c.period, Grain::month);
    f.active.push_back(static_cast<double>(c.customers));
    f.revenue.push_back(c.ages.empty() ? 0.0 : to_double(c.ages.front().revenue));
    for (std::size_t k = 1; k < c.ages.size(); ++k) {
      f.active.push_back(static_cast<double>(std::min(c.ages[k].active_customers, c.customers)));
      f.revenue.push_back(to_double(c.ages[k].revenue));
    }
    out.push_back(std::move(f));
  }
  return out;
}

namespace {

struct ForecastCommandOptions {
  RetentionOptions input;  // files and record options (grain is month)
  std::size_t months = 12;
  double interval = 0.8;
  std::uint64_t seed = 1;
  unsigned simulations = 1000;
  std::optional<double> new_per_month;
  std::size_t recent_months = 3;
  std::optional<std::size_t> backtest;
};


std::string forecast_method(const MrrForecast& f, const ForecastCommandOptions& o) {
  std::string rate_error = fmt::format("the expansion rate varying month to month with sd {:.2f}% and its mean uncertain",
                                       100 * f.expansion_sd);
  if (f.error_origins > 0) {
    const auto sd = [&f](double h) { return 100 * std::sqrt(f.error_level + f.error_walk * h + f.error_drift * h * h +
                                                           f.error_pace * h * (h + 1) * (2 * h + 1) / 6); };
    rate_error = fmt::format("the MRR per customer's error as in the rate's own {} in-sample forecasts: sd {:.2f}% 1 month "
                             "ahead, {:.2f}% 6 months ahead",
                             f.error_origins, sd(1), sd(6));
  }
  return fmt::format(
      "existing customers: each cohort's {} fit ({} cohorts with their own, the rest the pooled fit) "
      "x current MRR per customer, growing {:+.2f}% a month (the net rate of the survivors' MRR per "
      "customer over the last {} months); new customers: {:.1f} a month ({}), at {:.2f} MRR each, "
      "following the pooled fit; intervals: {:g}% central, {} simulations (binomial survival, "
      "Poisson arrivals{}, parameters drawn from their standard errors, {}), seed {}",
      o.input.model == "bdw" ? "BdW" : "sBG", f.cohorts_own_fit, 100 * f.net_expansion_rate,
      o.recent_months, f.new_per_month,
      f.new_per_month_given ? "--new-per-month" : "the mean of the last " + std::to_string(o.recent_months) + " months",
      f.new_arpu, 100 * o.interval, o.simulations,
      f.new_per_month_given ? "" : " at a rate drawn from its Gamma posterior", rate_error, o.seed);
}

// `text` in lines of at most 80 columns (words kept whole), each after `indent`.
std::string wrap(const std::string& text, const std::string& indent) {
  std::string out, line;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(pos, end - pos);
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > 80) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    pos = end + 1;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

int forecast(const ForecastCommandOptions& o, Streams io) {
  if (o.input.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError("no input: give a file (csm-metrics forecast subscriptions.csv --months 12)");
  }
  if (!(o.interval > 0 && o.interval < 1)) throw UsageError("--interval: expected a probability between 0 and 1, e.g. 0.8");
  if (o.months == 0) throw UsageError("--months: expected 1 or more");
  if (o.input.model == "auto") throw UsageError("--model: sbg or bdw for forecast");
  io::RecordKind kind = io::RecordKind::activity;
  const std::vector<ForecastCohort> cohorts = forecast_cohorts(o.input.files, read_options(o.input), &kind);
  if (cohorts.empty()) throw InputError("", 0, "", "forecast: the input has no customers");
  MrrForecastOptions fo;
  fo.months = o.months;
  fo.interval = o.interval;
  fo.seed = o.seed;
  fo.simulations = o.simulations;
  fo.new_per_month = o.new_per_month;
  fo.recent_months = o.recent_months;
  fo.bdw = o.input.model == "bdw";
  fo.min_customers = o.input.min_customers;
  const MrrForecast f = forecast_mrr(cohorts, fo);
  std::optional<BacktestResult> back;
  std::optional<MrrForecast> back_forecast;
  std::optional<BacktestSplit> split;
  if (o.backtest) {
    if (*o.backtest == 0) throw UsageError("--backtest: expected 1 or more months");
    split = split_for_backtest(cohorts, *o.backtest);
    if (split->before.empty()) throw InputError("", 0, "", "--backtest: the data are not longer than that");
    MrrForecastOptions bo = fo;
    bo.months = *o.backtest;
    back_forecast = forecast_mrr(split->before, bo);
    back = score_backtest(*back_forecast, *split);
  }
  const std::string method = forecast_method(f, o);
  std::string text;
  if (o.input.format == "json") {
    nlohmann::ordered_json j;
    io::text::put_envelope(j, {CSM_VERSION, "forecast", io::to_string(kind)});
    j["start"] = {{"customers", f.start_customers}, {"mrr", f.start_mrr}};
    j["method"] = method;
    j["new_per_month"] = f.new_per_month;
    j["net_expansion_rate"] = f.net_expansion_rate;
    j["interval"] = o.interval;
    nlohmann::ordered_json months = nlohmann::ordered_json::array();
    for (const ForecastMonth& m : f.months) {
      months.push_back({{"month", m.month}, {"customers", m.customers}, {"customers_low", m.customers_low},
                        {"customers_high", m.customers_high}, {"existing_customers", m.existing_customers},
                        {"new_customers", m.new_customers}, {"mrr", m.mrr}, {"mrr_low", m.mrr_low},
                        {"mrr_high", m.mrr_high}});
    }
    j["months"] = std::move(months);
    if (back) {
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      for (std::size_t h = 0; h < back->months; ++h) {
        const ForecastMonth& m = back_forecast->months[h];
        rows.push_back({{"month", h + 1}, {"customers", m.customers}, {"actual_customers", split->actual_customers[h]},
                        {"customers_low", m.customers_low}, {"customers_high", m.customers_high},
                        {"mrr", m.mrr}, {"actual_mrr", split->actual_mrr[h]}, {"mrr_low", m.mrr_low},
                        {"mrr_high", m.mrr_high}});
      }
      j["backtest"] = {{"months", back->months}, {"mape_customers", back->mape_customers},
                       {"mape_mrr", back->mape_mrr}, {"coverage_customers", back->coverage_customers},
                       {"coverage_mrr", back->coverage_mrr}, {"by_month", std::move(rows)}};
    } else {
      j["backtest"] = nullptr;
    }
    text = j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  } else if (o.input.format == "csv") {
    text = "month,customers,customers_low,customers_high,existing_customers,new_customers,mrr,mrr_low,mrr_high\n";
    for (const ForecastMonth& m : f.months) {
      text += fmt::format("{},{:.2f},{:.0f},{:.0f},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f}\n", m.month, m.customers,
                          m.customers_low, m.customers_high, m.existing_customers, m.new_customers, m.mrr,
                          m.mrr_low, m.mrr_high);
    }
    if (!o.input.quiet) io.err << "csm-metrics: note: " << method << '\n';
  } else {
    text = fmt::format("Now: {:.0f} customers, MRR {:.2f}. Forecast ({:g}% intervals):\n", f.start_customers,
                       f.start_mrr, 100 * o.interval);
    text += fmt::format("  {:>5} {:>10} {:>17} {:>14} {:>25}\n", "month", "customers", "interval", "MRR", "interval");
    for (const ForecastMonth& m : f.months) {
      text += fmt::format("  {:>5} {:>10.0f} {:>17} {:>14.2f} {:>25}\n", m.month, m.customers,
                          fmt::format("{:.0f} - {:.0f}", m.customers_low, m.customers_high), m.mrr,
                          fmt::format("{:.2f} - {:.2f}", m.mrr_low, m.mrr_high));
    }
    if (back) {
      text += wrap(fmt::format("Backtest over the last {} months (refitted without them): MAPE customers {:.2f}%, "
                               "MRR {:.2f}%; inside the intervals: customers {:.0f}%, MRR {:.0f}% of the months",
                               back->months, back->mape_customers, back->mape_mrr, 100 * back->coverage_customers,
                               100 * back->coverage_mrr),
                   "");
    }
    text += "Method:\n" + wrap(method, "  ");
  }
  write_output(o.input.output, io, text);
  return kOk;
}

}  // namespace

CommandRunner add_forecast_command(CLI::App& app, Streams io) {
  auto o = std::make_shared<ForecastCommandOptions>();
  o->input.model = "sbg";
  CLI::App* cmd = app.add_subcommand(
      "forecast", "Customers and MRR for the next months from the cohorts' fitted retention, with "
                  "prediction intervals and a backtest");
  cmd->add_option("files", o->input.files, "Records (activity or subscription); none or '-' reads standard input");
  cmd->add_option("--months", o->months, "Months to forecast (default 12)")->type_name("N");
  cmd->add_option("--interval", o->interval, "Central probability of the prediction intervals, 0.8 or 80% (default 0.8)")
      ->transform(rate_number(0.0, 1.0));
  cmd->add_option("--seed", o->seed, "Seed of the simulations (the same seed, the same intervals)");
  cmd->add_option("--simulations", o->simulations, "Simulations for the intervals (default 1000)")
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--new-per-month", o->new_per_month, "New customers a month (default: the recent mean)")
      ->check(CLI::Range(0.0, 1e12));
  cmd->add_option("--recent-months", o->recent_months, "Months of the recent rates (default 3)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{120}));
  cmd->add_option("--backtest", o->backtest,
                  "Refit without the last K months, forecast them, and report the error")
      ->type_name("K");
  cmd->add_option("--model", o->input.model, "Retention model: sbg (default) or bdw")
      ->transform(CLI::IsMember({"sbg", "bdw"}, CLI::ignore_case));
  cmd->add_option("--min-customers", o->input.min_customers,
                  "Smaller cohorts use the pooled fit (default 30)")
      ->check(CLI::Range(1.0, 1e12));
  cmd->add_option("-f,--format", o->input.format, "Output: table (default), json or csv")
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  cmd->add_option("--input-format", o->input.input_format, "auto, csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_option("--kind", o->input.kind, "auto, activity or subscription")
      ->transform(CLI::IsMember({"auto", "activity", "subscription"}, CLI::ignore_case));
  cmd->add_option("--until", o->input.until, "Subscription records: the last month, YYYY-MM")->type_name("YYYY-MM");
  cmd->add_option("--column", o->input.columns, "Read a column under another name (repeatable)")
      ->type_name("NAME=INPUT");
  cmd->add_flag("--skip-invalid", o->input.skip_invalid, "Skip invalid records instead of stopping");
  cmd->add_option("-o,--output", o->input.output, "Write the result to this file (atomically)");
  cmd->add_flag("-q,--quiet", o->input.quiet, "No notes on stderr");
  return [o, io] {
    o->input.model = io::text::ascii_lower(o->input.model);
    return forecast(*o, io);
  };
}

}  // namespace csm::cli
