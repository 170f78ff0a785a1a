#include "csm/activity_aggregator.hpp"
#include "csm/activity_state.hpp"
#include "csm/cohorts.hpp"
#include "csm/error.hpp"
#include "csm/parallel.hpp"
#include "mapped_array.hpp"
#include "movement_walk.hpp"
#include "row_exchange.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace csm {
namespace {

// The revenue of one row.
struct alignas(16) Entry {
  std::uint32_t customer;  // index in the part's CustomerIndex
  std::int32_t month;      // YearMonth::index
  Money revenue;
};
static_assert(sizeof(Entry) == ActivityAggregator::kBytesPerCustomerMonth);

// The row log, grown by remapping pages.
using EntryArray = detail::MappedArray<Entry, (std::size_t{1} << 16)>;

// The log is split into 64 buckets by the low bits of the customer index, so that each bucket
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
  detail::reserve_populated(scratch, n);
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
  throw RevenueOverflow("customer " + quote_for_message(customer) + ", " + to_string(YearMonth{month}) +
                            ": the month's revenue sum exceeds " + format_money(kMaxMoney),
                        customer, YearMonth{month});
}

// Below this many entries a part's log is compacted only at the end.
constexpr std::size_t kFirstCompaction = std::size_t{8} << 20;

// Per-month counts of one walk over customers (MonthCounts, csm/activity_state.hpp) are added
// up across threads (exact integers).

using detail::MonthSlots;
using detail::PeriodSlots;

// Counts of one walk (detail::classify_customer) into the per-slot MonthCounts of all customers.
struct CountMonths {
  MonthCounts* counts;
  void active(std::int32_t slot, std::uint32_t, Money revenue) noexcept {
    MonthCounts& m = counts[slot];
    ++m.end;
    m.mrr_end += revenue;
  }
  void carried(std::int32_t slot, std::uint32_t, Money revenue) noexcept {
    MonthCounts& m = counts[slot];
    ++m.start;
    m.mrr_start += revenue;
  }
  void fresh(std::int32_t slot, std::uint32_t, Money revenue) noexcept {
    MonthCounts& m = counts[slot];
    ++m.fresh;
    m.new_mrr += revenue;
  }
  void reactivated(std::int32_t slot, std::uint32_t, Money revenue) noexcept {
    MonthCounts& m = counts[slot];
    ++m.reactivated;
    m.reactivation_mrr += revenue;
  }
  void expanded(std::int32_t slot, std::uint32_t, Money before, Money after) noexcept {
    MonthCounts& m = counts[slot];
    ++m.expanded;
    m.expansion_mrr += after - before;
  }
  void contracted(std::int32_t slot, std::uint32_t, Money before, Money after) noexcept {
    MonthCounts& m = counts[slot];
    ++m.contracted;
    m.contraction_mrr += before - after;
  }
  void churned(std::int32_t slot, std::uint32_t, Money before) noexcept {
    MonthCounts& m = counts[slot];
    ++m.churned;
    m.churned_mrr += before;
  }
};

// One customer's months in order, each month once: its role in every slot of the range.
template <typename Slots>
void walk_customer(const Entry* months, std::size_t n, const Slots& slots, MonthCounts* counts) {
  CountMonths visit{counts};
  detail::classify_customer<false>(months, n, slots, visit);
}

// With groups, a log entry's month field holds month << kGroupBits | group id, so that the log,
// its sort and its compaction stay as they are and sum each (customer, month, group).
constexpr int kGroupBits = 14;
static_assert(ActivityAggregator::kMaxGroups == (std::uint32_t{1} << kGroupBits));
constexpr std::uint32_t kGroupMask = ActivityAggregator::kMaxGroups - 1;
// Month indexes are 12..119999 (years 1..9999): shifted, they still fit in an int32.
static_assert((std::int64_t{119999} << kGroupBits | kGroupMask) <= INT32_MAX);

std::int32_t group_key(std::int32_t month, std::uint32_t group) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(month) << kGroupBits | group);
}
std::int32_t month_of_key(std::int32_t key) noexcept { return key >> kGroupBits; }
std::uint32_t group_of_key(std::int32_t key) noexcept {
  return static_cast<std::uint32_t>(key) & kGroupMask;
}

// Group names and their ids, shared by the aggregators of one reading (several threads).
struct GroupTable {
  std::mutex mutex;
  std::vector<std::string> names;
  std::unordered_map<std::string, std::uint32_t> ids;

