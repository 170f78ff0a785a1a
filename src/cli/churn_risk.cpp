// `csm-metrics churn-risk`: a churn-risk score learnt from the customers' own history (XGBoost),
// explained per customer, with a rolling-origin backtest against a logistic regression and the
// rules of `at-risk`. docs/churn-risk.md.

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "cli/churn_reasons.hpp"
#include "cli/churn_risk.hpp"
#include "cli/churn_training.hpp"
#include "cli/commands.hpp"
#include "cli/csv_option.hpp"
#include "cli/input_options.hpp"
#include "cli/option_checks.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "cli/transactions.hpp"
#include "csm/at_risk.hpp"
#include "csm/churn_features.hpp"
#include "csm/churn_metrics.hpp"
#include "csm/error.hpp"
#include "csm/io/churn_risk_writer.hpp"
#include "csm/io/data_warnings.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/record_input.hpp"
#include "csm/ml/xgboost_model.hpp"
#include "io/text_output.hpp"

namespace csm::cli {
namespace {

// Records go to both histories: the features' and the rules'.
class TeeSink final : public ActivitySink {
 public:
  TeeSink(ActivitySink& a, ActivitySink& b) : a_(a), b_(b) {}
  void add(const ActivityRecord& r) override {
    a_.add(r);
    b_.add(r);
  }
  void extend_range(YearMonth first, YearMonth last) override {
    a_.extend_range(first, last);
    b_.extend_range(first, last);
  }

 private:
  ActivitySink& a_;
  ActivitySink& b_;
};

io::ChurnEvaluation evaluate(std::string name, const std::vector<double>& p,
                             const std::vector<std::int8_t>& y) {
  io::ChurnEvaluation e;
  e.name = std::move(name);
  e.roc_auc = roc_auc(p, y);
  e.pr_auc = pr_auc(p, y);
  e.brier = brier(p, y);
  e.top_decile = top_decile(p, y);
  e.calibration = calibration_table(p, y, 10);
  return e;
}

// The number of at-risk rules that fire per customer at `month`.
std::unordered_map<std::string, int> rules_fired(const CustomerHistory& rules, std::int32_t month) {
  AtRiskOptions o;
  o.as_of = YearMonth{month};
  std::unordered_map<std::string, int> out;
  for (const AtRiskCustomer& c : rules.evaluate(o).customers_at_risk) {
    out[c.customer_id] = static_cast<int>(c.reasons().size());
  }
  return out;
}

}  // namespace

io::ChurnRiskReport churn_risk_report(const ChurnRiskCliOptions& options, Streams io,
                                      std::vector<DataWarning>& data_warnings_out) {
  const InputOptions& in = options.input;
  if (in.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError(
        "no input: give a file (csm-metrics churn-risk customers.csv), pipe records in, or use '-' "
        "to type them");
  }
  std::optional<YearMonth> as_of_option;
  if (!options.as_of.empty()) as_of_option = parse_month_option("--as-of", options.as_of);
  for (std::size_t i = 0; i < options.signals.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (io::text::ascii_lower(options.signals[i]) == io::text::ascii_lower(options.signals[j])) {
        throw UsageError("--signal " + options.signals[i] + ": given twice");
      }
    }
    if (options.signals[i].empty()) throw UsageError("--signal: expected a column name");
  }

