// The activity aggregation on small hand-built datasets (expected numbers worked out in the
// comments), the identities every month must satisfy, order independence, merge(), and a check
// against a brute-force reading of the definitions in issue 2 on a random dataset.

#include "csm/activity_aggregator.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using csm::ActivityAggregator;
using csm::ActivityRecord;
using csm::ActivityStats;
using csm::MetricOptions;
using csm::Money;
using csm::MoneySum;
using csm::PeriodMetrics;
using csm::YearMonth;

namespace {

// One input row as text, as a reader would see it.
struct Row {
  std::string id;
  std::string period;
  std::string revenue;
  std::string acquisition_cost = {};  // empty = column absent / no value
  int csat = 0;                       // 0 = no response
};

struct Result {
  std::vector<PeriodMetrics> periods;
  ActivityStats stats;
};

YearMonth ym(std::string_view text) {
  YearMonth m;
  REQUIRE(csm::parse_period(text, m) == csm::PeriodError::ok);
  return m;
}

Money amount(std::string_view text) {
  Money v = 0;
  INFO("amount \"" << std::string(text) << "\"");
  REQUIRE(csm::parse_money(text, v) == csm::DecimalError::ok);
  return v;
}

// Feed rows the way a reader does: the id lives in a buffer that is overwritten by the next row,
// so the aggregator must not keep the views.
void feed(ActivityAggregator& aggregator, const std::vector<Row>& rows) {
  std::string id_buffer;
  for (const Row& row : rows) {
    id_buffer = row.id;
    ActivityRecord record;
    record.customer_id = id_buffer;
    record.period = ym(row.period);
    record.revenue = amount(row.revenue);
    if (!row.acquisition_cost.empty()) record.acquisition_cost = amount(row.acquisition_cost);
    record.csat = static_cast<std::uint8_t>(row.csat);
    aggregator.add(record);
    id_buffer.assign(id_buffer.size(), '#');
  }
}

Result run(const std::vector<Row>& rows, const MetricOptions& options = {}) {
  ActivityAggregator aggregator;
  feed(aggregator, rows);
  Result result;
  result.periods = aggregator.finish(options);
  result.stats = aggregator.stats();
  return result;
}

const PeriodMetrics& at(const Result& result, std::string_view period) {
  const YearMonth m = ym(period);
  for (const PeriodMetrics& p : result.periods) {
    if (p.period == m) return p;
  }
  FAIL("no period " << std::string(period));
  return result.periods.front();
}

std::string count_text(const csm::Count& c) { return c ? std::to_string(*c) : "null"; }
std::string money_text(const csm::Amount& a) { return a ? csm::format_money(*a) : "null"; }
std::string rate_text(const csm::Rate& r) {
  if (!r) return "null";
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", *r);
  return text;
}

// The eight counts of a month in one line, so a failure shows them all.
std::string counts(const PeriodMetrics& m) {
  return "S=" + count_text(m.customers_start) + " C=" + count_text(m.churned_customers) +
         " R=" + count_text(m.retained_customers) + " N=" + count_text(m.new_customers) +
         " A=" + count_text(m.reactivated_customers) + " E=" + count_text(m.customers_end) +
         " X=" + count_text(m.expanded_customers) + " K=" + count_text(m.contracted_customers);
}

// The seven amounts of a month in one line.
std::string moneys(const PeriodMetrics& m) {
  return "start=" + money_text(m.mrr_start) + " end=" + money_text(m.mrr_end) +
         " new=" + money_text(m.new_mrr) + " react=" + money_text(m.reactivation_mrr) +
         " exp=" + money_text(m.expansion_mrr) + " contr=" + money_text(m.contraction_mrr) +
         " churned=" + money_text(m.churned_mrr);
}

// Every field, for "identical output" comparisons.
std::string dump(const std::vector<PeriodMetrics>& periods) {
  std::string text;
  for (const PeriodMetrics& m : periods) {
    text += csm::to_string(m.period) + " " + counts(m) + " " + moneys(m) +
            " churn_rate=" + rate_text(m.churn_rate) + " retention=" + rate_text(m.retention_rate) +
            " expansion_rate=" + rate_text(m.expansion_rate) + " grr=" + rate_text(m.grr) +
            " nrr=" + rate_text(m.nrr) + " arpu=" + rate_text(m.arpu) +
            " csat=" + rate_text(m.csat) + " cac=" + rate_text(m.cac) + " clv=" + rate_text(m.clv) +
            " responses=" + count_text(m.csat_responses) +
            " satisfied=" + count_text(m.csat_satisfied) +
            " acq=" + money_text(m.acquisition_cost) + "\n";
  }
  return text;
}

std::string dump_stats(const ActivityStats& s) {
  return "records=" + std::to_string(s.records) + " zero=" + std::to_string(s.zero_revenue_records) +
         " customers=" + std::to_string(s.customers) +
         " customer_months=" + std::to_string(s.customer_months) +
         " first=" + (s.first ? csm::to_string(*s.first) : "null") +
         " last=" + (s.last ? csm::to_string(*s.last) : "null") +
         " acq=" + (s.has_acquisition_cost ? "yes" : "no");
}

double rate(const csm::Rate& r) {
  REQUIRE(r.has_value());
  return *r;
}

std::int64_t n(const csm::Count& c) {
  REQUIRE(c.has_value());
  return *c;
}

MoneySum sum(const csm::Amount& a) {
  REQUIRE(a.has_value());
  return *a;
}

// The identities of issue 2 that must hold every month.
void check_identities(const std::vector<PeriodMetrics>& periods) {
  for (std::size_t i = 0; i < periods.size(); ++i) {
    const PeriodMetrics& m = periods[i];
    INFO(csm::to_string(m.period) << ": " << counts(m) << " " << moneys(m));
    CHECK(n(m.retained_customers) == n(m.customers_start) - n(m.churned_customers));
    CHECK(n(m.customers_end) ==
          n(m.retained_customers) + n(m.new_customers) + n(m.reactivated_customers));
    CHECK(sum(m.mrr_end) == sum(m.mrr_start) - sum(m.churned_mrr) - sum(m.contraction_mrr) +
                                sum(m.expansion_mrr) + sum(m.new_mrr) + sum(m.reactivation_mrr));
    CHECK(n(m.expanded_customers) + n(m.contracted_customers) <= n(m.retained_customers));
    if (i == 0) {
      CHECK(n(m.customers_start) == 0);
      CHECK(sum(m.mrr_start) == 0);
    } else {
      CHECK(m.period == periods[i - 1].period.next());  // continuous months
      CHECK(n(m.customers_start) == n(periods[i - 1].customers_end));
      CHECK(sum(m.mrr_start) == sum(periods[i - 1].mrr_end));
    }
  }
}

}  // namespace