  std::uint32_t intern(std::string_view name) {
    const std::lock_guard<std::mutex> lock(mutex);
    const auto found = ids.find(std::string(name));
    if (found != ids.end()) return found->second;
    if (names.size() >= ActivityAggregator::kMaxGroups) {
      throw TooManyGroups("more than " + std::to_string(ActivityAggregator::kMaxGroups) +
                          " distinct values in the grouping column");
    }
    const auto id = static_cast<std::uint32_t>(names.size());
    names.emplace_back(name);
    ids.emplace(std::string(name), id);
    return id;
  }
  std::vector<std::string> snapshot() {
    const std::lock_guard<std::mutex> lock(mutex);
    return names;
  }
};

struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Per group and month: the counts of the walk and the moves between groups.
struct GroupMonthCounts {
  MonthCounts counts;
  GroupMoves moves;
  GroupMonthCounts& operator+=(const GroupMonthCounts& o) noexcept {
    counts += o.counts;
    moves += o.moves;
    return *this;
  }
};

// Counts of one grouped walk into counts[group * slot_count + slot]: the MonthCounts of each group
// and the moves between groups.
struct CountGroups {
  GroupMonthCounts* counts;
  std::size_t slot_count;
  GroupMonthCounts& at(std::uint32_t group, std::int32_t slot) const noexcept {
    return counts[group * slot_count + static_cast<std::size_t>(slot)];
  }
  void active(std::int32_t slot, std::uint32_t group, Money revenue) noexcept {
    CountMonths{&at(group, slot).counts}.active(0, group, revenue);
  }
  void carried(std::int32_t slot, std::uint32_t group, Money revenue) noexcept {
    CountMonths{&at(group, slot).counts}.carried(0, group, revenue);
  }
  void fresh(std::int32_t slot, std::uint32_t group, Money revenue) noexcept {
    CountMonths{&at(group, slot).counts}.fresh(0, group, revenue);
  }
  void reactivated(std::int32_t slot, std::uint32_t group, Money revenue) noexcept {
    CountMonths{&at(group, slot).counts}.reactivated(0, group, revenue);
  }
  void expanded(std::int32_t slot, std::uint32_t group, Money before, Money after) noexcept {
    CountMonths{&at(group, slot).counts}.expanded(0, group, before, after);
  }
  void contracted(std::int32_t slot, std::uint32_t group, Money before, Money after) noexcept {
    CountMonths{&at(group, slot).counts}.contracted(0, group, before, after);
  }
  void churned(std::int32_t slot, std::uint32_t group, Money before) noexcept {
    CountMonths{&at(group, slot).counts}.churned(0, group, before);
  }
  // A move: out of the previous end's group, into this one, with the revenue it had there.
  void moved(std::int32_t slot, std::uint32_t from, std::uint32_t to, Money before) noexcept {
    GroupMoves& out = at(from, slot).moves;
    ++out.moved_out_customers;
    out.moved_out_mrr += before;
    GroupMoves& in = at(to, slot).moves;
    ++in.moved_in_customers;
    in.moved_in_mrr += before;
  }
};

// One customer's months in order, each once, with the month's group in `customer`: its role in
// the groups of every slot (as walk_customer). Counts go to counts[group * slot_count + slot].
template <typename Slots>
void walk_groups(const Entry* months, std::size_t n, const Slots& slots, std::size_t slot_count,
                 GroupMonthCounts* counts) {
  CountGroups visit{counts, slot_count};
  detail::classify_customer<true>(months, n, slots, visit);
}

// Cohort counts of one walk, sparse: only the cohorts and (cohort, age) cells that occur, so that
// memory follows the customers' months and not the square of the range (cohort and age in
// periods of the grain, counted from the data's first period).
struct CohortCell {
  std::int64_t active = 0;
  MoneySum revenue = 0;
};
struct CohortCounts {
  std::unordered_map<std::uint32_t, std::int64_t> size;        // by cohort
  std::unordered_map<std::uint64_t, CohortCell> cells;         // by cohort << 32 | age
};

// One customer's months in order, each once: its cohort, and the ages at which it is active in
// the reference month (the period's last month, or the data's last month).
void walk_cohort(const Entry* months, std::size_t n, std::int32_t last, int grain_months,
                 std::int32_t first_period, bool unbroken_only, CohortCounts& counts) {
  bool seen_active = false;
  bool unbroken = true;
  std::int32_t cohort = 0;
  std::int32_t prev_month = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Money revenue = months[i].revenue;
    if (revenue <= 0) continue;
    const std::int32_t month = months[i].month;
    const std::int32_t period = month / grain_months;
    if (!seen_active) {
      seen_active = true;
      cohort = period - first_period;
      ++counts.size[static_cast<std::uint32_t>(cohort)];
    } else if (month != prev_month + 1) {
      unbroken = false;
    }
    prev_month = month;
    const std::int32_t reference = std::min((period + 1) * grain_months - 1, last);
    if (month != reference || (unbroken_only && !unbroken)) continue;
    const std::uint64_t key = (static_cast<std::uint64_t>(cohort) << 32) |
                              static_cast<std::uint32_t>(period - first_period - cohort);
    CohortCell& cell = counts.cells[key];
    ++cell.active;
    cell.revenue += revenue;
  }
}