  io::ReadOptions read = read_options(in);
  read.threads = 1;  // the histories are filled in one stream
  read.signals = options.signals;
  DataProfile quality;
  read.quality = &quality;
  io::RecordInput input(in.files, read);
  std::vector<std::string> signal_names;
  for (const std::string& s : options.signals) signal_names.push_back(io::text::ascii_lower(s));
  ChurnHistory history(signal_names);
  CustomerHistory rules;
  try {
    const io::RecordKind kind = input.kind();
    const std::string source = in.files.empty() ? "<stdin>" : in.files.front();
    if (kind == io::RecordKind::summary) {
      throw InputError(source, 0, "",
                       "churn-risk needs records per customer (activity or subscription records), "
                       "not summary records");
    }
    if (kind == io::RecordKind::transaction) {
      throw_wrong_kind(in.files,
          "these are transaction records (date, amount): churn-risk reads activity or "
          "subscription records (for purchases without a subscription, see 'csm-metrics predict')");
    }
    if (kind != io::RecordKind::activity && kind != io::RecordKind::invoice &&
        !options.signals.empty()) {
      throw UsageError("--signal: signals are columns of activity or invoice records; these are " +
                       std::string(io::to_string(kind)) + " records");
    }
    TeeSink tee(history, rules);
    input.read(tee);
  } catch (const RevenueOverflow& e) {
    io::throw_overflow(in.files, read, e);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  io::ChurnRiskReport report;
  report.version = CSM_VERSION;
  report.horizon = options.horizon;
  report.sort = options.sort;
  report.top = options.top;
  report.input = input.report();
  report.baseline_lambda = kBaselineLambda;
  std::vector<io::RunMessage> messages;
  const std::vector<DataWarning> data_warnings = io::data_quality_warnings(
      input.kind(), report.input, quality, read.dedupe, today_utc(), report.warnings, messages);
  print_messages(messages, in.quiet, io.err);
  if (report.input.skipped > 0) {
    report.warnings.push_back("skipped " + std::to_string(report.input.skipped) +
                              " invalid records");
    if (!in.quiet) {
      for (const std::string& message : report.input.skipped_messages) {
        io.err << "csm-metrics: skipped: " << message << '\n';
      }
    }
  }
  if (!history.last_period()) {
    throw InputError(in.files.empty() ? "<stdin>" : in.files.front(), 0, "",
                     "no records: churn-risk needs the monthly history of customers");
  }
  for (std::size_t s = 0; s < signal_names.size(); ++s) {
    if (history.signal_observations()[s] == 0) {
      const std::string note = "--signal " + options.signals[s] + ": no value in any record";
      report.warnings.push_back(note);
      if (!in.quiet) io.err << "csm-metrics: warning: " << note << '\n';
    }
  }
  const YearMonth as_of = as_of_option.value_or(*history.last_period());
  report.as_of = as_of;
  const YearMonth first = *history.first_period();
  if (as_of < first) {
    throw UsageError("--as-of " + to_string(as_of) + ": before the first month of the data (" +
                     to_string(first) + ")");
  }
  // The months scored: as_of and the backtest's origins. Only their rows and the training
  // samples get features, unless --features-csv asks for all of them.
  std::vector<std::int32_t> origins{as_of.index};
  for (int k = 0; k < options.backtest; ++k) {
    const std::int32_t origin = as_of.index - options.horizon - k;
    if (origin >= first.index) origins.push_back(origin);
  }
  const SampleKeys keys(rows_per_month(history, first, as_of), first.index, options.horizon,
                        options.max_training_rows, options.seed);
  FeatureFilter keep;
  if (options.features_csv.empty()) {
    keep = [&keys, &origins](std::string_view id, std::int32_t month) {
      const std::uint64_t k = keys.key(id, month);
      for (const std::int32_t o : origins) {
        if (month == o || keys.in_sample(k, month, o)) return true;
      }
      return false;
    };
  }
  FeatureTable table;
  try {
    table = build_features(history, first, as_of, options.horizon, keep);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  for (const FeatureInfo& f : table.features) report.features.push_back(f.name);

  const Trainer trainer(table, options, keys);
  report.parameters = trainer.params().xgboost_params();
  report.parameters.emplace_back("num_boost_round", std::to_string(options.trees));
  report.parameters.emplace_back("max_training_rows", std::to_string(options.max_training_rows));
  report.parameters.emplace_back("sample_seed", std::to_string(options.seed));
  OriginRun run = trainer.run(as_of.index, true);
  report.active_customers = run.scored.size();
  if (run.scored.empty()) {
    const std::string note = "no customer has revenue in " + to_string(as_of);
    report.warnings.push_back(note);
    if (!in.quiet) io.err << "csm-metrics: note: " << note << '\n';
  }
  report.training_rows = run.training_rows;
  report.training_churned = run.training_churned;
  report.training_candidates = run.candidates;
  report.training_first = run.training_first;
  report.training_last = run.training_last;
  report.calibration = run.calibration;
  report.calibration_rows = run.calibration_rows;
  report.calibration_first = run.calibration_first;
  report.calibration_last = run.calibration_last;
  if (!run.model) {
    report.notes.push_back(
        "no model: the months up to " + to_string(YearMonth{as_of.index - options.horizon}) +
        " hold no customer-month with a known outcome of both kinds (churned and stayed); the "
        "probabilities are 0");
  } else if (!run.calibration.fitted) {
    report.notes.push_back("not calibrated: too few months or churners before the last " +
                           std::to_string(kCalibrationMonths) +
                           " training months; the probabilities are XGBoost's own");
  }
  const std::size_t cols = table.columns();
  for (std::size_t i = 0; i < run.scored.size(); ++i) {
    const std::size_t r = run.scored[i];
    io::ChurnScore c;
    c.customer_id = table.customer_ids[table.customer[r]];
    c.churn_probability = run.probability[i];
    c.model_score = run.raw[i];
    c.baseline_probability = run.baseline[i];
    c.revenue = table.revenue[r];
    c.revenue_at_risk = c.churn_probability * to_double(MoneySum{c.revenue});
    c.row = r;
    report.customers.push_back(std::move(c));
  }
  if (options.sort == "revenue-at-risk") {
    std::sort(report.customers.begin(), report.customers.end(),
              [](const io::ChurnScore& a, const io::ChurnScore& b) {
                if (a.revenue_at_risk != b.revenue_at_risk) return a.revenue_at_risk > b.revenue_at_risk;
                if (a.churn_probability != b.churn_probability) {
                  return a.churn_probability > b.churn_probability;
                }
                return a.customer_id < b.customer_id;
              });
  } else {
    std::sort(report.customers.begin(), report.customers.end(),
              [](const io::ChurnScore& a, const io::ChurnScore& b) {
                if (a.churn_probability != b.churn_probability) {
                  return a.churn_probability > b.churn_probability;
                }
                return a.customer_id < b.customer_id;
              });
  }
  // --by: the groups, each customer's value in the month scored, in the order of the sort within
  // its group (one model for all; the column is the segment feature: docs/churn-risk.md).
  if (!in.by.empty()) {
    report.group_by = in.by;
    for (io::ChurnScore& c : report.customers) c.group = history.segment_of(c.customer_id, as_of);
    std::stable_sort(report.customers.begin(), report.customers.end(),
                     [](const io::ChurnScore& a, const io::ChurnScore& b) { return a.group < b.group; });
    for (std::size_t i = 0; i < report.customers.size(); ++i) {
      const io::ChurnScore& c = report.customers[i];
      if (report.groups.empty() || report.groups.back().group != c.group) {
        report.groups.push_back({c.group, i, 0, 0.0, 0, 0.0});
      }
      io::ChurnGroup& g = report.groups.back();
      ++g.count;
      g.expected_churners += c.churn_probability;
      g.revenue += c.revenue;
      g.revenue_at_risk += c.revenue_at_risk;
    }
  }
  // The factors of the customers shown (--top): TreeSHAP is the costly part of scoring.
  const std::vector<std::size_t> shown = io::shown_customers(report);
  if (run.model && !shown.empty()) {
    std::vector<std::size_t> rows;
    for (const std::size_t i : shown) rows.push_back(report.customers[i].row);
    const std::vector<float> contributions =
        run.model->contributions(trainer.gather(rows).data(), rows.size(), trainer.threads());
    for (std::size_t k = 0; k < shown.size(); ++k) {
      io::ChurnScore& c = report.customers[shown[k]];
      const float* contrib = contributions.data() + k * (cols + 1);
      std::vector<std::size_t> order;
      for (std::size_t j = 0; j < cols; ++j) {
        if (contrib[j] > 0) order.push_back(j);
      }
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return contrib[a] > contrib[b]; });
      if (order.size() > 3) order.resize(3);
      for (const std::size_t j : order) {
        c.factors.push_back({table.features[j].name, contrib[j],
                             feature_in_words(table.features[j], table.row(c.row)[j])});
      }
    }
  }

