#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>

#include "cli/commands.hpp"
#include "cli/predict_support.hpp"
#include "cli/option_checks.hpp"
#include "cli/csv_option.hpp"
#include "io/text_output.hpp"
#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "cli/transactions.hpp"
#include "csm/bgnbd.hpp"
#include "csm/error.hpp"
#include "csm/forecast.hpp"
#include "csm/gamma_gamma.hpp"
#include "csm/grain.hpp"
#include "csm/prediction_interval.hpp"
#include "csm/bgbb.hpp"
#include "csm/io/bgbb_io.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/predictive_writer.hpp"
#include "csm/io/source.hpp"
#include "csm/io/state_file.hpp"

namespace csm::cli {
namespace {

// --horizon: at most this many units (the forecast walks one step per unit; 100,000 days are
// 274 years). docs/reliability.md, "Limits".
constexpr double kMaxHorizon = 100000;


std::string days_text(double days) {
  std::string text = std::to_string(days);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

// Both fits. When the purchase model fails, the spend model is still tried, so that one message
// says everything that is wrong with the data for these models.
void fit_models(std::span<const RfmCustomer> customers, PurchaseModel model, const FitOptions& fit,
                io::PredictReport& report, Stopwatch& clock,
                const std::optional<BgNbdFit>& prefitted = std::nullopt) {
  std::optional<std::string> purchase_failure;
  try {
    report.purchases = prefitted ? *prefitted : fit_bgnbd(customers, model, fit);
  } catch (const InputError& e) {
    purchase_failure = e.what();
  }
  clock.lap(model == PurchaseModel::paretonbd ? "pareto_nbd fit"
            : model == PurchaseModel::bgnbd    ? "bgnbd fit"
                                               : "mbgnbd fit");
  try {
    report.spend = fit_gamma_gamma(customers, fit);
  } catch (const InputError& e) {
    // Without repeat purchases both fail for the same reason: the first message says it.
    if (purchase_failure && report.summary.customers_with_repeats > 0) {
      throw InputError("", 0, "", *purchase_failure + ". Also: " + e.what());
    }
    if (purchase_failure) throw InputError("", 0, "", *purchase_failure);
    throw;
  }
  if (purchase_failure) throw InputError("", 0, "", *purchase_failure);
  clock.lap("gamma-gamma fit");
}

// Predicted against actual purchases over (--end, --holdout-end]: the totals and errors per
// customer, the cumulative series per unit, and the weekly tracking over calibration and holdout.
io::HoldoutReport holdout_report(const RfmSummary& s, Date holdout_end, PurchaseModel model,
                                 const BgNbdParams& p,
                                 const std::vector<io::CustomerPrediction>& predictions,
                                 const ForecastOptions& forecast) {
  io::HoldoutReport h;
  h.holdout_end = holdout_end;
  h.length = *forecast.holdout_length;
  h.actual_total = s.holdout_occasions;
  double abs_error = 0, sq_error = 0;
  for (const io::CustomerPrediction& out : predictions) {
    const double e = *out.holdout_predicted - static_cast<double>(s.customers[out.customer].holdout_x);
    abs_error += std::fabs(e);
    sq_error += e * e;
    h.predicted_total += *out.holdout_predicted;
  }
  const auto n = static_cast<double>(s.customers.size());
  h.mean_absolute_error = abs_error / n;
  h.root_mean_squared_error = std::sqrt(sq_error / n);
  // Per whole unit after --end (the last may be partial): cumulative actual and predicted.
  std::vector<double> times;
  for (std::size_t k = 0; k < s.holdout_series.size(); ++k) {
    times.push_back(std::min(static_cast<double>(k + 1), h.length));
  }
  const std::vector<double> predicted =
      total_expected_purchases(model, p, s.customers, times, forecast.threads);
  std::uint64_t actual = 0;
  for (std::size_t k = 0; k < times.size(); ++k) {
    actual += s.holdout_series[k];
    h.series.push_back({times[k], actual, predicted[k]});
  }
  // Weekly, from the week of the first purchase: the repeat purchases made by the end of each
  // week against those a new customer is expected to make over each customer's age then.
  std::vector<std::int32_t> days;
  for (std::size_t i = 0; i < s.weekly_repeats.size(); ++i) {
    const std::int32_t week = s.first_week + static_cast<std::int32_t>(i);
    days.push_back(std::min(s.end.days + 7 * week, holdout_end.days));
  }
  const std::vector<double> expected =
      expected_repeat_purchases_by_day(model, p, s.customers, s.unit, days);
  actual = 0;
  for (std::size_t i = 0; i < days.size(); ++i) {
    actual += s.weekly_repeats[i];
    h.weekly.push_back({static_cast<std::uint32_t>(i + 1), Date{days[i]}, days[i] > s.end.days,
                        actual, expected[i]});
  }
  return h;
}

// --interval: the bounds of every customer and of the totals (csm/prediction_interval.hpp),
// and the point totals of the base, summed in customer order.
void add_intervals(const PredictOptions& o, PurchaseModel model, const ForecastOptions& forecast,
                   io::PredictReport& report, const std::vector<io::CustomerPrediction>& predictions,
                   Stopwatch& clock) {
  IntervalOptions settings;
  settings.level = *o.interval;
  settings.draws = o.draws;
  settings.seed = o.seed;
  settings.purchases = o.interval_of_purchases;
  report.intervals = prediction_intervals(model, report.purchases, report.spend,
                                          report.summary.customers, forecast, settings);
  report.expected_purchases_total = 0;
  report.clv_total = 0.0;
  for (const io::CustomerPrediction& p : predictions) {
    report.expected_purchases_total += p.expected_purchases;
    if (p.clv && report.clv_total) {
      *report.clv_total += *p.clv;
    } else {
      report.clv_total.reset();
    }
  }
  if (report.intervals->draws_without_mean_spend > 0) {
    report.warnings.push_back(
        "--interval: in " + std::to_string(report.intervals->draws_without_mean_spend) + " of " +
        std::to_string(o.draws) + " parameter draws the Gamma-Gamma mean spend of some customers "
        "does not exist (q <= 1): their clv counts as infinite there, and bounds that fall on "
        "such draws are null");
  }
  clock.lap("intervals");
}

// --model auto and --compare: fit BG/NBD, MBG/NBD and Pareto/NBD, and choose by the rule of
// docs/predictive.md (section 5): with a holdout, the lowest mean absolute error per customer
// over it; without, the lowest BIC. Returns the chosen model's fit.
BgNbdFit compare_models(const RfmSummary& s, const FitOptions& fit, std::optional<double> holdout_length,
                        std::optional<PurchaseModel> forced, io::PredictReport& report) {
  const auto n = static_cast<double>(s.customers.size());
  std::vector<std::optional<BgNbdFit>> fits;
  for (const PurchaseModel m : {PurchaseModel::bgnbd, PurchaseModel::mbgnbd, PurchaseModel::paretonbd}) {
    io::ModelComparison c;
    c.model = m;
    std::optional<BgNbdFit> f;
    try {
      f = fit_bgnbd(s.customers, m, fit);
      c.log_likelihood = f->log_likelihood;
      c.bic = -2 * f->log_likelihood + 4 * std::log(n);
      if (holdout_length) {
        ForecastOptions fo;
        fo.horizon = *holdout_length;
        fo.holdout_length = holdout_length;
        fo.threads = fit.threads;
        const std::vector<CustomerForecast> fc =
            forecast_customers(m, f->params, GammaGammaParams{}, s.customers, fo);
        double abs_error = 0, total = 0;
        for (std::size_t i = 0; i < fc.size(); ++i) {
          const double predicted = fc[i].holdout_predicted.value_or(0);
          abs_error += std::fabs(predicted - static_cast<double>(s.customers[i].holdout_x));
          total += predicted;
        }
        c.holdout_mean_absolute_error = abs_error / n;
        c.holdout_predicted = total;
      }
    } catch (const InputError& e) {
      c.error = e.what();
      f.reset();
    }
    report.comparison.push_back(c);
    fits.push_back(std::move(f));
  }
  report.comparison_rule =
      forced ? "--model " + std::string(to_string(*forced)) + " was given: it is used, the others are shown"
      : holdout_length
          ? "the lowest mean absolute error per customer over the holdout (--holdout-end); ties: "
            "the first of BG/NBD, MBG/NBD, Pareto/NBD"
          : "the lowest BIC (-2 log-likelihood + 4 ln customers; every model has 4 parameters, so "
            "this is the highest log-likelihood); ties: the first of BG/NBD, MBG/NBD, Pareto/NBD";
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < fits.size(); ++i) {
    if (!fits[i]) continue;
    if (forced) {
      if (report.comparison[i].model == *forced) best = i;
      continue;
    }
    const auto key = [&](std::size_t k) {
      return holdout_length ? *report.comparison[k].holdout_mean_absolute_error : *report.comparison[k].bic;
    };
    if (!best || key(i) < key(*best)) best = i;
  }
  if (!best) {
    std::string why;
    for (const io::ModelComparison& c : report.comparison) {
      if (forced && c.model != *forced) continue;
      why += (why.empty() ? "" : " Also: ") + c.error;
    }
    throw InputError("", 0, "", why);
  }
  report.comparison[*best].chosen = true;
  return *fits[*best];
}

int predict(const PredictOptions& o, Streams io) {
  if (o.model == "bg-bb") return predict_bgbb(o, io);
  std::optional<Date> holdout_end;
  if (!o.holdout_end.empty()) holdout_end = parse_date_option("--holdout-end", o.holdout_end);
  Stopwatch clock;
  io::PredictReport report;
  report.version = CSM_VERSION;
  report.threads = o.input.threads;
  std::size_t warnings_shown = 0;  // warnings already on stderr
  if (o.from_state) {
    // The per-customer summary from the shards' rfm states, merged as `merge` does; then the
    // same fits and output as from transactions.
    if (holdout_end) {
      throw UsageError("--holdout-end needs the purchases after --end, which rfm states do not hold: "
                       "run predict --holdout-end on the transactions");
    }
    if (o.input.files.empty()) throw UsageError("--from-state: give the rfm state files (rfm --emit-state)");
    MergedRfm merged = merge_predict_states(o);
    if (o.unit_given && o.input.unit != to_string(merged.summary.unit)) {
      throw UsageError("--unit " + o.input.unit + ": the states were computed with --unit " +
                       std::string(to_string(merged.summary.unit)) + " (leave --unit out with --from-state)");
    }
    report.input = std::move(merged.input);
    report.summary = std::move(merged.summary);
    for (std::string& w : merged.warnings) {
      io.err << "csm-metrics: warning: " << w << '\n';  // even with -q: not the whole data
      report.warnings.push_back(std::move(w));
    }
    warnings_shown = report.warnings.size();
  } else {
    if (o.input.end.empty()) throw UsageError("--end is required (the end of the calibration period, YYYY-MM-DD)");
    report.summary = read_transactions(o.input, holdout_end, report.input, io);
  }
  clock.lap("read");
  const RfmSummary& s = report.summary;
  const double per_unit = days_per_unit(s.unit);
  const std::string unit(to_string(s.unit));
  report.horizon = o.horizon ? *o.horizon : 365.25 / per_unit;
  report.margin = o.margin;
  report.discount_rate = o.discount_rate;
  report.sort = o.sort;
  PurchaseModel model = o.model == "mbgnbd"       ? PurchaseModel::mbgnbd
                        : o.model == "pareto-nbd" ? PurchaseModel::paretonbd
                                                  : PurchaseModel::bgnbd;
  FitOptions fit;
  fit.penalizer = o.penalizer;
  fit.threads = io::effective_threads(o.input.threads);
  std::optional<BgNbdFit> chosen;
  if (o.model == "auto" || o.compare) {
    std::optional<double> holdout_length;
    if (holdout_end) holdout_length = static_cast<double>(holdout_end->days - s.end.days) / per_unit;
    const std::optional<PurchaseModel> forced =
        o.model != "auto" && o.model_given ? std::optional<PurchaseModel>(model) : std::nullopt;
    chosen = compare_models(s, fit, holdout_length, forced, report);
    model = chosen->model;
    clock.lap("model comparison");
    if (o.input.format != "table" && o.compare && !o.input.quiet) io.err << io::comparison_table(report);
  }
  fit_models(s.customers, model, fit, report, clock, chosen);
  const BgNbdParams& p = report.purchases.params;
  const GammaGammaParams& g = report.spend.params;

  ForecastOptions forecast;
  forecast.horizon = report.horizon;
  forecast.margin = o.margin;
  forecast.discount_rate = o.discount_rate;
  forecast.threads = io::effective_threads(o.input.threads);
  if (holdout_end) {
    forecast.holdout_length = static_cast<double>(holdout_end->days - s.end.days) / per_unit;
  }
  std::vector<CustomerForecast> forecasts =
      forecast_customers(model, p, g, s.customers, forecast);
  std::vector<io::CustomerPrediction> predictions(s.customers.size());
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    static_cast<CustomerForecast&>(predictions[i]) = forecasts[i];
    predictions[i].customer = i;
  }
  std::vector<CustomerForecast>().swap(forecasts);
  if (o.interval) add_intervals(o, model, forecast, report, predictions, clock);
  if (holdout_end) report.holdout = holdout_report(s, *holdout_end, model, p, predictions, forecast);
  clock.lap("predictions");
  // Order: --sort, ties by customer id (the summary's order), then --top.
  const auto by = [&](auto key, bool descending) {
    std::stable_sort(predictions.begin(), predictions.end(),
                     [&](const io::CustomerPrediction& l, const io::CustomerPrediction& r) {
                       const double a = key(l), b = key(r);
                       return descending ? a > b : a < b;
                     });
  };
  if (o.sort == "clv") {
    by([](const io::CustomerPrediction& c) { return c.clv.value_or(-1.0); }, true);
  } else if (o.sort == "p_alive") {
    by([](const io::CustomerPrediction& c) { return c.p_alive; }, false);
  } else if (o.sort == "expected_purchases") {
    by([](const io::CustomerPrediction& c) { return c.expected_purchases; }, true);
  } else if (o.sort == "value_at_risk") {
    by([](const io::CustomerPrediction& c) { return c.value_at_risk.value_or(-1.0); }, true);
  }
  report.customers_total = predictions.size();
  if (o.max_p_alive) {
    report.max_p_alive = o.max_p_alive;
    std::erase_if(predictions, [&](const io::CustomerPrediction& c) { return c.p_alive > *o.max_p_alive; });
  }
  report.customers_selected = predictions.size();
  if (o.top > 0 && predictions.size() > o.top) predictions.resize(o.top);
  report.customers = std::move(predictions);

