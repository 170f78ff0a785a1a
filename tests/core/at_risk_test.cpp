// The at-risk rules, worked by hand on the records of tests/data/at_risk/rules.csv (the same rows,
// in the same shuffled order). Active in 2025-08 (the latest month), with their revenue:
//   shrink 240, oldmax 200, sad 150, oldsad 220, back 100, oldback 170, edge20 80, edge19 80.01,
//   newbie 50, flat50 50, tinychange 30 (10 + 20), tiny 20, tiny5 20, bigflat 900  -> 14 active
//   (gone has no 2025-08 row, zero has revenue 0 there).
// Tier limit: ascending 20, 20, 30, 50, 50, 80, ...; rank ceil(14 / 4) = 4 -> 50.00.
// Defaults: contraction and csat windows 3, contraction 20 %, csat <= 2, gap window 6, flat 6
// months, low tier at the 25th percentile.
//   shrink: 500, 400, 300 in 05..07, 240 in 08: 240 <= 0.8 * 500 = 400 -> contraction, 100 (500 -
//     240) / 500 = 52 %, max in 2025-05.
//   oldmax: 1000 in 04 is outside 05..07; max 300 (latest 2025-07); 200 <= 240 -> 33.33 %.
//   edge20: max 100, 80 <= 80 -> contraction at exactly 20 %; edge19: 80.01 > 80 -> nothing.
//   sad: csat 1 in 06, 2 in 08 (and a 5) -> low_csat, lowest 1 in 2025-06, 2 low responses;
//     flat for 8 months but 150 > 50. oldsad: its csat 1 is in 05, outside 06..08.
//   back: 100 in 01, 02, a 0 row in 03, none in 04, 100 from 05 -> gap_return 2025-05, 2 months.
//   oldback: returns in 2025-02, outside 03..08 -> nothing. newbie: new in 07, not a return.
//   tiny: 20 in 01..08 -> flat 8 months <= 50; tinychange: 30 in 03..08 -> 6; flat50: 50 in
//     03..08 -> 6 and 50 <= 50; tiny5: only 5 months; bigflat: 900 > 50.
// At risk: 8 customers, 240 + 200 + 150 + 100 + 80 + 50 + 30 + 20 = 870.00.

#include "csm/at_risk.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using csm::AtRiskOptions;
using csm::AtRiskResult;
using csm::CustomerHistory;
using csm::YearMonth;