  // The backtest: each of the last K months with a known outcome scored as if it were as_of.
  if (options.backtest > 0) {
    io::ChurnBacktest bt;
    bt.months = options.backtest;
    std::vector<double> pm, pb, pr;
    std::vector<std::int8_t> y;
    for (int k = options.backtest - 1; k >= 0; --k) {
      const std::int32_t origin = as_of.index - options.horizon - k;
      if (origin < first.index) continue;
      const OriginRun o = trainer.run(origin, false);
      if (o.training_rows == 0 || o.training_churned == 0 ||
          o.training_churned == o.training_rows || o.scored.empty()) {
        continue;
      }
      // The rules: how many fire at the origin; each count's churn rate where it was last known
      // (at origin - H) is its probability.
      const auto fired = rules_fired(rules, origin);
      const auto fired_before = rules_fired(rules, origin - options.horizon);
      std::map<int, std::pair<double, double>> rate;  // count -> (churned, customers)
      double all_churned = 0, all = 0;
      for (std::size_t r = 0; r < table.rows(); ++r) {
        if (table.month[r] != origin - options.horizon || table.label[r] < 0) continue;
        const auto it = fired_before.find(table.customer_ids[table.customer[r]]);
        auto& [churned, n] = rate[it == fired_before.end() ? 0 : it->second];
        churned += table.label[r];
        n += 1;
        all_churned += table.label[r];
        all += 1;
      }
      const double prior = all > 0 ? all_churned / all : 0;
      bt.origins.push_back(YearMonth{origin});
      const std::size_t from = y.size();
      for (std::size_t i = 0; i < o.scored.size(); ++i) {
        const std::size_t r = o.scored[i];
        y.push_back(table.label[r]);
        pm.push_back(o.probability[i]);
        pb.push_back(o.baseline[i]);
        const auto it = fired.find(table.customer_ids[table.customer[r]]);
        const auto found = rate.find(it == fired.end() ? 0 : it->second);
        const auto [churned, n] = found == rate.end() ? std::pair{0.0, 0.0} : found->second;
        pr.push_back((churned + prior) / (n + 1));  // one pseudo-customer at the overall rate
      }
      // This origin on its own (the pooled figures below are the headline).
      const auto part = [from](const std::vector<double>& v) {
        return std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(from), v.end());
      };
      const std::vector<std::int8_t> yo(y.begin() + static_cast<std::ptrdiff_t>(from), y.end());
      io::ChurnBacktest::Origin eval;
      eval.origin = YearMonth{origin};
      eval.scored = yo.size();
      for (const std::int8_t v : yo) eval.churned += v == 1 ? 1u : 0u;
      eval.model_roc_auc = roc_auc(part(pm), yo);
      eval.baseline_roc_auc = roc_auc(part(pb), yo);
      eval.rules_roc_auc = roc_auc(part(pr), yo);
      bt.by_origin.push_back(eval);
    }
    bt.scored = y.size();
    for (const std::int8_t v : y) bt.churned += v == 1 ? 1u : 0u;
    if (!y.empty()) {
      bt.scorers.push_back(evaluate("model", pm, y));
      bt.scorers.push_back(evaluate("baseline", pb, y));
      bt.scorers.push_back(evaluate("rules", pr, y));
    }
    if (bt.scored > 0 && bt.churned < 30) {
      report.notes.push_back("the backtest saw only " + std::to_string(bt.churned) +
                             " churners: its figures are noisy (a longer --backtest adds months)");
    }
    report.backtest = std::move(bt);
  }

  if (!options.features_csv.empty()) {
    io::write_file_atomically(options.features_csv, io::features_csv(table, run.in_training, csv_style(options.out.csv_raw)));
  }
  data_warnings_out = data_warnings;
  return report;
}