  report.notes.push_back("time unit " + unit + " (" + days_text(per_unit) + " days); t_x, T, alpha and the horizon are in " + unit + "s");
  if (model == PurchaseModel::bgnbd) {
    report.notes.push_back(
        "BG/NBD: p_alive is 1 for customers without repeat purchases (x = 0): the model lets a "
        "customer drop out only right after a repeat purchase, so one who never bought again "
        "cannot have dropped out yet. --model mbgnbd does not have this property");
  }
  report.notes.push_back("expected_spend is the Gamma-Gamma mean of a future purchase; for x = 0 "
                         "it is the population mean p*gamma/(q-1), which exists only when q > 1");
  report.notes.push_back("value_at_risk = (1 - p_alive) * clv / p_alive: the clv a customer would "
                         "have if surely alive, times the chance that they have dropped out");
  if (g.q <= 1) {
    std::uint64_t without = 0;
    for (const RfmCustomer& c : s.customers) without += c.x == 0 ? 1 : 0;
    report.warnings.push_back(
        "the Gamma-Gamma q is " + fmt_g(g.q) + " <= 1: under the model the mean spend of a "
        "customer without repeat purchases, p*gamma/(q-1), is infinite (the spread of mean spends "
        "between customers is too heavy-tailed), so expected_spend, clv and value_at_risk are "
        "null for the " + std::to_string(without) + " customers with x = 0" +
        (o.penalizer > 0 ? " (the --penalizer pulls q down: try a smaller one)" : ""));
  }
  if (!report.purchases.limit.empty()) {
    report.warnings.push_back(
        std::string(display_name(model)) + " converged to a limit of the model: " +
        report.purchases.limit + ". The parameters that ran off (standard errors null) mean "
        "nothing alone; the predictions are those of the limit model. With so little variation "
        "in the data, --penalizer 0.01 gives an ordinary fit instead");
  }
  if (!report.spend.limit.empty()) {
    report.warnings.push_back("Gamma-Gamma converged to a limit of the model: " +
                              report.spend.limit + " (q and gamma: standard errors null)");
  }
  if (holdout_end && s.last_transaction && s.last_transaction->days < holdout_end->days) {
    report.warnings.push_back(
        "--holdout-end " + to_string(*holdout_end) + " is after the last transaction in the input (" +
        to_string(*s.last_transaction) + "): if the data stop there, the actual purchases of the "
        "holdout are undercounted by " + std::to_string(holdout_end->days - s.last_transaction->days) +
        " days and the comparison is unfair; use --holdout-end " + to_string(*s.last_transaction) +
        " or earlier");
  }
  if (!report.purchases.standard_errors[0] || !report.purchases.standard_errors[1] ||
      !report.purchases.standard_errors[2] || !report.purchases.standard_errors[3] ||
      !report.spend.standard_errors[0] || !report.spend.standard_errors[1] ||
      !report.spend.standard_errors[2]) {
    report.notes.push_back("some standard errors are null: the unpenalised likelihood has no "
                           "proper maximum at the penalised estimates");
  }
  if (report.spend.customers < s.customers_with_repeats) {
    report.notes.push_back(std::to_string(s.customers_with_repeats - report.spend.customers) +
                           " customers with repeat purchases of amount 0 are left out of the "
                           "Gamma-Gamma fit");
  }
  if (s.excluded_customers > 0) {
    report.notes.push_back(std::to_string(s.excluded_customers) +
                           " customers whose first purchase is after --end are left out");
  }
  if (report.spend.correlation && std::fabs(*report.spend.correlation) > 0.3) {
    report.warnings.push_back(
        "the correlation of x and monetary is " + std::to_string(*report.spend.correlation) +
        "; the Gamma-Gamma model assumes spend does not depend on purchase frequency");
  }
  // The table shows the warnings itself (wrapped to 80 columns) and its notes go to stderr; JSON
  // holds both and gets the warnings on stderr too (those not printed already: a partial merge of
  // states); a CSV has no place for either, so both go to stderr. -q silences stderr.
  const std::string& format = o.input.format;
  if (!o.input.quiet && format != "table") {
    for (std::size_t i = warnings_shown; i < report.warnings.size(); ++i) {
      io.err << "csm-metrics: warning: " << report.warnings[i] << '\n';
    }
  }
  if (!o.input.quiet && format != "json") {
    for (const std::string& n : report.notes) io.err << "csm-metrics: note: " << n << '\n';
  }

