// The partial-state file: round trip, and the refusals of a truncated, corrupted or other-version
// state (each an InputError naming the file).
#include <catch2/catch.hpp>
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