namespace {

int churn_risk(const ChurnRiskCliOptions& options, Streams io) {
  const InputOptions& in = options.input;
  std::vector<DataWarning> data_warnings;
  const io::ChurnRiskReport report = churn_risk_report(options, io, data_warnings);
  write_report(report, options.out, data_warnings, io);
  return strict_status(in, data_warnings, kOk, io.err);
}

}  // namespace

CommandRunner add_churn_risk_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<ChurnRiskCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "churn-risk",
      "Churn probability per active customer, learnt from the history (XGBoost), with the "
      "reasons and a backtest against the at-risk rules; docs/churn-risk.md");
  cmd->add_option("-f,--format", options->out.format, "Output: table (default), json or csv")
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  add_record_options(*cmd, options->input);
  cmd->add_option("-o,--output", options->out.output,
                  "Write the result to this file (atomically: all or nothing) instead of stdout");
  cmd->add_flag("-q,--quiet", options->input.quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("-j,--threads", options->threads,
                  "Threads for scoring (0: one per core; training uses one, so results never "
                  "depend on it)")
      ->check(CLI::Range(0u, 1024u));
  cmd->add_option("--by", options->input.by,
                  "Also the scores per group: the value of input column COLUMN (e.g. segment, plan) "
                  "in the month scored; one model, the column is its segment feature. --top is per group")
      ->type_name("COLUMN");
  cmd->add_option("--as-of", options->as_of,
                  "Score the customers active in this month (YYYY-MM; default: the latest month)")
      ->type_name("YYYY-MM");
  cmd->add_option("--horizon", options->horizon,
                  "Churn within this many months after the month scored (default 1)")
      ->check(CLI::Range(1, 24));
  cmd->add_option("--signal", options->signals,
                  "A numeric column of the activity or invoice records to learn from (usage, tickets, ...); "
                  "the month's value is the sum of its rows; blank: not observed. Repeatable")
      ->type_name("NAME");
  cmd->add_option("--features-csv", options->features_csv,
                  "Also write every customer-month's features and label to this CSV file")
      ->type_name("FILE");
  add_csv_raw_flag(*cmd, options->out.csv_raw);
  cmd->add_option("--seed", options->seed,
                  "Seed of the training sample (see --max-training-rows); same seed, same scores")
      ->default_val(1);
  cmd->add_option("--sort", options->sort,
                  "Order: probability (default) or revenue-at-risk (probability x revenue)")
      ->check(CLI::IsMember({"probability", "revenue-at-risk"}));
  cmd->add_option("--top", options->top, "Show at most N customers (0: all)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1000000000}));
  cmd->add_option("--backtest", options->backtest,
                  "Rolling-origin backtest over the last K months with a known outcome (default 3; "
                  "0: none)")
      ->check(CLI::Range(0, 60));
  cmd->add_option("--max-training-rows", options->max_training_rows,
                  "Train on a seeded random sample of about this many customer-months when there "
                  "are more (default 100000)")
      ->check(CLI::Range(std::size_t{100}, std::size_t{100000000}));
  cmd->add_option("--trees", options->trees, "Boosting rounds (default 80)")
      ->check(CLI::Range(1, 5000));
  cmd->add_option("--max-depth", options->max_depth, "Depth of each tree (default 3)")
      ->check(CLI::Range(1, 12));
  return [options, io] { return churn_risk(*options, io); };
}

}  // namespace csm::cli
