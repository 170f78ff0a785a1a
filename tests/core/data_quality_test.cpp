#include "csm/data_quality.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using csm::DataProfile;
using csm::DataWarning;
using csm::RowHash;
using csm::YearMonth;

namespace {

struct Row {
  std::string customer;
  YearMonth month;
  std::int64_t revenue;
  std::uint32_t source;
  std::uint64_t line;
};

std::uint64_t hash_of(const Row& r, bool with_revenue = true) {
  RowHash h;
  h.add(r.customer);
  h.add(std::int64_t{r.month.index});
  if (with_revenue) h.add(r.revenue);
  return h.value();
}

// A row as the readers describe it without --dedupe (several inputs: customer-months too).
void describe(DataProfile& p, const Row& r) {
  p.log_row(hash_of(r), r.month, {r.source, r.line});
  p.row(r.month, 0);
  p.place(r.month, {r.source, r.line});
  p.customer_month(hash_of(r, false), r.month, {r.source, r.line});
}

std::vector<DataWarning> warnings_of(const DataProfile& p) {
  DataProfile::Checks checks;
  checks.gaps = checks.partial = checks.future = checks.isolated = false;
  return p.warnings({"a.csv", "b.csv"}, csm::Date{0}, checks);
}

const YearMonth jan = YearMonth::from(2024, 1);
const YearMonth feb = YearMonth::from(2024, 2);
const YearMonth mar = YearMonth::from(2024, 3);

// a.csv: line 2 (x, Mar, 10), 3 (y, Jan, 10), 4 (x, Mar, 10) copy of 2, 5 (z, Feb, 10),
//        6 (y, Jan, 10) copy of 3, 7 (z, Feb, 10) copy of 5, 8 (w, Jan, 10)
// b.csv: line 2 (w, Jan, 20) overlaps a.csv:8; 3 (x, Mar, 10) copy of a.csv:2 and overlaps;
//        4 (x, Mar, 10) copy again (the customer-month counted once).
// duplicate_rows: 5 (a:4, a:6, a:7, b:3, b:4), first at a.csv:4, 6, 7 (line order,
// though March's bucket is not the first), months Jan, Feb, Mar.
// overlapping_sources: (w, Jan) at b.csv:2 and (x, Mar) at b.csv:3: 2 customer-months, 2 inputs.
const std::vector<Row> kRows = {
    {"x", mar, 10, 0, 2}, {"y", jan, 10, 0, 3}, {"x", mar, 10, 0, 4}, {"z", feb, 10, 0, 5},
    {"y", jan, 10, 0, 6}, {"z", feb, 10, 0, 7}, {"w", jan, 10, 0, 8},
    {"w", jan, 20, 1, 2}, {"x", mar, 10, 1, 3}, {"x", mar, 10, 1, 4},
};

}  // namespace

TEST_CASE("data profile: duplicates and overlaps found from the log, in line order", "[core][quality]") {
  DataProfile p;
  for (const Row& r : kRows) describe(p, r);
  p.seal();
  const auto w = warnings_of(p);
  REQUIRE(w.size() == 2);
  CHECK(w[0].code == "duplicate_rows");
  CHECK(w[0].counts == std::vector<std::pair<std::string, std::uint64_t>>{{"rows", 5}});
  CHECK(w[0].locations == std::vector<std::string>{"a.csv:4", "a.csv:6", "a.csv:7"});
  CHECK(w[0].periods == std::vector<YearMonth>{jan, feb, mar});
  CHECK(w[1].code == "overlapping_sources");
  CHECK(w[1].counts == std::vector<std::pair<std::string, std::uint64_t>>{{"customer_months", 2}, {"inputs", 2}});
  CHECK(w[1].locations == std::vector<std::string>{"b.csv:2", "b.csv:3"});
  CHECK(w[1].periods == std::vector<YearMonth>{jan, mar});
  CHECK(p.duplicate_rows() == 5);
  CHECK(p.overlapping_customer_months() == 2);
}

TEST_CASE("data profile: shares merged in file order find what one stream finds", "[core][quality]") {
  DataProfile one;
  for (const Row& r : kRows) describe(one, r);
  one.seal();
  // Every cut of a.csv into two shares (lines counted from each share's start), then b.csv.
  for (std::size_t cut = 0; cut <= 7; ++cut) {
    DataProfile whole;
    DataProfile first;
    DataProfile second;
    for (std::size_t i = 0; i < 7; ++i) {
      Row r = kRows[i];
      if (i < cut) {
        r.line -= 1;  // the share starts after the header line
        describe(first, r);
      } else {
        r.line -= 1 + cut;
        describe(second, r);
      }
    }
    whole.merge(std::move(first), 1);
    whole.merge(std::move(second), 1 + cut);
    for (std::size_t i = 7; i < kRows.size(); ++i) describe(whole, kRows[i]);
    whole.seal();
    const auto a = warnings_of(one);
    const auto b = warnings_of(whole);
    REQUIRE(a.size() == b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
      CHECK(a[k].code == b[k].code);
      CHECK(a[k].message == b[k].message);
      CHECK(a[k].counts == b[k].counts);
      CHECK(a[k].locations == b[k].locations);
      CHECK(a[k].periods == b[k].periods);
    }
  }
}

TEST_CASE("data profile: the --dedupe table and the log count the same copies", "[core][quality]") {
  DataProfile logged;
  DataProfile table;
  std::uint64_t flagged = 0;
  for (const Row& r : kRows) {
    logged.log_row(hash_of(r), r.month, {r.source, r.line});
    if (table.duplicate(hash_of(r), r.month, {r.source, r.line})) ++flagged;
  }
  CHECK(flagged == 5);
  logged.seal();
  CHECK(logged.duplicate_rows() == 5);
  CHECK(table.duplicate_rows() == 5);
}