template <typename T>
T& at_month(std::int32_t& base, std::vector<T>& months, std::int32_t month) {
  if (months.empty()) {
    base = month;
    months.resize(1);
  } else if (month < base) {
    months.insert(months.begin(), static_cast<std::size_t>(base - month), T{});
    base = month;
  } else if (static_cast<std::size_t>(month - base) >= months.size()) {
    months.resize(static_cast<std::size_t>(month - base) + 1);
  }
  return months[static_cast<std::size_t>(month - base)];
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
  // The month fields are group keys (see kGroupBits).
  bool grouped = false;

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
        if (!sum) overflow(customers.id(e.customer), grouped ? month_of_key(e.month) : e.month);
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

struct ActivityAggregator::Grouping {
  std::shared_ptr<GroupTable> table = std::make_shared<GroupTable>();
  std::unordered_map<std::string, std::uint32_t, NameHash, std::equal_to<>> cache;  // this thread's
  std::vector<std::int32_t> base;                 // by group id: month index of totals[g][0]
  std::vector<std::vector<MonthTotals>> totals;   // by group id, then month
  std::vector<GroupPeriods> result;

  std::uint32_t id(std::string_view name) {
    const auto found = cache.find(name);
    if (found != cache.end()) return found->second;
    const std::uint32_t id = table->intern(name);
    cache.emplace(std::string(name), id);
    return id;
  }
  MonthTotals& totals_for(std::uint32_t group, YearMonth month) {
    if (group >= totals.size()) {
      totals.resize(group + 1);
      base.resize(group + 1, 0);
    }
    return at_month(base[group], totals[group], month.index);
  }
};

ActivityAggregator::ActivityAggregator() { parts_.push_back(std::make_unique<Part>()); }

void ActivityAggregator::group_by_segment() {
  if (grouping_ == nullptr) grouping_ = std::make_unique<Grouping>();
  for (auto& part : parts_) part->grouped = true;
}

void ActivityAggregator::collect_cohorts(const CohortOptions& options) {
  cohorts_ = std::make_unique<CohortTable>();
  cohorts_->options = options;
}

void ActivityAggregator::collect_movements(const MovementOptions& options) {
  movement_options_ = std::make_unique<MovementOptions>(options);
}

MovementList ActivityAggregator::take_movements() { return std::move(movements_); }

CohortTable ActivityAggregator::take_cohorts() {
  if (cohorts_ == nullptr) return {};
  return std::move(*cohorts_);
}

std::vector<GroupPeriods> ActivityAggregator::take_groups() {
  if (grouping_ == nullptr) return {};
  return std::move(grouping_->result);
}
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
  if (parts_.empty()) {
    parts_.push_back(std::make_unique<Part>());
    parts_.back()->grouped = grouped();
  }
  const std::int32_t key = count(record);
  parts_.front()->add(record.customer_id, key, record.revenue);
}

std::int32_t ActivityAggregator::count(const ActivityRecord& record) {
  ++stats_.records;
  if (record.revenue == 0) ++stats_.zero_revenue_records;
  if (!stats_.first || record.period < *stats_.first) stats_.first = record.period;
  if (!stats_.last || record.period > *stats_.last) stats_.last = record.period;

  if (record.nps_column) stats_.has_nps = true;
  // An NPS answer's class: 0 promoter (9-10), 1 passive (7-8), 2 detractor (0-6); -1 none.
  const int nps_class = record.nps < 0 || record.nps > 10 ? -1 : record.nps >= 9 ? 0 : record.nps >= 7 ? 1 : 2;
  if (record.csat != 0 || record.acquisition_cost || nps_class >= 0) {
    MonthTotals& totals = totals_for(record.period);
    if (record.csat >= 1 && record.csat <= 5) ++totals.csat_by_score[record.csat - 1];
    if (record.acquisition_cost) {
      totals.acquisition_cost += *record.acquisition_cost;
      stats_.has_acquisition_cost = true;
    }
    if (nps_class >= 0) ++totals.nps[nps_class];
  }
  if (grouping_ == nullptr) return record.period.index;
  const std::uint32_t group = grouping_->id(record.segment);
  if (record.csat != 0 || record.acquisition_cost || nps_class >= 0) {
    MonthTotals& totals = grouping_->totals_for(group, record.period);
    if (record.csat >= 1 && record.csat <= 5) ++totals.csat_by_score[record.csat - 1];
    if (record.acquisition_cost) totals.acquisition_cost += *record.acquisition_cost;
    if (nps_class >= 0) ++totals.nps[nps_class];
  }
  return group_key(record.period.index, group);
}

