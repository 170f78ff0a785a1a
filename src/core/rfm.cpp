#include "csm/rfm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "csm/activity_aggregator.hpp"
#include "csm/customer_index.hpp"
#include "csm/error.hpp"
#include "csm/parallel.hpp"
#include "mapped_array.hpp"
#include "row_exchange.hpp"

namespace csm {

double days_per_unit(TimeUnit unit) noexcept {
  switch (unit) {
    case TimeUnit::day:
      return 1.0;
    case TimeUnit::week:
      return 7.0;
    case TimeUnit::month:
      return 365.25 / 12.0;
  }
  return 1.0;
}

std::string_view to_string(TimeUnit unit) noexcept {
  switch (unit) {
    case TimeUnit::day:
      return "day";
    case TimeUnit::week:
      return "week";
    case TimeUnit::month:
      return "month";
  }
  return "?";
}


namespace {

// One transaction row (or, after compaction, one customer-day).
struct alignas(16) Entry {
  std::uint32_t customer;  // index in the CustomerIndex
  std::int32_t day;        // Date::days
  Money amount;
};
static_assert(sizeof(Entry) == 16);

// The row log, grown by remapping pages.
using EntryArray = detail::MappedArray<Entry, (std::size_t{1} << 14)>;

// The log is split into 64 buckets by the low bits of the customer index, so that each bucket
// holds whole customers and sorts within the cache: by the rest of the customer index with a
// counting sort, then by day inside each customer.
constexpr int kBucketBits = 6;
constexpr std::size_t kBuckets = std::size_t{1} << kBucketBits;

std::size_t bucket_of(std::uint32_t customer) noexcept { return customer & (kBuckets - 1); }

// Sort one bucket by (customer, day) into `scratch` (reused between buckets).
void sort_bucket(const Entry* a, std::size_t n, std::size_t customers, std::vector<Entry>& scratch,
                 std::vector<std::uint32_t>& counts) {
  const std::size_t keys = (customers >> kBucketBits) + 1;
  counts.assign(keys + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++counts[(a[i].customer >> kBucketBits) + 1];
  for (std::size_t k = 0; k < keys; ++k) counts[k + 1] += counts[k];
  detail::reserve_populated(scratch, n);
  scratch.resize(n);
  for (std::size_t i = 0; i < n; ++i) scratch[counts[a[i].customer >> kBucketBits]++] = a[i];
  // Days in order inside each customer: runs are mostly short (insertion sort), but one
  // customer may have many rows.
  std::size_t begin = 0;
  while (begin < n) {
    std::size_t end = begin + 1;
    while (end < n && scratch[end].customer == scratch[begin].customer) ++end;
    if (end - begin > 24) {
      std::sort(scratch.begin() + static_cast<std::ptrdiff_t>(begin),
                scratch.begin() + static_cast<std::ptrdiff_t>(end),
                [](const Entry& l, const Entry& r) { return l.day < r.day; });
    } else {
      for (std::size_t i = begin + 1; i < end; ++i) {
        const Entry e = scratch[i];
        std::size_t j = i;
        for (; j > begin && scratch[j - 1].day > e.day; --j) scratch[j] = scratch[j - 1];
        scratch[j] = e;
      }
    }
    begin = end;
  }
}

// One customer's summary from their entries, sorted by day.
struct Walked {
  MoneySum repeat_amount = 0;
  std::int32_t first = INT32_MAX;  // INT32_MAX: no purchase on or before end (excluded)
  std::int32_t last = 0;
  std::uint32_t x = 0;
  std::uint32_t holdout_x = 0;
  std::int32_t too_much_on = INT32_MIN;  // the first day whose purchases sum past kMaxMoney
  std::int32_t first_period = 0, last_period = 0;  // count_periods: of the purchases <= end
  std::uint32_t periods = 0;                       // count_periods: distinct periods
};

// count_periods: a purchase day in `period` (days come in order).
void count_period(Walked& w, std::int32_t period) {
  if (w.periods == 0) w.first_period = period;
  if (w.periods == 0 || period != w.last_period) ++w.periods;
  w.last_period = period;
}

}  // namespace

struct RfmAccumulator::Impl {
  Impl(std::int32_t end_day, std::int32_t limit_day) : end(end_day), limit(limit_day) {}

