#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cmath>
#include <numeric>

#include "cli/commands.hpp"
#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "cli/transactions.hpp"
#include "csm/bgnbd.hpp"
#include "csm/gamma_gamma.hpp"
#include "csm/io/output_file.hpp"
#include "csm/error.hpp"
#include "csm/io/predictive_writer.hpp"
#include "csm/io/state_file.hpp"

namespace csm::cli {
namespace {

struct PredictOptions {
  TransactionOptions input;
  std::optional<double> horizon;
  double margin = 1;
  double discount_rate = 0;
  std::string model = "bgnbd";
  double penalizer = 0;
  std::string sort = "customer_id";
  std::size_t top = 0;
  std::string customers_csv;
  std::string holdout_end;
  bool timings = false;
  bool from_state = false;     ///< the files are rfm states (rfm --emit-state) to merge and fit
  bool allow_partial = false;  ///< with from_state: fit even when shards are missing
  bool unit_given = false;     ///< --unit on the command line
};

// Run fn(chunk, begin, end) over [0, n) in fixed chunks on `threads` threads. The chunks do not
// depend on the number of threads, so per-chunk sums added in chunk order give the same result
// with any number of threads.
constexpr std::size_t kChunk = 4096;
template <typename Fn>
void for_chunks(std::size_t n, unsigned threads, Fn fn) {
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t c = next++; c < chunks; c = next++) fn(c, c * kChunk, std::min(n, (c + 1) * kChunk));
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::min<std::size_t>(threads, chunks); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

// Wall-clock seconds of each step, for --timings.
class Stopwatch {
 public:
  void lap(const char* name) {
    const auto now = std::chrono::steady_clock::now();
    text_ += (text_.empty() ? "" : ", ") + std::string(name) + " " +
             std::to_string(std::chrono::duration<double>(now - last_).count()).substr(0, 5) + " s";
    last_ = now;
  }
  const std::string& text() const { return text_; }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::string text_;
};

// CLV over the horizon H: margin * spend * sum over steps i = 1..ceil(H) of
// (E[Y(t_i)] - E[Y(t_(i-1))]) / (1 + d)^t_i with t_i = min(i, H), as lifetimes sums month by
// month; without discounting the sum telescopes to E[Y(H)].
double clv(const PredictOptions& o, PurchaseModel model, const BgNbdParams& p,
           const RfmCustomer& c, double horizon, double expected, double spend) {
  if (o.discount_rate == 0) return o.margin * spend * expected;
  double total = 0, before = 0;
  const auto steps = static_cast<int>(std::ceil(horizon));
  for (int i = 1; i <= steps; ++i) {
    const double t = std::min(static_cast<double>(i), horizon);
    const double now = i == steps ? expected
                                  : bgnbd_conditional_expected_purchases(model, p, t, c.x, c.t_x, c.T);
    total += (now - before) / std::pow(1 + o.discount_rate, t);
    before = now;
  }
  return o.margin * spend * total;
}

std::string days_text(double days) {
  std::string text = std::to_string(days);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

int predict(const PredictOptions& o, Streams io) {
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
    std::vector<std::string> texts;
    std::vector<std::string> names;
    for (const std::string& path : o.input.files) {
      texts.push_back(read_state_file(path));
      names.push_back(path == "-" ? "<stdin>" : path);
    }
    if (const std::string kind = io::state_kind(texts.front(), names.front()); kind != "rfm") {
      throw InputError(names.front(), 2, "", std::string(kind == "activity" ? "an " : "a ") + kind + " state: predict --from-state fits rfm states (rfm --emit-state)");
    }
    MergedRfm merged = merge_rfm_states(texts, names, o.allow_partial);
    if (!o.input.end.empty() && parse_date_option("--end", o.input.end) != merged.summary.end) {
      throw UsageError("--end " + o.input.end + ": the states were computed with --end " +
                       to_string(merged.summary.end) + " (leave --end out with --from-state)");
    }
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
  const PurchaseModel model = o.model == "mbgnbd" ? PurchaseModel::mbgnbd : PurchaseModel::bgnbd;
  FitOptions fit;
  fit.penalizer = o.penalizer;
  report.purchases = fit_bgnbd(s.customers, model, fit);
  clock.lap(model == PurchaseModel::bgnbd ? "bgnbd fit" : "mbgnbd fit");
  report.spend = fit_gamma_gamma(s.customers, fit);
  clock.lap("gamma-gamma fit");
  const BgNbdParams& p = report.purchases.params;
  const GammaGammaParams& g = report.spend.params;

  std::optional<double> holdout_length;
  if (holdout_end) holdout_length = static_cast<double>(holdout_end->days - s.end.days) / per_unit;
  std::vector<io::CustomerPrediction> predictions(s.customers.size());
  const unsigned threads = io::effective_threads(o.input.threads);
  for_chunks(s.customers.size(), threads, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const RfmCustomer& c = s.customers[i];
      io::CustomerPrediction& out = predictions[i];
      out.customer = i;
      out.p_alive = bgnbd_p_alive(model, p, c.x, c.t_x, c.T);
      out.expected_purchases =
          bgnbd_conditional_expected_purchases(model, p, report.horizon, c.x, c.t_x, c.T);
      out.expected_spend = gamma_gamma_expected_spend(g, c.x, c.monetary.value_or(0));
      if (out.expected_spend) {
        out.clv = clv(o, model, p, c, report.horizon, out.expected_purchases, *out.expected_spend);
      }
      if (holdout_length) {
        out.holdout_predicted =
            bgnbd_conditional_expected_purchases(model, p, *holdout_length, c.x, c.t_x, c.T);
      }
    }
  });
  if (holdout_length) {
    double abs_error = 0, sq_error = 0, predicted_total = 0;
    for (const io::CustomerPrediction& out : predictions) {
      const double e = *out.holdout_predicted - static_cast<double>(s.customers[out.customer].holdout_x);
      abs_error += std::fabs(e);
      sq_error += e * e;
      predicted_total += *out.holdout_predicted;
    }
    io::HoldoutReport h;
    h.holdout_end = *holdout_end;
    h.length = *holdout_length;
    h.actual_total = s.holdout_occasions;
    h.predicted_total = predicted_total;
    const auto n = static_cast<double>(s.customers.size());
    h.mean_absolute_error = abs_error / n;
    h.root_mean_squared_error = std::sqrt(sq_error / n);
    // The predicted cumulative series: per chunk, then added in chunk order.
    const std::size_t steps = s.holdout_series.size();
    const std::size_t chunks = (s.customers.size() + kChunk - 1) / kChunk;
    std::vector<double> partial(chunks * steps, 0.0);
    for_chunks(s.customers.size(), threads, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
      for (std::size_t k = 0; k < steps; ++k) {
        const double t = std::min(static_cast<double>(k + 1), *holdout_length);
        double sum = 0;
        for (std::size_t i = begin; i < end; ++i) {
          const RfmCustomer& c = s.customers[i];
          sum += bgnbd_conditional_expected_purchases(model, p, t, c.x, c.t_x, c.T);
        }
        partial[chunk * steps + k] = sum;
      }
    });
    std::uint64_t actual = 0;
    for (std::size_t k = 0; k < steps; ++k) {
      actual += s.holdout_series[k];
      double predicted = 0;
      for (std::size_t chunk = 0; chunk < chunks; ++chunk) predicted += partial[chunk * steps + k];
      h.series.push_back({std::min(static_cast<double>(k + 1), *holdout_length), actual, predicted});
    }
    report.holdout = std::move(h);
  }

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
  }
  report.customers_total = predictions.size();
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
                         "it is the population mean p*gamma/(q-1)");
  if (report.spend.customers < s.customers_with_repeats) {
    report.notes.push_back(std::to_string(s.customers_with_repeats - report.spend.customers) +
                           " customers with repeat purchases of amount 0 are left out of the "
                           "Gamma-Gamma fit");
  }
  if (s.excluded_customers > 0) {
    report.notes.push_back(std::to_string(s.excluded_customers) +
                           " customers whose first purchase is after --end are left out");
  }
  if (!report.purchases.converged) {
    report.warnings.push_back("the purchase model fit did not converge; treat its numbers with care");
  }
  if (!report.spend.converged) {
    report.warnings.push_back("the Gamma-Gamma fit did not converge; treat its numbers with care");
  }
  if (report.spend.correlation && std::fabs(*report.spend.correlation) > 0.3) {
    report.warnings.push_back(
        "the correlation of x and monetary is " + std::to_string(*report.spend.correlation) +
        "; the Gamma-Gamma model assumes spend does not depend on purchase frequency");
  }
  // The table shows warnings itself; JSON and CSV readers get them on stderr too.
  if (!o.input.quiet && o.input.format != "table") {
    for (std::size_t i = warnings_shown; i < report.warnings.size(); ++i) {
      io.err << "csm-metrics: warning: " << report.warnings[i] << '\n';
    }
  }

  if (!o.customers_csv.empty()) {
    io::write_file_atomically(o.customers_csv, io::to_csv(report));
    report.customers_in_json = false;
  }
  const std::string& format = o.input.format;
  const std::string text = format == "json"  ? io::to_json(report)
                           : format == "csv" ? io::to_csv(report)
                                             : io::to_table(report);
  write_output(o.input.output, io, text);
  clock.lap("output");
  if (o.timings) io.err << "csm-metrics: timings: " << clock.text() << '\n';
  return kOk;
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
      ->check(CLI::PositiveNumber);
  cmd->add_option("--model", o->model, "Purchase model: bgnbd (default) or mbgnbd")
      ->check(CLI::IsMember({"bgnbd", "mbgnbd"}, CLI::ignore_case));
  cmd->add_option("--margin", o->margin, "Profit margin applied to spend in clv, a fraction 0..1")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--discount-rate", o->discount_rate, "Discount rate per --unit for clv, >= 0")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--penalizer", o->penalizer,
                  "L2 penalty on the parameters (0 = plain maximum likelihood)")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--sort", o->sort,
                  "Order of customers: customer_id (default), clv (highest first), p_alive "
                  "(lowest first), expected_purchases (highest first)")
      ->check(CLI::IsMember({"customer_id", "clv", "p_alive", "expected_purchases"}));
  cmd->add_option("--top", o->top, "Only the first N customers after --sort");
  cmd->add_option("--customers-csv", o->customers_csv,
                  "Write the per-customer predictions to this CSV file instead of the output");
  cmd->add_option("--holdout-end", o->holdout_end,
                  "Compare predictions for (--end, DATE] with the purchases actually made");
  cmd->add_flag("--timings", o->timings,
                "Print the wall-clock time of each step (read, fits, predictions, output) on stderr");
  cmd->add_flag("--from-state", o->from_state,
                "The files are rfm states of customer shards (rfm --emit-state): merge them and fit "
                "the merged summary (--end and --unit come from the states; docs/scale-out.md)");
  cmd->add_flag("--allow-partial", o->allow_partial,
                "With --from-state: fit even when shards are missing (a warning names them)");
  cmd->get_option("--end")->required(false);
  return [o, io, cmd] {
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
    normalise(o->input);
    o->model = lower_case(o->model);
    return predict(*o, io);
  };
}

}  // namespace csm::cli
