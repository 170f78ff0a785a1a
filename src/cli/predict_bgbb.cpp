// predict --model bg-bb (docs/predictive.md, section 11): BG/BB from a summary file, from
// transactions (--end, --unit) or from rfm states (--from-state), and the rows' predictions.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

#include "cli/bgbb_periods.hpp"
#include "cli/option_checks.hpp"
#include "cli/predict_support.hpp"
#include "cli/run.hpp"
#include "csm/bgbb.hpp"
#include "csm/error.hpp"
#include "csm/grain.hpp"
#include "csm/io/bgbb_io.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/source.hpp"
#include "csm/io/state_file.hpp"
#include "csm/prediction_interval.hpp"
#include "io/text_output.hpp"

namespace csm::cli {

MergedRfm merge_predict_states(const PredictOptions& o) {
  std::vector<std::string> texts;
  std::vector<std::string> names;
  for (const std::string& path : o.input.files) {
    texts.push_back(read_state_file(path));
    names.push_back(path == "-" ? "<stdin>" : path);
  }
  if (const std::string kind = io::state_kind(texts.front(), names.front()); kind != "rfm") {
    throw InputError(names.front(), 2, "", std::string(kind == "activity" ? "an " : "a ") + kind +
                                               " state: predict --from-state fits rfm states (rfm --emit-state)");
  }
  MergedRfm merged = merge_rfm_states(texts, names, o.allow_partial);
  if (!o.input.end.empty() && parse_date_option("--end", o.input.end) != merged.summary.end) {
    throw UsageError("--end " + o.input.end + ": the states were computed with --end " +
                     to_string(merged.summary.end) + " (leave --end out with --from-state)");
  }
  return merged;
}

namespace {

// A BG/BB summary file as text: one row per (frequency, recency, n), so small; capped so that a
// wrong file (or /dev/zero) is refused instead of read into memory.
std::string read_summary_file(const std::string& path, const std::string& name) {
  constexpr std::size_t kMaxSummaryBytes = std::size_t{64} << 20;
  io::InputSource source = io::InputSource::open(path);
  std::string text;
  char buffer[1 << 16];
  while (const std::size_t n = source.read(buffer, sizeof buffer)) {
    if (text.size() + n > kMaxSummaryBytes) {
      throw InputError(name, 0, "", "a BG/BB summary file holds at most 64 MiB");
    }
    text.append(buffer, n);
  }
  return text;
}

// --model bg-bb: the BG/BB model on a summary file (frequency, recency, n, n_custs).
// --model bg-bb --end DATE --unit U: the periods of U are the opportunities. A customer's first
// purchase period is where they start; x is the number of later periods with a purchase, t_x the
// last of them and n the period of --end, both counted from the first (docs/predictive.md,
// section 11). Customers with the same (x, t_x, n) make one row, in ascending (x, t_x, n).
std::vector<BgBbRow> bgbb_rows_from_transactions(const PredictOptions& o, Streams io,
                                                 std::vector<std::string>& sources) {
  if (!o.unit_given) {
    throw UsageError("--model bg-bb with --end: give --unit day|week|month|quarter|year, the "
                     "period of one transaction opportunity");
  }
  const Date end = parse_date_option("--end", o.input.end);
  std::function<std::int32_t(std::int32_t)> period_of = bgbb_period_function(o.input.unit, end, o.input.end);
  TransactionOptions input = o.input;
  input.unit = "day";
  io::ReadReport read;
  const RfmSummary s = read_transactions(input, std::nullopt, read, io, period_of);
  sources = read.sources;
  return bgbb_rows_of(s.periods);
}

// --model bg-bb --from-state: the period histories of `rfm --emit-state --periods U` states,
// merged as `merge` does.
std::vector<BgBbRow> bgbb_rows_from_states(const PredictOptions& o, io::BgBbReport& report) {
  if (o.input.files.empty()) throw UsageError("--from-state: give the rfm state files (rfm --emit-state --periods UNIT)");
  MergedRfm merged = merge_predict_states(o);
  if (merged.periods.empty()) {
    throw InputError(o.input.files.front() == "-" ? "<stdin>" : o.input.files.front(), 0, "",
                     "the states hold no BG/BB periods: write them with rfm --emit-state FILE "
                     "--periods day|week|month|quarter|year (the unit of one opportunity)");
  }
  if (o.unit_given && io::text::ascii_lower(o.input.unit) != merged.periods) {
    throw UsageError("--unit " + o.input.unit + ": the states hold BG/BB periods of one " + merged.periods +
                     " (leave --unit out with --from-state)");
  }
  report.sources = merged.input.sources;
  report.warnings.insert(report.warnings.end(), merged.warnings.begin(), merged.warnings.end());
  return bgbb_rows_of(merged.summary.periods);
}


}  // namespace

std::function<std::int32_t(std::int32_t)> bgbb_period_function(const std::string& unit_text, Date end,
                                                                const std::string& end_text) {
  const std::string unit = io::text::ascii_lower(unit_text);
  if (unit == "day") return [](std::int32_t day) { return day; };
  if (unit == "week") {
    // Weeks end on --end and every 7 days before it.
    return [e = end.days](std::int32_t day) { return -((e - day) / 7); };
  }
  const std::optional<Grain> grain = parse_grain(unit);
  if (!grain || (unit != "month" && unit != "quarter" && unit != "year")) {
    throw UsageError("--unit " + unit_text + ": BG/BB opportunities are day, week, month, quarter or year");
  }
  const auto number = [g = *grain](std::int32_t day) { return period_number(month_of(Date{day}), g); };
  if (number(end.days + 1) == number(end.days)) {
    throw UsageError("--end " + end_text + " is not the last day of a " + unit + ": with --unit " + unit +
                     " the opportunities are calendar " + unit + "s, and the last one must be complete");
  }
  return number;
}

std::vector<BgBbRow> bgbb_rows_of(const std::vector<PeriodHistory>& periods) {
  std::vector<std::array<std::uint32_t, 3>> keys;
  keys.reserve(periods.size());
  for (const PeriodHistory& h : periods) keys.push_back({h.x, h.t_x, h.n});
  std::sort(keys.begin(), keys.end());
  std::vector<BgBbRow> rows;
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    rows.push_back({keys[i][0], keys[i][1], keys[i][2], static_cast<double>(j - i)});
    i = j;
  }
  return rows;
}