  std::int32_t end;
  std::int32_t limit;  // the last day logged: holdout_end, or end
  CustomerIndex customers;
  EntryArray buckets[kBuckets];
  std::uint64_t records = 0;
  std::uint64_t used = 0;
  std::int32_t latest = INT32_MIN;  // the latest day of any row
  std::size_t entries = 0;    // in the buckets (and staged)
  std::size_t compacted = 0;  // entries left by the last compaction
  std::size_t first_compaction = RfmAccumulator::kFirstCompaction;

  // Rows wait in a short queue between hashing their id (prefetching its slot) and interning
  // it, so that several cache misses on shuffled input are in flight at once.
  static constexpr std::size_t kQueue = 16;
  struct Pending {
    std::uint64_t hash;
    std::int32_t day;
    Money amount;
    std::uint32_t length;
    char inline_id[20];
    std::string long_id;
  };
  Pending queue[kQueue];
  std::size_t queued = 0;
  std::size_t next = 0;

  // Rows of each bucket gather in one cache line before they are written out with streaming
  // stores, so that 64 scattered output streams do not each cost a read of memory.
  struct Staging {
    static constexpr std::size_t kLine = 64 / sizeof(Entry);
    alignas(64) Entry entries[kLine];
    std::size_t size = 0;
  };
  Staging staged[kBuckets];

  bool empty() const noexcept { return records == 0 && customers.size() == 0 && queued == 0; }

  void add_hashed(std::string_view id, std::uint64_t hash, std::int32_t day, Money amount) {
    ++records;
    if (day <= end) ++used;
    latest = std::max(latest, day);
    if (queued == kQueue) {
      take(queue[next]);
      --queued;
      next = (next + 1) % kQueue;
    }
    Pending& p = queue[(next + queued) % kQueue];
    p.hash = hash;
    customers.prefetch(p.hash);
    p.day = day;
    p.amount = amount;
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
    // Customers with only rows after the last day of interest are still interned: they are
    // counted as excluded.
    const std::uint32_t customer = customers.intern(id, p.hash);
    if (p.day > limit) return;
    log(Entry{customer, p.day, p.amount});
  }

  void log(const Entry& e) {
    const std::size_t b = bucket_of(e.customer);
    Staging& staging = staged[b];
    staging.entries[staging.size++] = e;
    if (staging.size == Staging::kLine) {
      buckets[b].append_streaming(staging.entries, Staging::kLine);
      staging.size = 0;
    }
    if (++entries >= std::max(first_compaction, 2 * compacted)) compact();
  }

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

  // Sort each bucket by customer and day, and sum the rows of each customer-day into one entry.
  void compact() {
    flush_staged();
    std::vector<Entry> scratch;
    std::vector<std::uint32_t> counts;
    entries = 0;
    for (EntryArray& bucket : buckets) {
      sort_bucket(bucket.data(), bucket.size(), customers.size(), scratch, counts);
      std::size_t out = 0;
      for (const Entry& e : scratch) {
        if (out > 0 && bucket[out - 1].customer == e.customer && bucket[out - 1].day == e.day) {
          // A sum beyond Money stays two entries of the same day: the walk adds them exactly.
          if (const auto sum = checked_add(bucket[out - 1].amount, e.amount)) {
            bucket[out - 1].amount = *sum;
            continue;
          }
        }
        bucket[out++] = e;
      }
      bucket.truncate(out);
      entries += out;
    }
    compacted = entries;
  }

