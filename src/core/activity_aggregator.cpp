#include "csm/activity_aggregator.hpp"

#include <sys/mman.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstring>
#include <exception>
#include <new>
#include <thread>

namespace csm {
namespace {

// The revenue of one row.
struct alignas(16) Entry {
  std::uint32_t customer;  // index in the part's CustomerIndex
  std::int32_t month;      // YearMonth::index
  Money revenue;
};
static_assert(sizeof(Entry) == ActivityAggregator::kBytesPerCustomerMonth);

// A contiguous array that grows by remapping pages instead of copying, so that growing never
// needs the old and the new array at once (the peak memory of a reallocating vector).
class EntryArray {
 public:
  EntryArray() = default;
  EntryArray(const EntryArray&) = delete;
  EntryArray& operator=(const EntryArray&) = delete;
  ~EntryArray() { release(); }

  std::size_t size() const noexcept { return size_; }
  void release() noexcept {
    if (data_ != nullptr) ::munmap(data_, capacity_ * sizeof(Entry));
    data_ = nullptr;
    size_ = capacity_ = 0;
  }
  Entry* data() noexcept { return data_; }
  const Entry* data() const noexcept { return data_; }
  Entry& operator[](std::size_t i) noexcept { return data_[i]; }
  const Entry& operator[](std::size_t i) const noexcept { return data_[i]; }

  void push_back(const Entry& e) {
    if (size_ == capacity_) grow();
    data_[size_++] = e;
  }

  /// Append whole cache lines of entries without reading the destination first (non-temporal
  /// stores): the rows are not looked at again until the log is sorted, long after.
  void append_streaming(const Entry* entries, std::size_t n) {
    while (capacity_ - size_ < n) grow();
#if defined(__SSE2__)
    for (std::size_t i = 0; i < n; ++i) {
      _mm_stream_si128(reinterpret_cast<__m128i*>(data_ + size_ + i),
                       _mm_load_si128(reinterpret_cast<const __m128i*>(entries + i)));
    }
#else
    std::memcpy(data_ + size_, entries, n * sizeof(Entry));
#endif
    size_ += n;
  }

  /// Keep the first n entries and give the pages past them back to the system.
  void truncate(std::size_t n) noexcept {
    size_ = n;
    constexpr std::size_t kPage = 4096;
    const std::size_t keep = (n * sizeof(Entry) + kPage - 1) / kPage * kPage;
    const std::size_t all = capacity_ * sizeof(Entry);
    if (data_ != nullptr && keep < all) {
      ::madvise(reinterpret_cast<char*>(data_) + keep, all - keep, MADV_DONTNEED);
    }
  }