  // The customers' CSV is written as it is formatted (never whole in memory).
  const io::CsvStyle style = csv_style(o.input.csv_raw);
  const auto customers_csv = [&](const io::TextSink& sink) { io::write_csv(report, style, sink); };
  if (!o.customers_csv.empty()) {
    io::write_file_atomically_in_pieces(o.customers_csv, customers_csv);
    report.customers_in_json = false;
  }
  // CSV: the customers, or with --customers-csv (they are in that file) the model, one row per
  // quantity.
  if (format == "csv" && report.customers_in_json) {
    write_output_in_pieces(o.input.output, io, customers_csv);
  } else if (format == "json") {
    write_output_in_pieces(o.input.output, io, [&](const io::TextSink& sink) { io::write_json(report, sink); });
  } else {
    write_output(o.input.output, io, format == "csv" ? io::model_csv(report) : io::to_table(report));
  }
  clock.lap("output");
  if (o.timings) io.err << "csm-metrics: timings: " << clock.text() << '\n';
  return kOk;
}

}  // namespace

namespace {
void check_interval_options(PredictOptions& o, CLI::App& cmd, const std::string& interval_of) {
  if (!interval_of.empty()) {
    const std::string of = io::text::ascii_lower(interval_of);
    if (of != "expectations" && of != "purchases") {
      throw UsageError("--interval-of " + interval_of + ": expected expectations (the default) or purchases");
    }
    o.interval_of_purchases = of == "purchases";
  }
  if (!o.interval) {
    for (const char* name : {"--draws", "--seed", "--interval-of"}) {
      if (cmd.get_option(name)->count() > 0) throw UsageError(std::string(name) + " applies to --interval");
    }
    return;
  }
  if (!(*o.interval > 0 && *o.interval < 1)) {
    throw UsageError("--interval: expected a probability strictly between 0 and 1, e.g. 0.9");
  }
}
}  // namespace