TEST_CASE("aggregation: reactivation after a month away", "[aggregation]") {
  // a: Jan 10, (absent in Feb), Mar 10.   b: 20 every month.
  const Result r = run({{"a", "2024-01", "10"},
                        {"b", "2024-01", "20"},
                        {"b", "2024-02", "20"},
                        {"a", "2024-03", "10"},
                        {"b", "2024-03", "20"}});
  REQUIRE(r.periods.size() == 3);
  check_identities(r.periods);

  // Jan: both new; end = 10 + 20 = 30.
  const PeriodMetrics& jan = at(r, "2024-01");
  CHECK(counts(jan) == "S=0 C=0 R=0 N=2 A=0 E=2 X=0 K=0");
  CHECK(moneys(jan) ==
        "start=0.00 end=30.00 new=30.00 react=0.00 exp=0.00 contr=0.00 churned=0.00");
  CHECK_FALSE(jan.churn_rate.has_value());      // S = 0
  CHECK_FALSE(jan.retention_rate.has_value());
  CHECK_FALSE(jan.expansion_rate.has_value());
  CHECK_FALSE(jan.grr.has_value());             // mrr_start = 0
  CHECK_FALSE(jan.nrr.has_value());
  CHECK(rate(jan.arpu) == 15.0);                // 30 / 2
  CHECK_FALSE(jan.clv.has_value());             // retention null

  // Feb: a churned (its Jan revenue 10 is churned_mrr), b retained.
  const PeriodMetrics& feb = at(r, "2024-02");
  CHECK(counts(feb) == "S=2 C=1 R=1 N=0 A=0 E=1 X=0 K=0");
  CHECK(moneys(feb) ==
        "start=30.00 end=20.00 new=0.00 react=0.00 exp=0.00 contr=0.00 churned=10.00");
  CHECK(rate(feb.churn_rate) == 50.0);          // 100 * 1 / 2
  CHECK(rate(feb.retention_rate) == 50.0);      // 100 * (1 - 0 - 0) / 2
  CHECK(rate(feb.expansion_rate) == 0.0);
  CHECK(rate(feb.grr) == Approx(200.0 / 3.0));  // 100 * (30 - 10 - 0) / 30
  CHECK(rate(feb.nrr) == Approx(200.0 / 3.0));
  CHECK(rate(feb.arpu) == 20.0);
  CHECK(rate(feb.clv) == Approx(40.0));         // 20 * 1 / (1 + 0 - 0.5)

  // Mar: a reactivated (active before Feb), not new; b retained.
  const PeriodMetrics& mar = at(r, "2024-03");
  CHECK(counts(mar) == "S=1 C=0 R=1 N=0 A=1 E=2 X=0 K=0");
  CHECK(moneys(mar) ==
        "start=20.00 end=30.00 new=0.00 react=10.00 exp=0.00 contr=0.00 churned=0.00");
  CHECK(rate(mar.churn_rate) == 0.0);
  CHECK(rate(mar.retention_rate) == 100.0);     // 100 * (2 - 0 - 1) / 1
  CHECK(rate(mar.grr) == 100.0);                // 100 * (20 - 0 - 0) / 20
  CHECK(rate(mar.arpu) == 15.0);                // 30 / 2
  CHECK_FALSE(mar.clv.has_value());             // 1 + 0 - 1.00 = 0: undefined
}

