// Fuzz target: the whole `compute` path, bytes -> RecordInput -> aggregator -> finish -> to_json,
// through the public API as the CLI uses it. The first byte picks the format (by --input-format or
// by file extension), strict or --skip-invalid, the record kind (detected: activity, summary or
// subscription records; or forced activity), whether to compare with a multi-threaded read of the
// same file, and whether to group by segment and roll up to quarters or years; the rest is the
// file, written to a private temporary file. With groups and a grain, the groups' periods and the
// quarters (or years) must satisfy their own identities too: per group E = S - C - moved_out +
// moved_in + N + A and its bridge; periods at the grain E = R + N + A, the bridge, each starting
// where the one before ended; and the groups add up to all customers in S, C, N, A and E.
// Properties, on whatever input parses: every month has E = R + N + A, S = R + C and the MRR
// bridge; months are consecutive and chain (S and mrr_start of a month are E and mrr_end of the
// month before); the JSON output parses and repeats the counts; a read split across threads gives
// byte-identical JSON (or the same error). Invalid input must end in InputError or RevenueOverflow.

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/metrics_writer.hpp"
#include "csm/io/record_input.hpp"
#include "csm/summary_metrics.hpp"
#include "input_file.hpp"
#include "reader_harness.hpp"

namespace {

using csm::fuzz::fail;

std::string show(const csm::PeriodMetrics& m) { return csm::to_string(m.period); }

// `step`: months from one period to the next (1, or 3 and 12 for quarters and years).
void check_activity(const std::vector<csm::PeriodMetrics>& periods, std::int32_t step = 1) {
  for (std::size_t i = 0; i < periods.size(); ++i) {
    const csm::PeriodMetrics& m = periods[i];
    if (!m.customers_start || !m.churned_customers || !m.retained_customers || !m.new_customers ||
        !m.reactivated_customers || !m.customers_end || !m.expanded_customers ||
        !m.contracted_customers || !m.mrr_start || !m.mrr_end || !m.new_mrr ||
        !m.reactivation_mrr || !m.expansion_mrr || !m.contraction_mrr || !m.churned_mrr) {
      fail("activity records determine every count and amount", show(m));
    }
    if (*m.customers_end != *m.retained_customers + *m.new_customers + *m.reactivated_customers) {
      fail("E = R + N + A", show(m));
    }
    if (*m.retained_customers != *m.customers_start - *m.churned_customers) fail("R = S - C", show(m));
    if (*m.mrr_end != *m.mrr_start - *m.churned_mrr - *m.contraction_mrr + *m.expansion_mrr +
                          *m.new_mrr + *m.reactivation_mrr) {
      fail("the MRR bridge", show(m));
    }
    if (*m.customers_start < 0 || *m.churned_customers < 0 || *m.new_customers < 0 ||
        *m.reactivated_customers < 0 || *m.expanded_customers < 0 || *m.contracted_customers < 0 ||
        *m.expanded_customers + *m.contracted_customers > *m.retained_customers) {
      fail("counts are >= 0 and X + K <= R", show(m));
    }
    if (*m.mrr_start < 0 || *m.churned_mrr < 0 || *m.contraction_mrr < 0 || *m.expansion_mrr < 0 ||
        *m.new_mrr < 0 || *m.reactivation_mrr < 0) {
      fail("amounts are >= 0", show(m));
    }
    if (i == 0) {
      if (*m.customers_start != 0 || *m.mrr_start != 0) fail("the first month starts empty", show(m));
    } else {
      const csm::PeriodMetrics& before = periods[i - 1];
      if (m.period.index != before.period.index + step) fail("months are consecutive", show(m));
      if (*m.customers_start != *before.customers_end || *m.mrr_start != *before.mrr_end) {
        fail("a month starts where the month before ended", show(m));
      }
    }
  }
}

// The groups of one aggregation and their periods (months or periods of a grain).
void check_groups(const std::vector<csm::GroupPeriods>& groups,
                  const std::vector<csm::PeriodMetrics>& all) {
  std::vector<std::int64_t> start(all.size()), churned(all.size()), fresh(all.size()),
      back(all.size()), end(all.size()), in(all.size()), out(all.size());
  for (const csm::GroupPeriods& g : groups) {
    if (g.periods.size() != all.size() || g.moves.size() != all.size()) {
      fail("every group has every period", g.group);
    }
    for (std::size_t i = 0; i < all.size(); ++i) {
      const csm::PeriodMetrics& m = g.periods[i];
      const csm::GroupMoves& mv = g.moves[i];
      if (*m.customers_end != *m.customers_start - *m.churned_customers - mv.moved_out_customers +
                                  mv.moved_in_customers + *m.new_customers + *m.reactivated_customers) {
        fail("group: E = S - C - moved_out + moved_in + N + A", g.group + " " + show(m));
      }
      if (*m.mrr_end != *m.mrr_start - *m.churned_mrr - *m.contraction_mrr + *m.expansion_mrr +
                            *m.new_mrr + *m.reactivation_mrr - mv.moved_out_mrr + mv.moved_in_mrr) {
        fail("group: the MRR bridge with moves", g.group + " " + show(m));
      }
      if (*m.churned_customers + mv.moved_out_customers > *m.customers_start) {
        fail("group: churned and moved out are of the start customers", g.group + " " + show(m));
      }
      start[i] += *m.customers_start, churned[i] += *m.churned_customers, fresh[i] += *m.new_customers;
      back[i] += *m.reactivated_customers, end[i] += *m.customers_end;
      in[i] += mv.moved_in_customers, out[i] += mv.moved_out_customers;
    }
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    const csm::PeriodMetrics& m = all[i];
    if (start[i] != *m.customers_start || churned[i] != *m.churned_customers || fresh[i] != *m.new_customers ||
        back[i] != *m.reactivated_customers || end[i] != *m.customers_end || in[i] != out[i]) {
      fail("the groups add up to all customers (and moves in = moves out)", show(m));
    }
  }
}

void check_summary(const std::vector<csm::PeriodMetrics>& periods) {
  for (const csm::PeriodMetrics& m : periods) {
    if (m.customers_end && m.retained_customers && m.new_customers && m.reactivated_customers &&
        *m.customers_end != *m.retained_customers + *m.new_customers + *m.reactivated_customers) {
      fail("summary: E = R + N + A", show(m));
    }
  }
}

void check_json(const std::string& text, const csm::io::MetricsReport& report) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("to_json writes valid JSON", std::string(e.what()) + "\n" + text);
  }
  if (!j.contains("periods") || !j["periods"].is_array() || j["periods"].size() != report.periods.size()) {
    fail("JSON has one periods element per month", text);
  }
  for (std::size_t i = 0; i < report.periods.size(); ++i) {
    const nlohmann::json& p = j["periods"][i];
    if (!p.is_object() || p.size() < csm::io::period_field_names().size()) {
      fail("JSON periods carry every field", text);
    }
    if (p["period"] != csm::period_label(report.periods[i].period, report.grain)) fail("JSON period text", text);
    const auto count = [&](const char* key, const csm::Count& value) {
      if (value ? p[key] != *value : !p[key].is_null()) fail("JSON counts match", key + text);
    };
    count("customers_start", report.periods[i].customers_start);
    count("customers_end", report.periods[i].customers_end);
    count("new_customers", report.periods[i].new_customers);
    count("reactivated_customers", report.periods[i].reactivated_customers);
    count("retained_customers", report.periods[i].retained_customers);
  }
}

