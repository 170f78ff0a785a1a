// The partial-state file: round trip, and the refusals of a truncated, corrupted or other-version
// state (each an InputError naming the file).
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/state_file.hpp"

namespace {

csm::io::ActivityState sample() {
  csm::ActivityAggregator aggregator;
  aggregator.group_by_segment();
  for (const auto& [id, month, revenue, segment] :
       {std::tuple{"a", 1, 10, "x y"}, std::tuple{"a", 2, 12, "%"}, std::tuple{"b", 2, 3, "x y"}}) {
    csm::ActivityRecord r;
    r.customer_id = id;
    r.period = csm::YearMonth::from(2024, month);
    r.revenue = csm::Money{revenue} * 1'000'000;
    r.segment = segment;
    r.csat = 4;
    aggregator.add(r);
  }
  csm::io::ActivityState state;
  state.tool_version = "test";
  state.shard = 1;
  state.shard_count = 4;
  state.options.gross_margin = 0.1;  // not exact in binary: must round-trip bit for bit
  state.group_by = "plan name";
  state.sources = {"a b.csv", ""};
  state.records = 3;
  state.raw = aggregator.finish_raw();
  return state;
}

// `text` (a state) with `from` replaced by `to` and a correct `end` line again: a state edited by
// hand, which the checksum alone does not catch. The trailer is worked out here independently.
std::string edited(const std::string& text, const std::string& from, const std::string& to) {
  std::string body = text.substr(0, text.rfind("end "));
  const std::size_t at = body.find(from);
  REQUIRE(at != std::string::npos);
  body.replace(at, from.size(), to);
  std::uint64_t h = 14695981039346656037ull;
  std::uint64_t lines = 0;
  for (const char c : body) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    lines += c == '\n' ? 1u : 0u;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return body + "end " + std::to_string(lines) + " " + hex + "\n";
}

std::string error_of(const std::string& text) {
  try {
    (void)csm::io::parse_activity_state(text, "part.csmstate");
  } catch (const csm::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a state round-trips", "[state]") {
  const csm::io::ActivityState state = sample();
  const std::string text = csm::io::to_state_text(state);
  const csm::io::ActivityState back = csm::io::parse_activity_state(text, "s");
  CHECK(csm::io::to_state_text(back) == text);
  CHECK(back.options.gross_margin == 0.1);
  CHECK(back.group_by == "plan name");
  CHECK(back.sources == std::vector<std::string>{"a b.csv", ""});
  REQUIRE(back.raw.groups.size() == 2);
  CHECK(back.raw.groups[0].name == "%");  // '%' (0x25) sorts before 'x'
  CHECK(back.raw.groups[1].name == "x y");
  CHECK(back.shard == 1);
  CHECK(back.shard_count == 4);
  // 2024-02: a expanded 10 -> 12 and b is new: end 2, mrr_end 15.
  CHECK(back.raw.counts[1].end == 2);
  CHECK(back.raw.counts[1].mrr_end == 15'000'000);
  CHECK(csm::io::encode_state_string("a b%\n") == "=a%20b%25%0A");
}

TEST_CASE("a state with an nps column round-trips; one without has no nps line", "[state]") {
  CHECK(csm::io::to_state_text(sample()).find("\nnps\n") == std::string::npos);
  csm::ActivityAggregator aggregator;
  aggregator.group_by_segment();
  // a: 10 (promoter) and 6 (detractor) in January; b: 7 (passive) in February, 0 in March.
  for (const auto& [id, month, answer, segment] :
       {std::tuple{"a", 1, 10, "x"}, std::tuple{"a", 1, 6, "x"}, std::tuple{"b", 2, 7, "y"},
        std::tuple{"b", 3, 0, "y"}, std::tuple{"b", 4, -1, "y"}}) {
    csm::ActivityRecord r;
    r.customer_id = id;
    r.period = csm::YearMonth::from(2024, month);
    r.revenue = 1'000'000;
    r.segment = segment;
    r.nps = static_cast<std::int8_t>(answer);
    r.nps_column = true;
    aggregator.add(r);
  }
  csm::io::ActivityState state;
  state.tool_version = "test";
  state.shard_count = 1;
  state.group_by = "segment";
  state.records = 5;
  state.raw = aggregator.finish_raw();
  const std::string text = csm::io::to_state_text(state);
  CHECK(text.find("\nnps\n") != std::string::npos);
  const csm::io::ActivityState back = csm::io::parse_activity_state(text, "s");
  CHECK(csm::io::to_state_text(back) == text);
  CHECK(back.raw.stats.has_nps);
  REQUIRE(back.raw.sums.size() == 4);
  CHECK(back.raw.sums[0].nps[0] == 1);  // January: promoter 10
  CHECK(back.raw.sums[0].nps[2] == 1);  // and detractor 6
  CHECK(back.raw.sums[1].nps[1] == 1);  // February: passive 7
  CHECK(back.raw.sums[2].nps[2] == 1);  // March: detractor 0
  CHECK(back.raw.sums[3].nps[0] + back.raw.sums[3].nps[1] + back.raw.sums[3].nps[2] == 0);
  REQUIRE(back.raw.groups.size() == 2);
  CHECK(back.raw.groups[1].sums[2].nps[2] == 1);  // y's March
  // The metrics: January NPS 100 (1 - 1) / 2 = 0, February 100 (0 - 0) / 1 = 0, March -100, April null.
  const auto periods = csm::periods_from_raw(back.raw, csm::MetricOptions{});
  REQUIRE(periods.size() == 4);
  CHECK(periods[0].nps == 0.0);
  CHECK(periods[0].nps_responses == 2);
  CHECK(periods[2].nps == -100.0);
  CHECK_FALSE(periods[3].nps.has_value());
  CHECK(periods[3].nps_responses == 0);
  // A month line without its NPS answers is refused.
  CHECK_THAT(error_of(edited(text, " 0 0 1 0 1\n", " 0 0 1\n")), Catch::Contains("'month' line: expected"));
}

TEST_CASE("bad states are refused with the file name", "[state]") {
  const std::string text = csm::io::to_state_text(sample());
  CHECK_THAT(error_of(text.substr(0, text.size() / 2)), Catch::Contains("part.csmstate") && Catch::Contains("truncated"));
  std::string changed = text;
  changed[changed.find("month 2024-01 ") + 14] = '7';
  CHECK_THAT(error_of(changed), Catch::Contains("part.csmstate") && Catch::Contains("corrupted"));
  std::string version = text;
  version.replace(0, 19, "csm-metrics state 9");
  CHECK_THAT(error_of(version), Catch::Contains("state format version") && Catch::Contains("reads version 2"));
  CHECK_THAT(error_of("customer_id,period\n"), Catch::Contains("not a csm-metrics state"));
  CHECK_THAT(error_of(""), Catch::Contains("part.csmstate"));
}

TEST_CASE("a state's settings and counts are checked like the command line's", "[state]") {
  const std::string text = csm::io::to_state_text(sample());
  CHECK(error_of(edited(text, "csat_threshold 4", "csat_threshold 4")) == "(no error)");
  CHECK_THAT(error_of(edited(text, "gross_margin 0.10000000000000001", "gross_margin 1.01")),
             Catch::Contains("part.csmstate:6") && Catch::Contains("gross_margin 1.01: expected 0..1"));
  CHECK_THAT(error_of(edited(text, "discount_rate 0", "discount_rate -1")), Catch::Contains("discount_rate -1"));
  CHECK_THAT(error_of(edited(text, "csat_threshold 4", "csat_threshold 0")), Catch::Contains("expected 1..5"));
  // 2024-01: a is new (S 0, N 1, E 1, mrr_end 10). An end count of 2 breaks E = S - C + N + A.
  CHECK_THAT(error_of(edited(text, "month 2024-01 0 0 1 0 1 ", "month 2024-01 0 0 1 0 2 ")),
             Catch::Contains("month 2024-01: inconsistent counts"));
  // New MRR 11 with mrr_end 10 breaks the MRR bridge.
  CHECK_THAT(error_of(edited(text, " 0 10000000 10000000 0", " 0 10000000 11000000 0")),
             Catch::Contains("inconsistent MRR"));
  CHECK_THAT(error_of(edited(text, "records activity\nuntil -", "records subscription\nuntil -")),
             Catch::Contains("'until' line"));
}

TEST_CASE("a state of another csm-metrics version is refused, naming both", "[state]") {
  CHECK_NOTHROW(csm::io::check_state_tool_version("0.1.0", "0.1.0", "s"));
  try {
    csm::io::check_state_tool_version("0.0.9", "0.1.0", "part.csmstate");
    FAIL("no error");
  } catch (const csm::InputError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("part.csmstate:3") && Catch::Contains("\"0.0.9\"") &&
                                          Catch::Contains("this is csm-metrics 0.1.0"));
  }
}

TEST_CASE("settings print in the shortest text that reads back exactly", "[state]") {
  CHECK(csm::io::shortest_double_text(0.7) == "0.7");
  CHECK(csm::io::shortest_double_text(0.7000000000000001) == "0.7000000000000001");
  CHECK(csm::io::shortest_double_text(1) == "1");
  CHECK(csm::io::shortest_double_text(0.1) == "0.1");
}

TEST_CASE("a subscription state round-trips with its --until", "[state]") {
  csm::io::ActivityState state = sample();
  state.subscriptions = true;
  state.until = csm::YearMonth::from(2024, 2);
  const std::string text = csm::io::to_state_text(state);
  CHECK(text.find("records subscription\nuntil 2024-02\n") != std::string::npos);
  const csm::io::ActivityState back = csm::io::parse_activity_state(text, "s");
  CHECK(back.subscriptions);
  CHECK(back.until == csm::YearMonth::from(2024, 2));
  // Months after --until cannot be: 2024-02 is the state's last month.
  CHECK_THAT(error_of(edited(text, "until 2024-02", "until 2024-01")), Catch::Contains("months after --until 2024-01"));
}