TEST_CASE("aggregation: rows of one customer-month are summed; exact expansion and contraction",
          "[aggregation]") {
  const Result r = run({
      // a: 100.30 in Jan; in Feb two rows 100.10 + 0.20 = 100.30 exactly: unchanged.
      {"a", "2024-01", "100.30"},
      {"a", "2024-02", "100.10"},
      {"a", "2024-02-15", "0.20"},
      // b: 50 -> 50.000001: expanded by one micro-unit.
      {"b", "2024-01", "50"},
      {"b", "2024-02", "50.000001"},
      // c: 70 -> 69.99: contracted by 0.01.
      {"c", "2024-01-31", "70"},
      {"c", "2024-02-01", "69.99"},
      // d: 2.5 + 2.5 = 5 in Jan (two dated rows), 0.1 + 0.2 = 0.3 in Feb: contracted by 4.7.
      {"d", "2024-01-03", "2.5"},
      {"d", "2024-01-31", "2.5"},
      {"d", "2024-02-29", "0.1"},
      {"d", "2024-02", "0.2"},
  });
  REQUIRE(r.periods.size() == 2);
  check_identities(r.periods);

  // Jan: 100.30 + 50 + 70 + 5 = 225.30, all new.
  const PeriodMetrics& jan = at(r, "2024-01");
  CHECK(counts(jan) == "S=0 C=0 R=0 N=4 A=0 E=4 X=0 K=0");
  CHECK(moneys(jan) ==
        "start=0.00 end=225.30 new=225.30 react=0.00 exp=0.00 contr=0.00 churned=0.00");

  // Feb: end = 100.30 + 50.000001 + 69.99 + 0.3 = 220.590001;
  // expansion 0.000001 (b); contraction 0.01 (c) + 4.7 (d) = 4.71;
  // 225.30 - 0 - 4.71 + 0.000001 = 220.590001.
  const PeriodMetrics& feb = at(r, "2024-02");
  CHECK(counts(feb) == "S=4 C=0 R=4 N=0 A=0 E=4 X=1 K=2");
  CHECK(moneys(feb) ==
        "start=225.30 end=220.590001 new=0.00 react=0.00 exp=0.000001 contr=4.71 churned=0.00");
  CHECK(rate(feb.expansion_rate) == 25.0);                       // 100 * 1 / 4
  CHECK(rate(feb.grr) == Approx(100.0 * 220.59 / 225.30));       // 100 * (225.30 - 4.71) / 225.30
  CHECK(rate(feb.nrr) == Approx(100.0 * 220.590001 / 225.30));
  CHECK(rate(feb.arpu) == Approx(220.590001 / 4.0));

  // 11 rows, 4 customers, 8 customer-months.
  CHECK(dump_stats(r.stats) ==
        "records=11 zero=0 customers=4 customer_months=8 first=2024-01 last=2024-02 acq=no");
}

TEST_CASE("aggregation: zero-revenue rows are present but not active", "[aggregation]") {
  const Result r = run({
      {"a", "2024-01", "10"},
      {"a", "2024-02", "0"},     // a row, but a is not active in Feb: churned
      {"a", "2024-03", "10"},    // back: reactivated
      {"z", "2024-01", "0"},     // z never has revenue: never counted anywhere...
      {"z", "2024-04", "0.00"},  // ...but its row still extends the range to April
      {"b", "2024-01", "0"},     // b's first active month is Feb: new in Feb
      {"b", "2024-02", "5"},
  });
  REQUIRE(r.periods.size() == 4);
  check_identities(r.periods);
  // Jan: a (10) new.
  CHECK(counts(at(r, "2024-01")) == "S=0 C=0 R=0 N=1 A=0 E=1 X=0 K=0");
  CHECK(moneys(at(r, "2024-01")) ==
        "start=0.00 end=10.00 new=10.00 react=0.00 exp=0.00 contr=0.00 churned=0.00");
  // Feb: a churned (10), b new (5).
  CHECK(counts(at(r, "2024-02")) == "S=1 C=1 R=0 N=1 A=0 E=1 X=0 K=0");
  CHECK(moneys(at(r, "2024-02")) ==
        "start=10.00 end=5.00 new=5.00 react=0.00 exp=0.00 contr=0.00 churned=10.00");
  // Mar: b churned (5), a reactivated (10).
  CHECK(counts(at(r, "2024-03")) == "S=1 C=1 R=0 N=0 A=1 E=1 X=0 K=0");
  CHECK(moneys(at(r, "2024-03")) ==
        "start=5.00 end=10.00 new=0.00 react=10.00 exp=0.00 contr=0.00 churned=5.00");
  // Apr: nobody active; a churned (10).
  const PeriodMetrics& apr = at(r, "2024-04");
  CHECK(counts(apr) == "S=1 C=1 R=0 N=0 A=0 E=0 X=0 K=0");
  CHECK(moneys(apr) ==
        "start=10.00 end=0.00 new=0.00 react=0.00 exp=0.00 contr=0.00 churned=10.00");
  CHECK(rate(apr.churn_rate) == 100.0);
  CHECK(rate(apr.retention_rate) == 0.0);
  CHECK(rate(apr.grr) == 0.0);  // 100 * (10 - 10 - 0) / 10
  CHECK(rate(apr.nrr) == 0.0);
  CHECK_FALSE(apr.arpu.has_value());  // E = 0
  CHECK_FALSE(apr.clv.has_value());   // arpu null

  // 7 rows, 4 of them zero; 3 distinct ids (z counts as a customer id though never active);
  // 7 distinct customer-months.
  CHECK(dump_stats(r.stats) ==
        "records=7 zero=4 customers=3 customer_months=7 first=2024-01 last=2024-04 acq=no");
}

