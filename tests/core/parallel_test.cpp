// csm/parallel.hpp: every job runs once, errors come back, and the sums and sorts do not depend
// on the number of threads (compared with plain serial loops and std::sort).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "csm/parallel.hpp"

TEST_CASE("parallel_jobs: every job once, on a numbered thread", "[core][parallel]") {
  for (unsigned threads : {1u, 2u, 3u, 7u, 0u}) {
    for (std::size_t jobs : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{1000}}) {
      INFO("threads " << threads << ", jobs " << jobs);
      std::vector<std::atomic<int>> runs(jobs);
      std::atomic<bool> worker_in_range{true};
      csm::parallel_jobs(jobs, threads, [&](unsigned worker, std::size_t j) {
        if (worker >= csm::resolve_threads(threads)) worker_in_range = false;
        ++runs[j];
      });
      CHECK(worker_in_range);
      CHECK(std::all_of(runs.begin(), runs.end(), [](const std::atomic<int>& r) { return r == 1; }));
    }
  }
}

TEST_CASE("parallel_jobs: a job's exception reaches the caller", "[core][parallel]") {
  for (unsigned threads : {1u, 2u, 4u}) {
    INFO("threads " << threads);
    CHECK_THROWS_AS(csm::parallel_jobs(100, threads,
                                       [](std::size_t j) {
                                         if (j == 37) throw std::runtime_error("job 37");
                                       }),
                    std::runtime_error);
  }
}

TEST_CASE("chunked_sums: the same bits on any number of threads", "[core][parallel]") {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> value(-1e6, 1e6);
  std::vector<double> v(100'003);
  for (double& x : v) x = value(random);
  const auto sums = [&](std::size_t n, std::size_t chunk, unsigned threads) {
    return csm::chunked_sums<2>(n, chunk, threads,
                                [&](std::size_t begin, std::size_t end, std::array<double, 2>& s) {
                                  for (std::size_t i = begin; i < end; ++i) {
                                    s[0] += v[i];
                                    s[1] += v[i] * v[i];
                                  }
                                });
  };
  SECTION("fewer points than a chunk: the plain sum in order") {
    double plain = 0, squares = 0;
    for (std::size_t i = 0; i < 1000; ++i) {
      plain += v[i];
      squares += v[i] * v[i];
    }
    for (unsigned threads : {1u, 2u, 0u}) {
      const std::array<double, 2> s = sums(1000, 4096, threads);
      CHECK(s[0] == plain);
      CHECK(s[1] == squares);
    }
  }
  SECTION("many chunks: chunk sums added in chunk order, whatever the threads") {
    // The same arithmetic written out: each chunk from zero, then the chunks in order.
    double expected = 0;
    for (std::size_t begin = 0; begin < v.size(); begin += 4096) {
      double chunk = 0;
      for (std::size_t i = begin; i < std::min(v.size(), begin + 4096); ++i) chunk += v[i];
      expected += chunk;
    }
    for (unsigned threads : {1u, 2u, 3u, 5u, 0u}) {
      INFO("threads " << threads);
      CHECK(sums(v.size(), 4096, threads)[0] == expected);
    }
  }
  SECTION("no points") {
    const std::array<double, 2> s = sums(0, 4096, 2);
    CHECK(s[0] == 0);
    CHECK(s[1] == 0);
  }
}

TEST_CASE("parallel_sort: std::sort's order on any number of threads", "[core][parallel]") {
  std::mt19937 random(11);
  // Many equal values (as equal (x, t_x, T) of customers): equal elements are equal, so the
  // order is unique.
  std::uniform_int_distribution<int> small(0, 500);
  for (std::size_t n : {std::size_t{0}, std::size_t{10}, std::size_t{65'535}, std::size_t{300'001}}) {
    std::vector<std::pair<int, int>> values(n);
    for (auto& [a, b] : values) {
      a = small(random);
      b = small(random);
    }
    std::vector<std::pair<int, int>> expected = values;
    std::sort(expected.begin(), expected.end());
    for (unsigned threads : {1u, 2u, 3u, 4u, 8u, 0u}) {
      INFO("n " << n << ", threads " << threads);
      std::vector<std::pair<int, int>> sorted = values;
      csm::parallel_sort(sorted.begin(), sorted.end(), threads);
      CHECK(sorted == expected);
    }
  }
  // With a comparison of its own: descending.
  std::vector<std::uint64_t> big(200'000);
  for (std::uint64_t& x : big) x = random();
  std::vector<std::uint64_t> expected = big;
  std::sort(expected.begin(), expected.end(), std::greater<>());
  csm::parallel_sort(big.begin(), big.end(), 4, std::greater<>());
  CHECK(big == expected);
}
