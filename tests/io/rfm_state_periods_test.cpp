// rfm states with BG/BB period histories (rfm --emit-state --periods, issue 20): the lines
// round-trip, a state without them has none, and impossible histories are refused.
#include <catch2/catch.hpp>

#include <string>

#include "csm/error.hpp"
#include "csm/io/state_file.hpp"

namespace {

csm::io::RfmState sample(const std::string& periods) {
  csm::io::RfmState state;
  state.tool_version = "9.9.9";
  state.sources = {"a.csv"};
  state.records = 3;
  csm::RfmSummary& s = state.summary;
  s.unit = csm::TimeUnit::day;
  s.end = csm::Date{20000};
  s.transactions = 3;
  s.transactions_used = 3;
  csm::RfmCustomer one;  // one purchase, 10 days before the end
  one.customer_id = "a";
  one.first = one.last = csm::Date{19990};
  one.T = 10;
  csm::RfmCustomer two;  // two purchase days, 20 and 5 days before the end
  two.customer_id = "b";
  two.first = csm::Date{19980};
  two.last = csm::Date{19995};
  two.x = 1;
  two.t_x = 15;
  two.T = 20;
  two.repeat_amount = 5'000'000;
  two.monetary = 5.0;
  s.customers = {one, two};
  state.periods = periods;
  if (!periods.empty()) s.periods = {{0, 0, 2}, {1, 2, 3}};
  return state;
}

}  // namespace

TEST_CASE("an rfm state with BG/BB periods round-trips, one without has no period lines", "[state]") {
  const std::string text = csm::io::to_state_text(sample("quarter"));
  CHECK(text.find("\nperiods quarter\n") != std::string::npos);
  CHECK(text.find("\np 0 0 2\np 1 2 3\n") != std::string::npos);
  const csm::io::RfmState back = csm::io::parse_rfm_state(text, "s");
  CHECK(back.periods == "quarter");
  REQUIRE(back.summary.periods.size() == 2);
  CHECK(back.summary.periods[1].x == 1);
  CHECK(back.summary.periods[1].t_x == 2);
  CHECK(back.summary.periods[1].n == 3);
  CHECK(csm::io::to_state_text(back) == text);
  const std::string plain = csm::io::to_state_text(sample(""));
  CHECK(plain.find("periods") == std::string::npos);
  CHECK(plain.find("\np ") == std::string::npos);
  CHECK(csm::io::parse_rfm_state(plain, "s").summary.periods.empty());
}

TEST_CASE("an rfm state with an impossible BG/BB history is refused", "[state]") {
  csm::io::RfmState state = sample("year");
  state.summary.periods[1] = {3, 2, 5};  // x > t_x
  const std::string text = csm::io::to_state_text(state);
  try {
    (void)csm::io::parse_rfm_state(text, "s");
    FAIL("accepted");
  } catch (const csm::InputError& e) {
    CHECK(std::string(e.what()).find("period history 3 2 5") != std::string::npos);
  }
  state.summary.periods[1] = {0, 1, 5};  // t_x without a transaction
  try {
    (void)csm::io::parse_rfm_state(csm::io::to_state_text(state), "s");
    FAIL("accepted");
  } catch (const csm::InputError& e) {
    CHECK(std::string(e.what()).find("period history") != std::string::npos);
  }
}
