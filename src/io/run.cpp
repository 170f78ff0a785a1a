// The pieces every run shares (grouping column, data-quality warnings, the row of a revenue
// overflow, the cohort range) and the runs of `cohorts` and `at-risk`. run_metrics is in
// run_metrics.cpp.

#include "csm/io/run.hpp"

#include <algorithm>
#include <ctime>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_sink.hpp"
#include "csm/error.hpp"
#include "run_detail.hpp"
#include "text_output.hpp"

namespace csm::io {

namespace detail {

void throw_wrong_kind(const std::vector<std::string>& inputs, const std::string& message) {
  throw InputError(inputs.empty() || inputs.front() == "-" ? "<stdin>" : inputs.front(), 0, "", message);
}

void skipped_messages(const ReadReport& input, bool with_total, std::vector<RunMessage>& messages) {
  for (const std::string& message : input.skipped_messages) {
    messages.push_back({RunMessage::Level::skipped, message});
  }
  if (with_total && input.skipped > input.skipped_messages.size()) {
    messages.push_back({RunMessage::Level::total,
                        "skipped " + std::to_string(input.skipped) + " invalid records in all"});
  }
}

}  // namespace detail

Date system_today() { return Date{static_cast<std::int32_t>(std::time(nullptr) / 86400)}; }

void add_group_column(const std::string& by, ReadOptions& read) {
  if (by.empty()) return;
  if (std::find(read.required_columns.begin(), read.required_columns.end(), "segment") !=
      read.required_columns.end()) {
    return;  // already read as the segment
  }
  const std::string wanted = text::ascii_lower(by);
  if (wanted != "segment") {
    // A column that the records already read as one of their own fields (customer_id, period,
    // revenue, ..., or the input column of a --column rename) cannot also be the group.
    std::string field;
    for (const auto& [canonical, input] : read.renames) {
      if (text::ascii_lower(input) == wanted && text::ascii_lower(canonical) != "segment") field = canonical;
    }
    for (const auto* columns : {&activity_columns(), &subscription_columns()}) {
      for (const std::string& name : *columns) {
        // A field renamed to another input column (--column revenue=MRR) leaves its name free.
        const bool moved = std::any_of(read.renames.begin(), read.renames.end(),
                                       [&name](const auto& r) { return text::ascii_lower(r.first) == name; });
        if (field.empty() && name == wanted && !moved) field = name;
      }
    }
    if (!field.empty()) {
      throw RequestError("--by " + quote_for_message(by) + ": that column is read as the records' " +
                         field + "; --by takes another column to group on, such as segment, plan or "
                         "country");
    }
    read.renames.emplace_back("segment", by);
  }
  read.required_columns.emplace_back("segment");
}

std::vector<DataWarning> data_quality_warnings(RecordKind kind, const ReadReport& input,
                                               const DataProfile& quality, bool dedupe, Date today,
                                               std::vector<std::string>& warnings,
                                               std::vector<RunMessage>& messages) {
  DataProfile::Checks checks;
  if (kind == RecordKind::summary) {
    checks.partial = checks.duplicates = checks.overlaps = false;
  } else if (kind == RecordKind::subscription) {
    // Start months: gaps, a short last month and future starts are ordinary for subscriptions.
    checks.gaps = checks.partial = checks.future = checks.overlaps = false;
  }
  if (dedupe) checks.duplicates = false;  // dropped, and counted in input
  // A file read in shares keeps what one stream keeps (each share logs its rows, merged in file
  // order), so the warnings are the same on any number of threads.
  std::vector<DataWarning> found = quality.warnings(input.sources, today, checks);
  for (const DataWarning& w : found) {
    messages.push_back({RunMessage::Level::warning, w.code + ": " + w.message});
    warnings.push_back(w.code + ": " + w.message);
  }
  if (dedupe && input.duplicates_dropped > 0) {
    messages.push_back({RunMessage::Level::note, "--dedupe dropped " + std::to_string(input.duplicates_dropped) +
                                                     " exact duplicate rows"});
  }
  return found;
}

namespace {

// Sums one customer's month in file order and stops at the row that takes it past the limit
// (the reader turns the RevenueOverflow into an InputError naming that row).
class OverflowLocator final : public ActivitySink {
 public:
  OverflowLocator(std::string customer, YearMonth month) : customer_(std::move(customer)), month_(month) {}
  void add(const ActivityRecord& record) override {
    if (record.period != month_ || record.customer_id != customer_) return;
    const std::optional<Money> next = checked_add(sum_, record.revenue);
    if (!next) {
      throw RevenueOverflow("customer " + quote_for_message(customer_) + ", " + to_string(month_) +
                            ": this row takes the month's revenue sum past " + format_money(kMaxMoney));
    }
    sum_ = *next;
  }