  // Take over everything of `other`: its customers join this numbering, its rows these buckets.
  void absorb(Impl& other) {
    other.drain();
    const CustomerIndex& ids = other.customers;
    std::vector<std::uint32_t> to_here(ids.size());
    std::vector<std::uint64_t> hashes(ids.size());
    for (std::uint32_t i = 0; i < ids.size(); ++i) hashes[i] = CustomerIndex::hash(ids.id(i));
    constexpr std::size_t kAhead = 8;
    for (std::uint32_t i = 0; i < ids.size(); ++i) {
      if (i + kAhead < ids.size()) customers.prefetch(hashes[i + kAhead]);
      to_here[i] = customers.intern(ids.id(i), hashes[i]);
    }
    std::vector<std::uint64_t>().swap(hashes);
    other.customers = CustomerIndex();
    for (EntryArray& bucket : other.buckets) {
      for (std::size_t i = 0; i < bucket.size(); ++i) {
        Entry e = bucket[i];
        e.customer = to_here[e.customer];
        log(e);
      }
      bucket.release();
    }
    flush_staged();
    records += other.records;
    used += other.used;
    latest = std::max(latest, other.latest);
  }
};

RfmAccumulator::RfmAccumulator(Date end, std::optional<Date> holdout_end)
    : end_(end),
      holdout_end_(holdout_end),
      impl_(std::make_unique<Impl>(
          end.days, holdout_end && holdout_end->days > end.days ? holdout_end->days : end.days)) {}
RfmAccumulator::RfmAccumulator(RfmAccumulator&&) noexcept = default;
RfmAccumulator& RfmAccumulator::operator=(RfmAccumulator&&) noexcept = default;
RfmAccumulator::~RfmAccumulator() = default;

std::uint64_t RfmAccumulator::records() const noexcept {
  std::uint64_t n = impl_->records;
  for (const auto& part : disjoint_) n += part->records;
  return n;
}

void RfmAccumulator::compact_after(std::size_t entries) noexcept {
  impl_->first_compaction = std::max<std::size_t>(entries, 1);
}

void RfmAccumulator::add(const TransactionRecord& record) {
  impl_->add_hashed(record.customer_id, CustomerIndex::hash(record.customer_id), record.date.days,
                    record.amount);
}

void RfmAccumulator::merge(RfmAccumulator&& other) {
  const std::size_t first_compaction = impl_->first_compaction;
  if (impl_->empty() && disjoint_.empty()) {
    // Nothing here yet (one file read in shards): take the other's parts as they are.
    impl_ = std::move(other.impl_);
    disjoint_ = std::move(other.disjoint_);
  } else {
    // One numbering: the part with the most customers (the fewest ids to intern again) takes in
    // every other part.
    std::vector<std::unique_ptr<Impl>> parts;
    parts.push_back(std::move(impl_));
    parts.push_back(std::move(other.impl_));
    for (auto& part : disjoint_) parts.push_back(std::move(part));
    for (auto& part : other.disjoint_) parts.push_back(std::move(part));
    disjoint_.clear();
    for (auto& part : parts) part->drain();
    std::iter_swap(parts.begin(),
                   std::max_element(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
                     return a->customers.size() < b->customers.size();
                   }));
    impl_ = std::move(parts.front());
    impl_->first_compaction = first_compaction;
    for (std::size_t i = 1; i < parts.size(); ++i) impl_->absorb(*parts[i]);
  }
  impl_->first_compaction = first_compaction;
  other.impl_ = std::make_unique<Impl>(impl_->end, impl_->limit);
  other.impl_->first_compaction = first_compaction;
  other.disjoint_.clear();
}

RfmSummary RfmAccumulator::finish(TimeUnit unit, unsigned threads) {
  // The parts: impl_ and those of other threads with disjoint customers.
  std::vector<Impl*> parts = {impl_.get()};
  for (auto& part : disjoint_) parts.push_back(part.get());
  RfmSummary out;
  out.unit = unit;
  out.end = end_;
  out.holdout_end = holdout_end_;
  std::int32_t latest = INT32_MIN;
  for (Impl* part : parts) {
    part->drain();
    out.transactions += part->records;
    out.transactions_used += part->used;
    latest = std::max(latest, part->latest);
  }
  if (latest != INT32_MIN) out.last_transaction = Date{latest};
  const double per_unit = days_per_unit(unit);
  const std::int32_t end_day = impl_->end;
  const std::int32_t limit = impl_->limit;

  std::size_t series_units = 0;
  if (holdout_end_ && limit > end_day) {
    series_units =
        static_cast<std::size_t>(std::ceil(static_cast<double>(limit - end_day) / per_unit));
  }

  // Each bucket of each part holds whole customers: threads sort and walk disjoint buckets into
  // the per-customer results; their holdout counts are exact integers, added up after.
  threads = std::max(1u, threads);
  std::vector<std::vector<Walked>> walked(parts.size());
  for (std::size_t k = 0; k < parts.size(); ++k) {
    detail::reserve_populated(walked[k], parts[k]->customers.size());
    walked[k].resize(parts[k]->customers.size());
  }
  std::vector<std::vector<std::uint64_t>> series(threads, std::vector<std::uint64_t>(series_units, 0));
  // With a holdout, repeat occasions per week (weeks end on end_day + 7 w): weeks w <= 0 at
  // index -w of `before` (grown as needed), weeks w >= 1 at w - 1 of `after`.
  const bool weekly = series_units > 0;
  const std::size_t weeks_after = weekly ? static_cast<std::size_t>((limit - end_day + 6) / 7) : 0;
  std::vector<std::vector<std::uint64_t>> before(threads), after(threads, std::vector<std::uint64_t>(weeks_after, 0));
  std::vector<std::int32_t> earliest(threads, INT32_MAX);
  std::vector<std::vector<Entry>> scratches(threads);
  std::vector<std::vector<std::uint32_t>> counters(threads);
  parallel_jobs(parts.size() * kBuckets, threads, [&](std::size_t worker, std::size_t job) {
    Impl& part = *parts[job / kBuckets];
    std::vector<Walked>& results = walked[job / kBuckets];
    std::vector<Entry>& scratch = scratches[worker];
    EntryArray& bucket = part.buckets[job % kBuckets];
    sort_bucket(bucket.data(), bucket.size(), results.size(), scratch, counters[worker]);
    bucket.release();
    std::uint64_t* units = series[worker].data();
    std::size_t i = 0;
    const std::size_t n = scratch.size();
    while (i < n) {
      const std::uint32_t customer = scratch[i].customer;
      Walked w;
      MoneySum total = 0;
      MoneySum first_amount = 0;
      std::uint32_t occasions = 0;
      std::int32_t previous = INT32_MIN;
      MoneySum day_sum = 0;  // of the day of e, for the money limit (compute's, per month)
      for (; i < n && scratch[i].customer == customer; ++i) {
        const Entry& e = scratch[i];
        day_sum = e.day == previous ? day_sum + e.amount : MoneySum{e.amount};
        if (day_sum > kMaxMoney && w.too_much_on == INT32_MIN) w.too_much_on = e.day;
        if (e.day <= end_day) {
          total += e.amount;
          if (w.first == INT32_MAX) w.first = e.day;
          if (e.day == w.first) first_amount += e.amount;
          if (e.day != previous) {
            ++occasions;
            w.last = e.day;
            if (period_of_) count_period(w, period_of_(e.day));
            if (weekly && e.day != w.first) {
              const auto back = static_cast<std::size_t>((end_day - e.day) / 7);
              std::vector<std::uint64_t>& counts = before[worker];
              if (back >= counts.size()) counts.resize(back + 1, 0);
              ++counts[back];
            }
          }
        } else if (e.day != previous && w.first != INT32_MAX) {
          ++w.holdout_x;
          if (weekly) ++after[worker][static_cast<std::size_t>((e.day - end_day + 6) / 7) - 1];
          // Unit i holds the days in (end + i units, end + (i + 1) units].
          const double offset = static_cast<double>(e.day - end_day) / per_unit;
          auto unit_index = static_cast<std::size_t>(std::ceil(offset)) - 1;
          if (unit_index >= series_units) unit_index = series_units - 1;
          ++units[unit_index];
        }
        previous = e.day;
      }
      if (w.first != INT32_MAX) {
        earliest[worker] = std::min(earliest[worker], w.first);
        w.x = occasions - 1;
        w.repeat_amount = total - first_amount;
      }
      results[customer] = w;
    }
  });
  std::vector<std::vector<Entry>>().swap(scratches);

  // Customers in bytewise id order, so that any row order gives the same output. The first 8
  // bytes, big-endian, decide most comparisons without touching the ids.
  struct Key {
    std::uint64_t head;
    std::uint32_t index;
    std::uint32_t part;
  };
  std::vector<Key> keys;
  std::size_t customer_count = 0;
  for (const auto& results : walked) customer_count += results.size();
  detail::reserve_populated(keys, customer_count);
  for (std::uint32_t k = 0; k < parts.size(); ++k) {
    const CustomerIndex& ids = parts[k]->customers;
    for (std::uint32_t i = 0; i < walked[k].size(); ++i) {
      if (walked[k][i].first == INT32_MAX) {
        ++out.excluded_customers;
        continue;
      }
      const std::string_view id = ids.id(i);
      std::uint64_t head = 0;
      for (std::size_t b = 0; b < 8; ++b) {
        head = (head << 8) | (b < id.size() ? static_cast<unsigned char>(id[b]) : 0u);
      }
      keys.push_back({head, i, k});
    }
  }
  const auto id_of = [&](const Key& key) { return parts[key.part]->customers.id(key.index); };
  // Ids are distinct: the order is the same on any number of threads.
  parallel_sort(keys.begin(), keys.end(), threads, [&](const Key& a, const Key& b) {
    if (a.head != b.head) return a.head < b.head;
    return id_of(a) < id_of(b);
  });

  if (weekly) {
    std::int32_t first = INT32_MAX;
    for (const std::int32_t d : earliest) first = std::min(first, d);
    const std::size_t weeks_before =
        first == INT32_MAX ? 0 : static_cast<std::size_t>((end_day - first) / 7) + 1;
    out.first_week = -static_cast<std::int32_t>(weeks_before) + 1;
    out.weekly_repeats.assign(weeks_before + weeks_after, 0);
    for (unsigned t = 0; t < threads; ++t) {
      for (std::size_t b = 0; b < before[t].size(); ++b) out.weekly_repeats[weeks_before - 1 - b] += before[t][b];
      for (std::size_t a = 0; a < weeks_after; ++a) out.weekly_repeats[weeks_before + a] += after[t][a];
    }
  }
  out.holdout_series.assign(series_units, 0);
  for (const auto& counts : series) {
    for (std::size_t u = 0; u < series_units; ++u) out.holdout_series[u] += counts[u];
  }
  // One day's purchases of a customer past the money limit: refused as compute refuses a month's
  // revenue past it (the first such customer in id order, on any number of threads).
  for (const Key& key : keys) {
    const Walked& w = walked[key.part][key.index];
    if (w.too_much_on == INT32_MIN) continue;
    throw RevenueOverflow("customer " + quote_for_message(id_of(key)) + ", " +
                          to_string(Date{w.too_much_on}) + ": the day's purchase amounts sum to more than " +
                          format_money(kMaxMoney));
  }
  detail::reserve_populated(out.customers, keys.size());
  out.customers.resize(keys.size());
  const std::int32_t end_period = period_of_ ? period_of_(end_day) : 0;
  if (period_of_) out.periods.resize(keys.size());
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const Walked& w = walked[keys[k].part][keys[k].index];
    if (period_of_) {
      out.periods[k] = {w.periods - 1, static_cast<std::uint32_t>(w.last_period - w.first_period),
                        static_cast<std::uint32_t>(end_period - w.first_period)};
    }
    RfmCustomer& c = out.customers[k];
    c.customer_id.assign(id_of(keys[k]));
    c.first = Date{w.first};
    c.last = Date{w.last};
    c.x = w.x;
    c.t_x = static_cast<double>(w.last - w.first) / per_unit;
    c.T = static_cast<double>(end_day - w.first) / per_unit;
    c.repeat_amount = w.repeat_amount;
    if (c.x > 0) c.monetary = to_double(c.repeat_amount) / static_cast<double>(c.x);
    c.holdout_x = w.holdout_x;
    if (c.x > 0) ++out.customers_with_repeats;
    out.repeat_occasions += c.x;
    out.holdout_occasions += c.holdout_x;
  }
  return out;
}

