#pragma once
/// \file
/// Jobs on a few threads, and sums over many points that do not depend on how many threads
/// computed them: how the core keeps "the same input gives the same output" with -j.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

namespace csm {

/// Threads for `requested` (0: one per core), at least 1.
inline unsigned resolve_threads(unsigned requested) noexcept {
  return requested != 0 ? requested : std::max(1u, std::thread::hardware_concurrency());
}

/// Run job(worker, j) (or job(j)) for every j in [0, jobs) on up to `threads` threads, this one
/// included (0: one per core); worker < resolve_threads(threads) numbers the thread, for
/// per-thread scratch space. Jobs are handed out in order as threads become free. A thread that
/// cannot be started (no memory for its stack, a process limit) is no error: the others take its
/// jobs. The first exception a job throws stops the handing out and is rethrown here.
template <typename Job>
void parallel_jobs(std::size_t jobs, unsigned threads, Job&& job) {
  threads = resolve_threads(threads);
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(threads);
  const auto work = [&](unsigned worker) {
    try {
      for (std::size_t j = next++; j < jobs; j = next++) {
        if constexpr (std::is_invocable_v<Job&, unsigned, std::size_t>) {
          job(worker, j);
        } else {
          job(j);
        }
      }
    } catch (...) {
      errors[worker] = std::current_exception();
      next = jobs;
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads && t < jobs; ++t) {
    try {
      pool.emplace_back(work, t);
    } catch (const std::system_error&) {
      break;
    }
  }
  work(0);
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

/// The sums over points [0, n) of N quantities, terms(begin, end, sums) adding those of the
/// points [begin, end) to `sums` (zero at the start of each chunk). Points go in chunks of
/// `chunk`, chunks to up to `threads` threads, and the chunk sums are added in chunk order: the
/// result is the same bit for bit with any number of threads, and with fewer than `chunk` points
/// it is the plain sum in point order.
template <std::size_t N, typename Terms>
std::array<double, N> chunked_sums(std::size_t n, std::size_t chunk, unsigned threads,
                                   Terms&& terms) {
  const std::size_t chunks = (n + chunk - 1) / chunk;
  std::vector<std::array<double, N>> parts(chunks, std::array<double, N>{});
  parallel_jobs(chunks, chunks > 1 ? threads : 1, [&](std::size_t c) {
    terms(c * chunk, std::min(n, (c + 1) * chunk), parts[c]);
  });
  std::array<double, N> total{};
  for (const std::array<double, N>& part : parts) {
    for (std::size_t i = 0; i < N; ++i) total[i] += part[i];
  }
  return total;
}

/// std::sort(first, last, less) on up to `threads` threads (0: one per core): pieces sorted at
/// once, then merged in pairs. Where `less` orders the values totally (elements that compare
/// equal are equal), the result is std::sort's whatever the number of threads.
template <typename It, typename Less = std::less<>>
void parallel_sort(It first, It last, unsigned threads, Less less = {}) {
  constexpr std::size_t kMinPiece = 65536;  // below this, a thread costs more than it saves
  const auto n = static_cast<std::size_t>(last - first);
  threads = resolve_threads(threads);
  std::size_t pieces = 1;
  while (pieces * 2 <= threads && n / (pieces * 2) >= kMinPiece) pieces *= 2;
  if (pieces == 1) {
    std::sort(first, last, less);
    return;
  }
  // Piece i starts at at(i).
  const auto at = [&](std::size_t i) {
    using Offset = typename std::iterator_traits<It>::difference_type;
    return first + static_cast<Offset>(n * i / pieces);
  };
  parallel_jobs(pieces, threads, [&](std::size_t j) { std::sort(at(j), at(j + 1), less); });
  for (std::size_t width = 1; width < pieces; width *= 2) {
    parallel_jobs(pieces / (2 * width), threads, [&](std::size_t j) {
      std::inplace_merge(at(2 * width * j), at(2 * width * j + width), at(2 * width * (j + 1)), less);
    });
  }
}

}  // namespace csm