TEST_CASE("aggregation: a customer whose only rows are zero is never counted", "[aggregation]") {
  const Result r = run({{"z", "2024-01", "0"}, {"z", "2024-02", "0"}, {"z", "2024-02", "0.000"}});
  REQUIRE(r.periods.size() == 2);
  check_identities(r.periods);
  for (const PeriodMetrics& m : r.periods) {
    CHECK(counts(m) == "S=0 C=0 R=0 N=0 A=0 E=0 X=0 K=0");
    CHECK(moneys(m) ==
          "start=0.00 end=0.00 new=0.00 react=0.00 exp=0.00 contr=0.00 churned=0.00");
    CHECK_FALSE(m.arpu.has_value());
    CHECK_FALSE(m.churn_rate.has_value());
  }
  CHECK(r.stats.customers == 1);
  CHECK(r.stats.zero_revenue_records == 3);
}

TEST_CASE("aggregation: a month with no rows in the middle, across a year boundary",
          "[aggregation]") {
  // Dec 2023: a 10, b 20.  Jan 2024: no rows at all.  Feb 2024: a 10, b 25, c 7.
  const Result r = run({{"a", "2023-12", "10"},
                        {"b", "2023-12", "20"},
                        {"a", "2024-02", "10"},
                        {"b", "2024-02", "25"},
                        {"c", "2024-02", "7"}});
  REQUIRE(r.periods.size() == 3);
  check_identities(r.periods);
  CHECK(csm::to_string(r.periods[1].period) == "2024-01");
  // Jan: everyone churns: churned_mrr = 10 + 20 = 30.
  const PeriodMetrics& jan = at(r, "2024-01");
  CHECK(counts(jan) == "S=2 C=2 R=0 N=0 A=0 E=0 X=0 K=0");
  CHECK(moneys(jan) ==
        "start=30.00 end=0.00 new=0.00 react=0.00 exp=0.00 contr=0.00 churned=30.00");
  CHECK(rate(jan.churn_rate) == 100.0);
  CHECK(rate(jan.grr) == 0.0);
  CHECK_FALSE(jan.arpu.has_value());
  // Feb: a and b reactivated (10 + 25 = 35; b's rise from 20 is not expansion: it was not active
  // in Jan), c new (7); end = 42. S = 0, so the rates are null.
  const PeriodMetrics& feb = at(r, "2024-02");
  CHECK(counts(feb) == "S=0 C=0 R=0 N=1 A=2 E=3 X=0 K=0");
  CHECK(moneys(feb) ==
        "start=0.00 end=42.00 new=7.00 react=35.00 exp=0.00 contr=0.00 churned=0.00");
  CHECK_FALSE(feb.churn_rate.has_value());
  CHECK_FALSE(feb.retention_rate.has_value());
  CHECK_FALSE(feb.expansion_rate.has_value());
  CHECK_FALSE(feb.grr.has_value());
  CHECK(rate(feb.arpu) == 14.0);  // 42 / 3
}

TEST_CASE("aggregation: a single month", "[aggregation]") {
  const Result r = run({{"a", "2024-05-05", "1"}, {"b", "2024-05-06", "2"}});
  REQUIRE(r.periods.size() == 1);
  CHECK(counts(r.periods[0]) == "S=0 C=0 R=0 N=2 A=0 E=2 X=0 K=0");
  CHECK(money_text(r.periods[0].mrr_end) == "3.00");
  CHECK(rate(r.periods[0].arpu) == 1.5);
}

TEST_CASE("aggregation: no records at all", "[aggregation]") {
  ActivityAggregator aggregator;
  CHECK(aggregator.finish(MetricOptions{}).empty());
  CHECK(dump_stats(aggregator.stats()) ==
        "records=0 zero=0 customers=0 customer_months=0 first=null last=null acq=no");
}

TEST_CASE("aggregation: the row order does not matter", "[aggregation]") {
  const std::vector<Row> rows = {
      {"a", "2024-01", "10", "5", 5},    {"a", "2024-03", "10", "", 2},
      {"b", "2024-01", "20"},            {"b", "2024-02", "19.99", "", 4},
      {"b", "2024-02-10", "0.02"},       {"b", "2024-03", "20.01"},
      {"c", "2024-02", "100.10", "1.5"}, {"c", "2024-02", "0.20"},
      {"c", "2024-03", "100.30", "", 3}, {"d", "2024-03", "0"},
      {"d", "2024-04", "8"},             {"e", "2024-04", "0.000001", "2"},
  };
  const Result sorted = run(rows);
  check_identities(sorted.periods);
  REQUIRE(sorted.periods.size() == 4);
  // Mar: c is unchanged (100.10 + 0.20 = 100.30), b is unchanged (19.99 + 0.02 = 20.01),
  // a reactivated.
  CHECK(counts(at(sorted, "2024-03")) == "S=2 C=0 R=2 N=0 A=1 E=3 X=0 K=0");

  std::vector<Row> shuffled = rows;
  std::reverse(shuffled.begin(), shuffled.end());
  const Result reversed = run(shuffled);
  CHECK(dump(reversed.periods) == dump(sorted.periods));
  CHECK(dump_stats(reversed.stats) == dump_stats(sorted.stats));

  std::mt19937 random(42);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(shuffled.begin(), shuffled.end(), random);
    const Result again = run(shuffled);
    CHECK(dump(again.periods) == dump(sorted.periods));
    CHECK(dump_stats(again.stats) == dump_stats(sorted.stats));
  }
}