void ActivityAggregator::merge(ActivityAggregator&& other) {
  if (grouped() != other.grouped()) {
    throw std::logic_error("merging a grouped aggregation with an ungrouped one");
  }
  if (grouping_ != nullptr) {
    // Group ids of another table are renumbered into this one (shards share one table).
    const bool same = grouping_->table == other.grouping_->table;
    std::vector<std::uint32_t> to_here;
    if (!same) {
      for (const std::string& name : other.grouping_->table->snapshot()) {
        to_here.push_back(grouping_->id(name));
      }
      for (auto& part : other.parts_) {
        part->drain();
        for (EntryArray& bucket : part->buckets) {
          for (std::size_t i = 0; i < bucket.size(); ++i) {
            bucket[i].month = group_key(month_of_key(bucket[i].month),
                                        to_here[group_of_key(bucket[i].month)]);
          }
        }
      }
    }
    Grouping& from = *other.grouping_;
    for (std::size_t g = 0; g < from.totals.size(); ++g) {
      const auto here = same ? static_cast<std::uint32_t>(g) : to_here[g];
      for (std::size_t i = 0; i < from.totals[g].size(); ++i) {
        const MonthTotals& source = from.totals[g][i];
        MonthTotals& to =
            grouping_->totals_for(here, YearMonth{from.base[g] + static_cast<std::int32_t>(i)});
        for (int k = 0; k < 5; ++k) to.csat_by_score[k] += source.csat_by_score[k];
        to.acquisition_cost += source.acquisition_cost;
        for (int k = 0; k < 3; ++k) to.nps[k] += source.nps[k];
      }
    }
  }
  for (auto& part : other.parts_) {
    if (part->entries > 0 || part->queued > 0) parts_.push_back(std::move(part));
  }
  for (std::size_t i = 0; i < other.months_.size(); ++i) {
    const MonthTotals& source = other.months_[i];
    MonthTotals& to = totals_for(YearMonth{other.months_base_ + static_cast<std::int32_t>(i)});
    for (int s = 0; s < 5; ++s) to.csat_by_score[s] += source.csat_by_score[s];
    to.acquisition_cost += source.acquisition_cost;
    for (int k = 0; k < 3; ++k) to.nps[k] += source.nps[k];
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
  stats_.has_nps = stats_.has_nps || other.stats_.has_nps;
  other = ActivityAggregator();
}

void ActivityAggregator::extend_range(YearMonth first, YearMonth last) noexcept {
  if (!stats_.first || first < *stats_.first) stats_.first = first;
  if (!stats_.last || last > *stats_.last) stats_.last = last;
}

std::vector<PeriodMetrics> ActivityAggregator::finish(const MetricOptions& options,
                                                      unsigned threads) {
  // The same code path as `merge` of partial states: counts and sums first, then the metrics.
  const ActivityRaw raw = finish_raw(threads);
  if (grouping_ == nullptr) return periods_from_raw(raw, options);
  std::vector<GroupPeriods> groups;
  std::vector<PeriodMetrics> periods = periods_from_raw(raw, options, &groups);
  grouping_->result = std::move(groups);
  return periods;
}

ActivityRaw ActivityAggregator::finish_raw(unsigned threads, Grain grain) {
  threads = std::max(1u, threads);
  for (auto& part : parts_) part->drain();
  std::erase_if(parts_, [](const std::unique_ptr<Part>& part) { return part->entries == 0; });
  if (parts_.empty()) {
    parts_.push_back(std::make_unique<Part>());
    parts_.back()->grouped = grouped();
  }
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

  ActivityRaw raw;
  raw.grouped = grouping_ != nullptr;
  raw.grain = grain;
  if (grouping_ != nullptr) grouping_->result.clear();
  if (movement_options_ != nullptr) {
    movements_ = MovementList{};
    movements_.grain = movement_options_->grain;
    movements_.grouped = grouping_ != nullptr;
  }
  if (!stats_.first) {
    raw.stats = stats_;
    return raw;
  }
  const std::int32_t first = stats_.first->index;
  const std::int32_t last = stats_.last->index;
  const auto month_count = static_cast<std::size_t>(last - first + 1);
  const MonthSlots month_slots{first, last - first};
  // Quarters or years: a second walk of each customer over the period-end snapshots.
  const bool by_period = grain != Grain::month;
  const PeriodSlots period_slots(months_in(grain), first, last);
  const auto slot_count = by_period ? static_cast<std::size_t>(period_slots.last_slot + 1) : 0;

  // Groups: their names now, and each id's place in name order (the tie-break of a month with
  // rows of several groups).
  std::vector<std::string> group_names;
  std::vector<std::uint32_t> rank;
  if (grouping_ != nullptr) {
    group_names = grouping_->table->snapshot();
    std::vector<std::uint32_t> order(group_names.size());
    for (std::uint32_t g = 0; g < order.size(); ++g) order[g] = g;
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return group_names[a] < group_names[b]; });
    rank.resize(order.size());
    for (std::uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
  }
  const std::size_t group_count = group_names.size();

  // Each bucket of each part holds whole customers: threads sort, compact and walk disjoint
  // ranges of (part, bucket); their counts are exact integers, summed after.
  const std::size_t jobs = parts_.size() * kBuckets;
  const std::size_t slices = threads;
  std::vector<std::vector<MonthCounts>> slice_counts(slices, std::vector<MonthCounts>(month_count));
  std::vector<std::vector<GroupMonthCounts>> slice_group_counts(
      slices, std::vector<GroupMonthCounts>(group_count * month_count));
  std::vector<std::vector<MonthCounts>> slice_period_counts(slices, std::vector<MonthCounts>(slot_count));
  std::vector<std::vector<GroupMonthCounts>> slice_group_period_counts(
      slices, std::vector<GroupMonthCounts>(group_count * slot_count));
  std::vector<std::uint64_t> slice_customer_months(slices, 0);
  // Cohorts: periods of the grain from the data's first to its last.
  const int grain_months = cohorts_ ? months_in(cohorts_->options.grain) : 1;
  const std::int32_t first_period = first / grain_months;
  const auto period_count = static_cast<std::size_t>(last / grain_months - first_period + 1);
  if (cohorts_ != nullptr && last - first + 1 > kMaxCohortMonths) {
    throw InputError("", 0, "period",
                     "the data spans " + std::to_string(last - first + 1) + " months (" +
                         to_string(*stats_.first) + " to " + to_string(*stats_.last) +
                         "); cohorts cover at most " + std::to_string(kMaxCohortMonths));
  }
  std::vector<CohortCounts> slice_cohorts(cohorts_ ? slices : 0);
  const bool unbroken_only = cohorts_ && cohorts_->options.exclude_reactivated;
  // Per group of the customer's first active month: [slice][group].
  std::vector<std::vector<CohortCounts>> slice_group_cohorts(
      cohorts_ && group_count > 0 ? slices : 0, std::vector<CohortCounts>(group_count));
  // Movements: one collector per slice, at the grain asked for, filtered as asked.
  std::vector<detail::MovementCollector> slice_movements;
  const Grain movement_grain = movement_options_ ? movement_options_->grain : Grain::month;
  const PeriodSlots movement_slots(months_in(movement_grain), first, last);
  std::unordered_set<std::string_view> movement_customers;
  if (movement_options_ != nullptr) {
    const MovementOptions& o = *movement_options_;
    const auto count = static_cast<std::size_t>(movement_slots.last_slot + 1);
    std::vector<bool> wanted;
    if (!o.periods.empty()) {
      wanted.assign(count, false);
      for (const YearMonth p : o.periods) {
        const std::int32_t slot = movement_slots.slot_of(p.index);
        if (p.index >= movement_slots.period_start(0) && static_cast<std::size_t>(slot) < count) {
          wanted[static_cast<std::size_t>(slot)] = true;
        }
      }
    }
    for (const std::string& id : o.customers) movement_customers.insert(id);
    for (std::size_t s = 0; s < slices; ++s) {
      slice_movements.emplace_back(o.types, wanted, o.customers.empty() ? nullptr : &movement_customers,
                                   group_count > 0 ? &rank : nullptr);
    }
  }
  parallel_jobs(slices, threads, [&](std::size_t s) {
    // This slice's movements of one customer (ungrouped: the log entries as they are).
    const auto record = [&](auto grouped, std::string_view id, const Entry* m, std::size_t n) {
      if (slice_movements.empty()) return;
      detail::MovementCollector& c = slice_movements[s];
      if (movement_grain == Grain::month) {
        c.walk<decltype(grouped)::value>(id, m, n, month_slots);
      } else {
        c.walk<decltype(grouped)::value>(id, m, n, movement_slots);
      }
    };
    std::vector<Entry> scratch;
    std::vector<std::uint32_t> sort_counts;
    std::vector<Entry> months;  // with groups: one customer's months, the group in `customer`
    MonthCounts* counts = slice_counts[s].data();
    GroupMonthCounts* group_counts = slice_group_counts[s].data();
    MonthCounts* period_counts = slice_period_counts[s].data();
    GroupMonthCounts* group_period_counts = slice_group_period_counts[s].data();
    const auto walk = [&](const Entry* customer_months, std::size_t n) {
      walk_customer(customer_months, n, month_slots, counts);
      if (by_period) walk_customer(customer_months, n, period_slots, period_counts);
    };
    for (std::size_t job = jobs * s / slices; job < jobs * (s + 1) / slices; ++job) {
      Part& part = *parts_[job / kBuckets];
      EntryArray& bucket = part.buckets[job % kBuckets];
      const std::size_t entries = part.compact_bucket(bucket, scratch, sort_counts);
      if (group_count == 0 && cohorts_ != nullptr) {
        slice_customer_months[s] += entries;
        std::size_t i = 0;
        while (i < bucket.size()) {
          std::size_t j = i + 1;
          while (j < bucket.size() && bucket[j].customer == bucket[i].customer) ++j;
          walk(bucket.data() + i, j - i);
          record(std::false_type{}, part.customers.id(bucket[i].customer), bucket.data() + i, j - i);
          walk_cohort(bucket.data() + i, j - i, last, grain_months, first_period, unbroken_only,
                      slice_cohorts[s]);
          i = j;
        }
        continue;
      }
      if (group_count == 0) {
        slice_customer_months[s] += entries;
        std::size_t i = 0;
        while (i < bucket.size()) {
          std::size_t j = i + 1;
          while (j < bucket.size() && bucket[j].customer == bucket[i].customer) ++j;
          walk(bucket.data() + i, j - i);
          record(std::false_type{}, part.customers.id(bucket[i].customer), bucket.data() + i, j - i);
          i = j;
        }
        continue;
      }
      // Entries are per (customer, month, group), sorted: sum each month over its groups and
      // keep the group with the most revenue (ties: the first name).
      std::size_t i = 0;
      while (i < bucket.size()) {
        const std::uint32_t customer = bucket[i].customer;
        months.clear();
        Money best = 0;
        for (; i < bucket.size() && bucket[i].customer == customer; ++i) {
          const Entry& e = bucket[i];
          const std::int32_t month = month_of_key(e.month);
          const std::uint32_t group = group_of_key(e.month);
          if (months.empty() || months.back().month != month) {
            months.push_back(Entry{group, month, e.revenue});
            best = e.revenue;
            continue;
          }
          Entry& m = months.back();
          const auto sum = checked_add(m.revenue, e.revenue);
          if (!sum) overflow(part.customers.id(customer), month);
          m.revenue = *sum;
          if (e.revenue > best || (e.revenue == best && rank[group] < rank[m.customer])) {
            best = e.revenue;
            m.customer = group;
          }
        }
        slice_customer_months[s] += months.size();
        walk(months.data(), months.size());
        walk_groups(months.data(), months.size(), month_slots, month_count, group_counts);
        if (by_period) {
          walk_groups(months.data(), months.size(), period_slots, slot_count, group_period_counts);
        }
        record(std::true_type{}, part.customers.id(customer), months.data(), months.size());
        if (cohorts_ != nullptr) {
          walk_cohort(months.data(), months.size(), last, grain_months, first_period,
                      unbroken_only, slice_cohorts[s]);
          const auto joined = std::find_if(months.begin(), months.end(),
                                           [](const Entry& e) { return e.revenue > 0; });
          if (joined != months.end()) {
            walk_cohort(months.data(), months.size(), last, grain_months, first_period,
                        unbroken_only, slice_group_cohorts[s][joined->customer]);
          }
        }
      }
    }
  });

  if (movement_options_ != nullptr) {
    parallel_jobs(slices, threads, [&](std::size_t s) { slice_movements[s].sort_customers(); });
    std::vector<std::int32_t> starts;
    for (std::int32_t slot = 0; slot <= movement_slots.last_slot; ++slot) {
      starts.push_back(movement_grain == Grain::month ? month_slots.period_start(slot)
                                                      : movement_slots.period_start(slot));
    }
    std::vector<std::string> names = group_names;
    std::sort(names.begin(), names.end());
    movements_ = detail::merge_movements(slice_movements, starts, movement_grain, std::move(names),
                                         grouping_ != nullptr);
  }

  std::vector<MonthCounts> totals(month_count);
  raw.period_counts.assign(slot_count, MonthCounts{});
  stats_.customer_months = 0;
  for (std::size_t s = 0; s < slices; ++s) {
    for (std::size_t i = 0; i < month_count; ++i) totals[i] += slice_counts[s][i];
    for (std::size_t i = 0; i < slot_count; ++i) raw.period_counts[i] += slice_period_counts[s][i];
    stats_.customer_months += slice_customer_months[s];
  }

  const auto totals_at = [](const std::vector<MonthTotals>& series, std::int32_t base,
                            YearMonth month) -> const MonthTotals* {
    const std::int64_t offset = month.index - base;
    return (!series.empty() && offset >= 0 && static_cast<std::size_t>(offset) < series.size())
               ? &series[static_cast<std::size_t>(offset)]
               : nullptr;
  };

  const auto sums_at = [&](const std::vector<MonthTotals>& series, std::int32_t base,
                           YearMonth month) {
    MonthSums sums;
    if (const MonthTotals* t = totals_at(series, base, month)) {
      for (int k = 0; k < 5; ++k) sums.csat_by_score[k] = t->csat_by_score[k];
      sums.acquisition_cost = t->acquisition_cost;
      for (int k = 0; k < 3; ++k) sums.nps[k] = t->nps[k];
    }
    return sums;
  };
  raw.counts = std::move(totals);
  raw.sums.resize(month_count);
  for (std::size_t i = 0; i < month_count; ++i) {
    raw.sums[i] = sums_at(months_, months_base_, YearMonth{first + static_cast<std::int32_t>(i)});
  }

  if (cohorts_ != nullptr) {
    CohortTable& table = *cohorts_;
    table.cohorts.clear();
    table.months_covered.clear();
    for (std::size_t p = 0; p < period_count; ++p) {
      const std::int32_t begin = std::max(first, (first_period + static_cast<std::int32_t>(p)) * grain_months);
      const std::int32_t end = std::min(last, (first_period + static_cast<std::int32_t>(p) + 1) * grain_months - 1);
      table.months_covered.push_back(end - begin + 1);
    }
    // The cohorts of counts kept in several slices, each cohort with every age up to the last
    // period (the table is printed whole): their sizes first, so that a table too large to
    // print is refused before it is made.
    const auto cohorts_of = [](const std::vector<const CohortCounts*>& parts) {
      std::map<std::uint32_t, std::int64_t> sizes;
      for (const CohortCounts* part : parts) {
        for (const auto& [cohort, n] : part->size) sizes[cohort] += n;
      }
      return sizes;
    };
    std::uint64_t cells = 0;
    const auto count_cells = [&](const std::map<std::uint32_t, std::int64_t>& sizes) {
      for (const auto& entry : sizes) cells += period_count - entry.first;
      if (cells > kMaxCohortCells) {
        throw InputError("", 0, "",
                         "the cohort tables would hold more than " +
                             std::to_string(kMaxCohortCells) +
                             " cells (cohorts x ages, all groups); use a coarser --grain, "
                             "fewer groups with --by, or a shorter range of months");
      }
    };
    const auto build = [&](const std::vector<const CohortCounts*>& parts,
                           const std::map<std::uint32_t, std::int64_t>& sizes) {
      std::vector<Cohort> cohorts;
      std::unordered_map<std::uint32_t, std::size_t> place;
      for (const auto& [c, customers] : sizes) {
        Cohort cohort;
        cohort.period = YearMonth{(first_period + static_cast<std::int32_t>(c)) * grain_months};
        cohort.customers = customers;
        cohort.ages.resize(period_count - c);
        place[c] = cohorts.size();
        cohorts.push_back(std::move(cohort));
      }
      for (const CohortCounts* part : parts) {
        for (const auto& [key, cell] : part->cells) {
          CohortAge& age = cohorts[place.at(static_cast<std::uint32_t>(key >> 32))]
                               .ages[static_cast<std::size_t>(key & 0xffffffffu)];
          age.active_customers += cell.active;
          age.revenue += cell.revenue;
        }
      }
      return cohorts;
    };
    std::vector<const CohortCounts*> parts;
    for (const CohortCounts& part : slice_cohorts) parts.push_back(&part);
    const std::map<std::uint32_t, std::int64_t> sizes = cohorts_of(parts);
    count_cells(sizes);
    std::vector<std::uint32_t> by_name(group_count);
    for (std::uint32_t g = 0; g < group_count; ++g) by_name[rank[g]] = g;
    std::vector<std::map<std::uint32_t, std::int64_t>> group_sizes;
    for (const std::uint32_t g : by_name) {
      std::vector<const CohortCounts*> group_parts;
      for (const auto& slice : slice_group_cohorts) group_parts.push_back(&slice[g]);
      group_sizes.push_back(cohorts_of(group_parts));
      count_cells(group_sizes.back());
    }
    table.cohorts = build(parts, sizes);
    table.groups.clear();
    for (std::size_t i = 0; i < by_name.size(); ++i) {
      const std::uint32_t g = by_name[i];
      parts.clear();
      for (const auto& slice : slice_group_cohorts) parts.push_back(&slice[g]);
      table.groups.push_back({group_names[g], build(parts, group_sizes[i])});
    }
    derive_cohort_rates(table);
  }

  if (grouping_ != nullptr) {
    std::vector<std::uint32_t> by_name(group_count);
    for (std::uint32_t g = 0; g < group_count; ++g) by_name[rank[g]] = g;
    for (const std::uint32_t g : by_name) {
      GroupRaw out;
      out.name = group_names[g];
      out.counts.resize(month_count);
      out.moves.resize(month_count);
      out.sums.resize(month_count);
      out.period_counts.resize(slot_count);
      out.period_moves.resize(slot_count);
      for (std::size_t i = 0; i < slot_count; ++i) {
        GroupMonthCounts sum;
        for (std::size_t s = 0; s < slices; ++s) sum += slice_group_period_counts[s][g * slot_count + i];
        out.period_counts[i] = sum.counts;
        out.period_moves[i] = sum.moves;
      }
      const bool has_totals = g < grouping_->totals.size();
      for (std::size_t i = 0; i < month_count; ++i) {
        GroupMonthCounts sum;
        for (std::size_t s = 0; s < slices; ++s) sum += slice_group_counts[s][g * month_count + i];
        out.counts[i] = sum.counts;
        out.moves[i] = sum.moves;
        if (has_totals) {
          out.sums[i] = sums_at(grouping_->totals[g], grouping_->base[g],
                                YearMonth{first + static_cast<std::int32_t>(i)});
        }
      }
      raw.groups.push_back(std::move(out));
    }
  }
  raw.stats = stats_;
  return raw;
}

