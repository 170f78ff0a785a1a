// The rows of the extreme months (ReadReport::month_rows), which name the row behind a range of
// months too long for a cohort table: the first row of each month in input order, and the same
// whether a file is read in one stream or in shares on several threads.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"
#include "csm/cohorts.hpp"
#include "csm/error.hpp"
#include "csm/io/record_input.hpp"
#include "memory_inputs.hpp"

namespace {

csm::YearMonth ym(int year, int month) { return csm::YearMonth{year * 12 + month - 1}; }

std::string where(const std::optional<csm::io::MonthRow>& row) {
  if (!row) return "-";
  return csm::to_string(row->month) + "@" + row->source + ":" + std::to_string(row->line);
}

}  // namespace

TEST_CASE("month rows: the two earliest and latest months, each at its first row") {
  csm::io::MonthRows rows;
  // Lines 2..6: 2025-03, 2025-01, 2025-01 again, 2025-05, 2025-02.
  rows.add(ym(2025, 3), "a.csv", 2);
  rows.add(ym(2025, 1), "a.csv", 3);
  rows.add(ym(2025, 1), "a.csv", 4);
  rows.add(ym(2025, 5), "a.csv", 5);
  rows.add(ym(2025, 2), "a.csv", 6);
  CHECK(where(rows.first) == "2025-01@a.csv:3");
  CHECK(where(rows.next_first) == "2025-02@a.csv:6");
  CHECK(where(rows.last) == "2025-05@a.csv:5");
  CHECK(where(rows.next_last) == "2025-03@a.csv:2");

  // The same rows in two parts, the second counting its lines from 0 after 4 lines.
  csm::io::MonthRows head, tail, folded;
  head.add(ym(2025, 3), "a.csv", 2);
  head.add(ym(2025, 1), "a.csv", 3);
  head.add(ym(2025, 1), "a.csv", 4);
  tail.add(ym(2025, 5), "a.csv", 1);
  tail.add(ym(2025, 2), "a.csv", 2);
  folded.add(head, 0);
  folded.add(tail, 4);
  CHECK(where(folded.first) == where(rows.first));
  CHECK(where(folded.next_first) == where(rows.next_first));
  CHECK(where(folded.last) == where(rows.last));
  CHECK(where(folded.next_last) == where(rows.next_last));
}

TEST_CASE("month rows: a file read in shares names the same rows as one stream") {
  // 3,000 rows over 2024-01..2024-12, then a row 1901-07 on line 1,502 and 2031-02 on line 2,803.
  std::string text = "customer_id,period,revenue\n";
  for (int i = 2; i <= 3001; ++i) {
    std::string period = "2024-" + std::string(i % 12 + 1 < 10 ? "0" : "") + std::to_string(i % 12 + 1);
    if (i == 1502) period = "1901-07";
    if (i == 2803) period = "2031-02";
    text += "c" + std::to_string(i % 97) + "," + period + ",1.00\n";
  }
  const std::string name = csm::test::MemoryDir().write("month-rows.csv", text);
  for (unsigned threads : {1u, 3u}) {
    csm::io::ReadOptions options;
    options.threads = threads;
    options.split_min_bytes = 1;
    csm::io::RecordInput input = csm::test::open_input({name}, options);
    csm::ActivityAggregator aggregator;
    input.read(aggregator);
    const csm::io::MonthRows& rows = input.report().month_rows;
    INFO("threads " << threads);
    CHECK(where(rows.first) == "1901-07@" + std::string(name) + ":1502");
    CHECK(where(rows.last) == "2031-02@" + std::string(name) + ":2803");
    // 2024-01 first appears where i % 12 + 1 == 1: i = 12, line 12; 2024-12 at i = 11.
    CHECK(where(rows.next_first) == "2024-01@" + std::string(name) + ":12");
    CHECK(where(rows.next_last) == "2024-12@" + std::string(name) + ":11");
  }
}

TEST_CASE("cohorts: at most kMaxCohortMonths months; the aggregator refuses more") {
  const auto run = [](csm::YearMonth first, csm::YearMonth last) {
    csm::ActivityAggregator aggregator;
    aggregator.collect_cohorts(csm::CohortOptions{});
    csm::ActivityRecord a;
    a.customer_id = "a";
    a.period = first;
    a.revenue = 1;
    aggregator.add(a);
    csm::ActivityRecord b = a;
    b.customer_id = "b";
    b.period = last;
    aggregator.add(b);
    (void)aggregator.finish_raw(2);
    return aggregator.take_cohorts();
  };
  // 1926-01..2025-12 = 100 years = 1,200 months: two cohorts, of 1,200 and 1 ages.
  const csm::CohortTable table = run(ym(1926, 1), ym(2025, 12));
  REQUIRE(table.cohorts.size() == 2);
  CHECK(table.cohorts[0].ages.size() == 1200);
  CHECK(table.cohorts[1].ages.size() == 1);
  CHECK(table.cohorts[0].ages[1199].active_customers == 0);
  CHECK(table.cohorts[1].ages[0].active_customers == 1);
  // One month more is refused before anything of its size is made.
  CHECK_THROWS_WITH(run(ym(1925, 12), ym(2025, 12)),
                    "period: the data spans 1201 months (1925-12 to 2025-12); cohorts cover at most 1200");
}