namespace {

struct Row {
  const char* customer;
  const char* period;
  const char* revenue;
  int csat;
};

const std::vector<Row> kRows = {
    {"tiny5", "2025-05", "20.00", 0},
    {"oldback", "2025-02", "110", 0},
    {"zero", "2025-08", "0", 1},
    {"tiny5", "2025-08", "20.00", 0},
    {"gone", "2025-04", "300", 0},
    {"tinychange", "2025-07", "30", 0},
    {"edge20", "2025-07", "100", 0},
    {"sad", "2025-03", "150", 0},
    {"flat50", "2025-05", "50", 0},
    {"oldback", "2025-04", "130", 0},
    {"flat50", "2025-07", "50", 0},
    {"oldsad", "2025-06", "200", 0},
    {"oldback", "2025-07", "160", 0},
    {"edge19", "2025-06", "100", 0},
    {"gone", "2025-07", "300", 0},
    {"sad", "2025-08", "150", 2},
    {"sad", "2025-01", "150", 0},
    {"tinychange", "2025-03", "30", 0},
    {"oldback", "2025-08", "170", 0},
    {"tiny5", "2025-07", "20.00", 0},
    {"back", "2025-03", "0", 0},
    {"back", "2025-02", "100", 0},
    {"sad", "2025-07", "150", 0},
    {"tinychange", "2025-05", "30", 0},
    {"gone", "2025-06", "300", 0},
    {"tiny", "2025-02", "20", 0},
    {"oldback", "2025-03", "120", 0},
    {"newbie", "2025-07", "50", 0},
    {"zero", "2025-07", "100", 0},
    {"back", "2025-07", "100", 0},
    {"shrink", "2025-07", "300", 0},
    {"sad", "2025-02", "150", 0},
    {"edge19", "2025-08", "80.01", 0},
    {"flat50", "2025-06", "50", 0},
    {"oldsad", "2025-07", "210", 0},
    {"bigflat", "2025-08", "900", 0},
    {"tinychange", "2025-08-31", "20", 0},
    {"sad", "2025-05", "150", 0},
    {"oldsad", "2025-05", "190", 1},
    {"newbie", "2025-08", "50", 0},
    {"oldmax", "2025-05", "300", 0},
    {"tiny", "2025-06", "20", 0},
    {"oldback", "2025-06", "150", 0},
    {"back", "2025-08", "100", 0},
    {"oldmax", "2025-06", "300", 0},
    {"bigflat", "2025-06", "900", 0},
    {"sad", "2025-04", "150", 0},
    {"bigflat", "2025-05", "900", 0},
    {"oldmax", "2025-04", "1000", 0},
    {"bigflat", "2025-04", "900", 0},
    {"bigflat", "2025-07", "900", 0},
    {"tinychange", "2025-08", "10", 0},
    {"tiny5", "2025-04", "20.00", 0},
    {"shrink", "2025-05", "500", 0},
    {"tiny5", "2025-06", "20.00", 0},
    {"gone", "2025-03", "300", 0},
    {"back", "2025-01", "100", 0},
    {"bigflat", "2025-01", "900", 0},
    {"oldback", "2025-05", "140", 0},
    {"edge19", "2025-07", "100", 0},
    {"edge20", "2025-06", "100", 0},
    {"tiny", "2025-07", "20", 0},
    {"flat50", "2025-03", "50", 0},
    {"flat50", "2025-08", "50", 0},
    {"tiny", "2025-05", "20", 0},
    {"sad", "2025-08-20", "0", 5},
    {"oldback", "2024-12", "100", 0},
    {"tiny", "2025-08", "20", 0},
    {"oldsad", "2025-08", "220", 4},
    {"shrink", "2025-06", "400", 0},
    {"flat50", "2025-04", "50", 0},
    {"oldmax", "2025-07", "300", 0},
    {"tinychange", "2025-06", "30", 0},
    {"tiny", "2025-04", "20", 0},
    {"gone", "2025-02", "300", 0},
    {"bigflat", "2025-03", "900", 0},
    {"tiny", "2025-03", "20", 0},
    {"oldmax", "2025-08", "200", 0},
    {"sad", "2025-06", "150", 1},
    {"edge20", "2025-08", "80", 0},
    {"back", "2025-05", "100", 0},
    {"bigflat", "2025-02", "900", 0},
    {"shrink", "2025-08", "240", 0},
    {"tinychange", "2025-04", "30", 0},
    {"gone", "2025-05", "300", 0},
    {"tiny", "2025-01", "20", 0},
    {"back", "2025-06", "100", 0},
    {"gone", "2025-01", "300", 0},
};

constexpr csm::Money kUnit = 1'000'000;

AtRiskResult evaluate(const std::vector<Row>& rows, const AtRiskOptions& options = {}) {
  CustomerHistory history;
  for (const Row& row : rows) {
    csm::ActivityRecord r;
    const std::string id = row.customer;  // the record's view dies with this copy
    r.customer_id = id;
    REQUIRE(csm::parse_period(row.period, r.period) == csm::PeriodError::ok);
    REQUIRE(csm::parse_money(row.revenue, r.revenue) == csm::DecimalError::ok);
    r.csat = static_cast<std::uint8_t>(row.csat);
    history.add(r);
  }
  return history.evaluate(options);
}

std::vector<std::string> ids(const AtRiskResult& r) {
  std::vector<std::string> out;
  for (const auto& c : r.customers_at_risk) out.push_back(c.customer_id);
  return out;
}

const csm::AtRiskCustomer& find(const AtRiskResult& r, const std::string& id) {
  for (const auto& c : r.customers_at_risk) {
    if (c.customer_id == id) return c;
  }
  FAIL("not at risk: " << id);
  return r.customers_at_risk.front();
}

bool find_any(const AtRiskResult& r, const std::string& id) {
  return std::any_of(r.customers_at_risk.begin(), r.customers_at_risk.end(),
                     [&](const csm::AtRiskCustomer& c) { return c.customer_id == id; });
}

YearMonth month(int y, int m) { return YearMonth::from(y, m); }

}  // namespace

