// run_metrics: records into the metrics of their periods, as compute, check, report and
// movements print them; finish_metrics: the spend, summaries and roll-up after the aggregation,
// shared with merge.

#include <algorithm>

#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "csm/group_metrics.hpp"
#include "csm/io/explain.hpp"
#include "csm/io/run.hpp"
#include "csm/summary_metrics.hpp"
#include "run_detail.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

// --spend: read the spend file with the same readers and rules (not the --column renames, which
// are for the customer records) and put its month totals into acquisition_cost, of all customers
// and, with --by, of each group the spend names.
void add_spend(const FinishRequest& request, MetricsReport& report, std::vector<RunMessage>& messages) {
  ReadOptions spend_read = request.spend_read;
  spend_read.kind = RecordKind::spend;
  spend_read.renames.clear();
  spend_read.required_columns.clear();  // --by's column is optional in a spend file
  spend_read.bytes_parsed = nullptr;
  spend_read.profile = nullptr;
  spend_read.shard = 0;
  spend_read.shard_count = 0;
  spend_read.allow_empty = false;
  spend_read.until.reset();
  spend_read.quality = nullptr;
  spend_read.dedupe = false;
  // With --by COLUMN, a COLUMN column in the spend file says which group each amount was for.
  const std::string& by = report.group_by;
  SpendGroupColumn group_column = SpendGroupColumn::none;
  if (!by.empty()) {
    const std::string lower = text::ascii_lower(by);
    group_column = lower == "channel" ? SpendGroupColumn::channel : SpendGroupColumn::segment;
    if (lower != "segment" && lower != "channel") spend_read.renames.emplace_back("segment", by);
  }
  RecordInput input({request.spend}, spend_read);
  SpendTotals totals(group_column);
  input.read(totals);
  SpendReport spend;
  spend.input = input.report();
  spend.mode = request.spend_mode;
  spend.applied = apply_spend(report.periods, totals, spend.mode, report.options);
  std::vector<std::string> notes;
  if (!by.empty()) {
    const GroupSpendApplied groups = apply_spend_to_groups(report.groups, totals, spend.mode, report.options);
    if (!groups.attributed) {
      notes.push_back(spend.mode == SpendMode::replace
                          ? "the spend file has no " + by +
                                " values: the groups' acquisition_cost and cac are unknown (null); "
                                "give the spend a " + by + " column to split it"
                          : "the spend file has no " + by +
                                " values: the spend is added to the all-customers figures only");
    }
    if (!groups.unknown.empty()) {
      std::string names;
      for (const std::string& name : groups.unknown) names += (names.empty() ? "" : ", ") + name;
      notes.push_back("spend for " + by + " values without customers (" + names + ", " +
                      format_money(groups.unknown_amount) + ") is in the all-customers figures only");
    }
    if (groups.attributed && groups.ungrouped > 0) {
      notes.push_back("spend rows without a " + by + " value (" + format_money(groups.ungrouped) +
                      ") are in the all-customers figures only");
    }
  }
  if (spend.input.skipped > 0) {
    notes.push_back("skipped " + std::to_string(spend.input.skipped) + " invalid spend records");
    detail::skipped_messages(spend.input, false, messages);
  }
  if (spend.applied.replaced_record_costs) {
    notes.push_back("--spend replaces the acquisition_cost of the records (--spend-mode add adds "
                    "the two)");
  }
  if (!spend.applied.outside.empty()) {
    std::string months;
    for (const YearMonth month : spend.applied.outside) {
      months += (months.empty() ? "" : ", ") + to_string(month);
    }
    notes.push_back("spend in months outside the data left out: " + months + " (" +
                    format_money(spend.applied.total - spend.applied.applied) + ")");
  }
  for (const std::string& note : notes) {
    messages.push_back({RunMessage::Level::warning, note});
    report.warnings.push_back(note);
  }
  report.spend = std::move(spend);
}

