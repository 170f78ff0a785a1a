// The features of `churn-risk`, worked out by hand on one customer:
//   month      01   02   03     04   05   06   07 (after --as-of)
//   revenue   100  100   50      -   80   80   0 row... (see below)
//   csat        4    -  2, 5     -    -    -
//   logins     10   20  blank    -    5    4
// At 2024-06: tenure 6 (first month with revenue 01); revenue 80; change 1m 0 %, 3m vs 50: +60 %,
// 6m vs 2023-12 (no revenue): missing; largest drop in 01..06: 03 -> 04 is 50 -> 0, 100 %;
// 1 month inactive (04), 1 reactivation (05), 1 month since it; plan changes in 12 months: 03
// (100 -> 50) only, 1; 2 months at 80; csat latest = the mean of 03's answers 3.5, lowest in
// 6 months 2, 3 answers, 3 months since; logins 4, -20 % vs 05, -20 % vs the mean of the observed
// 03..05 (05 only: 5); trend over 01, 02, 05, 06 (x = -5, -4, -1, 0; y = 10, 20, 5, 4):
// slope = (4 * -135 - (-10)(39)) / (4 * 42 - 100) = -150 / 68, mean 9.75: -22.624 % a month.

#include "csm/churn_features.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

using csm::YearMonth;

namespace {

struct Row {
  const char* period;
  double revenue;
  int csat;
  std::optional<double> logins;
  const char* segment;
};

void add(csm::ChurnHistory& h, const char* id, const Row& r) {
  std::vector<std::optional<double>> signals{r.logins};
  csm::ActivityRecord rec;
  rec.customer_id = id;
  REQUIRE(csm::parse_period(r.period, rec.period) == csm::PeriodError::ok);
  rec.revenue = static_cast<csm::Money>(std::llround(r.revenue * csm::kMoneyScale));
  rec.csat = static_cast<std::uint8_t>(r.csat);
  rec.segment = r.segment;
  rec.signals = signals;
  h.add(rec);
}

std::vector<Row> rows() {
  return {{"2024-01", 100, 4, 10, "smb"},      {"2024-02", 100, 0, 20, "smb"},
          {"2024-03", 50, 2, std::nullopt, "smb"}, {"2024-03", 0, 5, std::nullopt, "smb"},
          {"2024-05", 80, 0, 5, "smb"},        {"2024-06", 80, 0, 4, "mid"}};
}

float value(const csm::FeatureTable& t, std::size_t row, const std::string& name) {
  for (std::size_t j = 0; j < t.columns(); ++j) {
    if (t.features[j].name == name) return t.row(row)[j];
  }
  FAIL("no feature " << name);
  return 0;
}

}  // namespace

TEST_CASE("features of one customer at one month, by hand", "[churn_features]") {
  csm::ChurnHistory h({"logins"});
  for (const Row& r : rows()) add(h, "a", r);
  const auto t = csm::build_features(h, YearMonth::from(2024, 1), YearMonth::from(2024, 6), 1);
  REQUIRE(t.rows() == 5);  // 01, 02, 03, 05, 06 (04 has no revenue)
  const std::size_t r = 4;
  REQUIRE(t.month[r] == YearMonth::from(2024, 6).index);
  REQUIRE(value(t, r, "tenure_months") == 6);
  REQUIRE(value(t, r, "revenue") == 80);
  REQUIRE(value(t, r, "revenue_change_1m") == Approx(0));
  REQUIRE(value(t, r, "revenue_change_3m") == Approx(60));
  REQUIRE(std::isnan(value(t, r, "revenue_change_6m")));
  REQUIRE(value(t, r, "largest_drop_6m") == Approx(100));
  REQUIRE(value(t, r, "months_inactive") == 1);
  REQUIRE(value(t, r, "reactivations") == 1);
  REQUIRE(value(t, r, "months_since_return") == 1);
  REQUIRE(value(t, r, "plan_changes_12m") == 1);
  REQUIRE(value(t, r, "months_at_revenue") == 2);
  REQUIRE(value(t, r, "csat_latest") == Approx(3.5));
  REQUIRE(value(t, r, "csat_lowest_6m") == 2);
  REQUIRE(value(t, r, "csat_count") == 3);
  REQUIRE(value(t, r, "months_since_csat") == 3);
  REQUIRE(value(t, r, "logins") == 4);
  REQUIRE(value(t, r, "logins_change_1m") == Approx(-20));
  REQUIRE(value(t, r, "logins_change_3m") == Approx(-20));
  REQUIRE(value(t, r, "logins_trend_6m") == Approx(100 * (-150.0 / 68) / 9.75).epsilon(1e-5));
  // Segment columns: the most frequent first, as columns in name order; 06 is "mid".
  REQUIRE(value(t, r, "segment=mid") == 1);
  REQUIRE(value(t, r, "segment=smb") == 0);
  // Labels with horizon 1: 03 churned (no revenue in 04); 01, 02, 05 stayed; 06 unknown.
  REQUIRE(t.label == std::vector<std::int8_t>{0, 0, 1, 0, -1});
  // Horizon 2: 02 churned too (04 within 03..04); 05 unknown (07 is after the last month).
  const auto t2 = csm::build_features(h, YearMonth::from(2024, 1), YearMonth::from(2024, 6), 2);
  REQUIRE(t2.label == std::vector<std::int8_t>{0, 1, 1, -1, -1});
  // 03's 3-month change has nothing to compare with (2023-12): missing; 02's csat: 01's answer.
  REQUIRE(std::isnan(value(t, 2, "revenue_change_3m")));
  REQUIRE(value(t, 1, "csat_latest") == 4);
}

TEST_CASE("features never look past the last month", "[churn_features]") {
  csm::ChurnHistory before({"logins"}), after({"logins"});
  for (const Row& r : rows()) {
    add(before, "a", r);
    add(after, "a", r);
  }
  // Only `after` knows 2024-07 and later: a new segment, a new customer, csat, logins.
  add(after, "a", {"2024-07", 500, 1, 999, "enterprise"});
  add(after, "b", {"2024-07", 10, 1, 1, "enterprise"});
  add(after, "a", {"2024-09", 5, 1, 0, "zzz"});
  const auto a = csm::build_features(before, YearMonth::from(2024, 1), YearMonth::from(2024, 6), 1);
  const auto b = csm::build_features(after, YearMonth::from(2024, 1), YearMonth::from(2024, 6), 1);
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.label == b.label);
  REQUIRE(a.customer_ids == b.customer_ids);
  REQUIRE(a.columns() == b.columns());
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    const bool same = (std::isnan(a.values[i]) && std::isnan(b.values[i])) || a.values[i] == b.values[i];
    REQUIRE(same);
  }
  // 06's label with horizon 1 becomes known (and churned: no revenue in 08 ... 07 has 500) only
  // when the last month moves on.
  const auto c = csm::build_features(after, YearMonth::from(2024, 1), YearMonth::from(2024, 7), 1);
  REQUIRE(c.label[4] == 0);
}