TEST_CASE("at-risk: every rule by hand with the defaults", "[core][at_risk]") {
  const AtRiskResult r = evaluate(kRows);
  REQUIRE(r.as_of == month(2025, 8));
  CHECK(r.customers == 16);
  CHECK(r.active_customers == 14);
  CHECK(r.tier_limit == 50 * kUnit);
  CHECK(ids(r) == std::vector<std::string>{"shrink", "oldmax", "sad", "back", "edge20", "flat50",
                                           "tinychange", "tiny"});

  const auto& shrink = find(r, "shrink");
  CHECK(shrink.revenue_at_risk == 240 * kUnit);
  REQUIRE(shrink.contraction);
  CHECK(shrink.contraction->previous_max == 500 * kUnit);
  CHECK(shrink.contraction->previous_max_period == month(2025, 5));
  CHECK(shrink.contraction->drop_pct == Approx(52.0));
  CHECK(shrink.reasons() == std::vector<std::string_view>{"contraction"});

  const auto& oldmax = find(r, "oldmax");
  REQUIRE(oldmax.contraction);
  CHECK(oldmax.contraction->previous_max == 300 * kUnit);
  CHECK(oldmax.contraction->previous_max_period == month(2025, 7));
  CHECK(oldmax.contraction->drop_pct == Approx(100.0 / 3.0));

  const auto& edge20 = find(r, "edge20");
  REQUIRE(edge20.contraction);
  CHECK(edge20.contraction->drop_pct == Approx(20.0));

  const auto& sad = find(r, "sad");
  REQUIRE(sad.low_csat);
  CHECK(sad.low_csat->lowest == 1);
  CHECK(sad.low_csat->period == month(2025, 6));
  CHECK(sad.low_csat->responses == 2);
  CHECK(sad.reasons() == std::vector<std::string_view>{"low_csat"});

  const auto& back = find(r, "back");
  REQUIRE(back.gap_return);
  CHECK(back.gap_return->returned == month(2025, 5));
  CHECK(back.gap_return->gap_months == 2);

  for (const auto& [id, months] : {std::pair{"flat50", 6}, {"tinychange", 6}, {"tiny", 8}}) {
    const auto& c = find(r, id);
    REQUIRE(c.flat_low_tier);
    CHECK(c.flat_low_tier->months_unchanged == months);
    CHECK(c.flat_low_tier->tier_limit == 50 * kUnit);
    CHECK(c.reasons() == std::vector<std::string_view>{"flat_low_tier"});
  }
}

