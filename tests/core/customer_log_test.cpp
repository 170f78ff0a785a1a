// The customer log shared by the activity and rfm aggregations (src/core/customer_log.hpp), with
// a toy policy: the sums are checked against a std::map filled from the same rows.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../../src/core/customer_log.hpp"

namespace {

struct alignas(16) ToyEntry {
  std::uint32_t customer;
  std::int32_t key;
  csm::Money value;
};

// kThroughLog: absorb() re-adds rows through log(); kKeepApart: a sum past Money stays two entries
// (otherwise it throws).
template <bool kThroughLog, bool kKeepApart>
struct ToyLog : csm::detail::CustomerLog<ToyLog<kThroughLog, kKeepApart>, ToyEntry, 4> {
  using Base = csm::detail::CustomerLog<ToyLog, ToyEntry, 4>;
  explicit ToyLog(std::size_t first_at = 1000) : Base(first_at) {}
  std::int32_t limit = INT32_MAX;

  static constexpr auto kKey = &ToyEntry::key;
  static constexpr auto kValue = &ToyEntry::value;
  static constexpr std::size_t kInsertionSortRun = 3;  // longer runs take the std::sort path
  static constexpr bool kAbsorbThroughLog = kThroughLog;
  bool logs(std::int32_t key) const noexcept { return key <= limit; }
  void sum_overflows(const ToyEntry&) const {
    if constexpr (!kKeepApart) throw std::overflow_error("sum past Money");
  }

  void add(const std::string& id, std::int32_t key, csm::Money value) {
    Base::add(id, csm::CustomerIndex::hash(id), key, value);
  }
};

using Sums = std::map<std::pair<std::string, std::int32_t>, csm::MoneySum>;

// The log's entries by (id, key), checking that each bucket holds its own customers in
// (customer, key) order, each pair once.
template <typename Log>
Sums entries_of(Log& log) {
  log.drain();
  log.compact();
  Sums out;
  std::size_t entries = 0;
  for (std::size_t b = 0; b < Log::kBuckets; ++b) {
    const auto& bucket = log.buckets[b];
    for (std::size_t i = 0; i < bucket.size(); ++i) {
      const ToyEntry& e = bucket[i];
      CHECK(Log::bucket_of(e.customer) == b);
      if (i > 0) {
        const ToyEntry& p = bucket[i - 1];
        CHECK((p.customer < e.customer || (p.customer == e.customer && p.key <= e.key)));
      }
      out[{std::string(log.customers.id(e.customer)), e.key}] += e.value;
      ++entries;
    }
  }
  CHECK(entries == log.entries);
  return out;
}

struct Row {
  std::string id;
  std::int32_t key;
  csm::Money value;
};

std::vector<Row> random_rows(unsigned seed, std::size_t n) {
  std::mt19937 gen(seed);
  std::vector<Row> rows;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = gen() % 300;
    // Some ids longer than the queue keeps inline (20 bytes).
    std::string id = (c % 7 == 0 ? "a-customer-id-longer-than-twenty-" : "c") + std::to_string(c);
    rows.push_back({id, static_cast<std::int32_t>(gen() % 40), static_cast<csm::Money>(gen() % 1000) - 300});
  }
  return rows;
}

}  // namespace

TEST_CASE("customer log: rows summed per customer and key, compacted or not", "[core][customer_log]") {
  const std::vector<Row> rows = random_rows(1, 20000);
  Sums expected;
  std::map<std::string, int> ids;
  for (const Row& r : rows) {
    expected[{r.id, r.key}] += r.value;
    ids[r.id] = 1;
  }
  for (const std::size_t first : {std::size_t{1}, std::size_t{100}, std::size_t{1} << 20}) {
    ToyLog<false, false> log(first);
    for (const Row& r : rows) log.add(r.id, r.key, r.value);
    CHECK(entries_of(log) == expected);
    CHECK(log.entries == expected.size());
    CHECK(log.customers.size() == ids.size());
  }
}

TEST_CASE("customer log: rows the policy does not log still number their customer",
          "[core][customer_log]") {
  ToyLog<false, false> log;
  log.limit = 10;
  log.add("a", 3, 5);
  log.add("b", 11, 7);  // after the limit: b is known, the row dropped
  log.add("a", 10, 1);
  log.add("a", 3, 2);
  CHECK(entries_of(log) == Sums{{{"a", 3}, 7}, {{"a", 10}, 1}});
  CHECK(log.customers.size() == 2);
}

TEST_CASE("customer log: a sum past Money is kept apart or refused, as the policy says",
          "[core][customer_log]") {
  ToyLog<false, true> apart(1);
  apart.add("a", 1, csm::kMaxMoney);
  apart.add("a", 1, csm::kMaxMoney);
  apart.add("a", 2, 4);
  apart.drain();
  apart.compact();
  CHECK(apart.entries == 3);  // two of key 1, one of key 2
  CHECK(entries_of(apart) == Sums{{{"a", 1}, csm::MoneySum{csm::kMaxMoney} * 2}, {{"a", 2}, 4}});

  ToyLog<false, false> refuse;
  refuse.add("a", 1, csm::kMaxMoney);
  refuse.add("a", 1, 1);
  refuse.drain();
  CHECK_THROWS_AS(refuse.compact(), std::overflow_error);
}

TEMPLATE_TEST_CASE("customer log: absorb renumbers the other log's customers", "[core][customer_log]",
                   (ToyLog<false, false>), (ToyLog<true, false>)) {
  const std::vector<Row> one = random_rows(2, 5000);
  const std::vector<Row> two = random_rows(3, 7000);
  Sums expected;
  for (const Row& r : one) expected[{r.id, r.key}] += r.value;
  for (const Row& r : two) expected[{r.id, r.key}] += r.value;
  TestType a(64);
  TestType b(64);
  for (const Row& r : one) a.add(r.id, r.key, r.value);
  for (const Row& r : two) b.add(r.id, r.key, r.value);
  a.drain();
  a.absorb(b);
  CHECK(b.customers.size() == 0);
  CHECK(b.entries == 0);
  CHECK(entries_of(a) == expected);
}