// Years of every "dddd-" in the input span more than a few decades. Such inputs are valid (months
// run continuously, so 0001-01 and 9999-12 give 120 000 months and 70 MB of JSON, about 0.4 s in a
// release build) but cost seconds under the sanitizers; they are skipped to keep the fuzzer fast.
bool wide_year_span(std::string_view data) {
  int low = 10000;
  int high = -1;
  for (std::size_t i = 0; i + 5 <= data.size(); ++i) {
    bool digits = true;
    int year = 0;
    for (std::size_t k = i; k < i + 4; ++k) {
      digits = digits && data[k] >= '0' && data[k] <= '9';
      year = year * 10 + (data[k] - '0');
    }
    if (digits && data[i + 4] == '-') {
      low = std::min(low, year);
      high = std::max(high, year);
    }
  }
  return high - low > 40;
}

struct Result {
  std::string json;   // the output, when it ran
  std::string error;  // the error, when it did not
};

Result compute(const std::string& path, const csm::io::ReadOptions& read, bool grouped,
               csm::Grain grain) {
  Result result;
  csm::io::MetricsReport report;
  report.version = "fuzz";
  csm::io::RecordInput input({path}, read);
  try {
    report.kind = input.kind();
    if (report.kind == csm::io::RecordKind::summary) {
      csm::SummaryAggregator aggregator;
      input.read(aggregator);
      report.periods = aggregator.finish(report.options);
      check_summary(report.periods);
    } else {
      csm::ActivityAggregator aggregator;
      if (grouped) aggregator.group_by_segment();
      input.read(aggregator);
      const csm::ActivityRaw raw = aggregator.finish_raw(read.threads, grain);
      std::vector<csm::GroupPeriods> groups;
      report.periods = csm::periods_from_raw(raw, report.options, grouped ? &groups : nullptr);
      report.activity = aggregator.stats();
      check_activity(report.periods);
      if (grouped) check_groups(groups, report.periods);
      // Subscriptions reach the aggregator as one record per customer and month, not per row.
      if (report.kind == csm::io::RecordKind::activity &&
          report.activity->records != input.report().records) {
        fail("the aggregator took every record read", path);
      }
      if (grain != csm::Grain::month && report.periods.size() <= 1000) {
        csm::GrainPeriods rolled = csm::roll_up(report.periods, raw, report.options, grouped ? &groups : nullptr);
        check_activity(rolled.periods, csm::months_in(grain));
        if (grouped) check_groups(groups, rolled.periods);
        std::int32_t months = 0;
        for (const std::int32_t k : rolled.months) {
          if (k < 1 || k > csm::months_in(grain)) fail("a period covers 1 to its grain's months", path);
          months += k;
        }
        if (months != static_cast<std::int32_t>(report.periods.size())) {
          fail("the periods cover every month once", path);
        }
        if (grouped) report.groups = std::move(groups);
        report.group_by = grouped ? "segment" : "";
        report.grain = grain;
        report.periods = std::move(rolled.periods);
        report.period_months = std::move(rolled.months);
      } else if (grouped) {
        report.group_by = "segment";
        report.groups = std::move(groups);
      }
    }
  } catch (const csm::InputError& e) {
    result.error = std::string("InputError: ") + e.what();
    return result;
  } catch (const csm::RevenueOverflow& e) {
    result.error = std::string("RevenueOverflow: ") + e.what();
    return result;
  }
  report.input = input.report();
  report.summary = csm::summarize(report.periods);
  if (report.input.skipped > 0) report.warnings.push_back("skipped");
  result.json = csm::io::to_json(report);
  // Two rows 0001-01 and 9999-12 make 120 000 months; that is allowed, but checking and
  // formatting them on every run would slow the fuzzer to a crawl, so only short ranges are.
  if (report.periods.size() <= 1000) {
    check_json(result.json, report);
    (void)csm::io::to_csv(report);
    csm::io::TableStyle style;
    style.all_columns = true;
    (void)csm::io::to_table(report, style);
  }
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  if (wide_year_span(std::string_view(reinterpret_cast<const char*>(bytes) + 1, size - 1))) return 0;
  const unsigned control = bytes[0];
  const csm::fuzz::InputFile input("", bytes, size);
  const std::string& path = input.path;

  csm::io::ReadOptions read;
  read.format = input.format;
  read.skip_invalid = (control & 8u) != 0;
  read.kind = (control & 16u) ? csm::io::RecordKind::activity : csm::io::RecordKind::automatic;
  read.threads = 1;
  // Groups and a grain: quarters for inputs of odd length, years for even.
  const bool grouped = (control & 0x80u) != 0;
  const csm::Grain grain = !grouped ? csm::Grain::month : (size & 1u) ? csm::Grain::quarter : csm::Grain::year;
  const Result one = compute(path, read, grouped, grain);

  if ((control & 0x60u) == 0x60u) {
    // Split the file across threads however small it is: the answer must not change.
    read.threads = 3;
    read.split_min_bytes = 1;
    const Result split = compute(path, read, grouped, grain);
    if (split.json != one.json || split.error.empty() != one.error.empty()) {
      fail("a read split across threads gives the same result",
           "one thread:\n" + one.json + one.error + "\nthree threads:\n" + split.json + split.error);
    }
  }
  return 0;
}
