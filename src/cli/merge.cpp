#include <algorithm>
#include <memory>
#include <set>

#include "cli/alerts.hpp"
#include "cli/csv_option.hpp"
#include "io/text_output.hpp"
#include "cli/input_options.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "cli/terminal.hpp"
#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/cohort_writer.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/predictive_writer.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/source.hpp"
#include "csm/io/state_file.hpp"
#include "csm/summary_metrics.hpp"

namespace csm::cli {
namespace {

struct MergeOptions {
  std::vector<std::string> files;
  OutputOptions out;  // -f, -o, -a, --csv-raw, --color
  bool allow_partial = false;
  bool quiet = false;
  std::string metric = "logo";  // cohort states, table output
  std::string spend;            // activity states: --spend FILE, as compute
  std::string spend_mode = "replace";
  std::vector<std::string> fail_if;  // activity states: --fail-if, as compute
  std::string fail_scope = "latest";
  std::vector<std::string> given;    // the options given, for refusals by state kind
};

bool given(const MergeOptions& options, const std::string& name) {
  return std::find(options.given.begin(), options.given.end(), name) != options.given.end();
}

// Options that apply to one kind of state only.
void refuse_options(const MergeOptions& options, const std::string& kind) {
  const auto refuse = [&](const std::string& name, const std::string& only) {
    if (given(options, name)) {
      throw UsageError("merge " + name + ": applies to " + only + " states; these are " + kind + " states");
    }
  };
  if (kind != "cohorts") refuse("--metric", "cohorts");
  if (kind != "activity") {
    for (const char* name : {"--spend", "--spend-mode", "--fail-if", "--fail-scope", "--all"}) {
      refuse(name, "activity (compute --emit-state)");
    }
  }
}

// Shards missing: refused without --allow-partial; with it, a warning on stderr (even with -q:
// the numbers are not those of the whole data) that the output carries too.
void missing_shards(const MergeOptions& options, Streams io, const std::vector<std::uint32_t>& missing,
                    std::uint32_t count, const std::string& first_name, const std::string& covers,
                    std::vector<std::string>& warnings) {
  if (missing.empty()) return;
  const std::string what = missing_shards_text(missing, count);
  if (!options.allow_partial) throw InputError(first_name, 0, "", what + " (--allow-partial merges what there is)");
  const std::string note = "partial merge: " + what + "; " + covers;
  warnings.push_back(note);
  io.err << "csm-metrics: warning: " << note << '\n';
}

// compute and cohorts refuse inputs without records; so does a merge whose states have none.
void require_records(std::uint64_t records, std::uint64_t skipped) {
  if (records == 0 && skipped == 0) {
    throw InputError("", 0, "", "no records in any state: expected at least one data record");
  }
  if (records == 0) {
    throw InputError("", 0, "", "no valid records: all " + std::to_string(skipped) +
                                    " records of the states were invalid and skipped");
  }
}

// As compute --by: at most kMaxGroups groups in all.
void check_group_count(std::size_t groups, const std::string& by) {
  if (groups > ActivityAggregator::kMaxGroups) {
    throw UsageError("--by " + by + ": more than " + std::to_string(ActivityAggregator::kMaxGroups) +
                     " distinct values in the grouping column (in the merged states)");
  }
}

// The first setting in which `b` differs from `a`, as "name (a vs b)"; empty when all agree.
std::string setting_difference(const io::ActivityState& a, const io::ActivityState& b) {
  const auto differ = [](const std::string& name, const std::string& x, const std::string& y) {
    return name + " " + x + " here, " + y + " in the first state";
  };
  if (a.options.csat_threshold != b.options.csat_threshold) {
    return differ("--csat-threshold", std::to_string(b.options.csat_threshold), std::to_string(a.options.csat_threshold));
  }
  // Exact comparison: the states hold the values bit for bit (%.17g).
  if (a.options.gross_margin != b.options.gross_margin) {  // NOLINT(clang-diagnostic-float-equal)
    return differ("--gross-margin", io::shortest_double_text(b.options.gross_margin),
                  io::shortest_double_text(a.options.gross_margin));
  }
  if (a.options.discount_rate != b.options.discount_rate) {
    return differ("--discount-rate", io::shortest_double_text(b.options.discount_rate),
                  io::shortest_double_text(a.options.discount_rate));
  }
  if (a.options.quick_ratio_reactivation != b.options.quick_ratio_reactivation) {
    const auto text = [](bool on) { return std::string(on ? "off" : "on"); };
    return differ("--quick-ratio-without-reactivation", text(b.options.quick_ratio_reactivation),
                  text(a.options.quick_ratio_reactivation));
  }
  if (a.grain != b.grain) {
    return differ("--grain", std::string(to_string(b.grain)), std::string(to_string(a.grain)));
  }
  if (a.group_by != b.group_by) {
    const auto text = [](const std::string& by) { return by.empty() ? std::string("(none)") : quote_for_message(by); };
    return differ("--by", text(b.group_by), text(a.group_by));
  }
  if (a.subscriptions != b.subscriptions) {
    const auto text = [](bool subscriptions) { return std::string(subscriptions ? "subscription" : "activity"); };
    return differ("records:", text(b.subscriptions), text(a.subscriptions));
  }
  if (a.invoices != b.invoices) {
    const auto text = [](bool invoices) { return std::string(invoices ? "invoice" : "not invoice"); };
    return differ("records:", text(b.invoices), text(a.invoices));
  }
  if (a.until != b.until) {
    const auto text = [](const std::optional<YearMonth>& m) { return m ? to_string(*m) : std::string("(none)"); };
    return differ("--until", text(b.until), text(a.until));
  }
  return {};
}

// Invoice states: the counts and non-recurring sums add up in any split of the lines. The base
// currency must be one: --currency, or the one currency of the lines (a shard without a currency
// named takes the others'), as compute over all the lines would require.
InvoiceStats merge_invoice_stats(const std::vector<io::ActivityState>& states, const std::vector<std::string>& names,
                                 const std::vector<std::size_t>& by_shard) {
  InvoiceStats total;
  std::size_t currency_from = states.size();
  for (const std::size_t i : by_shard) {
    if (i == states.size() || !states[i].invoice_stats) continue;
    const InvoiceStats& part = *states[i].invoice_stats;
    if (!part.currency.empty()) {
      if (total.currency.empty()) {
        total.currency = part.currency;
        currency_from = i;
      } else if (part.currency != total.currency) {
        throw InputError(names[i], 0, "",
                         "settings differ from " + names[currency_from] + ": currency " + part.currency +
                             " here, " + total.currency + " there (give every shard the same --currency, "
                             "with --fx for the other currencies)");
      }
    }
    add_invoice_stats(total, part);
  }
  return total;
}

// The sources and counts of one shard's read, after those of the shards before it.
template <typename State>
void add_shard_input(io::ReadReport& input, const State& state) {
  input.sources.insert(input.sources.end(), state.sources.begin(), state.sources.end());
  input.records += state.records;
  input.skipped += state.skipped;
}

// The shard of each state, checked: one N, no shard twice; returns the state index by shard
// (states.size() for a missing shard) and names the missing ones in `missing`.
template <typename State>
std::vector<std::size_t> check_shards(const std::vector<State>& states, const std::vector<std::string>& names,
                                      std::vector<std::uint32_t>& missing) {
  const State& head = states.front();
  std::vector<std::size_t> by_shard(head.shard_count, states.size());
  for (std::size_t i = 0; i < states.size(); ++i) {
    const State& s = states[i];
    if (s.shard_count != head.shard_count) {
      throw InputError(names[i], 0, "",
                       "shard " + std::to_string(s.shard) + "/" + std::to_string(s.shard_count) +
                           ", but " + names[0] + " is shard " + std::to_string(head.shard) + "/" +
                           std::to_string(head.shard_count) + " (a different number of shards)");
    }
    std::size_t& slot = by_shard[s.shard];
    if (slot != states.size()) {
      throw InputError(names[i], 0, "",
                       "shard " + std::to_string(s.shard) + "/" + std::to_string(s.shard_count) +
                           " again: " + names[slot] + " is the same shard (overlapping states)");
    }
    slot = i;
  }
  for (std::uint32_t k = 0; k < head.shard_count; ++k) {
    if (by_shard[k] == states.size()) missing.push_back(k);
  }
  return by_shard;
}

}  // namespace

// rfm states: the customers of the shards concatenate (in id order), the totals add.
MergedRfm merge_rfm_states(const std::vector<std::string>& texts, const std::vector<std::string>& names,
                           bool allow_partial) {
  std::vector<io::RfmState> states;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    states.push_back(io::parse_rfm_state(texts[i], names[i]));
    io::check_state_tool_version(states.back().tool_version, CSM_VERSION, names[i]);
  }
  const io::RfmState& head = states.front();
  for (std::size_t i = 0; i < states.size(); ++i) {
    const RfmSummary& a = head.summary;
    const RfmSummary& b = states[i].summary;
    if (a.end != b.end) {
      throw InputError(names[i], 0, "", "settings differ from " + names[0] + ": --end " + to_string(b.end) +
                                            " here, " + to_string(a.end) + " in the first state");
    }
    if (a.unit != b.unit) {
      throw InputError(names[i], 0, "", "settings differ from " + names[0] + ": --unit " +
                                            std::string(to_string(b.unit)) + " here, " +
                                            std::string(to_string(a.unit)) + " in the first state");
    }
    if (head.periods != states[i].periods) {
      const auto text = [](const std::string& p) { return p.empty() ? std::string("none") : p; };
      throw InputError(names[i], 0, "", "settings differ from " + names[0] + ": --periods " +
                                            text(states[i].periods) + " here, " + text(head.periods) +
                                            " in the first state");
    }
  }
  std::vector<std::uint32_t> missing;
  const std::vector<std::size_t> by_shard = check_shards(states, names, missing);
  MergedRfm merged;
  merged.input.kind = io::RecordKind::transaction;
  if (!missing.empty()) {
    const std::string what = missing_shards_text(missing, head.shard_count);
    if (!allow_partial) throw InputError(names[0], 0, "", what + " (--allow-partial merges what there is)");
    merged.warnings.push_back("partial merge: " + what + "; the customers are those of the other shards only");
  }
  RfmSummary& summary = merged.summary;
  summary.unit = head.summary.unit;
  summary.end = head.summary.end;
  for (const std::size_t i : by_shard) {
    if (i == states.size()) continue;
    const io::RfmState& s = states[i];
    add_shard_input(merged.input, s);
    summary.transactions += s.summary.transactions;
    summary.transactions_used += s.summary.transactions_used;
    summary.excluded_customers += s.summary.excluded_customers;
    summary.customers_with_repeats += s.summary.customers_with_repeats;
    summary.repeat_occasions += s.summary.repeat_occasions;
    summary.customers.insert(summary.customers.end(), s.summary.customers.begin(), s.summary.customers.end());
    summary.periods.insert(summary.periods.end(), s.summary.periods.begin(), s.summary.periods.end());
  }
  merged.periods = head.periods;
  if (!merged.periods.empty()) {
    // BG/BB period histories (rfm --emit-state --periods) follow their customers.
    std::vector<std::size_t> order(summary.customers.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return summary.customers[a].customer_id < summary.customers[b].customer_id;
    });
    std::vector<RfmCustomer> customers;
    std::vector<PeriodHistory> periods;
    customers.reserve(order.size());
    periods.reserve(order.size());
    for (const std::size_t i : order) {
      customers.push_back(std::move(summary.customers[i]));
      periods.push_back(summary.periods[i]);
    }
    summary.customers = std::move(customers);
    summary.periods = std::move(periods);
  }
  std::sort(summary.customers.begin(), summary.customers.end(),
            [](const RfmCustomer& a, const RfmCustomer& b) { return a.customer_id < b.customer_id; });
  for (std::size_t i = 1; i < summary.customers.size(); ++i) {
    if (summary.customers[i - 1].customer_id == summary.customers[i].customer_id) {
      throw InputError(names[0], 0, "", "customer " + quote_for_message(summary.customers[i].customer_id) +
                                            " is in two states: not customer shards");
    }
  }
  require_records(merged.input.records, merged.input.skipped);
  if (summary.customers.empty()) {
    throw InputError(names[0], 0, "", "no purchase on or before --end " + to_string(summary.end) + " in any state");
  }
  return merged;
}