struct RfmShards::Impl {
  explicit Impl(unsigned count) : exchange(count) {}
  detail::RowExchange exchange;
  std::vector<RfmAccumulator> shards;
};

RfmShards::RfmShards(unsigned count, Date end, std::optional<Date> holdout_end)
    : impl_(std::make_unique<Impl>(count)) {
  for (unsigned k = 0; k < impl_->exchange.count(); ++k) impl_->shards.emplace_back(end, holdout_end);
}

RfmShards::~RfmShards() = default;

void RfmShards::add(unsigned shard, const TransactionRecord& record) {
  Impl& impl = *impl_;
  const std::uint64_t hash = CustomerIndex::hash(record.customer_id);
  const unsigned owner = impl.exchange.owner(hash);
  if (owner == shard) {
    impl.shards[shard].impl_->add_hashed(record.customer_id, hash, record.date.days, record.amount);
    return;
  }
  impl.exchange.post(shard, owner, record.customer_id, hash, record.date.days, record.amount);
}

void RfmShards::receive(unsigned shard) {
  RfmAccumulator::Impl& mine = *impl_->shards[shard].impl_;
  impl_->exchange.receive(shard, [&](std::string_view id, std::uint64_t hash, std::int32_t day,
                                     Money amount) { mine.add_hashed(id, hash, day, amount); });
}

void RfmShards::finish(unsigned shard) {
  RfmAccumulator::Impl& mine = *impl_->shards[shard].impl_;
  impl_->exchange.finish(shard, [&](std::string_view id, std::uint64_t hash, std::int32_t day,
                                    Money amount) { mine.add_hashed(id, hash, day, amount); });
}

RfmAccumulator RfmShards::take() {
  Impl& impl = *impl_;
  RfmAccumulator all = std::move(impl.shards.front());
  for (std::size_t k = 1; k < impl.shards.size(); ++k) {
    all.disjoint_.push_back(std::move(impl.shards[k].impl_));
    impl.shards[k] = RfmAccumulator(all.end_, all.holdout_end_);
  }
  return all;
}

}  // namespace csm
