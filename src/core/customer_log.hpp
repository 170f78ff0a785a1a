#pragma once
// The per-customer row log of the activity aggregator (customer, month, revenue) and of the rfm
// accumulator (customer, day, amount). Private to csm_core.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "csm/customer_index.hpp"
#include "csm/decimal.hpp"
#include "mapped_array.hpp"

namespace csm::detail {

/// One stream of rows, each a customer id, a 32-bit key and an amount: the ids are interned in
/// the log's own CustomerIndex and the rows kept as 16-byte entries (customer index, key, amount)
/// in 64 buckets by the low bits of the customer index, so that each bucket holds whole customers
/// and sorts within the cache. Rows are summed per (customer, key) by compact(), which runs
/// whenever the log has doubled since the last compaction (the first time at
/// `first_compaction` entries) and on every bucket before it is walked.
///
/// `Owner` derives from CustomerLog<Owner, Entry, kFirstCapacity> (CRTP) and supplies:
///   static constexpr auto kKey, kValue;   the members of Entry that hold the key and the amount
///   static constexpr std::size_t kInsertionSortRun;  a customer's run up to this long is put in
///                                         key order by insertion sort, a longer one by std::sort
///   static constexpr bool kAbsorbThroughLog;  absorb() adds the other log's rows with log()
///                                         (staged, compacting on the way) or appends them as is
///   bool logs(std::int32_t key) const;    false: the row's customer is interned, the row dropped
///   void sum_overflows(const Entry& e) const;  e's amount does not fit in the sum of the entries
///                                         before it with its customer and key: throw, or return
///                                         to keep e as an entry of its own
/// `Entry` is 16 bytes, 16-aligned, with a std::uint32_t `customer`. A bucket's first mapping
/// holds kFirstCapacity entries.
template <typename Owner, typename Entry, std::size_t kFirstCapacity>
class CustomerLog {
 public:
  using Bucket = MappedArray<Entry, kFirstCapacity>;
  static constexpr int kBucketBits = 6;
  static constexpr std::size_t kBuckets = std::size_t{1} << kBucketBits;

  static std::size_t bucket_of(std::uint32_t customer) noexcept { return customer & (kBuckets - 1); }

  explicit CustomerLog(std::size_t first_at) : first_compaction(first_at) {}

  CustomerIndex customers;
  Bucket buckets[kBuckets];
  std::size_t entries = 0;    // in the buckets (and staged)
  std::size_t compacted = 0;  // entries left by the last compaction
  std::size_t first_compaction;

  /// Rows in the prefetch queue, not yet interned.
  std::size_t queued() const noexcept { return queued_; }

  void add(std::string_view id, std::uint64_t hash, std::int32_t key, Money value) {
    if (queued_ == kQueue) {
      take(queue_[next_]);
      --queued_;
      next_ = (next_ + 1) % kQueue;
    }
    Pending& p = queue_[(next_ + queued_) % kQueue];
    p.hash = hash;
    customers.prefetch(p.hash);
    p.key = key;
    p.value = value;
    p.length = static_cast<std::uint32_t>(id.size());
    if (id.size() <= sizeof p.inline_id) {
      std::memcpy(p.inline_id, id.data(), id.size());
    } else {
      p.long_id.assign(id);
    }
    ++queued_;
  }

  /// Append an entry of an interned customer.
  void log(const Entry& e) {
    const std::size_t b = bucket_of(e.customer);
    Staging& staging = staged_[b];
    staging.entries[staging.size++] = e;
    if (staging.size == Staging::kLine) {
      buckets[b].append_streaming(staging.entries, Staging::kLine);
      staging.size = 0;
    }
    if (++entries >= std::max(first_compaction, 2 * compacted)) compact();
  }

  /// Every queued and staged row into the buckets.
  void drain() {
    for (; queued_ > 0; --queued_, next_ = (next_ + 1) % kQueue) take(queue_[next_]);
    flush_staged();
  }

  /// Sort each bucket by customer and key, and sum the rows of each (customer, key).
  void compact() {
    flush_staged();
    std::vector<Entry> scratch;
    std::vector<std::uint32_t> counts;
    entries = 0;
    for (Bucket& bucket : buckets) entries += compact_bucket(bucket, scratch, counts);
    compacted = entries;
  }

  /// Sort one bucket by (customer, key) into `scratch` (reused between buckets).
  void sort_bucket(const Bucket& bucket, std::vector<Entry>& scratch,
                   std::vector<std::uint32_t>& counts) const {
    const Entry* a = bucket.data();
    const std::size_t n = bucket.size();
    const std::size_t keys = (customers.size() >> kBucketBits) + 1;  // values of customer >> kBucketBits
    counts.assign(keys + 1, 0);
    for (std::size_t i = 0; i < n; ++i) ++counts[(a[i].customer >> kBucketBits) + 1];
    for (std::size_t k = 0; k < keys; ++k) counts[k + 1] += counts[k];
    reserve_populated(scratch, n);
    scratch.resize(n);
    for (std::size_t i = 0; i < n; ++i) scratch[counts[a[i].customer >> kBucketBits]++] = a[i];
    // Keys in order inside each customer: runs are mostly short (insertion sort).
    constexpr auto kKey = Owner::kKey;
    std::size_t begin = 0;
    while (begin < n) {
      std::size_t end = begin + 1;
      while (end < n && scratch[end].customer == scratch[begin].customer) ++end;
      if (end - begin > Owner::kInsertionSortRun) {
        std::sort(scratch.begin() + static_cast<std::ptrdiff_t>(begin),
                  scratch.begin() + static_cast<std::ptrdiff_t>(end),
                  [](const Entry& l, const Entry& r) { return l.*kKey < r.*kKey; });
      } else {
        for (std::size_t i = begin + 1; i < end; ++i) {
          const Entry e = scratch[i];
          std::size_t j = i;
          for (; j > begin && scratch[j - 1].*kKey > e.*kKey; --j) scratch[j] = scratch[j - 1];
          scratch[j] = e;
        }
      }
      begin = end;
    }
  }