 private:
  std::string customer_;
  YearMonth month_;
  Money sum_ = 0;
};

}  // namespace

void throw_overflow(const std::vector<std::string>& inputs, const ReadOptions& read, const RevenueOverflow& e) {
  const bool rereadable = !inputs.empty() &&
                          std::none_of(inputs.begin(), inputs.end(), [](const std::string& f) { return f == "-"; });
  if (rereadable && e.month()) {
    // Rare: read the files again, in order and on one thread, to name the row that crossed the
    // limit; the first read summed the month in shares, where no single row crosses it.
    ReadOptions again = read;
    again.threads = 1;
    again.profile = nullptr;
    again.bytes_parsed = nullptr;
    DataProfile quality;
    if (again.quality != nullptr) again.quality = &quality;
    OverflowLocator locator(e.customer(), *e.month());
    RecordInput input(inputs, again);
    if (input.kind() == RecordKind::activity) input.read(locator);  // throws InputError at the row
  }
  std::string source = inputs.empty() || inputs.front() == "-" ? "<stdin>" : inputs.front();
  if (inputs.size() > 1) source += " (and " + std::to_string(inputs.size() - 1) + " more)";
  throw InputError(source, 0, "revenue", e.what());
}

void check_cohort_range(const ActivityAggregator& aggregator, const ReadReport& report, std::string_view table) {
  const ActivityStats& stats = aggregator.stats();
  if (!stats.first || !stats.last) return;
  const std::int32_t span = stats.last->index - stats.first->index + 1;
  if (span <= kMaxCohortMonths) return;
  const MonthRows& rows = report.month_rows;
  const std::string what = "the data would span " + std::to_string(span) + " months (" +
                           to_string(*stats.first) + " to " + to_string(*stats.last) +
                           "), more than the " + std::to_string(kMaxCohortMonths) + " " +
                           std::string(table) + " covers; check the year";
  // Subscription records (or an --until) make the range otherwise: their reader checks the rows.
  if (!rows.first || !rows.last || rows.first->month != *stats.first || rows.last->month != *stats.last) {
    throw InputError(report.sources.size() == 1 ? report.sources.front() : std::string(), 0, "period", what);
  }
  const std::int32_t low_gap = rows.next_first ? rows.next_first->month.index - rows.first->month.index : 0;
  const std::int32_t high_gap = rows.next_last ? rows.last->month.index - rows.next_last->month.index : 0;
  const MonthRow& blamed = high_gap > low_gap ? *rows.last : *rows.first;
  const MonthRow& other = high_gap > low_gap ? *rows.first : *rows.last;
  throw InputError(blamed.source, blamed.line, "period",
                   to_string(blamed.month) + ": " + what + " (the other end, " + to_string(other.month) +
                       ", is at " + other.source + ":" + std::to_string(other.line) + ")");
}

CohortsRun run_cohorts(const CohortsRequest& request) {
  const std::vector<std::string>& inputs = request.inputs;
  ReadOptions read = request.read;
  add_group_column(request.group_by, read);
  DataProfile quality;
  if (request.data_quality || read.dedupe) read.quality = &quality;
  RecordInput input(inputs, read);
  // Customers by month are what cohorts are made of: activity records, or subscriptions turned
  // into them as compute does. Summary records have no customers.
  const RecordKind kind = input.kind();
  if (kind == RecordKind::summary) {
    detail::throw_wrong_kind(inputs, "cohorts need one row per customer (activity or subscription records); "
                             "summary records have counts only");
  }
  if (kind == RecordKind::transaction) {
    detail::throw_wrong_kind(inputs, "these are transaction records (date, amount): they are read by "
                             "'csm-metrics rfm' and 'csm-metrics predict'");
  }
  CohortsRun run;
  CohortReport& report = run.report;
  ActivityAggregator aggregator;
  aggregator.collect_cohorts(request.options);
  if (!request.group_by.empty()) aggregator.group_by_segment();
  report.group_by = request.group_by;
  try {
    input.read(aggregator);
  } catch (const std::invalid_argument& e) {
    throw RequestError(e.what());
  }
  check_cohort_range(aggregator, input.report());
  aggregator.finish(MetricOptions{}, read.threads);
  report.activity = aggregator.stats();
  report.table = aggregator.take_cohorts();
  report.input = input.report();
  run.data_warnings = data_quality_warnings(kind, report.input, quality, read.dedupe,
                                            request.today.value_or(system_today()), report.warnings,
                                            run.messages);
  add_cohort_warnings(report, request.options.grain);
  if (report.input.skipped > 0) detail::skipped_messages(report.input, false, run.messages);
  return run;
}

void add_cohort_warnings(CohortReport& report, Grain grain) {
  if (report.input.skipped > 0) {
    report.warnings.push_back("skipped " + std::to_string(report.input.skipped) + " invalid records");
  }
  const auto& covered = report.table.months_covered;
  const int full = months_in(grain);
  if (!covered.empty() && covered.front() < full && !report.table.cohorts.empty()) {
    report.warnings.push_back(period_label(report.table.cohorts.front().period, grain) + ": the data covers " +
                              std::to_string(covered.front()) + " of its " + std::to_string(full) + " months");
  }
  if (covered.size() > 1 && covered.back() < full) {
    report.warnings.push_back("the last " + std::string(to_string(grain)) + " covers " +
                              std::to_string(covered.back()) + " of its " + std::to_string(full) +
                              " months: its ages are counted at its last month in the data");
  }
}

AtRiskRun run_at_risk(const AtRiskRequest& request) {
  const std::vector<std::string>& inputs = request.inputs;
  // The same reading as compute: activity records, or subscription records expanded into the
  // activity of their months (csat then has no responses).
  ReadOptions read = request.read;
  read.threads = 1;  // the history is filled in one stream
  DataProfile quality;
  if (request.data_quality || read.dedupe) read.quality = &quality;
  RecordInput input(inputs, read);
  AtRiskRun run;
  AtRiskReport& report = run.report;
  report.options = request.rules;
  CustomerHistory history;
  try {
    const RecordKind kind = input.kind();
    const std::string source = inputs.empty() ? "<stdin>" : inputs.front();
    if (kind == RecordKind::summary) {
      throw InputError(source, 0, "",
                       "at-risk needs records per customer (activity or subscription records), not "
                       "summary records");
    }
    if (kind == RecordKind::transaction) {
      detail::throw_wrong_kind(inputs,
          "these are transaction records (date, amount): they are read by 'csm-metrics rfm' and "
          "'csm-metrics predict' (P(alive) per customer); at-risk reads activity or subscription records");
    }
    input.read(history);
    report.result = history.evaluate(request.rules);
  } catch (const RevenueOverflow& e) {
    throw_overflow(inputs, read, e);
  } catch (const std::invalid_argument& e) {
    throw RequestError(e.what());
  }
  report.input = input.report();
  report.options.as_of = report.result.as_of;
  run.data_warnings = data_quality_warnings(input.kind(), report.input, quality, read.dedupe,
                                            request.today.value_or(system_today()), report.warnings,
                                            run.messages);
  if (report.input.skipped > 0) {
    report.warnings.push_back("skipped " + std::to_string(report.input.skipped) + " invalid records");
    detail::skipped_messages(report.input, false, run.messages);
  }
  if (report.result.as_of && report.result.active_customers == 0) {
    const std::string note = "no customer has revenue in " + to_string(*report.result.as_of);
    report.warnings.push_back(note);
    run.messages.push_back({RunMessage::Level::note, note});
  }
  return run;
}

}  // namespace csm::io
