#include "csm/rfm.hpp"

#include <algorithm>
#include <cmath>

#include "csm/activity_aggregator.hpp"
#include "csm/customer_index.hpp"
#include "csm/error.hpp"
#include "csm/parallel.hpp"
#include "customer_log.hpp"
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

// One accumulator's customers and their purchase log. Rows after the last day of interest
// (`limit`) are counted, and their customers interned (they are counted as excluded), but not
// logged. Two entries of one customer-day whose sum does not fit in a Money stay two entries: the
// walk adds them exactly.
struct RfmAccumulator::Impl
    : detail::CustomerLog<RfmAccumulator::Impl, Entry, std::size_t{1} << 14> {
  Impl(std::int32_t end_day, std::int32_t limit_day)
      : CustomerLog(RfmAccumulator::kFirstCompaction), end(end_day), limit(limit_day) {}

  std::int32_t end;
  std::int32_t limit;  // the last day logged: holdout_end, or end
  std::uint64_t records = 0;
  std::uint64_t used = 0;
  std::int32_t latest = INT32_MIN;  // the latest day of any row

  bool empty() const noexcept { return records == 0 && customers.size() == 0 && queued() == 0; }

  void add(std::string_view id, std::uint64_t hash, std::int32_t day, Money amount) {
    ++records;
    if (day <= end) ++used;
    latest = std::max(latest, day);
    CustomerLog::add(id, hash, day, amount);
  }

  // Take over everything of `other`: its customers join this numbering, its rows these buckets
  // (compacted on the way), its counts these.
  void absorb(Impl& other) {
    CustomerLog::absorb(other);
    records += other.records;
    used += other.used;
    latest = std::max(latest, other.latest);
  }

  // CustomerLog's policy (see above); one customer may have many days, so long runs of them are
  // sorted with std::sort.
  static constexpr auto kKey = &Entry::day;
  static constexpr auto kValue = &Entry::amount;
  static constexpr std::size_t kInsertionSortRun = 24;
  static constexpr bool kAbsorbThroughLog = true;
  bool logs(std::int32_t day) const noexcept { return day <= limit; }
  void sum_overflows(const Entry&) const noexcept {}
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
  impl_->add(record.customer_id, CustomerIndex::hash(record.customer_id), record.date.days,
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
  parallel_jobs(parts.size() * Impl::kBuckets, threads, [&](std::size_t worker, std::size_t job) {
    Impl& part = *parts[job / Impl::kBuckets];
    std::vector<Walked>& results = walked[job / Impl::kBuckets];
    std::vector<Entry>& scratch = scratches[worker];
    Impl::Bucket& bucket = part.buckets[job % Impl::kBuckets];
    part.sort_bucket(bucket, scratch, counters[worker]);
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
  // (Looked for in index order first: in id order every customer's result is a cache miss.)
  const auto too_much = [](const Walked& w) { return w.too_much_on != INT32_MIN; };
  const bool any_too_much = std::any_of(walked.begin(), walked.end(), [&](const std::vector<Walked>& results) {
    return std::any_of(results.begin(), results.end(), too_much);
  });
  if (any_too_much) {
    for (const Key& key : keys) {
      const Walked& w = walked[key.part][key.index];
      if (!too_much(w)) continue;
      throw RevenueOverflow("customer " + quote_for_message(id_of(key)) + ", " +
                            to_string(Date{w.too_much_on}) + ": the day's purchase amounts sum to more than " +
                            format_money(kMaxMoney));
    }
  }
  detail::reserve_populated(out.customers, keys.size());
  out.customers.resize(keys.size());
  const std::int32_t end_period = period_of_ ? period_of_(end_day) : 0;
  if (period_of_) out.periods.resize(keys.size());
  // The customers in chunks on the threads (a million ids copied one after another took a
  // tenth of a second); the chunks' counts are whole numbers, added up after.
  constexpr std::size_t kChunk = 65536;
  const std::size_t chunks = (keys.size() + kChunk - 1) / kChunk;
  struct Counts {
    std::uint64_t with_repeats = 0;
    std::uint64_t repeats = 0;
    std::uint64_t holdout = 0;
  };
  std::vector<Counts> counts(chunks);
  parallel_jobs(chunks, threads, [&](std::size_t chunk) {
    Counts& sum = counts[chunk];
    const std::size_t stop = std::min(keys.size(), (chunk + 1) * kChunk);
    for (std::size_t k = chunk * kChunk; k < stop; ++k) {
      // In id order the customers' results and ids are all over memory: ask for them ahead.
      if (k + 16 < stop) {
        const Key& ahead = keys[k + 16];
        __builtin_prefetch(&walked[ahead.part][ahead.index]);
        parts[ahead.part]->customers.prefetch_offset(ahead.index);
      }
      if (k + 8 < stop) parts[keys[k + 8].part]->customers.prefetch_text(keys[k + 8].index);
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
      if (c.x > 0) ++sum.with_repeats;
      sum.repeats += c.x;
      sum.holdout += c.holdout_x;
    }
  });
  for (const Counts& sum : counts) {
    out.customers_with_repeats += sum.with_repeats;
    out.repeat_occasions += sum.repeats;
    out.holdout_occasions += sum.holdout;
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
    impl.shards[shard].impl_->add(record.customer_id, hash, record.date.days, record.amount);
    return;
  }
  impl.exchange.post(shard, owner, record.customer_id, hash, record.date.days, record.amount);
}

void RfmShards::receive(unsigned shard) {
  RfmAccumulator::Impl& mine = *impl_->shards[shard].impl_;
  impl_->exchange.receive(shard, [&](std::string_view id, std::uint64_t hash, std::int32_t day,
                                     Money amount) { mine.add(id, hash, day, amount); });
}

void RfmShards::finish(unsigned shard) {
  RfmAccumulator::Impl& mine = *impl_->shards[shard].impl_;
  impl_->exchange.finish(shard, [&](std::string_view id, std::uint64_t hash, std::int32_t day,
                                    Money amount) { mine.add(id, hash, day, amount); });
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
