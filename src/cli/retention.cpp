// `csm-metrics retention`: sBG and BdW fits of cohort survival, projections and DERL
// (docs/retention.md). `forecast` is in forecast.cpp.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <unordered_map>
#include <stdexcept>

#include "io/text_output.hpp"
#include "cli/option_checks.hpp"
#include "cli/commands.hpp"
#include "cli/input_options.hpp"
#include "cli/run.hpp"
#include "cli/transactions.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/activity_sink.hpp"
#include "csm/decimal.hpp"
#include "csm/cohorts.hpp"
#include "csm/contractual.hpp"
#include "csm/error.hpp"
#include "csm/io/record_input.hpp"
#include "csm/io/output_file.hpp"
#include "csm/io/retention_writer.hpp"
#include "csm/io/source.hpp"

#include "cli/retention_options.hpp"

namespace csm::cli {

io::ReadOptions read_options(const RetentionOptions& o) {
  io::ReadOptions read;
  read.format = input_format_named(o.input_format);
  read.kind = io::record_kind_named(o.kind);
  if (!o.until.empty()) {
    YearMonth until;
    if (parse_period(o.until, until) != PeriodError::ok || o.until.size() != 7) {
      throw UsageError("--until " + o.until + ": expected a month as YYYY-MM");
    }
    read.until = until;
  }
  read.renames = parse_renames(o.columns);
  if (!o.by.empty()) {
    if (io::text::ascii_lower(o.by) != "segment") read.renames.emplace_back("segment", o.by);
    read.required_columns.emplace_back("segment");
  }
  read.skip_invalid = o.skip_invalid;
  read.threads = io::effective_threads(o.threads);
  return read;
}

namespace {

std::string fmt_count(double v) { return fmt::format("{:.0f}", v); }

struct NamedCohort {
  std::string name;
  std::vector<double> active;
};

// The first line of a regular file (up to 64 KiB), to tell a survival table from records.
std::string first_line_of(const std::string& path) {
  io::InputSource source = io::InputSource::open(path);
  std::string text(65536, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const std::size_t n = source.read(text.data() + got, text.size() - got);
    if (n == 0) break;
    got += n;
    if (text.find('\n') < got) break;
  }
  text.resize(got);
  const std::size_t end = text.find('\n');
  std::string line = end == std::string::npos ? text : text.substr(0, end);
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  return line;
}

std::string read_all(const std::string& path) {
  io::InputSource source = io::InputSource::open(path);
  std::string text;
  std::string chunk(1 << 16, '\0');
  for (;;) {
    const std::size_t n = source.read(chunk.data(), chunk.size());
    if (n == 0) break;
    text.append(chunk.data(), n);
  }
  return text;
}


// Cohorts from records: customers by the period of their first active month, counted at each
// later period while they have been active every month since (a survival count never rises).
std::vector<NamedCohort> cohorts_from_records(const RetentionOptions& o, std::vector<std::string>& notes,
                                              std::string& kind_name) {
  const io::ReadOptions read = read_options(o);
  io::RecordInput input(o.files, read);
  const io::RecordKind kind = input.kind();
  kind_name = io::to_string(kind);
  if (kind == io::RecordKind::summary || kind == io::RecordKind::transaction) {
    throw_wrong_kind(o.files, "retention needs one row per customer and month (activity or subscription "
                     "records), or a survival table with the columns cohort,period,active");
  }
  if (read.until && kind != io::RecordKind::subscription) {
    throw UsageError("--until applies to subscription records only");
  }
  ActivityAggregator aggregator;
  CohortOptions cohort_options;
  cohort_options.grain = parse_grain(o.grain).value_or(Grain::month);
  cohort_options.exclude_reactivated = true;
  aggregator.collect_cohorts(cohort_options);
  if (!o.by.empty()) aggregator.group_by_segment();
  try {
    input.read(aggregator);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  aggregator.finish(MetricOptions{}, read.threads);
  CohortTable table = aggregator.take_cohorts();
  if (input.report().skipped > 0) {
    notes.push_back("skipped " + std::to_string(input.report().skipped) + " invalid records");
  }
  // A last period the data covers only in part would count its survivors too early: left out.
  const int full = months_in(cohort_options.grain);
  const bool partial_last = !table.months_covered.empty() && table.months_covered.back() < full &&
                            table.months_covered.size() > 1;
  if (partial_last) {
    notes.push_back("the last " + std::string(to_string(cohort_options.grain)) + " of the data covers " +
                    std::to_string(table.months_covered.back()) + " of its " + std::to_string(full) +
                    " months: it is left out of the survival counts");
  }
  std::vector<NamedCohort> out;
  const auto add = [&](const std::string& prefix, const std::vector<Cohort>& cohorts) {
    for (const Cohort& c : cohorts) {
      NamedCohort n;
      n.name = prefix + period_label(c.period, cohort_options.grain);
      n.active.push_back(static_cast<double>(c.customers));
      for (std::size_t k = 1; k < c.ages.size(); ++k) {
        n.active.push_back(static_cast<double>(std::min(c.ages[k].active_customers, c.customers)));
      }
      if (partial_last && !c.ages.empty()) {
        // The cohort's last age falls in the last period of the data.
        if (n.active.size() > 1) {
          n.active.pop_back();
        } else {
          continue;  // joined in the partial period: no full period yet
        }
      }
      out.push_back(std::move(n));
    }
  };
  add("", table.cohorts);
  for (const CohortGroup& g : table.groups) add((g.group.empty() ? "(none)" : g.group) + "/", g.cohorts);
  return out;
}

// Each customer's revenue by month (a second pass over the records for --customers-csv).
class CustomerMonths : public ActivitySink {
 public:
  void add(const ActivityRecord& record) override {
    auto& months = customers_[std::string(record.customer_id)];
    months.emplace_back(record.period.index, record.revenue);
    last_ = std::max(last_, record.period.index);
  }
  void extend_range(YearMonth, YearMonth last) override { last_ = std::max(last_, last.index); }
  std::unordered_map<std::string, std::vector<std::pair<std::int32_t, Money>>>& customers() { return customers_; }
  std::int32_t last() const noexcept { return last_; }

 private:
  std::unordered_map<std::string, std::vector<std::pair<std::int32_t, Money>>> customers_;
  std::int32_t last_ = 0;
};

struct CustomerValue {
  std::string customer_id;
  std::string cohort;
  double renewals = 0;
  MoneySum mrr = 0;
  std::optional<double> derl;
  std::optional<double> value;
};

// Every customer active in the last month of the data and in every month since its first: its
// cohort (by the first active month), renewals made (the cohort's periods observed), MRR (the
// last month's revenue), DERL at its cohort's fit (else the pooled fit) and value.
std::vector<CustomerValue> customer_values(const RetentionOptions& o, const io::RetentionReport& report) {
  CustomerMonths sink;
  io::RecordInput input(o.files, read_options(o));
  input.read(sink);
  const Grain grain = parse_grain(o.grain).value_or(Grain::month);
  std::map<std::string, const io::RetentionCohortResult*> by_name;
  for (const io::RetentionCohortResult& c : report.cohorts) by_name[c.cohort] = &c;
  std::vector<CustomerValue> out;
  for (auto& [id, months] : sink.customers()) {
    std::sort(months.begin(), months.end());
    // Sum each month; keep the active ones.
    std::vector<std::pair<std::int32_t, MoneySum>> active;
    for (const auto& [month, revenue] : months) {
      if (!active.empty() && active.back().first == month) {
        active.back().second += revenue;
      } else {
        active.emplace_back(month, revenue);
      }
    }
    std::erase_if(active, [](const std::pair<std::int32_t, MoneySum>& m) { return m.second <= 0; });
    if (active.empty() || active.back().first != sink.last()) continue;
    const std::int32_t first = active.front().first;
    if (active.back().first - first + 1 != static_cast<std::int32_t>(active.size())) continue;  // a gap: churned once
    const auto it = by_name.find(period_label(period_start(YearMonth{first}, grain), grain));
    if (it == by_name.end()) continue;  // joined in a period left out (partial)
    const io::RetentionCohortResult& cohort = *it->second;
    CustomerValue v;
    v.customer_id = id;
    v.cohort = cohort.cohort;
    v.renewals = static_cast<double>(cohort.active.size() - 1);
    v.mrr = active.back().second;
    const std::optional<RetentionFit>& fit = cohort.fit ? cohort.fit : report.pooled ? report.pooled->fit : cohort.fit;
    if (fit) {
      v.derl = retention_derl(fit->params, v.renewals, o.discount_rate);
      v.value = to_double(v.mrr) * o.gross_margin * *v.derl;
    }
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(),
            [](const CustomerValue& x, const CustomerValue& y) { return x.customer_id < y.customer_id; });
  return out;
}

std::string customers_to_csv(const std::vector<CustomerValue>& values) {
  std::string out = "customer_id,cohort,renewals,mrr,derl,residual_value\n";
  for (const CustomerValue& v : values) {
    const bool quote = v.customer_id.find_first_of(",\"\r\n") != std::string::npos;
    std::string id = v.customer_id;
    if (quote) {
      id = "\"";
      for (char ch : v.customer_id) id += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      id += "\"";
    }
    out += fmt::format("{},{},{},{},{},{}\n", id, v.cohort, v.renewals, format_money(v.mrr),
                       v.derl ? fmt::format("{:.6f}", *v.derl) : "", v.value ? fmt::format("{:.2f}", *v.value) : "");
  }
  return out;
}

// The fit of one cohort (or the pooled one) with the model option; a note instead when it is
// too small, too young or refused.
void fit_cohort(const RetentionOptions& o, std::span<const SurvivalCounts> data,
                io::RetentionCohortResult& r, std::map<std::string, int>& chosen) {
  const std::size_t k = r.fitted_periods;
  if (r.customers < o.min_customers) {
    r.note = "too small: " + fmt_count(r.customers) + " customers (--min-customers " + fmt_count(o.min_customers) + ")";
    return;
  }
  const bool try_sbg = o.model != "bdw", try_bdw = o.model != "sbg";
  if (k < (try_sbg ? 2u : 3u)) {
    r.note = "too young: " + std::to_string(k) + (k == 1 ? " period" : " periods") + " to fit; " +
             (try_sbg ? "sBG needs at least 2" : "BdW needs at least 3");
    return;
  }
  std::optional<RetentionFit> sbg, bdw;
  std::string why;
  if (try_sbg) {
    try {
      sbg = fit_retention(RetentionModel::sbg, data);
    } catch (const InputError& e) {
      why = e.what();
    }
  }
  if (try_bdw && k >= 3) {
    try {
      bdw = fit_retention(RetentionModel::bdw, data);
    } catch (const InputError& e) {
      if (why.empty() || o.model == "bdw") why = e.what();
    }
  }
  if (sbg && bdw) {
    r.fit = bdw->bic < sbg->bic ? bdw : sbg;
  } else if (sbg) {
    r.fit = sbg;
  } else if (bdw) {
    r.fit = bdw;
  }
  if (!r.fit) {
    r.note = why;
    return;
  }
  ++chosen[std::string(display_name(r.fit->model))];
}

int retention(const RetentionOptions& o, Streams io) {
  if (o.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    throw UsageError("no input: give a file (csm-metrics retention survivors.csv) or pipe records in");
  }
  if (!(o.discount_rate > 0) || !std::isfinite(o.discount_rate)) {
    throw UsageError("--discount-rate: expected a rate per period > 0, e.g. 0.1 (10 %)");
  }
  if (o.fit_periods && *o.fit_periods == 0) throw UsageError("--fit-periods: expected 1 or more");
  io::RetentionReport report;
  report.version = CSM_VERSION;
  report.model_option = o.model;
  report.fit_periods = o.fit_periods;
  report.project = o.project;
  report.discount_rate = o.discount_rate;

  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  std::vector<NamedCohort> cohorts;
  const bool one_file = o.files.size() == 1 && o.files.front() != "-";
  const bool from_table = one_file && io::is_survival_table_header(first_line_of(o.files.front()));
  if (from_table) {
    if (!o.by.empty()) throw UsageError("--by applies to records, not to a survival table");
    const io::SurvivalTable table = io::parse_survival_table(read_all(o.files.front()), o.files.front());
    for (std::size_t i = 0; i < table.cohorts.size(); ++i) cohorts.push_back({table.cohorts[i], table.active[i]});
  } else {
    cohorts = cohorts_from_records(o, report.notes, report.kind);
  }
  if (cohorts.empty()) throw InputError("", 0, "", "no cohorts: the input has no customers");

  const Clock::time_point read_done = Clock::now();
  std::map<std::string, int> chosen;
  std::vector<SurvivalCounts> pooled_data;
  std::size_t longest = 0;
  for (const NamedCohort& c : cohorts) {
    io::RetentionCohortResult r;
    r.cohort = c.name;
    r.customers = c.active.front();
    r.active = c.active;
    const std::size_t observed = c.active.size() - 1;
    r.fitted_periods = std::min(observed, o.fit_periods.value_or(observed));
    r.last_period = observed + o.project;
    longest = std::max(longest, observed);
    const std::vector<SurvivalCounts> data = {
        {std::vector<double>(c.active.begin(), c.active.begin() + static_cast<std::ptrdiff_t>(r.fitted_periods + 1))}};
    if (r.customers > 0) pooled_data.push_back(data.front());
    fit_cohort(o, data, r, chosen);
    if (r.fit) {
      r.derl_renewals = o.renewals.value_or(static_cast<double>(r.fitted_periods));
      r.derl = retention_derl(r.fit->params, r.derl_renewals, o.discount_rate);
    }
    report.cohorts.push_back(std::move(r));
  }
  if (cohorts.size() > 1) {
    io::RetentionCohortResult p;
    p.cohort = "pooled";
    std::size_t fitted = 0;
    for (const SurvivalCounts& d : pooled_data) {
      p.customers += d.active.front();
      fitted = std::max(fitted, d.active.size() - 1);
    }
    // Observed survival of the pooled cohorts: at each period, of the cohorts observed that long.
    for (std::size_t t = 0; t <= longest; ++t) {
      double active = 0, base = 0;
      for (const NamedCohort& c : cohorts) {
        if (t < c.active.size()) {
          active += c.active[t];
          base += c.active.front();
        }
      }
      p.active.push_back(base > 0 ? p.customers * active / base : 0);
    }
    p.fitted_periods = fitted;
    p.last_period = longest + o.project;
    std::map<std::string, int> ignored;
    fit_cohort(o, pooled_data, p, ignored);
    if (p.fit) {
      p.derl_renewals = o.renewals.value_or(static_cast<double>(p.fitted_periods));
      p.derl = retention_derl(p.fit->params, p.derl_renewals, o.discount_rate);
    }
    report.pooled = std::move(p);
  }
  const Clock::time_point fit_done = Clock::now();
  if (o.timings) {
    const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    io.err << "csm-metrics: timings: read " << seconds(read_done - start) << " s, fit "
           << seconds(fit_done - read_done) << " s (" << cohorts.size() << " cohorts)\n";
  }
  if (o.model == "auto") {
    std::string text;
    for (const auto& [name, count] : chosen) {
      text += (text.empty() ? "" : ", ") + name + " for " + std::to_string(count) +
              (count == 1 ? " cohort" : " cohorts");
    }
    if (!text.empty()) report.notes.push_back("--model auto chose by BIC (lower is better): " + text);
  }
  std::size_t unfitted = 0;
  for (const io::RetentionCohortResult& r : report.cohorts) unfitted += r.fit ? 0u : 1u;
  if (unfitted > 0) {
    report.notes.push_back(std::to_string(unfitted) + (unfitted == 1 ? " cohort is" : " cohorts are") +
                           " not fitted (too small, too young, or the fit was refused: see each)");
  }
  if (!o.customers_csv.empty()) {
    if (from_table) throw UsageError("--customers-csv needs records (a survival table has no customers)");
    if (o.files.empty() || std::find(o.files.begin(), o.files.end(), "-") != o.files.end()) {
      throw UsageError("--customers-csv reads the records twice: give files, not standard input");
    }
    const std::vector<CustomerValue> values = customer_values(o, report);
    std::map<std::string, io::BaseValue> base;
    for (const CustomerValue& v : values) {
      io::BaseValue& b = base[v.cohort];
      b.cohort = v.cohort;
      ++b.active_customers;
      b.mrr += to_double(v.mrr);
      if (v.value) b.residual_value = b.residual_value.value_or(0) + *v.value;
    }
    for (auto& entry : base) report.base_value.push_back(entry.second);
    io::write_file_atomically(o.customers_csv, customers_to_csv(values));
  }
  if (!o.quiet && o.format == "csv") {
    for (const std::string& n : report.notes) io.err << "csm-metrics: note: " << n << '\n';
  }
  const std::string text = o.format == "json"  ? io::retention_to_json(report)
                           : o.format == "csv" ? io::retention_to_csv(report)
                                               : io::retention_to_table(report);
  write_output(o.output, io, text);
  return kOk;
}

}  // namespace

CommandRunner add_retention_command(CLI::App& app, Streams io) {
  auto o = std::make_shared<RetentionOptions>();
  CLI::App* cmd = app.add_subcommand(
      "retention", "Fit sBG / BdW retention models per cohort (records or a cohort,period,active "
                   "survival table); projected survival and DERL");
  cmd->add_option("files", o->files,
                  "A survival table (cohort,period,active) or records (activity, subscription); "
                  "none or '-' reads records from standard input");
  cmd->add_option("-f,--format", o->format, "Output: table (default), json or csv")
      ->transform(CLI::IsMember({"table", "json", "csv"}, CLI::ignore_case));
  cmd->add_option("--model", o->model, "sbg, bdw, or auto (default: the lower BIC per cohort)")
      ->transform(CLI::IsMember({"sbg", "bdw", "auto"}, CLI::ignore_case));
  cmd->add_option("--fit-periods", o->fit_periods,
                  "Fit periods 1..K only; later observed periods are a holdout shown beside the model")
      ->type_name("K");
  cmd->add_option("--project", o->project, "Project N periods past the last observed one")->type_name("N");
  cmd->add_option("--discount-rate", o->discount_rate,
                  "Discount rate per period for DERL, > 0 (default 0.1; monthly cohorts: e.g. 0.008)")
      ->type_name("RATE")
      ->transform(rate_number(0.0, 1e6));
  cmd->add_option("--renewals", o->renewals,
                  "DERL of a customer who has made N renewals (default: the last fitted period)")
      ->type_name("N")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--customers-csv", o->customers_csv,
                  "Records: write every active customer (renewals, MRR, DERL, residual value = MRR x "
                  "--gross-margin x DERL) to FILE")
      ->type_name("FILE");
  cmd->add_option("--gross-margin", o->gross_margin, "Gross margin for the residual value, 0..1 (default 1)")
      ->type_name("RATE")
      ->transform(rate_number(0.0, 1.0));
  cmd->add_option("--min-customers", o->min_customers,
                  "Cohorts with fewer customers get a note, not a fit (default 30)")
      ->check(CLI::Range(1.0, 1e12));
  cmd->add_option("--cohort-grain", o->grain, "Records: cohorts and periods in months (default), quarters or years")
      ->transform(CLI::IsMember({"month", "quarter", "year"}, CLI::ignore_case));
  cmd->add_option("--by", o->by, "Records: also the cohorts of each value of column COLUMN")->type_name("COLUMN");
  cmd->add_option("--input-format", o->input_format,
                  "Records: auto (by extension, else content), csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_option("--kind", o->kind, "Records: auto, activity or subscription")
      ->transform(CLI::IsMember({"auto", "activity", "subscription"}, CLI::ignore_case));
  cmd->add_option("--until", o->until, "Subscription records: the last month of the range, YYYY-MM")
      ->type_name("YYYY-MM");
  cmd->add_option("--column", o->columns, "Records: read a column under another name (repeatable)")
      ->type_name("NAME=INPUT");
  cmd->add_flag("--skip-invalid", o->skip_invalid, "Records: skip invalid records instead of stopping");
  cmd->add_option("-o,--output", o->output, "Write the result to this file (atomically) instead of stdout");
  cmd->add_flag("--timings", o->timings, "Print the time spent reading and fitting on stderr");
  cmd->add_flag("-q,--quiet", o->quiet, "No notes on stderr (errors are still printed)");
  cmd->add_option("-j,--threads", o->threads, "Threads for reading records (default 0: one per core)")
      ->check(CLI::Range(0u, 256u));
  return [o, io] {
    o->model = io::text::ascii_lower(o->model);
    return retention(*o, io);
  };
}

}  // namespace csm::cli