TEST_CASE("aggregation: csat counts every response, with the threshold as an option",
          "[aggregation]") {
  // Jan responses: 1, 2, 3, 4, 5, 5 (the 5 on a zero-revenue row is still a response).
  const std::vector<Row> rows = {
      {"a", "2024-01", "10", "", 1}, {"b", "2024-01", "10", "", 2}, {"c", "2024-01", "10", "", 3},
      {"a", "2024-01", "0", "", 4},  {"b", "2024-01", "0", "", 5},  {"z", "2024-01", "0", "", 5},
      {"a", "2024-02", "10"},        {"b", "2024-02", "10"},
  };
  SECTION("default threshold 4") {
    const Result r = run(rows);
    const PeriodMetrics& jan = at(r, "2024-01");
    CHECK(n(jan.csat_responses) == 6);
    CHECK(n(jan.csat_satisfied) == 3);  // 4, 5, 5
    CHECK(rate(jan.csat) == 50.0);      // 100 * 3 / 6
    const PeriodMetrics& feb = at(r, "2024-02");
    CHECK(n(feb.csat_responses) == 0);
    CHECK(n(feb.csat_satisfied) == 0);
    CHECK_FALSE(feb.csat.has_value());  // no responses
  }
  SECTION("threshold 3") {
    MetricOptions options;
    options.csat_threshold = 3;
    const Result r = run(rows, options);
    CHECK(n(at(r, "2024-01").csat_satisfied) == 4);            // 3, 4, 5, 5
    CHECK(rate(at(r, "2024-01").csat) == Approx(200.0 / 3.0));  // 100 * 4 / 6
  }
  SECTION("threshold 5 and 1") {
    MetricOptions options;
    options.csat_threshold = 5;
    CHECK(rate(at(run(rows, options), "2024-01").csat) == Approx(100.0 / 3.0));  // 2 of 6
    options.csat_threshold = 1;
    CHECK(rate(at(run(rows, options), "2024-01").csat) == 100.0);  // 6 of 6
  }
}

TEST_CASE("aggregation: cac from acquisition_cost", "[aggregation]") {
  SECTION("with acquisition costs") {
    const Result r = run({
        {"a", "2024-01", "10", "100"},    // Jan: spend 100 + 50.50 = 150.50, N = 2
        {"b", "2024-01", "10", "50.50"},
        {"a", "2024-02", "10", "30"},     // Feb: spend 30, N = 0
        {"b", "2024-02", "10"},
        {"a", "2024-03", "10"},           // Mar: no spend on any row, N = 1 (c)
        {"b", "2024-03", "10"},
        {"c", "2024-03", "10"},
        {"x", "2024-04", "0", "12.25"},   // Apr: spend on a zero-revenue row still counts
        {"a", "2024-04", "10"},
        {"d", "2024-04", "10"},           // N = 1 (d)
    });
    CHECK(r.stats.has_acquisition_cost);
    CHECK(money_text(at(r, "2024-01").acquisition_cost) == "150.50");
    CHECK(rate(at(r, "2024-01").cac) == 75.25);              // 150.50 / 2
    CHECK(money_text(at(r, "2024-02").acquisition_cost) == "30.00");
    CHECK_FALSE(at(r, "2024-02").cac.has_value());           // N = 0
    CHECK(money_text(at(r, "2024-03").acquisition_cost) == "0.00");
    CHECK(rate(at(r, "2024-03").cac) == 0.0);                // 0 / 1
    CHECK(money_text(at(r, "2024-04").acquisition_cost) == "12.25");
    CHECK(rate(at(r, "2024-04").cac) == 12.25);              // 12.25 / 1
  }
  SECTION("no row ever had an acquisition cost") {
    const Result r = run({{"a", "2024-01", "10"}, {"a", "2024-02", "10"}, {"b", "2024-02", "5"}});
    CHECK_FALSE(r.stats.has_acquisition_cost);
    for (const PeriodMetrics& m : r.periods) {
      CHECK_FALSE(m.acquisition_cost.has_value());
      CHECK_FALSE(m.cac.has_value());
    }
  }
  SECTION("an explicit zero cost is a cost") {
    const Result r = run({{"a", "2024-01", "10", "0"}, {"b", "2024-01", "10"}});
    CHECK(r.stats.has_acquisition_cost);
    CHECK(money_text(at(r, "2024-01").acquisition_cost) == "0.00");
    CHECK(rate(at(r, "2024-01").cac) == 0.0);  // 0 / 2
  }
}