// --grain quarter|year: the monthly periods (and groups) replaced by those of the grain, with a
// warning for each period the data covers only in part. Activity records give `raw` (the
// aggregation they were finished from, counted at that grain): customers and MRR then come from
// the period-end snapshots. Summary records (raw == nullptr) can only sum their months.
void roll_up_report(MetricsReport& report, const ActivityRaw* raw) {
  if (report.grain == Grain::month) return;
  const MetricOptions& options = report.options;
  GrainPeriods rolled;
  if (raw != nullptr) {
    rolled = roll_up(report.periods, *raw, options, &report.groups);
  } else {
    for (GroupPeriods& g : report.groups) g = roll_up(g, report.grain, options);
    rolled = roll_up(report.periods, report.grain, options);
  }
  report.periods = std::move(rolled.periods);
  report.period_months = std::move(rolled.months);
  const int full = months_in(report.grain);
  for (std::size_t i = 0; i < report.periods.size(); ++i) {
    if (report.period_months[i] < full) {
      report.warnings.push_back(period_label(report.periods[i].period, report.grain) + ": the data covers " +
                                std::to_string(report.period_months[i]) + " of its " + std::to_string(full) +
                                " months");
    }
  }
}

}  // namespace

std::string threshold_where(const ThresholdCheck& check, Grain grain) {
  std::string text = check.period ? "in " + period_label(*check.period, grain) : "over all months";
  // The group's value comes from the data: escaped and cut (text::group_label), so that it
  // cannot end the line or forge another one.
  if (check.is_group) text += " (group " + text::group_label(check.group) + ")";
  return text;
}

void check_thresholds(MetricsReport& report, const std::vector<Threshold>& thresholds, ThresholdScope scope,
                      std::vector<RunMessage>& messages) {
  if (thresholds.empty()) return;
  // All customers, then each group with --by (the group's own summary, from its months).
  std::vector<ThresholdSeries> series{{"", report.periods, report.summary, {}}};
  for (std::size_t g = 0; g < report.groups.size(); ++g) {
    const GroupPeriods& group = report.groups[g];
    // The label is the value itself ("" for rows without one): JSON carries it as it is, the
    // stderr line shows it through text::group_label.
    series.push_back({group.group, group.periods,
                      g < report.group_summaries.size() ? report.group_summaries[g] : RangeSummary{},
                      group.moves, true});
  }
  report.thresholds = evaluate_thresholds(thresholds, series, scope);
  std::vector<std::string> notes;
  for (const Threshold& t : thresholds) {
    if (t.group_only) {
      notes.push_back("--fail-if " + t.expression + ": " + t.field +
                      " is a field of groups only: checked for each group, not for all customers");
    }
  }
  for (const ThresholdCheck& check : *report.thresholds) {
    if (check.value) continue;
    notes.push_back("--fail-if " + check.threshold.expression + ": " + check.threshold.field + " is null " +
                    threshold_where(check, report.grain) + ": " + check.null_reason);
  }
  for (const std::string& note : notes) {
    report.warnings.push_back(note);
    messages.push_back({RunMessage::Level::note, note});
  }
}

void finish_metrics(MetricsReport& report, const FinishRequest& request, std::vector<RunMessage>& messages) {
  // Spend and the data report apply to the months, before any roll-up to quarters or years.
  if (!request.spend.empty()) add_spend(request, report, messages);
  report.summary = summarize(report.periods);  // from the months, whatever the grain
  if (request.profile != nullptr) {
    report.explain = make_explain(report.kind, report.input, report.activity, report.periods, *request.profile);
    if (report.spend) {  // the spend file's invalid values too, by column
      for (const auto& [field, n] : report.spend->input.skipped_by_field) {
        report.explain->invalid_by_field["spend." + field] += n;
      }
    }
  }
  for (const GroupPeriods& g : report.groups) report.group_summaries.push_back(summarize(g.periods));
  report.grain = request.grain;
  roll_up_report(report, request.raw);

  if (report.input.skipped > 0) {
    report.warnings.push_back("skipped " + std::to_string(report.input.skipped) + " invalid records");
    detail::skipped_messages(report.input, true, messages);
  }
}