namespace {

}  // namespace

int predict_bgbb(const PredictOptions& o, Streams io) {
  io::BgBbReport report;
  report.version = CSM_VERSION;
  std::vector<BgBbRow> rows;
  if (o.from_state) {
    rows = bgbb_rows_from_states(o, report);
  } else if (!o.input.end.empty()) {
    rows = bgbb_rows_from_transactions(o, io, report.sources);
  } else {
    if (o.input.files.size() != 1) {
      throw UsageError("--model bg-bb reads one summary file with the columns frequency,recency,n,n_custs "
                       "(or transactions with --end and --unit)");
    }
    const std::string& path = o.input.files.front();
    const std::string name = path == "-" ? "<stdin>" : path;
    rows = io::parse_bgbb_summary(read_summary_file(path, name), name);
    report.kind = "frequency_recency";
    report.sources.push_back(name);
  }
  Stopwatch clock;
  clock.lap("read");
  FitOptions fit;
  fit.penalizer = o.penalizer;
  report.fit = fit_bgbb(rows, fit);
  clock.lap("bg_bb fit");
  std::uint32_t max_n = 0;
  for (const BgBbRow& r : rows) max_n = std::max(max_n, r.n);
  if (o.horizon) {
    if (*o.horizon != std::floor(*o.horizon) || *o.horizon > 100000) {
      throw UsageError("--horizon " + fmt_g(*o.horizon) + ": BG/BB predicts whole opportunities, "
                       "give a whole number (at most 100000)");
    }
    report.horizon = static_cast<std::uint32_t>(*o.horizon);
  } else {
    report.horizon = max_n;
  }
  const BgBbParams& p = report.fit.params;
  for (const BgBbRow& r : rows) {
    io::BgBbPrediction out;
    out.row = r;
    out.p_alive = bgbb_p_alive(p, r.x, r.t_x, r.n);
    out.expected = bgbb_expected_transactions(p, report.horizon, r.x, r.t_x, r.n);
    if (!std::isfinite(out.p_alive) || !std::isfinite(out.expected)) {
      throw InputError(report.sources.size() == 1 ? report.sources.front() : std::string(), 0, "",
                       "BG/BB: P(alive) or the expected transactions of frequency " +
                                        std::to_string(r.x) + ", recency " + std::to_string(r.t_x) +
                                        ", n " + std::to_string(r.n) +
                                        " cannot be computed in double precision at the fitted parameters");
    }
    report.expected_total += r.count * out.expected;
    report.rows.push_back(out);
  }
  clock.lap("predictions");
  if (o.interval) {
    IntervalOptions settings;
    settings.level = *o.interval;
    settings.draws = o.draws;
    settings.seed = o.seed;
    settings.purchases = o.interval_of_purchases;
    report.intervals =
        bgbb_prediction_intervals(report.fit, rows, report.horizon, settings, io::effective_threads(o.input.threads));
    clock.lap("intervals");
  }
  report.notes.push_back("p_alive: the chance to be alive at the next opportunity (n + 1); "
                         "expected_transactions: per customer, over the next " +
                         std::to_string(report.horizon) + " opportunities (--horizon)");
  if (!report.fit.limit.empty()) {
    report.warnings.push_back("BG/BB converged to a limit of the model: " + report.fit.limit +
                              ". The parameters that ran off (standard errors null) mean nothing "
                              "alone; the predictions are those of the limit model");
  }
  const std::string& format = o.input.format;
  if (!o.input.quiet && format != "table") {
    for (const std::string& w : report.warnings) io.err << "csm-metrics: warning: " << w << '\n';
  }
  const std::string text = format == "json"  ? io::to_json(report)
                           : format == "csv" ? io::to_csv(report)
                                             : io::to_table(report);
  write_output(o.input.output, io, text);
  clock.lap("output");
  if (o.timings) io.err << "csm-metrics: timings: " << clock.text() << '\n';
  return kOk;
}

}  // namespace csm::cli