namespace {

int merge_rfm(const MergeOptions& options, Streams io, const std::vector<std::string>& texts,
              const std::vector<std::string>& names) {
  MergedRfm merged = merge_rfm_states(texts, names, options.allow_partial);
  io::RfmReport report;
  report.version = CSM_VERSION;
  report.input = std::move(merged.input);
  report.summary = std::move(merged.summary);
  report.warnings = std::move(merged.warnings);
  for (const std::string& w : report.warnings) io.err << "csm-metrics: warning: " << w << '\n';
  // As `rfm` does (src/cli/rfm.cpp).
  report.notes.push_back(
      "x counts repeat purchase occasions (distinct purchase days after the first) on or "
      "before end; purchases of one customer on the same day are one occasion");
  write_output(options.out.output, io, report_text(report, options.out.format, options.out.csv_raw, {}));
  return kOk;
}

// cohorts states: month tables add up, then roll up to the grain over the whole range.
int merge_cohorts(const MergeOptions& options, Streams io, const std::vector<std::string>& texts,
                  const std::vector<std::string>& names) {
  std::vector<io::CohortState> states;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    states.push_back(io::parse_cohort_state(texts[i], names[i]));
    io::check_state_tool_version(states.back().tool_version, CSM_VERSION, names[i]);
  }
  const io::CohortState& head = states.front();
  for (std::size_t i = 0; i < states.size(); ++i) {
    const io::CohortState& s = states[i];
    std::string difference;
    if (s.options.grain != head.options.grain) {
      difference = "--grain " + std::string(to_string(s.options.grain)) + " here, " +
                   std::string(to_string(head.options.grain)) + " in the first state";
    } else if (s.options.exclude_reactivated != head.options.exclude_reactivated) {
      difference = std::string("--exclude-reactivated ") + (s.options.exclude_reactivated ? "on" : "off") +
                   " here, " + (head.options.exclude_reactivated ? "on" : "off") + " in the first state";
    } else if (s.group_by != head.group_by) {
      difference = "--by " + (s.group_by.empty() ? std::string("(none)") : quote_for_message(s.group_by)) +
                   " here, " + (head.group_by.empty() ? std::string("(none)") : quote_for_message(head.group_by)) +
                   " in the first state";
    }
    if (!difference.empty()) {
      throw InputError(names[i], 0, "", "settings differ from " + names[0] + ": " + difference);
    }
  }
  std::vector<std::uint32_t> missing;
  const std::vector<std::size_t> by_shard = check_shards(states, names, missing);
  io::CohortReport report;
  report.version = CSM_VERSION;
  report.group_by = head.group_by;
  report.input.kind = io::RecordKind::activity;
  missing_shards(options, io, missing, head.shard_count, names[0], "the cohorts cover the other shards only",
                 report.warnings);
  CohortTable monthly;
  ActivityStats& st = report.activity;
  for (const std::size_t i : by_shard) {
    if (i == states.size()) continue;
    const io::CohortState& s = states[i];
    add_shard_input(report.input, s);
    st.records += s.stats.records;
    st.zero_revenue_records += s.stats.zero_revenue_records;
    st.customers += s.stats.customers;
    st.customer_months += s.stats.customer_months;
    st.has_acquisition_cost = st.has_acquisition_cost || s.stats.has_acquisition_cost;
    if (s.stats.first && (!st.first || *s.stats.first < *st.first)) st.first = s.stats.first;
    if (s.stats.last && (!st.last || *st.last < *s.stats.last)) st.last = s.stats.last;
    add_month_cohorts(monthly, s.monthly);
  }
  require_records(report.input.records, report.input.skipped);
  check_group_count(monthly.groups.size(), head.group_by);
  if (st.first) {
    report.table = roll_up_cohorts(monthly, *st.first, *st.last, head.options);
  } else {
    report.table.options = head.options;
  }
  io::add_cohort_warnings(report, head.options.grain);  // as `cohorts` does (io::run_cohorts)
  write_output(options.out.output, io, cohort_text(report, options.out, options.metric, {}, io.out));
  return kOk;
}