TEST_CASE("row hash: field boundaries count, equal fields hash equal", "[core][quality]") {
  RowHash a, b, c, d;
  a.add(std::string_view("ab"));
  a.add(std::string_view("c"));
  b.add(std::string_view("a"));
  b.add(std::string_view("bc"));
  c.add(std::string_view("ab"));
  c.add(std::string_view("c"));
  d.add(std::string_view("a long customer id, over sixteen bytes"));
  CHECK(a.value() != b.value());
  CHECK(a.value() == c.value());
  RowHash e;
  e.add(std::string_view("a long customer id, over sixteen bytez"));
  CHECK(d.value() != e.value());
}

TEST_CASE("row hash lanes: each field counts, equal rows hash equal", "[core][quality]") {
  // The readers' per-row hash (RowHash::fold of pair/text lanes): rows that differ in any one
  // field differ, the same row gives the same value.
  const auto row = [](std::uint64_t id, std::string_view period, std::uint64_t revenue,
                      std::uint64_t cost, std::uint64_t scores, std::string_view segment) {
    return RowHash::fold(RowHash::pair(id, revenue), RowHash::text(period), RowHash::pair(cost, scores),
                         segment.empty() ? 0 : RowHash::text(segment));
  };
  const std::uint64_t base = row(7, "2024-01", 100, 5, 0x0203, "smb");
  CHECK(base == row(7, "2024-01", 100, 5, 0x0203, "smb"));
  CHECK(base != row(8, "2024-01", 100, 5, 0x0203, "smb"));
  CHECK(base != row(7, "2024-01-01", 100, 5, 0x0203, "smb"));
  CHECK(base != row(7, "2024-01", 101, 5, 0x0203, "smb"));
  CHECK(base != row(7, "2024-01", 100, 6, 0x0203, "smb"));
  CHECK(base != row(7, "2024-01", 100, 5, 0x0204, "smb"));
  CHECK(base != row(7, "2024-01", 100, 5, 0x0203, ""));
  CHECK(base != row(7, "2024-01", 100, 5, 0x0203, "smc"));
  // Swapped lanes and a long text (over 16 bytes) that differs in its last byte.
  CHECK(row(1, "x", 2, 3, 4, "") != row(3, "x", 4, 1, 2, ""));
  CHECK(row(1, "a segment name over sixteen bytes", 2, 3, 4, "") !=
        row(1, "a segment name over sixteen bytez", 2, 3, 4, ""));
}

// Months large enough to be checked in parts first (over 16,384 rows), with lines far apart (the
// log's one-byte steps overflow): a.csv has c0..c19999 in Jan at lines 2, 4, ..., 40000 and
// d0..d19999 in Feb at lines 3, 5, ..., 40001, then copies of (c7, Jan) at line 100000 and of
// (c19999, Jan) at line 100300. By hand: 2 duplicates, at a.csv:100000 and a.csv:100300, in Jan.
TEST_CASE("data profile: large months, far lines, shares and seal", "[core][quality]") {
  std::vector<Row> rows;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    rows.push_back({"c" + std::to_string(i), jan, 10, 0, 2 + 2 * i});
    rows.push_back({"d" + std::to_string(i), feb, 10, 0, 3 + 2 * i});
  }
  rows.push_back({"c7", jan, 10, 0, 100000});
  rows.push_back({"c19999", jan, 10, 0, 100300});
  const auto check = [](const DataProfile& p) {
    const auto w = warnings_of(p);
    REQUIRE(w.size() == 1);
    CHECK(w[0].code == "duplicate_rows");
    CHECK(w[0].counts == std::vector<std::pair<std::string, std::uint64_t>>{{"rows", 2}});
    CHECK(w[0].locations == std::vector<std::string>{"a.csv:100000", "a.csv:100300"});
    CHECK(w[0].periods == std::vector<YearMonth>{jan});
    CHECK(p.duplicate_rows() == 2);
  };
  // A row as the readers log it (its count too: the warnings look only at months with rows).
  const auto log = [](DataProfile& p, const Row& r, std::uint64_t line) {
    p.log_row(hash_of(r), r.month, {r.source, line});
    p.row(r.month, 0);
  };
  DataProfile one;
  for (const Row& r : rows) log(one, r, r.line);
  CHECK_THROWS_AS(one.duplicate_rows(), std::logic_error);  // asked before seal()
  one.seal();
  check(one);
  // Two shares cut after line 30001 (lines counted from each share's start), merged, sealed.
  DataProfile whole;
  DataProfile first;
  DataProfile second;
  for (const Row& r : rows) {
    if (r.line <= 30001) {
      log(first, r, r.line - 1);
    } else {
      log(second, r, r.line - 30001);
    }
  }
  whole.merge(std::move(first), 1);
  whole.merge(std::move(second), 30001);
  whole.seal();
  check(whole);
  // Sealed with the large months checked on three threads: the same.
  DataProfile threaded;
  for (const Row& r : rows) log(threaded, r, r.line);
  threaded.seal(3);
  check(threaded);
  // Without the copies: no warning, though each month is checked in parts.
  DataProfile clean;
  for (std::size_t i = 0; i + 2 < rows.size(); ++i) {
    log(clean, rows[i], rows[i].line);
  }
  clean.seal();
  CHECK(warnings_of(clean).empty());
  CHECK(clean.duplicate_rows() == 0);
}