  /// Sort one bucket (of this log's buckets) and sum its rows of each (customer, key); returns
  /// the entries left.
  std::size_t compact_bucket(Bucket& bucket, std::vector<Entry>& scratch,
                             std::vector<std::uint32_t>& counts) const {
    constexpr auto kKey = Owner::kKey;
    constexpr auto kValue = Owner::kValue;
    sort_bucket(bucket, scratch, counts);
    std::size_t out = 0;
    for (const Entry& e : scratch) {
      if (out > 0 && bucket[out - 1].customer == e.customer && bucket[out - 1].*kKey == e.*kKey) {
        if (const auto sum = checked_add(bucket[out - 1].*kValue, e.*kValue)) {
          bucket[out - 1].*kValue = *sum;
          continue;
        }
        owner().sum_overflows(e);
      }
      bucket[out++] = e;
    }
    bucket.truncate(out);
    return out;
  }

  /// Take over every row of `other`: its customers join this numbering, its rows these buckets.
  /// `other` is left without customers or rows.
  void absorb(Owner& other) {
    other.drain();
    const CustomerIndex& ids = other.customers;
    std::vector<std::uint32_t> to_here(ids.size());
    std::vector<std::uint64_t> hashes(ids.size());
    for (std::uint32_t i = 0; i < ids.size(); ++i) hashes[i] = CustomerIndex::hash(ids.id(i));
    constexpr std::size_t kAhead = 8;  // prefetch distance
    for (std::uint32_t i = 0; i < ids.size(); ++i) {
      if (i + kAhead < ids.size()) customers.prefetch(hashes[i + kAhead]);
      to_here[i] = customers.intern(ids.id(i), hashes[i]);
    }
    // The other numbering is no longer needed: free it before the rows move, to lower the peak.
    std::vector<std::uint64_t>().swap(hashes);
    other.customers = CustomerIndex();
    for (Bucket& bucket : other.buckets) {
      for (std::size_t i = 0; i < bucket.size(); ++i) {
        Entry e = bucket[i];
        e.customer = to_here[e.customer];
        if constexpr (Owner::kAbsorbThroughLog) {
          log(e);
        } else {
          buckets[bucket_of(e.customer)].push_back(e);
        }
      }
      bucket.release();  // give the memory back as soon as it is copied
    }
    if constexpr (Owner::kAbsorbThroughLog) {
      flush_staged();
    } else {
      entries += other.entries;
    }
    other.entries = 0;
  }

 private:
  Owner& owner() noexcept { return static_cast<Owner&>(*this); }
  const Owner& owner() const noexcept { return static_cast<const Owner&>(*this); }

  // Rows wait in a short queue between hashing their id (and prefetching its slot) and interning
  // it, so that several cache misses on shuffled input are in flight at once.
  static constexpr std::size_t kQueue = 16;
  struct Pending {
    std::uint64_t hash;
    std::int32_t key;
    Money value;
    std::uint32_t length;
    char inline_id[20];
    std::string long_id;
  };
  Pending queue_[kQueue];
  std::size_t queued_ = 0;  // rows in the queue
  std::size_t next_ = 0;    // queue position of the oldest row

  // Rows of each bucket gather in one cache line before they are written out with streaming
  // stores, so that 64 scattered output streams do not each cost a read of memory.
  struct Staging {
    static constexpr std::size_t kLine = 64 / sizeof(Entry);
    alignas(64) Entry entries[kLine];
    std::size_t size = 0;
  };
  Staging staged_[kBuckets];

  void take(const Pending& p) {
    const std::string_view id = p.length <= sizeof p.inline_id
                                    ? std::string_view(p.inline_id, p.length)
                                    : std::string_view(p.long_id);
    const std::uint32_t customer = customers.intern(id, p.hash);
    if (!owner().logs(p.key)) return;
    Entry e;
    e.customer = customer;
    e.*Owner::kKey = p.key;
    e.*Owner::kValue = p.value;
    log(e);
  }

  void flush_staged() {
    for (std::size_t b = 0; b < kBuckets; ++b) {
      for (std::size_t i = 0; i < staged_[b].size; ++i) buckets[b].push_back(staged_[b].entries[i]);
      staged_[b].size = 0;
    }
#if defined(__SSE2__)
    _mm_sfence();  // streaming stores are visible to other threads (and to sorting) after this
#endif
  }
};

}  // namespace csm::detail