int merge(const MergeOptions& options, Streams io) {
  if (options.files.empty()) throw UsageError("merge: give the state files to merge");
  // A malformed threshold stops the run before any reading, as in compute (group-only fields are
  // checked against the states' --by once they are read).
  (void)parse_fail_if(options.fail_if, true);
  std::vector<std::string> texts;
  std::vector<std::string> names;
  for (const std::string& path : options.files) {
    texts.push_back(read_state_file(path));
    names.push_back(path == "-" ? "<stdin>" : path);
  }
  const std::string kind = io::state_kind(texts.front(), names.front());
  refuse_options(options, kind);
  if (kind == "rfm") return merge_rfm(options, io, texts, names);
  if (kind == "cohorts") return merge_cohorts(options, io, texts, names);
  std::vector<io::ActivityState> states;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    states.push_back(io::parse_activity_state(texts[i], names[i]));
    io::check_state_tool_version(states.back().tool_version, CSM_VERSION, names[i]);
  }
  // Every check before any output: the shards must make one whole with one set of settings.
  const io::ActivityState& head = states.front();
  for (std::size_t i = 0; i < states.size(); ++i) {
    const std::string difference = setting_difference(head, states[i]);
    if (!difference.empty()) {
      throw InputError(names[i], 0, "", "settings differ from " + names[0] + ": " + difference);
    }
  }
  std::vector<std::uint32_t> missing;
  const std::vector<std::size_t> by_shard = check_shards(states, names, missing);
  io::MetricsReport report;
  missing_shards(options, io, missing, head.shard_count, names[0], "the metrics cover the other shards only",
                 report.warnings);

  // In shard order: the sources are listed as a single run over the shards' files in that order.
  ActivityRaw raw;
  raw.grouped = head.raw.grouped;
  raw.grain = head.raw.grain;
  report.input.kind = head.subscriptions ? io::RecordKind::subscription : io::RecordKind::activity;
  if (head.invoices) {
    report.input.kind = io::RecordKind::invoice;
    report.input.invoices = merge_invoice_stats(states, names, by_shard);
  }
  for (const std::size_t i : by_shard) {
    if (i == states.size()) continue;
    const io::ActivityState& s = states[i];
    add_raw(raw, s.raw);
    add_shard_input(report.input, s);
  }
  // As compute refuses: no records, too many groups, --until before every subscription.
  require_records(report.input.records, report.input.skipped);
  check_group_count(raw.groups.size(), head.group_by);
  if (head.subscriptions && !raw.stats.first) {
    throw UsageError("--until " + to_string(*head.until) + " is before the month of every start_date");
  }

  report.version = CSM_VERSION;
  report.kind = report.input.kind;
  report.options = head.options;
  if (raw.grouped) {
    report.group_by = head.group_by;
    report.periods = periods_from_raw(raw, head.options, &report.groups);
  } else {
    report.periods = periods_from_raw(raw, head.options);
  }
  report.activity = raw.stats;

  // From here on exactly what compute does after reading (io::finish_metrics, compute.cpp).
  io::FinishRequest finish;
  finish.spend = options.spend;
  finish.spend_mode = io::text::ascii_lower(options.spend_mode) == "add" ? SpendMode::add : SpendMode::replace;
  finish.spend_read.threads = io::effective_threads(0);
  finish.grain = head.grain;
  finish.raw = &raw;
  std::vector<io::RunMessage> messages;
  io::finish_metrics(report, finish, messages);
  print_messages(messages, options.quiet, io.err);
  messages.clear();
  io::check_thresholds(report, parse_fail_if(options.fail_if, raw.grouped),
                       io::text::ascii_lower(options.fail_scope) == "all" ? ThresholdScope::all
                                                                          : ThresholdScope::latest,
                       messages);
  print_messages(messages, options.quiet, io.err);
  return write_metrics(report, options.out, io);
}

}  // namespace