TEST_CASE("aggregation: clv with gross margin and discount rate", "[aggregation]") {
  // Jan: a, b, c, d at 100. Feb: a, b, c at 100 (d churned): S = 4, R = 3, retention 75 %,
  // arpu = 300 / 3 = 100.
  const std::vector<Row> rows = {
      {"a", "2024-01", "100"}, {"b", "2024-01", "100"}, {"c", "2024-01", "100"},
      {"d", "2024-01", "100"}, {"a", "2024-02", "100"}, {"b", "2024-02", "100"},
      {"c", "2024-02", "100"},
  };
  MetricOptions options;
  CHECK(rate(at(run(rows, options), "2024-02").retention_rate) == 75.0);
  CHECK(rate(at(run(rows, options), "2024-02").clv) == Approx(400.0));  // 100 / (1 - 0.75)
  CHECK_FALSE(at(run(rows, options), "2024-01").clv.has_value());       // retention null
  options.gross_margin = 0.8;
  CHECK(rate(at(run(rows, options), "2024-02").clv) == Approx(320.0));  // 100 * 0.8 / 0.25
  options.discount_rate = 0.05;
  // 100 * 0.8 / (1 + 0.05 - 0.75) = 80 / 0.3
  CHECK(rate(at(run(rows, options), "2024-02").clv) == Approx(800.0 / 3.0));
}

TEST_CASE("aggregation: the first and last supported months", "[aggregation]") {
  const Result early = run({{"a", "0001-01", "10"}, {"a", "0001-02", "12"}, {"b", "0001-02", "1"}});
  REQUIRE(early.periods.size() == 2);
  CHECK(csm::to_string(early.periods[0].period) == "0001-01");
  CHECK(counts(early.periods[1]) == "S=1 C=0 R=1 N=1 A=0 E=2 X=1 K=0");
  CHECK(money_text(early.periods[1].expansion_mrr) == "2.00");

  const Result late = run({{"a", "9999-11", "10"}, {"a", "9999-12-31", "7"}});
  REQUIRE(late.periods.size() == 2);
  CHECK(csm::to_string(late.periods[1].period) == "9999-12");
  CHECK(counts(late.periods[1]) == "S=1 C=0 R=1 N=0 A=0 E=1 X=0 K=1");
  CHECK(money_text(late.periods[1].contraction_mrr) == "3.00");
}

TEST_CASE("aggregation: big amounts sum in 128 bits; a customer-month beyond the maximum throws",
          "[aggregation]") {
  const std::string max = csm::format_money(std::numeric_limits<Money>::max());
  REQUIRE(max == "9223372036854.775807");
  SECTION("two customers at the maximum") {
    const Result r = run({{"a", "2024-01", max}, {"b", "2024-01", max}, {"a", "2024-02", "0.000001"}});
    // Jan end: 2 * 9223372036854.775807 = 18446744073709.551614.
    CHECK(money_text(at(r, "2024-01").mrr_end) == "18446744073709.551614");
    // Feb: a contracts by 9223372036854.775806, b churns 9223372036854.775807.
    CHECK(money_text(at(r, "2024-02").contraction_mrr) == "9223372036854.775806");
    CHECK(money_text(at(r, "2024-02").churned_mrr) == "9223372036854.775807");
    check_identities(r.periods);
  }
  SECTION("one customer-month at exactly the maximum, in two rows") {
    const Result r = run({{"a", "2024-01", "9223372036854"}, {"a", "2024-01", "0.775807"}});
    CHECK(money_text(at(r, "2024-01").mrr_end) == max);
  }
  SECTION("one customer-month over the maximum") {
    ActivityAggregator aggregator;
    feed(aggregator, {{"a", "2024-01", max}, {"a", "2024-01-02", "0.000001"}});
    CHECK_THROWS_AS(aggregator.finish(MetricOptions{}), csm::RevenueOverflow);
  }
}