 private:
  void grow() {
    const std::size_t capacity = capacity_ == 0 ? (std::size_t{1} << 16) : capacity_ * 2;
    void* memory = nullptr;
    if (data_ == nullptr) {
      memory = ::mmap(nullptr, capacity * sizeof(Entry), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    } else {
      memory = ::mremap(data_, capacity_ * sizeof(Entry), capacity * sizeof(Entry), MREMAP_MAYMOVE);
    }
    if (memory == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<Entry*>(memory);
    capacity_ = capacity;
  }

  Entry* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// The log is split into 256 buckets by the low byte of the customer index, so that each bucket
// can be sorted within the cache: by the rest of the customer index with a counting sort, then by
// month inside each customer.
constexpr int kBucketBits = 6;
constexpr std::size_t kBuckets = std::size_t{1} << kBucketBits;

std::size_t bucket_of(std::uint32_t customer) noexcept { return customer & (kBuckets - 1); }

// Sort one bucket by (customer, month) into `scratch` (reused between buckets).
void sort_bucket(const Entry* a, std::size_t n, std::size_t customers, std::vector<Entry>& scratch,
                 std::vector<std::uint32_t>& counts) {
  const std::size_t keys = (customers >> kBucketBits) + 1;  // distinct values of customer >> kBucketBits
  counts.assign(keys + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++counts[(a[i].customer >> kBucketBits) + 1];
  for (std::size_t k = 0; k < keys; ++k) counts[k + 1] += counts[k];
  scratch.resize(n);
  for (std::size_t i = 0; i < n; ++i) scratch[counts[a[i].customer >> kBucketBits]++] = a[i];
  // Months in order inside each customer: runs are short, so insertion sort.
  std::size_t begin = 0;
  while (begin < n) {
    std::size_t end = begin + 1;
    while (end < n && scratch[end].customer == scratch[begin].customer) ++end;
    for (std::size_t i = begin + 1; i < end; ++i) {
      const Entry e = scratch[i];
      std::size_t j = i;
      for (; j > begin && scratch[j - 1].month > e.month; --j) scratch[j] = scratch[j - 1];
      scratch[j] = e;
    }
    begin = end;
  }
}

[[noreturn]] void overflow(std::string_view customer, std::int32_t month) {
  throw RevenueOverflow("customer " + std::string(customer) + ", " + to_string(YearMonth{month}) +
                        ": the month's revenue sum exceeds " + format_money(kMaxMoney));
}

// Below this many entries a part's log is compacted only at the end.
constexpr std::size_t kFirstCompaction = std::size_t{8} << 20;

// Per-month counts of one walk over customers; added up across threads (exact integers).
struct MonthCounts {
  std::int64_t start = 0, churned = 0, fresh = 0, reactivated = 0, end = 0, expanded = 0,
               contracted = 0;
  MoneySum mrr_start = 0, mrr_end = 0, new_mrr = 0, reactivation_mrr = 0, expansion_mrr = 0,
           contraction_mrr = 0, churned_mrr = 0;

  MonthCounts& operator+=(const MonthCounts& o) noexcept {
    start += o.start, churned += o.churned, fresh += o.fresh, reactivated += o.reactivated;
    end += o.end, expanded += o.expanded, contracted += o.contracted;
    mrr_start += o.mrr_start, mrr_end += o.mrr_end, new_mrr += o.new_mrr;
    reactivation_mrr += o.reactivation_mrr, expansion_mrr += o.expansion_mrr;
    contraction_mrr += o.contraction_mrr, churned_mrr += o.churned_mrr;
    return *this;
  }
};

// One customer's months in order, each month once: its role in every month of the range.
void walk_customer(const Entry* months, std::size_t n, std::int32_t first, std::int32_t last,
                   MonthCounts* counts) {
  std::int32_t prev_month = 0;
  Money prev_revenue = 0;
  bool seen_active = false;
  for (std::size_t i = 0; i < n; ++i) {
    const Money revenue = months[i].revenue;
    if (revenue <= 0) continue;
    const std::int32_t month = months[i].month;
    MonthCounts& m = counts[month - first];
    ++m.end;
    m.mrr_end += revenue;
    if (!seen_active) {
      ++m.fresh;
      m.new_mrr += revenue;
    } else if (prev_month == month - 1) {
      if (revenue > prev_revenue) {
        ++m.expanded;
        m.expansion_mrr += revenue - prev_revenue;
      } else if (revenue < prev_revenue) {
        ++m.contracted;
        m.contraction_mrr += prev_revenue - revenue;
      }
    } else {
      ++m.reactivated;
      m.reactivation_mrr += revenue;
      MonthCounts& gone = counts[prev_month + 1 - first];  // churned after its last active month
      ++gone.churned;
      gone.churned_mrr += prev_revenue;
    }
    if (month < last) {
      MonthCounts& next = counts[month + 1 - first];
      ++next.start;
      next.mrr_start += revenue;
    }
    seen_active = true;
    prev_month = month;
    prev_revenue = revenue;
  }
  if (seen_active && prev_month < last) {
    MonthCounts& gone = counts[prev_month + 1 - first];
    ++gone.churned;
    gone.churned_mrr += prev_revenue;
  }
}

// Run fn(0..jobs-1) on up to `threads` threads; the first exception is rethrown.
template <typename Fn>
void run_parallel(std::size_t jobs, unsigned threads, Fn&& fn) {
  if (threads <= 1 || jobs <= 1) {
    for (std::size_t j = 0; j < jobs; ++j) fn(j);
    return;
  }
  std::vector<std::exception_ptr> errors(jobs);
  std::vector<std::thread> pool;
  const std::size_t workers = std::min<std::size_t>(threads, jobs);
  pool.reserve(workers);
  const auto work = [&](std::size_t w) {
    for (std::size_t j = w; j < jobs; j += workers) {
      try {
        fn(j);
      } catch (...) {
        errors[j] = std::current_exception();
      }
    }
  };
  // A thread that cannot be started (no memory for its stack, a process limit) is no error:
  // this thread does that worker's jobs itself, and the result is the same.
  std::size_t started = 0;
  try {
    for (; started < workers; ++started) pool.emplace_back(work, started);
  } catch (...) {
  }
  for (std::size_t w = started; w < workers; ++w) work(w);
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace

struct ActivityAggregator::Part {
  CustomerIndex customers;
  EntryArray buckets[kBuckets];
  std::size_t entries = 0;
  std::size_t compacted = 0;
  // Rows wait in a short queue between hashing their id (and prefetching its slot) and interning
  // it, so that several cache misses are in flight at once.
  static constexpr std::size_t kQueue = 16;
  struct Pending {
    std::uint64_t hash;
    std::int32_t month;
    Money revenue;
    std::uint32_t length;
    char inline_id[20];
    std::string long_id;
  };
  Pending queue[kQueue];
  std::size_t queued = 0;  // rows in the queue
  std::size_t next = 0;    // queue position of the oldest row

  // Parts of one ActivityShards group hold disjoint customers (0 = not part of a group).
  std::uint64_t group = 0;

  void add(std::string_view id, std::int32_t month, Money revenue) {
    add_hashed(id, CustomerIndex::hash(id), month, revenue);
  }

  void add_hashed(std::string_view id, std::uint64_t hash, std::int32_t month, Money revenue) {
    if (queued == kQueue) {
      take(queue[next]);
      --queued;
      next = (next + 1) % kQueue;
    }
    Pending& p = queue[(next + queued) % kQueue];
    p.hash = hash;
    customers.prefetch(p.hash);
    p.month = month;
    p.revenue = revenue;
    p.length = static_cast<std::uint32_t>(id.size());
    if (id.size() <= sizeof p.inline_id) {
      std::memcpy(p.inline_id, id.data(), id.size());
    } else {
      p.long_id.assign(id);
    }
    ++queued;
  }

  void take(const Pending& p) {
    const std::string_view id = p.length <= sizeof p.inline_id
                                    ? std::string_view(p.inline_id, p.length)
                                    : std::string_view(p.long_id);
    const std::uint32_t customer = customers.intern(id, p.hash);
    const std::size_t b = bucket_of(customer);
    Staging& staging = staged[b];
    staging.entries[staging.size++] = Entry{customer, p.month, p.revenue};
    if (staging.size == Staging::kLine) {
      buckets[b].append_streaming(staging.entries, Staging::kLine);
      staging.size = 0;
    }
    if (++entries >= std::max(kFirstCompaction, 2 * compacted)) compact();
  }

  // Rows of each bucket gather in one cache line before they are written out with streaming
  // stores, so that 64 scattered output streams do not each cost a read of memory.
  struct Staging {
    static constexpr std::size_t kLine = 64 / sizeof(Entry);
    alignas(64) Entry entries[kLine];
    std::size_t size = 0;
  };
  Staging staged[kBuckets];

  void flush_staged() {
    for (std::size_t b = 0; b < kBuckets; ++b) {
      for (std::size_t i = 0; i < staged[b].size; ++i) buckets[b].push_back(staged[b].entries[i]);
      staged[b].size = 0;
    }
#if defined(__SSE2__)
    _mm_sfence();  // streaming stores are visible to other threads (and to sorting) after this
#endif
  }

  void drain() {
    for (; queued > 0; --queued, next = (next + 1) % kQueue) take(queue[next]);
    flush_staged();
  }

  // Sort each bucket by customer and month, and sum the rows of each customer-month.
  void compact() {
    flush_staged();
    std::vector<Entry> scratch;
    std::vector<std::uint32_t> counts;
    entries = 0;
    for (EntryArray& bucket : buckets) entries += compact_bucket(bucket, scratch, counts);
    compacted = entries;
  }

  std::size_t compact_bucket(EntryArray& bucket, std::vector<Entry>& scratch,
                             std::vector<std::uint32_t>& counts) const {
    sort_bucket(bucket.data(), bucket.size(), customers.size(), scratch, counts);
    std::size_t out = 0;
    for (std::size_t i = 0; i < bucket.size(); ++i) {
      const Entry& e = scratch[i];
      if (out > 0 && bucket[out - 1].customer == e.customer && bucket[out - 1].month == e.month) {
        const auto sum = checked_add(bucket[out - 1].revenue, e.revenue);
        if (!sum) overflow(customers.id(e.customer), e.month);
        bucket[out - 1].revenue = *sum;
      } else {
        bucket[out++] = e;
      }
    }
    bucket.truncate(out);
    return out;
  }

  // Take over everything of `other`: its customers join this numbering and its rows these
  // buckets. `other` is left empty.
  void absorb(Part& other) {
    other.drain();
    const CustomerIndex& ids = other.customers;
    std::vector<std::uint32_t> to_here(ids.size());
    constexpr std::size_t kAhead = 8;  // prefetch distance, as in add()
    std::vector<std::uint64_t> hashes(ids.size());
    for (std::uint32_t i = 0; i < ids.size(); ++i) hashes[i] = CustomerIndex::hash(ids.id(i));
    for (std::uint32_t i = 0; i < ids.size(); ++i) {
      if (i + kAhead < ids.size()) customers.prefetch(hashes[i + kAhead]);
      to_here[i] = customers.intern(ids.id(i), hashes[i]);
    }
    // The other numbering is no longer needed: free it before the rows move, to lower the peak.
    std::vector<std::uint64_t>().swap(hashes);
    other.customers = CustomerIndex();
    for (EntryArray& bucket : other.buckets) {
      for (std::size_t i = 0; i < bucket.size(); ++i) {
        Entry e = bucket[i];
        e.customer = to_here[e.customer];
        buckets[bucket_of(e.customer)].push_back(e);
      }
      bucket.release();  // give the memory back as soon as it is copied
    }
    entries += other.entries;
    other.entries = 0;
  }
};

ActivityAggregator::ActivityAggregator() { parts_.push_back(std::make_unique<Part>()); }
ActivityAggregator::ActivityAggregator(ActivityAggregator&&) noexcept = default;
ActivityAggregator& ActivityAggregator::operator=(ActivityAggregator&&) noexcept = default;
ActivityAggregator::~ActivityAggregator() = default;

ActivityAggregator::MonthTotals& ActivityAggregator::totals_for(YearMonth month) {
  if (months_.empty()) {
    months_base_ = month.index;
    months_.resize(1);
  } else if (month.index < months_base_) {
    const auto extra = static_cast<std::size_t>(months_base_ - month.index);
    months_.insert(months_.begin(), extra, MonthTotals{});
    months_base_ = month.index;
  } else if (static_cast<std::size_t>(month.index - months_base_) >= months_.size()) {
    months_.resize(static_cast<std::size_t>(month.index - months_base_) + 1);
  }
  return months_[static_cast<std::size_t>(month.index - months_base_)];
}

void ActivityAggregator::add(const ActivityRecord& record) {
  if (parts_.empty()) parts_.push_back(std::make_unique<Part>());
  parts_.front()->add(record.customer_id, record.period.index, record.revenue);
  count(record);
}

void ActivityAggregator::count(const ActivityRecord& record) {
  ++stats_.records;
  if (record.revenue == 0) ++stats_.zero_revenue_records;
  if (!stats_.first || record.period < *stats_.first) stats_.first = record.period;
  if (!stats_.last || record.period > *stats_.last) stats_.last = record.period;

  if (record.csat != 0 || record.acquisition_cost) {
    MonthTotals& totals = totals_for(record.period);
    if (record.csat >= 1 && record.csat <= 5) ++totals.csat_by_score[record.csat - 1];
    if (record.acquisition_cost) {
      totals.acquisition_cost += *record.acquisition_cost;
      stats_.has_acquisition_cost = true;
    }
  }
}

void ActivityAggregator::merge(ActivityAggregator&& other) {
  for (auto& part : other.parts_) {
    if (part->entries > 0 || part->queued > 0) parts_.push_back(std::move(part));
  }
  for (std::size_t i = 0; i < other.months_.size(); ++i) {
    const MonthTotals& source = other.months_[i];
    MonthTotals& to = totals_for(YearMonth{other.months_base_ + static_cast<std::int32_t>(i)});
    for (int s = 0; s < 5; ++s) to.csat_by_score[s] += source.csat_by_score[s];
    to.acquisition_cost += source.acquisition_cost;
  }
  stats_.records += other.stats_.records;
  stats_.zero_revenue_records += other.stats_.zero_revenue_records;
  if (other.stats_.first && (!stats_.first || *other.stats_.first < *stats_.first)) {
    stats_.first = other.stats_.first;
  }
  if (other.stats_.last && (!stats_.last || *other.stats_.last > *stats_.last)) {
    stats_.last = other.stats_.last;
  }
  stats_.has_acquisition_cost = stats_.has_acquisition_cost || other.stats_.has_acquisition_cost;
  other = ActivityAggregator();
}

std::vector<PeriodMetrics> ActivityAggregator::finish(const MetricOptions& options,
                                                      unsigned threads) {
  threads = std::max(1u, threads);
  for (auto& part : parts_) part->drain();
  std::erase_if(parts_, [](const std::unique_ptr<Part>& part) { return part->entries == 0; });
  if (parts_.empty()) parts_.push_back(std::make_unique<Part>());
  // Parts of one shard group own disjoint customers and are walked as they are. Otherwise one
  // numbering of customers is needed: the part with the most customers (the fewest ids to add)
  // takes in the others' ids and rows.
  const bool disjoint = std::all_of(parts_.begin(), parts_.end(), [&](const auto& part) {
    return part->group != 0 && part->group == parts_.front()->group;
  });
  if (!disjoint) {
    std::iter_swap(parts_.begin(),
                   std::max_element(parts_.begin(), parts_.end(), [](const auto& a, const auto& b) {
                     return a->customers.size() < b->customers.size();
                   }));
    for (std::size_t p = 1; p < parts_.size(); ++p) parts_.front()->absorb(*parts_[p]);
    parts_.resize(1);
  }
  stats_.customers = 0;
  for (const auto& part : parts_) stats_.customers += part->customers.size();

  std::vector<PeriodMetrics> periods;
  if (!stats_.first) return periods;
  const std::int32_t first = stats_.first->index;
  const std::int32_t last = stats_.last->index;
  const auto month_count = static_cast<std::size_t>(last - first + 1);

  // Each bucket of each part holds whole customers: threads sort, compact and walk disjoint
  // ranges of (part, bucket); their counts are exact integers, summed after.
  const std::size_t jobs = parts_.size() * kBuckets;
  const std::size_t slices = threads;
  std::vector<std::vector<MonthCounts>> slice_counts(slices, std::vector<MonthCounts>(month_count));
  std::vector<std::uint64_t> slice_customer_months(slices, 0);
  run_parallel(slices, threads, [&](std::size_t s) {
    std::vector<Entry> scratch;
    std::vector<std::uint32_t> sort_counts;
    MonthCounts* counts = slice_counts[s].data();
    for (std::size_t job = jobs * s / slices; job < jobs * (s + 1) / slices; ++job) {
      Part& part = *parts_[job / kBuckets];
      EntryArray& bucket = part.buckets[job % kBuckets];
      slice_customer_months[s] += part.compact_bucket(bucket, scratch, sort_counts);
      std::size_t i = 0;
      while (i < bucket.size()) {
        std::size_t j = i + 1;
        while (j < bucket.size() && bucket[j].customer == bucket[i].customer) ++j;
        walk_customer(bucket.data() + i, j - i, first, last, counts);
        i = j;
      }
    }
  });

  std::vector<MonthCounts> totals(month_count);
  stats_.customer_months = 0;
  for (std::size_t s = 0; s < slices; ++s) {
    for (std::size_t i = 0; i < month_count; ++i) totals[i] += slice_counts[s][i];
    stats_.customer_months += slice_customer_months[s];
  }

  periods.resize(month_count);
  for (std::size_t i = 0; i < month_count; ++i) {
    PeriodMetrics& m = periods[i];
    const MonthCounts& c = totals[i];
    m.period = YearMonth{first + static_cast<std::int32_t>(i)};
    m.customers_start = c.start;
    m.churned_customers = c.churned;
    m.new_customers = c.fresh;
    m.reactivated_customers = c.reactivated;
    m.customers_end = c.end;
    m.expanded_customers = c.expanded;
    m.contracted_customers = c.contracted;
    m.mrr_start = c.mrr_start;
    m.mrr_end = c.mrr_end;
    m.new_mrr = c.new_mrr;
    m.reactivation_mrr = c.reactivation_mrr;
    m.expansion_mrr = c.expansion_mrr;
    m.contraction_mrr = c.contraction_mrr;
    m.churned_mrr = c.churned_mrr;

    const std::int64_t offset = m.period.index - months_base_;
    const MonthTotals* month_totals = (!months_.empty() && offset >= 0 &&
                                       static_cast<std::size_t>(offset) < months_.size())
                                          ? &months_[static_cast<std::size_t>(offset)]
                                          : nullptr;
    std::int64_t responses = 0;
    std::int64_t satisfied = 0;
    if (month_totals) {
      for (int score = 1; score <= 5; ++score) {
        const auto n = static_cast<std::int64_t>(month_totals->csat_by_score[score - 1]);
        responses += n;
        if (score >= options.csat_threshold) satisfied += n;
      }
    }
    m.csat_responses = responses;
    m.csat_satisfied = satisfied;
    if (stats_.has_acquisition_cost) {
      m.acquisition_cost = month_totals ? month_totals->acquisition_cost : 0;
    }
    derive_rates(m, options);
  }
  return periods;
}

struct ActivityShards::Impl {
  struct Inbox {
    std::mutex mutex;
    std::vector<std::string> batches;
  };
  static constexpr std::size_t kBatchBytes = 256 * 1024;

  unsigned count = 0;
  std::vector<ActivityAggregator> shards;
  std::vector<std::string> outbox;  // [from * count + to]: rows on their way
  std::unique_ptr<Inbox[]> inbox;
  std::atomic<unsigned> finished{0};
  std::mutex wait_mutex;
  std::condition_variable wake;

  unsigned owner(std::uint64_t hash) const noexcept {
    // High bits (the low ones choose the slot in the customer table), scaled to 0..count-1
    // with a multiplication rather than a division.
    return static_cast<unsigned>(((hash >> 32) * count) >> 32);
  }

  void send(unsigned from, unsigned to) {
    std::string& batch = outbox[from * count + to];
    if (batch.empty()) return;
    {
      const std::lock_guard<std::mutex> lock(inbox[to].mutex);
      inbox[to].batches.push_back(std::move(batch));
    }
    batch = std::string();
    batch.reserve(kBatchBytes + 64);
    wake.notify_all();
  }
};

namespace {
std::atomic<std::uint64_t> next_shard_group{1};

constexpr std::size_t kBatchRowHead = 8 + 4 + 8 + 4;
template <typename T>
T get(const char*& p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  p += sizeof value;
  return value;
}
}  // namespace

ActivityShards::ActivityShards(unsigned count) : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  impl.count = std::max(1u, count);
  impl.shards.resize(impl.count);
  const std::uint64_t group = next_shard_group.fetch_add(1);
  for (ActivityAggregator& shard : impl.shards) shard.parts_.front()->group = group;
  impl.outbox.resize(static_cast<std::size_t>(impl.count) * impl.count);
  impl.inbox = std::make_unique<Impl::Inbox[]>(impl.count);
}

ActivityShards::~ActivityShards() = default;

void ActivityShards::add(unsigned shard, const ActivityRecord& record) {
  Impl& impl = *impl_;
  ActivityAggregator& mine = impl.shards[shard];
  mine.count(record);
  const std::uint64_t hash = CustomerIndex::hash(record.customer_id);
  const unsigned owner = impl.owner(hash);
  if (owner == shard) {
    mine.parts_.front()->add_hashed(record.customer_id, hash, record.period.index, record.revenue);
    return;
  }
  // One row of a batch: hash, month, revenue, id length, id bytes.
  std::string& batch = impl.outbox[shard * impl.count + owner];
  const auto length = static_cast<std::uint32_t>(record.customer_id.size());
  const std::size_t at = batch.size();
  batch.resize(at + kBatchRowHead + length);
  char* p = batch.data() + at;
  std::memcpy(p, &hash, 8);
  std::memcpy(p + 8, &record.period.index, 4);
  std::memcpy(p + 12, &record.revenue, 8);
  std::memcpy(p + 20, &length, 4);
  if (length != 0) std::memcpy(p + kBatchRowHead, record.customer_id.data(), length);
  if (batch.size() >= Impl::kBatchBytes) impl.send(shard, owner);
}

void ActivityShards::receive(unsigned shard) {
  Impl& impl = *impl_;
  std::vector<std::string> batches;
  {
    const std::lock_guard<std::mutex> lock(impl.inbox[shard].mutex);
    batches.swap(impl.inbox[shard].batches);
  }
  auto& part = *impl.shards[shard].parts_.front();
  for (const std::string& batch : batches) {
    const char* p = batch.data();
    const char* const end = p + batch.size();
    while (p < end) {
      const auto hash = get<std::uint64_t>(p);
      const auto month = get<std::int32_t>(p);
      const auto revenue = get<Money>(p);
      const auto length = get<std::uint32_t>(p);
      part.add_hashed(std::string_view(p, length), hash, month, revenue);
      p += length;
    }
  }
}

void ActivityShards::finish(unsigned shard) {
  Impl& impl = *impl_;
  // The thread counts itself finished even when passing on its rows fails (out of memory), or
  // the others would wait for it forever; the failure then ends the whole read.
  std::exception_ptr failure;
  try {
    for (unsigned to = 0; to < impl.count; ++to) {
      if (to != shard) impl.send(shard, to);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  impl.finished.fetch_add(1, std::memory_order_acq_rel);
  impl.wake.notify_all();
  if (failure) std::rethrow_exception(failure);
  for (;;) {
    receive(shard);
    // Every thread sends all it has before it counts itself finished: once all have, one last
    // receive takes the rest.
    if (impl.finished.load(std::memory_order_acquire) == impl.count) {
      receive(shard);
      return;
    }
    std::unique_lock<std::mutex> lock(impl.wait_mutex);
    impl.wake.wait_for(lock, std::chrono::milliseconds(1));
  }
}

ActivityAggregator ActivityShards::take(unsigned shard) { return std::move(impl_->shards[shard]); }

}  // namespace csm