CommandRunner add_merge_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<MergeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "Merge partial states of customer shards (compute --emit-state) into the metrics "
               "one compute over all the inputs gives (docs/scale-out.md)");
  cmd->add_option("states", options->files, "State files (.csmstate), any order")->required();
  cmd->add_option("-f,--format", options->out.format, "Output: table (default), json or csv")
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  cmd->add_flag("--allow-partial", options->allow_partial,
                "Merge even when shards are missing (a warning names them)");
  add_table_output_options(*cmd, options->out);
  cmd->add_flag("-q,--quiet", options->quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("--metric", options->metric,
                  "Cohort states, table: logo (default), revenue or both (as cohorts --metric)")
      ->transform(CLI::IsMember({"logo", "revenue", "both"}, CLI::ignore_case));
  CLI::Option* spend = cmd->add_option("--spend", options->spend,
                  "States of compute --emit-state (from activity, subscription or invoice records): "
                  "marketing spend per month as acquisition_cost, as compute --spend")
      ->type_name("FILE");
  cmd->add_option("--spend-mode", options->spend_mode,
                  "With --spend: replace (default) the records' acquisition_cost, or add to it")
      ->transform(CLI::IsMember({"replace", "add"}, CLI::ignore_case))
      ->needs(spend);
  cmd->add_option("--fail-if", options->fail_if,
                  "States of compute --emit-state (from any record kind it reads): exit with status 1 "
                  "when FIELD OP NUMBER holds, as compute --fail-if")
      ->type_name("EXPR")
      ->allow_extra_args(false);
  cmd->add_option("--fail-scope", options->fail_scope,
                  "Periods --fail-if checks: latest (default, the last month) or all")
      ->transform(CLI::IsMember({"latest", "all"}, CLI::ignore_case));
  return [options, io, cmd] {
    for (const char* name : {"--metric", "--spend", "--spend-mode", "--fail-if", "--fail-scope", "--all"}) {
      if (cmd->get_option(name)->count() > 0) options->given.emplace_back(name);
    }
    return merge(*options, io);
  };
}

}  // namespace csm::cli