TEST_CASE("at-risk: the options move the lines", "[core][at_risk]") {
  SECTION("--contraction-pct 50: only shrink's 52 %") {
    AtRiskOptions o;
    o.contraction_pct = 50 * kUnit;
    const AtRiskResult r = evaluate(kRows, o);
    CHECK(find(r, "shrink").contraction);
    for (const auto& c : r.customers_at_risk) {
      if (c.customer_id != "shrink") CHECK_FALSE(c.contraction);
    }
  }
  SECTION("--contraction-window 4: oldmax's 1000 in 2025-04 counts (200 is 80 % below)") {
    AtRiskOptions o;
    o.contraction_window = 4;
    const AtRiskResult r = evaluate(kRows, o);
    const auto& c = find(r, "oldmax");
    REQUIRE(c.contraction);
    CHECK(c.contraction->previous_max == 1000 * kUnit);
    CHECK(c.contraction->previous_max_period == month(2025, 4));
    CHECK(c.contraction->drop_pct == Approx(80.0));
    // The csat window stays 3 months: oldsad's csat 1 in 2025-05 is still outside 06..08.
    CHECK_FALSE(find_any(r, "oldsad"));
  }
  SECTION("--csat-max 1: sad keeps one low response") {
    AtRiskOptions o;
    o.csat_max = 1;
    const AtRiskResult r = evaluate(kRows, o);
    const auto& c = find(r, "sad");
    REQUIRE(c.low_csat);
    CHECK(c.low_csat->responses == 1);
    CHECK(c.low_csat->period == month(2025, 6));
  }
  SECTION("--csat-window 1: sad's csat 2 in 2025-08 only; contraction keeps 3 months") {
    AtRiskOptions o;
    o.csat_window = 1;
    const AtRiskResult r = evaluate(kRows, o);
    const auto& c = find(r, "sad");
    REQUIRE(c.low_csat);
    CHECK(c.low_csat->lowest == 2);
    CHECK(c.low_csat->period == month(2025, 8));
    // shrink's maximum is still 500 in 2025-05 (of 05..07), not 300 in 2025-07 (a 1-month window).
    REQUIRE(find(r, "shrink").contraction);
    CHECK(find(r, "shrink").contraction->previous_max == 500 * kUnit);
  }
  SECTION("--csat-window 4: oldsad's csat 1 in 2025-05 counts") {
    AtRiskOptions o;
    o.csat_window = 4;
    const AtRiskResult r = evaluate(kRows, o);
    const auto& c = find(r, "oldsad");
    REQUIRE(c.low_csat);
    CHECK(c.low_csat->lowest == 1);
    CHECK(c.low_csat->period == month(2025, 5));
    CHECK(c.low_csat->responses == 1);
  }
  // The 14 active revenues of 2025-08 ascending: 20, 20, 30, 50, 50, 80, 80.01, 100, 150, 170,
  // 200, 220, 240, 900. Flat for >= 6 months: tiny 20 (8), tinychange 30 (6), flat50 50 (6),
  // sad 150 (8), bigflat 900 (8).
  SECTION("--low-tier-pct 10: rank ceil(14 * 0.1) = 2 -> 20.00: only tiny") {
    AtRiskOptions o;
    o.low_tier_pct = 10 * kUnit;
    const AtRiskResult r = evaluate(kRows, o);
    CHECK(r.tier_limit == 20 * kUnit);
    for (const auto& c : r.customers_at_risk) {
      CHECK(c.flat_low_tier.has_value() == (c.customer_id == "tiny"));
    }
  }
  SECTION("--low-tier-pct 20: rank ceil(2.8) = 3 -> 30.00: tiny and tinychange") {
    AtRiskOptions o;
    o.low_tier_pct = 20 * kUnit;
    const AtRiskResult r = evaluate(kRows, o);
    CHECK(r.tier_limit == 30 * kUnit);
    CHECK(find(r, "tiny").flat_low_tier);
    CHECK(find(r, "tinychange").flat_low_tier);
    CHECK_FALSE(find_any(r, "flat50"));
  }
  SECTION("--low-tier-pct 100: rank 14 -> 900.00: every flat customer") {
    AtRiskOptions o;
    o.low_tier_pct = 100 * kUnit;
    const AtRiskResult r = evaluate(kRows, o);
    CHECK(r.tier_limit == 900 * kUnit);
    std::vector<std::string> flat;
    for (const auto& c : r.customers_at_risk) {
      if (c.flat_low_tier) flat.push_back(c.customer_id);
    }
    // Sorted by revenue at risk: bigflat 900, sad 150, flat50 50, tinychange 30, tiny 20.
    CHECK(flat == std::vector<std::string>{"bigflat", "sad", "flat50", "tinychange", "tiny"});
    CHECK(find(r, "sad").reasons() == std::vector<std::string_view>{"low_csat", "flat_low_tier"});
  }
  SECTION("--gap-window 7: oldback's return in 2025-02 counts, after 1 month") {
    AtRiskOptions o;
    o.gap_window = 7;
    const AtRiskResult r = evaluate(kRows, o);
    const auto& c = find(r, "oldback");
    REQUIRE(c.gap_return);
    CHECK(c.gap_return->returned == month(2025, 2));
    CHECK(c.gap_return->gap_months == 1);
  }
  SECTION("--flat-months 8: only tiny") {
    AtRiskOptions o;
    o.flat_months = 8;
    const AtRiskResult r = evaluate(kRows, o);
    for (const auto& c : r.customers_at_risk) {
      CHECK(c.flat_low_tier.has_value() == (c.customer_id == "tiny"));
    }
  }
  SECTION("--as-of 2025-07: gone and zero are active; later rows are ignored") {
    AtRiskOptions o;
    o.as_of = month(2025, 7);
    const AtRiskResult r = evaluate(kRows, o);
    CHECK(r.as_of == month(2025, 7));
    CHECK(r.active_customers == 16);
    // shrink: 300 vs the max 500 of 04..06 (none in 04): 40 % down.
    const auto& c = find(r, "shrink");
    REQUIRE(c.contraction);
    CHECK(c.contraction->drop_pct == Approx(40.0));
    CHECK(c.revenue_at_risk == 300 * kUnit);
  }
  SECTION("a month with no customer") {
    AtRiskOptions o;
    o.as_of = month(2030, 1);
    const AtRiskResult r = evaluate(kRows, o);
    CHECK(r.active_customers == 0);
    CHECK(r.customers_at_risk.empty());
  }
}