CommandRunner add_predict_command(CLI::App& app, Streams io) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand(
      "predict", "Fit BG/NBD and Gamma-Gamma to transaction records; P(alive), expected purchases, "
                 "spend and CLV per customer");
  add_transaction_options(cmd, o->input);
  cmd->add_option("--horizon", o->horizon,
                  "Prediction horizon in --unit (default: one year, 365.25 days)")
      ->check(finite_number(0.0, kMaxHorizon, true));
  cmd->add_option("--model", o->model,
                  "Purchase model: bgnbd (default), mbgnbd, pareto-nbd, or bg-bb (discrete "
                  "opportunities, from a summary file frequency,recency,n,n_custs), or auto "
                  "(fit BG/NBD, MBG/NBD and Pareto/NBD and choose: docs/predictive.md)")
      ->check(CLI::IsMember({"bgnbd", "mbgnbd", "pareto-nbd", "bg-bb", "auto"}, CLI::ignore_case));
  cmd->add_flag("--compare", o->compare,
                "Fit BG/NBD, MBG/NBD and Pareto/NBD and print their log-likelihood, BIC and holdout "
                "error side by side (with --model auto, the rule's choice is used; else --model)");
  CLI::Option* gross_margin =
      cmd->add_option("--gross-margin", o->margin, "Gross margin applied to spend in clv, a fraction 0..1 or 0%..100%")
          ->type_name("RATE")
          ->transform(rate_number(0.0, 1.0));
  // --margin: the spelling before 0.x, kept as a hidden alias (docs/cli.md).
  auto margin_text = std::make_shared<std::string>();
  CLI::Option* margin_alias = cmd->add_option("--margin", *margin_text, "")->group("");
  cmd->add_option("--discount-rate", o->discount_rate, "Discount rate per --unit for clv, >= 0 (0.01 or 1%)")
      ->type_name("RATE")
      ->transform(rate_number(0.0, 1e6));
  cmd->add_option("--penalizer", o->penalizer,
                  "L2 penalty on the parameters (0 = plain maximum likelihood)")
      ->check(finite_number(0.0, 1e6));
  cmd->add_option("--sort", o->sort,
                  "Order of customers: customer_id (default), clv (highest first), p_alive "
                  "(lowest first), expected_purchases (highest first), value_at_risk (highest "
                  "first: (1 - p_alive) * clv / p_alive, the value lost if they have left)")
      ->check(CLI::IsMember({"customer_id", "clv", "p_alive", "expected_purchases", "value_at_risk"}));
  cmd->add_option("--top", o->top, "Only the first N customers after --sort and --max-p-alive");
  cmd->add_option("--max-p-alive", o->max_p_alive,
                  "Only customers whose P(alive) is at most P (0..1), e.g. 0.5 for those more "
                  "likely gone than not")
      ->type_name("RATE")
      ->transform(rate_number(0.0, 1.0));
  cmd->add_option("--customers-csv", o->customers_csv,
                  "Write the per-customer predictions to this CSV file instead of the output");
  cmd->add_option("--holdout-end", o->holdout_end,
                  "Compare predictions for (--end, DATE] with the purchases actually made");
  cmd->add_option("--interval", o->interval,
                  "Prediction intervals with this central probability (e.g. 0.9 or 90%) for P(alive), "
                  "expected purchases and clv of every customer and the totals (parameter draws: "
                  "docs/predictive.md)")
      ->transform(rate_number(0.0, 1.0));
  cmd->add_option("--draws", o->draws, "Parameter draws for --interval (default 200, 2..100000)")
      ->check(CLI::Range(2u, 100000u));
  cmd->add_option("--seed", o->seed, "Seed of the --interval draws (the same seed, the same intervals)");
  auto interval_of = std::make_shared<std::string>();
  cmd->add_option("--interval-of", *interval_of,
                  "What --interval bounds: expectations (default) or purchases (also the purchases "
                  "actually made in the horizon, simulated from each customer's posterior: "
                  "docs/predictive.md)")
      ->type_name("WHAT");
  cmd->add_flag("--timings", o->timings,
                "Print the wall-clock time of each step (read, fits, predictions, output) on stderr");
  cmd->add_flag("--from-state", o->from_state,
                "The files are rfm states of customer shards (rfm --emit-state): merge them and fit "
                "the merged summary (--end and --unit come from the states; docs/scale-out.md)");
  cmd->add_flag("--allow-partial", o->allow_partial,
                "With --from-state: fit even when shards are missing (a warning names them)");
  cmd->get_option("--end")->required(false);
  return [o, io, cmd, gross_margin, margin_alias, margin_text, interval_of] {
    if (gross_margin->count() > 0 && margin_alias->count() > 0) {
      throw UsageError("--margin is the former name of --gross-margin: give only --gross-margin");
    }
    if (margin_alias->count() > 0) o->margin = rate_value("--margin", *margin_text, 0.0, 1.0);
    if (o->from_state) {
      for (const char* name : {"--column", "--skip-invalid", "--input-format"}) {
        if (cmd->get_option(name)->count() > 0) {
          throw UsageError(std::string(name) + " applies to transaction files, not to --from-state states");
        }
      }
    } else if (o->allow_partial) {
      throw UsageError("--allow-partial applies to --from-state");
    }
    o->unit_given = cmd->get_option("--unit")->count() > 0;
    o->model_given = cmd->get_option("--model")->count() > 0;
    o->model = io::text::ascii_lower(o->model);
    check_interval_options(*o, *cmd, *interval_of);
    if (o->model == "bg-bb" && o->compare) throw UsageError("--compare compares the models of transaction data, not --model bg-bb");
    if (o->model == "bg-bb") {
      // With --end the files are transactions (--unit periods as opportunities), else a summary.
      const bool transactions = cmd->get_option("--end")->count() > 0 || o->from_state;
      for (const char* name : {"--end", "--unit", "--holdout-end", "--customers-csv",
                               "--sort", "--top", "--max-p-alive", "--margin", "--gross-margin", "--discount-rate",
                               "--column", "--skip-invalid", "--input-format"}) {
        const std::string_view option(name);
        const bool for_transactions = option == "--end" || option == "--unit" || option == "--column" ||
                                      option == "--skip-invalid" || option == "--input-format";
        if (transactions && for_transactions) continue;
        if (cmd->get_option(name)->count() > 0) {
          throw UsageError(std::string(name) + " does not apply to --model bg-bb" +
                           (for_transactions ? " with a summary file (frequency,recency,n,n_custs); "
                                               "transactions need --end and --unit"
                                             : ""));
        }
      }
    } else if (const std::string unit = io::text::ascii_lower(o->input.unit); unit == "quarter" || unit == "year") {
      throw UsageError("--unit " + unit + " applies to --model bg-bb (opportunities); give day, week or month");
    }
    normalise(o->input);
    return predict(*o, io);
  };
}

}  // namespace csm::cli
