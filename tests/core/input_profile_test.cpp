#include "csm/input_profile.hpp"

#include <catch2/catch.hpp>

using csm::InputProfile;
using csm::YearMonth;

namespace {
std::uint64_t row_hash(std::string_view id, std::string_view period, std::int64_t revenue) {
  std::uint64_t h = InputProfile::kSeed;
  h = InputProfile::mix(h, id);
  h = InputProfile::mix(h, period);
  return InputProfile::mix(h, revenue);
}
}  // namespace

// Rows: (a, Jan, 10) twice more after the first -> 2 duplicates; (a, Jan, 0) is another row;
// ("ab", "c") and ("a", "bc") must not collide; Feb has no row, Mar has one.
TEST_CASE("input profile: duplicates, months with rows, zero revenue", "[core][explain]") {
  InputProfile p;
  const YearMonth jan = YearMonth::from(2024, 1);
  const YearMonth mar = YearMonth::from(2024, 3);
  p.row(jan, row_hash("a", "2024-01", 10), false);
  p.row(jan, row_hash("a", "2024-01", 10), false);
  p.row(jan, row_hash("a", "2024-01", 0), true);
  p.row(jan, row_hash("a", "2024-01", 10), false);
  p.row(mar, row_hash("ab", "c", 5), false);
  p.row(mar, row_hash("a", "bc", 5), false);
  CHECK(p.rows() == 6);
  CHECK(p.duplicate_rows() == 2);
  CHECK(p.zero_revenue_rows() == 1);
  CHECK(p.has_rows(jan));
  CHECK_FALSE(p.has_rows(YearMonth::from(2024, 2)));
  CHECK(p.has_rows(mar));
  CHECK_FALSE(p.has_rows(YearMonth::from(2023, 12)));
  CHECK_FALSE(p.has_rows(YearMonth::from(2024, 4)));
}

TEST_CASE("input profile: many distinct rows are not duplicates (table growth)", "[core][explain]") {
  InputProfile p;
  for (std::int64_t i = 0; i < 100000; ++i) {
    p.row(YearMonth::from(2020, 1 + static_cast<int>(i % 12)), row_hash("c", "p", i), false);
  }
  CHECK(p.duplicate_rows() == 0);
  for (std::int64_t i = 0; i < 100000; i += 1000) {
    p.row(YearMonth::from(2020, 1), row_hash("c", "p", i), false);
  }
  CHECK(p.duplicate_rows() == 100);
}

// An empty field may be a view with no data at all (an absent segment); hashing it is fine and
// differs from a field with bytes.
TEST_CASE("input profile: empty fields hash", "[core][explain]") {
  const std::uint64_t empty = InputProfile::mix(InputProfile::kSeed, std::string_view());
  CHECK(empty == InputProfile::mix(InputProfile::kSeed, std::string_view("")));
  CHECK(empty != InputProfile::mix(InputProfile::kSeed, std::string_view("x")));
}