struct ActivityShards::Impl {
  explicit Impl(unsigned count) : exchange(count) {}
  detail::RowExchange exchange;
  std::vector<ActivityAggregator> shards;
};

namespace {
std::atomic<std::uint64_t> next_shard_group{1};
}  // namespace

ActivityShards::ActivityShards(unsigned count, const ActivityAggregator* like)
    : impl_(std::make_unique<Impl>(count)) {
  Impl& impl = *impl_;
  impl.shards.resize(impl.exchange.count());
  const std::uint64_t group = next_shard_group.fetch_add(1);
  for (ActivityAggregator& shard : impl.shards) {
    shard.parts_.front()->group = group;
    if (like != nullptr && like->grouped()) {
      shard.group_by_segment();
      shard.grouping_->table = like->grouping_->table;  // one numbering of groups for all
    }
  }
}

ActivityShards::~ActivityShards() = default;

void ActivityShards::add(unsigned shard, const ActivityRecord& record) {
  Impl& impl = *impl_;
  ActivityAggregator& mine = impl.shards[shard];
  const std::int32_t key = mine.count(record);
  const std::uint64_t hash = CustomerIndex::hash(record.customer_id);
  const unsigned owner = impl.exchange.owner(hash);
  if (owner == shard) {
    mine.parts_.front()->add_hashed(record.customer_id, hash, key, record.revenue);
    return;
  }
  impl.exchange.post(shard, owner, record.customer_id, hash, key, record.revenue);
}

void ActivityShards::receive(unsigned shard) {
  auto& part = *impl_->shards[shard].parts_.front();
  impl_->exchange.receive(shard, [&](std::string_view id, std::uint64_t hash, std::int32_t month,
                                     Money revenue) { part.add_hashed(id, hash, month, revenue); });
}

void ActivityShards::finish(unsigned shard) {
  auto& part = *impl_->shards[shard].parts_.front();
  impl_->exchange.finish(shard, [&](std::string_view id, std::uint64_t hash, std::int32_t month,
                                    Money revenue) { part.add_hashed(id, hash, month, revenue); });
}

ActivityAggregator ActivityShards::take(unsigned shard) { return std::move(impl_->shards[shard]); }

}  // namespace csm