TEST_CASE("aggregation: many rows per customer-month (the log is compacted while adding)",
          "[aggregation]") {
  // 500 customers x 12 months x 200 rows of 0.000001 = 1.2 million rows, interleaved so that every
  // customer-month is spread over the whole stream. Each customer-month sums to 0.0002.
  // In December the even customers get one more row: 250 expanded by 0.000001 each.
  constexpr int kCustomers = 500;
  constexpr int kRepeats = 200;
  std::vector<std::string> ids;
  for (int c = 0; c < kCustomers; ++c) ids.push_back("customer-" + std::to_string(c));
  ActivityAggregator aggregator;
  ActivityRecord record;
  record.revenue = 1;
  for (int rep = 0; rep < kRepeats; ++rep) {
    for (int month = 1; month <= 12; ++month) {
      record.period = YearMonth::from(2023, month);
      for (int c = 0; c < kCustomers; ++c) {
        record.customer_id = ids[static_cast<std::size_t>(c)];
        aggregator.add(record);
      }
    }
  }
  record.period = YearMonth::from(2023, 12);
  for (int c = 0; c < kCustomers; c += 2) {
    record.customer_id = ids[static_cast<std::size_t>(c)];
    aggregator.add(record);
  }
  const std::vector<PeriodMetrics> periods = aggregator.finish(MetricOptions{});
  REQUIRE(periods.size() == 12);
  check_identities(periods);
  // Every month: 500 customers * 200 micro = 100000 micro = 0.10.
  CHECK(counts(periods[0]) == "S=0 C=0 R=0 N=500 A=0 E=500 X=0 K=0");
  CHECK(money_text(periods[0].mrr_end) == "0.10");
  CHECK(counts(periods[5]) == "S=500 C=0 R=500 N=0 A=0 E=500 X=0 K=0");
  CHECK(money_text(periods[5].mrr_end) == "0.10");
  // December: 0.10 + 250 micro = 0.10025.
  CHECK(counts(periods[11]) == "S=500 C=0 R=500 N=0 A=0 E=500 X=250 K=0");
  CHECK(money_text(periods[11].mrr_end) == "0.10025");
  CHECK(money_text(periods[11].expansion_mrr) == "0.00025");
  CHECK(aggregator.stats().records == 500u * 12u * 200u + 250u);
  CHECK(aggregator.stats().customer_months == 500u * 12u);
  CHECK(aggregator.stats().customers == 500u);
}

namespace {

// A seeded random dataset: reactivations, add-on rows in the same month, zero rows, dated
// periods, csat responses and some acquisition costs.
std::vector<Row> random_rows(unsigned seed, int count) {
  std::mt19937 random(seed);
  const std::vector<std::string> revenues = {"0",     "10",     "10.5",     "99.99",
                                             "100.10", "0.20",  "100.30",  "0.000001",
                                             "1234.567891", "50", "49.999999", "0.00"};
  std::uniform_int_distribution<int> customer(0, 39);
  std::uniform_int_distribution<int> month(0, 23);  // 2023-01 .. 2024-12
  std::uniform_int_distribution<int> revenue(0, static_cast<int>(revenues.size()) - 1);
  std::uniform_int_distribution<int> day(0, 28);      // 0 = "YYYY-MM"
  std::uniform_int_distribution<int> csat(-5, 5);     // <= 0 = no response
  std::uniform_int_distribution<int> cost(0, 9);      // 0 = a cost on this row
  std::vector<Row> rows;
  for (int i = 0; i < count; ++i) {
    const int m = month(random);
    const int d = day(random);
    char period[48];
    if (d == 0) {
      std::snprintf(period, sizeof period, "%04d-%02d", 2023 + m / 12, m % 12 + 1);
    } else {
      std::snprintf(period, sizeof period, "%04d-%02d-%02d", 2023 + m / 12, m % 12 + 1, d);
    }
    Row row{"cust-" + std::to_string(customer(random)), period,
            revenues[static_cast<std::size_t>(revenue(random))]};
    const int c = csat(random);
    row.csat = c > 0 ? c : 0;
    if (cost(random) == 0) row.acquisition_cost = revenues[static_cast<std::size_t>(revenue(random))];
    rows.push_back(row);
  }
  return rows;
}

// The definitions of issue 2 read literally, one customer and one month at a time.
std::string reference_dump(const std::vector<Row>& rows, const MetricOptions& options) {
  std::map<std::pair<std::string, std::int32_t>, MoneySum> revenue;
  std::map<std::int32_t, std::vector<int>> responses;
  std::map<std::int32_t, MoneySum> spend;
  std::set<std::string> customers;
  bool any_spend = false;
  std::int32_t first = std::numeric_limits<std::int32_t>::max();
  std::int32_t last = std::numeric_limits<std::int32_t>::min();
  for (const Row& row : rows) {
    const std::int32_t m = ym(row.period).index;
    revenue[{row.id, m}] += amount(row.revenue);
    customers.insert(row.id);
    if (row.csat != 0) responses[m].push_back(row.csat);
    if (!row.acquisition_cost.empty()) {
      spend[m] += amount(row.acquisition_cost);
      any_spend = true;
    }
    first = std::min(first, m);
    last = std::max(last, m);
  }
  const auto rev = [&](const std::string& c, std::int32_t m) -> MoneySum {
    const auto it = revenue.find({c, m});
    return it == revenue.end() ? 0 : it->second;
  };
  const auto active = [&](const std::string& c, std::int32_t m) { return rev(c, m) > 0; };

  std::string text;
  for (std::int32_t m = first; m <= last; ++m) {
    PeriodMetrics p;
    p.period = YearMonth{m};
    std::int64_t S = 0, C = 0, N = 0, A = 0, E = 0, X = 0, K = 0;
    MoneySum start = 0, end = 0, new_mrr = 0, react = 0, expansion = 0, contraction = 0,
             churned = 0;
    for (const std::string& c : customers) {
      const bool before = m > first && active(c, m - 1);
      const bool now = active(c, m);
      bool earlier = false;
      for (std::int32_t k = first; k < m - 1; ++k) earlier = earlier || active(c, k);
      if (before) {
        ++S;
        start += rev(c, m - 1);
      }
      if (now) {
        ++E;
        end += rev(c, m);
      }
      if (before && !now) {
        ++C;
        churned += rev(c, m - 1);
      }
      if (now && !before && !earlier) {
        ++N;
        new_mrr += rev(c, m);
      }
      if (now && !before && earlier) {
        ++A;
        react += rev(c, m);
      }
      if (before && now && rev(c, m) > rev(c, m - 1)) {
        ++X;
        expansion += rev(c, m) - rev(c, m - 1);
      }
      if (before && now && rev(c, m) < rev(c, m - 1)) {
        ++K;
        contraction += rev(c, m - 1) - rev(c, m);
      }
    }
    p.customers_start = S;
    p.churned_customers = C;
    p.new_customers = N;
    p.reactivated_customers = A;
    p.expanded_customers = X;
    p.contracted_customers = K;
    p.mrr_start = start;
    p.mrr_end = end;
    p.new_mrr = new_mrr;
    p.reactivation_mrr = react;
    p.expansion_mrr = expansion;
    p.contraction_mrr = contraction;
    p.churned_mrr = churned;
    std::int64_t satisfied = 0;
    for (const int score : responses[m]) satisfied += score >= options.csat_threshold ? 1 : 0;
    p.csat_responses = static_cast<std::int64_t>(responses[m].size());
    p.csat_satisfied = satisfied;
    if (any_spend) p.acquisition_cost = spend[m];
    // R and E come from derive_rates (R = S - C, E = R + N + A); compare E with the direct count.
    csm::derive_rates(p, options);
    if (!p.customers_end || *p.customers_end != E) {
      text += "E mismatch in reference\n";
    }
    text += dump({p});
  }
  return text;
}

}  // namespace