MetricsRun run_metrics(const MetricsRequest& request) {
  const std::vector<std::string>& inputs = request.inputs;
  const std::string& by = request.group_by;
  ReadOptions read = request.read;
  add_group_column(by, read);
  MetricsRun run;
  MetricsReport& report = run.report;
  report.version = CSM_VERSION;
  report.command = request.command;
  report.options = request.metrics;
  const Grain grain = request.grain;
  ActivityRaw raw;  // activity records: what the months (and the periods of the grain) come from
  DataProfile quality;
  ReadOptions with_quality = read;
  if (request.data_quality || read.dedupe) with_quality.quality = &quality;
  RecordInput input(inputs, with_quality);
  try {
    report.kind = input.kind();
    if (report.kind == RecordKind::transaction) {
      detail::throw_wrong_kind(inputs,
          "these are transaction records (date, amount): they are read by 'csm-metrics rfm' and "
          "'csm-metrics predict'; " + request.command + " reads activity, subscription or summary records");
    }
    if (report.kind == RecordKind::summary) {
      if (request.movements) {
        throw InputError(inputs.empty() ? "<stdin>" : inputs.front(), 0, "",
                         "these are summary records (one row per month, counts only): " + request.command +
                             " needs one row per customer (activity or subscription records)");
      }
      if (!by.empty()) throw RequestError("--by needs activity records (one row per customer and month)");
      SummaryAggregator aggregator;
      input.read(aggregator);
      report.periods = aggregator.finish(request.metrics);
    } else {
      // One pass: the metrics, the groups and the cohorts all come from this aggregation.
      ActivityAggregator aggregator;
      if (!by.empty()) aggregator.group_by_segment();
      if (request.cohorts) aggregator.collect_cohorts(*request.cohorts);
      if (request.movements) aggregator.collect_movements(*request.movements);
      input.read(aggregator);
      if (request.cohorts) check_cohort_range(aggregator, input.report());
      // Each group has a row for every month of the span: a mistyped year would make millions.
      if (!request.cohorts && !by.empty()) check_cohort_range(aggregator, input.report(), "a grouped series (--by)");
      raw = aggregator.finish_raw(read.threads, grain);
      if (request.movements) run.movements = aggregator.take_movements();
      if (!by.empty()) report.group_by = by;
      report.periods = periods_from_raw(raw, request.metrics, raw.grouped ? &report.groups : nullptr);
      report.activity = raw.stats;
      if (const auto& subscriptions = input.report().subscriptions) {
        report.activity->zero_revenue_records = subscriptions->zero_mrr;  // rows as read
      }
      if (const auto& invoices = input.report().invoices) {
        report.activity->zero_revenue_records = invoices->trial_lines;  // lines as read
      }
      if (request.cohorts) run.cohorts = aggregator.take_cohorts();
    }
  } catch (const RevenueOverflow& e) {
    throw_overflow(inputs, read, e);
  } catch (const TooManyGroups& e) {
    throw RequestError("--by " + by + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw RequestError(e.what());
  }
  report.input = input.report();
  report.data_warnings = data_quality_warnings(report.kind, report.input, quality, read.dedupe,
                                               request.today.value_or(system_today()), report.warnings,
                                               run.messages);
  FinishRequest finish;
  finish.spend = request.spend;
  finish.spend_mode = request.spend_mode;
  finish.spend_read = read;
  finish.profile = read.profile;
  finish.grain = grain;
  finish.raw = report.kind == RecordKind::summary ? nullptr : &raw;
  finish_metrics(report, finish, run.messages);
  check_thresholds(report, request.thresholds, request.threshold_scope, run.messages);
  return run;
}

}  // namespace csm::io
