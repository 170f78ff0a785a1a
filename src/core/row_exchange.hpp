#pragma once
// Rows passed between the threads of a split read (ActivityShards, RfmShards). Private to
// csm_core.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "csm/decimal.hpp"

namespace csm::detail {

/// Each customer belongs to one of `count` threads, by its id's hash; a row that another thread
/// reads is batched and handed to the owner, which adds it to its own part. A row is the id, its
/// hash, a 32-bit key (a month or a day) and an amount.
class RowExchange {
 public:
  explicit RowExchange(unsigned count)
      : count_(std::max(1u, count)),
        outbox_(static_cast<std::size_t>(count_) * count_),
        inbox_(std::make_unique<Inbox[]>(count_)) {}

  unsigned count() const noexcept { return count_; }

  /// The thread that owns the customer whose id has this hash.
  unsigned owner(std::uint64_t hash) const noexcept {
    // High bits (the low ones choose the slot in the customer table), scaled to 0..count-1
    // with a multiplication rather than a division.
    return static_cast<unsigned>(((hash >> 32) * count_) >> 32);
  }

  /// Queue a row that thread `from` read for thread `to`, its owner.
  void post(unsigned from, unsigned to, std::string_view id, std::uint64_t hash, std::int32_t key,
            Money amount) {
    Batch& batch = outbox_[from * count_ + to];
    const auto length = static_cast<std::uint32_t>(id.size());
    const std::size_t need = kRowHead + length;
    if (batch.capacity - batch.size < need) batch.reserve(batch.size + need);
    char* p = batch.data.get() + batch.size;
    std::memcpy(p, &hash, 8);
    std::memcpy(p + 8, &key, 4);
    std::memcpy(p + 12, &amount, 8);
    std::memcpy(p + 20, &length, 4);
    if (length != 0) std::memcpy(p + kRowHead, id.data(), length);
    batch.size += need;
    if (batch.size >= kBatchBytes) send(from, to);
  }

  /// Pass the rows handed to thread `shard` so far to add(id, hash, key, amount). The emptied
  /// batches go back to the pool of spares, so that their pages are written again rather than
  /// new ones mapped (and faulted in) for every batch.
  template <typename Add>
  void receive(unsigned shard, Add&& add) {
    std::vector<Batch> batches;
    {
      const std::lock_guard<std::mutex> lock(inbox_[shard].mutex);
      if (inbox_[shard].batches.empty()) return;
      batches.swap(inbox_[shard].batches);
    }
    for (Batch& batch : batches) {
      const char* p = batch.data.get();
      const char* const end = p + batch.size;
      while (p < end) {
        std::uint64_t hash;
        std::int32_t key;
        Money amount;
        std::uint32_t length;
        std::memcpy(&hash, p, 8);
        std::memcpy(&key, p + 8, 4);
        std::memcpy(&amount, p + 12, 8);
        std::memcpy(&length, p + 20, 4);
        p += kRowHead;
        add(std::string_view(p, length), hash, key, amount);
        p += length;
      }
      batch.size = 0;
    }
    const std::lock_guard<std::mutex> lock(spare_mutex_);
    for (Batch& batch : batches) spare_.push_back(std::move(batch));
  }

  /// Thread `shard` has read its share: hand on what it holds for the others, then take in their
  /// rows (through receive) until every thread has finished.
  template <typename Add>
  void finish(unsigned shard, Add&& add) {
    // The thread counts itself finished even when passing on its rows fails (out of memory), or
    // the others would wait for it forever; the failure then ends the whole read.
    std::exception_ptr failure;
    try {
      for (unsigned to = 0; to < count_; ++to) {
        if (to != shard) send(shard, to);
      }
    } catch (...) {
      failure = std::current_exception();
    }
    finished_.fetch_add(1, std::memory_order_acq_rel);
    wake_.notify_all();
    if (failure) std::rethrow_exception(failure);
    for (;;) {
      receive(shard, add);
      // Every thread sends all it has before it counts itself finished: once all have, one last
      // receive takes the rest.
      if (finished_.load(std::memory_order_acquire) == count_) {
        receive(shard, add);
        return;
      }
      std::unique_lock<std::mutex> lock(wait_mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(1));
    }
  }

 private:
  static constexpr std::size_t kBatchBytes = 256 * 1024;
  static constexpr std::size_t kRowHead = 8 + 4 + 8 + 4;  // hash, key, amount, id length

  // Rows in their wire form; unlike a std::string, growing it does not zero the bytes first.
  struct Batch {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
    std::size_t capacity = 0;

    void reserve(std::size_t bytes) {
      if (bytes <= capacity) return;
      const std::size_t grown = std::max(bytes, std::max(capacity * 2, kBatchBytes + 256));
      auto larger = std::make_unique_for_overwrite<char[]>(grown);
      if (size != 0) std::memcpy(larger.get(), data.get(), size);
      data = std::move(larger);
      capacity = grown;
    }
  };
  struct Inbox {
    std::mutex mutex;
    std::vector<Batch> batches;
  };

  void send(unsigned from, unsigned to) {
    Batch& batch = outbox_[from * count_ + to];
    if (batch.size == 0) return;
    {
      const std::lock_guard<std::mutex> lock(inbox_[to].mutex);
      inbox_[to].batches.push_back(std::move(batch));
    }
    batch = Batch();
    {
      const std::lock_guard<std::mutex> lock(spare_mutex_);
      if (!spare_.empty()) {
        batch = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    wake_.notify_all();
  }

  unsigned count_;
  std::vector<Batch> outbox_;  // [from * count + to]: rows on their way
  std::unique_ptr<Inbox[]> inbox_;
  std::mutex spare_mutex_;
  std::vector<Batch> spare_;  // emptied batches, to be filled again
  std::atomic<unsigned> finished_{0};
  std::mutex wait_mutex_;
  std::condition_variable wake_;
};

}  // namespace csm::detail