TEST_CASE("aggregation agrees with a literal reading of the definitions on random data",
          "[aggregation]") {
  MetricOptions options;
  options.csat_threshold = 3;
  options.gross_margin = 0.7;
  options.discount_rate = 0.01;
  for (const unsigned seed : {1u, 2u, 3u, 2024u}) {
    INFO("seed " << seed);
    const std::vector<Row> rows = random_rows(seed, 400);
    const Result r = run(rows, options);
    check_identities(r.periods);
    CHECK(dump(r.periods) == reference_dump(rows, options));
    CHECK(r.stats.records == 400u);
  }
}

TEST_CASE("aggregation: merge gives the same result as one aggregator", "[aggregation]") {
  const std::vector<Row> rows = random_rows(99, 400);
  const Result whole = run(rows);
  check_identities(whole.periods);

  SECTION("two halves, alternating rows (customer-months split across both)") {
    std::vector<Row> even, odd;
    for (std::size_t i = 0; i < rows.size(); ++i) (i % 2 == 0 ? even : odd).push_back(rows[i]);
    ActivityAggregator a, b;
    feed(a, even);
    feed(b, odd);
    a.merge(std::move(b));
    CHECK(dump(a.finish(MetricOptions{})) == dump(whole.periods));
    CHECK(dump_stats(a.stats()) == dump_stats(whole.stats));
  }
  SECTION("by time: the earlier months arrive through merge") {
    std::vector<Row> early, late;
    for (const Row& row : rows) (row.period < "2024-01" ? early : late).push_back(row);
    ActivityAggregator a, b;
    feed(a, early);
    feed(b, late);
    b.merge(std::move(a));  // the earlier months arrive through merge
    CHECK(dump(b.finish(MetricOptions{})) == dump(whole.periods));
    CHECK(dump_stats(b.stats()) == dump_stats(whole.stats));
  }
  SECTION("by time: the later months arrive through merge") {
    std::vector<Row> early, late;
    for (const Row& row : rows) (row.period < "2024-01" ? early : late).push_back(row);
    ActivityAggregator a, b;
    feed(a, early);
    feed(b, late);
    a.merge(std::move(b));  // the later months arrive through merge
    CHECK(dump(a.finish(MetricOptions{})) == dump(whole.periods));
    CHECK(dump_stats(a.stats()) == dump_stats(whole.stats));
  }
  SECTION("three parts, one empty") {
    ActivityAggregator a, b, c, empty;
    std::vector<Row> parts[3];
    std::mt19937 random(5);
    std::uniform_int_distribution<int> part(0, 2);
    for (const Row& row : rows) parts[static_cast<std::size_t>(part(random))].push_back(row);
    feed(a, parts[0]);
    feed(b, parts[1]);
    feed(c, parts[2]);
    empty.merge(std::move(a));
    empty.merge(std::move(b));
    empty.merge(ActivityAggregator());
    empty.merge(std::move(c));
    CHECK(dump(empty.finish(MetricOptions{})) == dump(whole.periods));
    CHECK(dump_stats(empty.stats()) == dump_stats(whole.stats));
  }
  SECTION("merging an empty aggregator changes nothing") {
    ActivityAggregator a;
    feed(a, rows);
    a.merge(ActivityAggregator());
    CHECK(dump(a.finish(MetricOptions{})) == dump(whole.periods));
    CHECK(dump_stats(a.stats()) == dump_stats(whole.stats));
  }
}