TEST_CASE("at-risk: options out of range are refused", "[core][at_risk]") {
  CustomerHistory h;
  AtRiskOptions o;
  o.contraction_window = 0;
  CHECK_THROWS_AS(h.evaluate(o), std::invalid_argument);
  o = {};
  o.csat_window = 0;
  CHECK_THROWS_AS(h.evaluate(o), std::invalid_argument);
  o = {};
  // 100 % would need revenue 0, and only customers with revenue are evaluated: never fires.
  o.contraction_pct = 100 * kUnit;
  CHECK_THROWS_AS(h.evaluate(o), std::invalid_argument);
  o.contraction_pct = 100 * kUnit - 1;  // 99.999999 % is allowed
  CHECK_NOTHROW(h.evaluate(o));
  o = {};
  o.low_tier_pct = 0;
  CHECK_THROWS_AS(h.evaluate(o), std::invalid_argument);
  o.low_tier_pct = 100 * kUnit + 1;
  CHECK_THROWS_AS(h.evaluate(o), std::invalid_argument);
  o.low_tier_pct = 100 * kUnit;
  CHECK_NOTHROW(h.evaluate(o));
  o = {};
  o.gap_window = 1;
  CHECK_THROWS_AS(h.evaluate(o), std::invalid_argument);
  o = {};
  o.contraction_pct = 0;
  CHECK_THROWS_AS(h.evaluate(o), std::invalid_argument);
  CHECK_FALSE(h.evaluate({}).as_of.has_value());  // no records: nothing to evaluate
}

TEST_CASE("at-risk: the nearest-rank percentile, exactly", "[core][at_risk]") {
  using csm::percentile_rank;
  CHECK(percentile_rank(0, 25 * kUnit) == 0);
  CHECK(percentile_rank(14, 25 * kUnit) == 4);   // ceil(3.5)
  CHECK(percentile_rank(4, 25 * kUnit) == 1);    // exactly 1
  CHECK(percentile_rank(5, 25 * kUnit) == 2);    // ceil(1.25)
  CHECK(percentile_rank(1, 1) == 1);             // 0.000001 %: at least the first
  CHECK(percentile_rank(100, 100 * kUnit) == 100);
  CHECK(percentile_rank(3, 33'333'333) == 1);    // 3 * 33.333333 / 100 = 0.99999999
  CHECK(percentile_rank(3, 33'333'334) == 2);    // 3 * 33.333334 / 100 = 1.00000002
  CHECK(percentile_rank(8, 12'500'000) == 1);    // 8 * 12.5 / 100 = 1 exactly
}

TEST_CASE("at-risk: the same records in any order give the same result", "[core][at_risk]") {
  const AtRiskResult expected = evaluate(kRows);
  std::vector<Row> rows = kRows;
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(rows.begin(), rows.end(), random);
    const AtRiskResult r = evaluate(rows);
    REQUIRE(ids(r) == ids(expected));
    CHECK(r.tier_limit == expected.tier_limit);
    for (std::size_t i = 0; i < r.customers_at_risk.size(); ++i) {
      const auto& a = r.customers_at_risk[i];
      const auto& b = expected.customers_at_risk[i];
      CHECK(a.revenue_at_risk == b.revenue_at_risk);
      CHECK(a.reasons() == b.reasons());
      if (a.contraction) CHECK(a.contraction->drop_pct == b.contraction->drop_pct);
      if (a.low_csat) CHECK(a.low_csat->period == b.low_csat->period);
      if (a.gap_return) CHECK(a.gap_return->gap_months == b.gap_return->gap_months);
      if (a.flat_low_tier) CHECK(a.flat_low_tier->months_unchanged == b.flat_low_tier->months_unchanged);
    }
  }
}

TEST_CASE("at-risk: ties in revenue sort by customer_id", "[core][at_risk]") {
  // Three customers with a csat 1 response and the same revenue, added in reverse order.
  CustomerHistory h;
  for (const char* id : {"c", "b", "a"}) {
    csm::ActivityRecord r;
    r.customer_id = id;
    r.period = month(2025, 1);
    r.revenue = 10 * kUnit;
    r.csat = 1;
    h.add(r);
  }
  csm::ActivityRecord big;
  big.customer_id = "z";
  big.period = month(2025, 1);
  big.revenue = 11 * kUnit;
  big.csat = 2;
  h.add(big);
  CHECK(ids(h.evaluate({})) == std::vector<std::string>{"z", "a", "b", "c"});
}

TEST_CASE("at-risk: a month's revenue beyond the money range is an error", "[core][at_risk]") {
  CustomerHistory h;
  csm::ActivityRecord r;
  r.customer_id = "big";
  r.period = month(2025, 1);
  r.revenue = csm::kMaxMoney;
  h.add(r);
  r.revenue = 1;
  CHECK_THROWS_WITH(h.add(r), "customer \"big\", 2025-01: the month's revenue sum exceeds 9223372036854.775807");
}
