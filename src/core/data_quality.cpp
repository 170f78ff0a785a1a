#include "csm/data_quality.hpp"

#include "csm/parallel.hpp"

#include "pages.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <stdexcept>

namespace csm {
namespace {

void insert_sorted(std::vector<YearMonth>& months, YearMonth month) {
  const auto at = std::lower_bound(months.begin(), months.end(), month);
  if (at == months.end() || *at != month) months.insert(at, month);
}

std::string grouped(std::uint64_t n) {
  const std::string plain = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    if (i > 0 && (plain.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(plain[i]);
  }
  return out;
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return grouped(n) + " " + (n == 1 ? one : many);
}

// "2024-02, 2024-05 and 2 more" (the first `show` of them).
std::string month_list(const std::vector<YearMonth>& months, std::size_t show = 6) {
  std::string out;
  for (std::size_t i = 0; i < months.size() && i < show; ++i) {
    out += (i ? ", " : "") + to_string(months[i]);
  }
  if (months.size() > show) out += " and " + grouped(months.size() - show) + " more";
  return out;
}

std::string where(const std::vector<std::string>& sources, DataProfile::Place p) {
  const std::string name = p.source < sources.size() ? sources[p.source] : std::string("<input>");
  return name + ":" + std::to_string(p.line);
}

std::string location_list(const std::vector<std::string>& locations) {
  std::string out;
  for (std::size_t i = 0; i < locations.size(); ++i) out += (i ? ", " : "") + locations[i];
  return out;
}

}  // namespace

std::pair<std::uint64_t, std::uint32_t>& DataProfile::Table::find(std::uint64_t key,
                                                                  std::uint32_t value,
                                                                  bool& inserted) {
  if (key == 0) key = 1;
  if (2 * (used + 1) > slots.size()) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> old(slots.empty() ? 1024 : slots.size() * 2);
    old.swap(slots);
    const std::size_t mask = slots.size() - 1;
    for (const auto& entry : old) {
      if (entry.first == 0) continue;
      std::size_t at = static_cast<std::size_t>(entry.first) & mask;
      while (slots[at].first != 0) at = (at + 1) & mask;
      slots[at] = entry;
    }
  }
  const std::size_t mask = slots.size() - 1;
  for (std::size_t at = static_cast<std::size_t>(key) & mask;; at = (at + 1) & mask) {
    if (slots[at].first == key) {
      inserted = false;
      return slots[at];
    }
    if (slots[at].first == 0) {
      slots[at] = {key, value};
      ++used;
      inserted = true;
      return slots[at];
    }
  }
}

void DataProfile::place(YearMonth month, Place where) {
  Month& m = months_[slot(month)];
  if (m.places >= 3) return;
  ++m.places;
  places_.emplace_back(month, where);
}

bool DataProfile::duplicate(std::uint64_t row_hash, YearMonth month, Place where) {
  bool inserted = false;
  rows_.find(row_hash, 0, inserted);
  if (inserted) return false;
  ++duplicates_;
  if (duplicate_places_.size() < 3) duplicate_places_.push_back(where);
  insert_sorted(duplicate_months_, month);
  return true;
}

namespace {
// Back the whole pages inside [begin, begin + bytes) in one system call (pages.hpp).
void populate_range(void* begin, std::size_t bytes) noexcept {
  constexpr std::uintptr_t kPage = 4096;
  const auto start = reinterpret_cast<std::uintptr_t>(begin);
  const std::uintptr_t first = (start + kPage - 1) & ~(kPage - 1);
  const std::uintptr_t last = (start + bytes) & ~(kPage - 1);
  if (last > first) detail::populate_pages(reinterpret_cast<void*>(first), last - first);
}
constexpr unsigned kLineBits = DataProfile::kLineBits;
constexpr std::uint64_t kLineMask = DataProfile::kLineMask;
DataProfile::Place unpack(std::uint64_t packed) {
  return {static_cast<std::uint32_t>(packed >> kLineBits), packed & kLineMask};
}
// Keeps the `n` smallest packed places offered, sorted.
void keep_first(std::vector<std::uint64_t>& kept, std::uint64_t place, std::size_t n) {
  if (kept.size() == n && place >= kept.back()) return;
  kept.insert(std::upper_bound(kept.begin(), kept.end(), place), place);
  if (kept.size() > n) kept.pop_back();
}
}  // namespace

std::vector<DataProfile::Log::Segment>& DataProfile::Log::bucket(std::int32_t month) {
  if (buckets.empty()) {
    base = month;
    buckets.resize(1);
  } else if (month < base) {
    flush();  // the cursors are indexed from base
    std::vector<std::vector<Segment>> before(static_cast<std::size_t>(base - month));
    buckets.insert(buckets.begin(), std::make_move_iterator(before.begin()), std::make_move_iterator(before.end()));
    base = month;
  } else if (static_cast<std::size_t>(month - base) >= buckets.size()) {
    buckets.resize(static_cast<std::size_t>(month - base) + 1);
  }
  return buckets[static_cast<std::size_t>(month - base)];
}

void DataProfile::Log::Segment::grow() {
  const std::uint32_t want =
      blocks.empty() ? kFirstBlockRows : std::min<std::uint32_t>(2 * blocks.back().capacity, kBlockRows);
  Block block;
  block.keys = std::make_unique_for_overwrite<std::uint64_t[]>(want);
  block.steps = std::make_unique_for_overwrite<std::uint8_t[]>(want);
  block.capacity = want;
  blocks.push_back(std::move(block));
}

void DataProfile::Log::flush() {
  for (Cursor& c : cursors) {
    if (c.segment == nullptr) continue;
    Block& block = c.segment->blocks.back();
    block.size = static_cast<std::uint32_t>(c.key - block.keys.get());
    c.segment->rows = c.rows;
    c.segment->last = c.last;
    c = Cursor();
  }
  cursors.clear();
}

void DataProfile::Log::open(std::int32_t month) {
  std::vector<Segment>& segments = bucket(month);
  if (cursors.size() < buckets.size()) cursors.resize(buckets.size());
  Cursor& c = cursors[static_cast<std::size_t>(month - base)];
  if (c.segment != nullptr) {  // its block is full
    Block& full = c.segment->blocks.back();
    full.size = static_cast<std::uint32_t>(c.key - full.keys.get());
  } else {
    if (segments.empty()) segments.emplace_back();
    c.segment = &segments.back();
    c.rows = c.segment->rows;
    c.last = c.segment->last;
  }
  Segment& s = *c.segment;
  if (s.blocks.empty() || s.blocks.back().size == s.blocks.back().capacity) s.grow();
  Block& block = s.blocks.back();
  if (block.ready == block.size) {
    // The next chunk's pages, backed at once (pages only partly inside fault in as usual).
    const std::uint32_t ready = std::min(block.capacity, block.size + kChunkRows);
    if (block.capacity >= kChunkRows) {
      populate_range(block.keys.get() + block.size, std::size_t{ready - block.size} * sizeof(std::uint64_t));
      populate_range(block.steps.get() + block.size, std::size_t{ready - block.size});
    }
    block.ready = ready;
  }
  c.key = block.keys.get() + block.size;
  c.step = block.steps.get() + block.size;
  c.end = block.keys.get() + block.ready;
}

DataProfile::Found DataProfile::resolve(std::size_t max_locations, unsigned threads) const {
  if (sealed_) return *sealed_;
  if (!rows_log_.cursors.empty() || !customer_months_log_.cursors.empty()) {
    throw std::logic_error("DataProfile: the logs are read before seal() wrote their cursors back");
  }
  Found found;
  found.duplicates = duplicates_;
  found.duplicate_months = duplicate_months_;
  found.duplicate_places = duplicate_places_;
  // Each bucket in reading order through a table sized to it: a key's rows are all in one
  // bucket (the same month), so this finds what a table of every row would. visit(slot, key,
  // place, month) is given the place only when the key was seen before in the bucket.
  std::vector<std::uint64_t> keys;        // the rows' table: keys only
  std::vector<std::uint32_t> sources;     // the customer-months' table: the key's first input
  // Whether a large bucket has a key twice: each key sets a bit of a bitmap of 16 to 32 bits a
  // key (a power of two: 512 KiB at 140,000 keys), and a key whose bit was set already notes the
  // bit's position. Only the keys at a noted position (about 1 in 32) are compared exactly; the
  // second pass finds them through a bitmap of the 64-bit words that hold a noted position (1/64
  // of the size, in the first-level cache) and the sorted notes. Most months of most files have
  // no repeated key, and are then not walked row by row.
  struct Scratch {
    std::vector<std::uint64_t> seen;
    std::vector<std::uint64_t> noted;        // positions found set, then sorted and unique
    std::vector<std::uint64_t> noted_words;  // a bit for each word of `seen` with a noted position
    std::vector<std::uint64_t> shared;
  };
  const auto has_repeat = [](const std::vector<Log::Segment>& bucket, std::size_t n, Scratch& scratch) {
    std::vector<std::uint64_t>& seen = scratch.seen;
    std::vector<std::uint64_t>& noted = scratch.noted;
    std::vector<std::uint64_t>& noted_words = scratch.noted_words;
    std::vector<std::uint64_t>& shared = scratch.shared;
    unsigned bits = 10;
    while ((std::size_t{1} << bits) < 16 * n) ++bits;
    const std::size_t words = (std::size_t{1} << bits) / 64;
    seen.assign(words, 0);
    noted.clear();
    const unsigned shift = 64 - bits;
    for (const Log::Segment& s : bucket) {
      for (const Log::Block& block : s.blocks) {
        for (std::uint32_t i = 0; i < block.size; ++i) {
          const std::uint64_t at = block.keys[i] >> shift;
          const std::uint64_t bit = std::uint64_t{1} << (at & 63);
          std::uint64_t& word = seen[static_cast<std::size_t>(at >> 6)];
          if ((word & bit) != 0) noted.push_back(at);
          word |= bit;
        }
      }
    }
    if (noted.empty()) return false;
    std::sort(noted.begin(), noted.end());
    noted.erase(std::unique(noted.begin(), noted.end()), noted.end());
    noted_words.assign((words + 63) / 64, 0);
    for (const std::uint64_t at : noted) {
      noted_words[static_cast<std::size_t>(at >> 12)] |= std::uint64_t{1} << (at >> 6 & 63);
    }
    shared.clear();
    for (const Log::Segment& s : bucket) {
      for (const Log::Block& block : s.blocks) {
        for (std::uint32_t i = 0; i < block.size; ++i) {
          const std::uint64_t at = block.keys[i] >> shift;
          if ((noted_words[static_cast<std::size_t>(at >> 12)] >> (at >> 6 & 63) & 1) != 0 &&
              std::binary_search(noted.begin(), noted.end(), at)) {
            shared.push_back(block.keys[i] == 0 ? 1 : block.keys[i]);
          }
        }
      }
    }
    std::sort(shared.begin(), shared.end());
    return std::adjacent_find(shared.begin(), shared.end()) != shared.end();
  };
  const auto rows_of = [](const std::vector<Log::Segment>& bucket) {
    std::size_t n = 0;
    for (const Log::Segment& s : bucket) n += s.rows;
    return n;
  };
  constexpr std::size_t kLargeBucket = 16384;
  // Rows: which large months have a repeated key, on up to `threads` threads (a month is
  // checked by one thread, the answer does not depend on which).
  std::vector<char> repeats(rows_log_.buckets.size(), 1);
  {
    std::vector<std::size_t> large;
    for (std::size_t b = 0; b < rows_log_.buckets.size(); ++b) {
      if (rows_of(rows_log_.buckets[b]) > kLargeBucket) large.push_back(b);
    }
    std::vector<Scratch> scratch(resolve_threads(threads));
    parallel_jobs(large.size(), threads, [&](unsigned worker, std::size_t j) {
      const std::vector<Log::Segment>& bucket = rows_log_.buckets[large[j]];
      repeats[large[j]] = has_repeat(bucket, rows_of(bucket), scratch[worker]) ? 1 : 0;
    });
  }
  const auto walk = [&](const Log& log, bool with_sources, auto&& visit) {
    for (std::size_t b = 0; b < log.buckets.size(); ++b) {
      const std::size_t n = rows_of(log.buckets[b]);
      if (n == 0) continue;
      // Rows: a month without a repeated key has no duplicate (customer-months repeat often).
      if (!with_sources && !repeats[b]) continue;
      std::size_t slots = 16;
      while (slots < 2 * n) slots *= 2;
      if (keys.size() < slots) keys.resize(slots);
      std::fill(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(slots), std::uint64_t{0});
      if (with_sources && sources.size() < slots) sources.resize(slots);
      const std::size_t mask = slots - 1;
      const YearMonth month{log.base + static_cast<std::int32_t>(b)};
      for (const Log::Segment& s : log.buckets[b]) {
        std::uint64_t place = 0;
        std::size_t next_far = 0;
        for (const Log::Block& block : s.blocks) {
          for (std::uint32_t i = 0; i < block.size; ++i) {
            if (block.steps[i] == Log::kFar) {
              place = s.far[next_far++].second;
            } else {
              place += block.steps[i];
            }
            const std::uint64_t key = block.keys[i] == 0 ? 1 : block.keys[i];
            std::size_t at = static_cast<std::size_t>(key) & mask;
            while (keys[at] != 0 && keys[at] != key) at = (at + 1) & mask;
            visit(keys[at], with_sources ? &sources[at] : nullptr, key, place, month);
          }
        }
      }
    }
  };
  std::vector<std::uint64_t> first;
  if (rows_log_.size > 0) {
    walk(rows_log_, false, [&](std::uint64_t& slot, std::uint32_t*, std::uint64_t key,
                               std::uint64_t place, YearMonth month) {
      if (slot == 0) {
        slot = key;
        return;
      }
      ++found.duplicates;
      keep_first(first, place, 3);
      if (found.duplicate_months.empty() || found.duplicate_months.back() != month) {
        insert_sorted(found.duplicate_months, month);
      }
    });
    for (const std::uint64_t p : first) found.duplicate_places.push_back(unpack(p));
  }
  first.clear();
  if (customer_months_log_.size > 0) {
    walk(customer_months_log_, true, [&](std::uint64_t& slot, std::uint32_t* first_of,
                                         std::uint64_t key, std::uint64_t place, YearMonth month) {
      const auto source = static_cast<std::uint32_t>(place >> kLineBits);
      if (slot == 0) {
        slot = key;
        *first_of = source;
        return;
      }
      if (*first_of == source || *first_of == UINT32_MAX) return;
      // Counted once per customer-month, at its first row in a second input.
      const std::uint32_t first_source = *first_of;
      *first_of = UINT32_MAX;
      ++found.overlaps;
      keep_first(first, place, 3);
      if (found.overlap_months.empty() || found.overlap_months.back() != month) {
        insert_sorted(found.overlap_months, month);
      }
      for (const std::uint32_t src : {first_source, source}) {
        const auto at = std::lower_bound(found.overlap_sources.begin(), found.overlap_sources.end(), src);
        if (at == found.overlap_sources.end() || *at != src) found.overlap_sources.insert(at, src);
      }
    });
    for (const std::uint64_t p : first) found.overlap_places.push_back(unpack(p));
  }
  (void)max_locations;
  return found;
}

void DataProfile::seal(unsigned threads) {
  if (sealed_) return;
  rows_log_.flush();
  customer_months_log_.flush();
  sealed_ = resolve(3, threads);
  rows_log_ = Log();
  customer_months_log_ = Log();
}

std::uint64_t DataProfile::duplicate_rows() const { return resolve(3).duplicates; }
std::uint64_t DataProfile::overlapping_customer_months() const { return resolve(3).overlaps; }

void DataProfile::merge_counts(const DataProfile& other) {
  if (other.months_.empty()) return;
  slot(YearMonth{other.base_});
  slot(YearMonth{other.base_ + static_cast<std::int32_t>(other.months_.size()) - 1});
  for (std::size_t i = 0; i < other.months_.size(); ++i) {
    const Month& o = other.months_[i];
    Month& m = months_[static_cast<std::size_t>(other.base_ - base_) + i];
    m.rows += o.rows;
    m.dated_rows += o.dated_rows;
    m.max_day = std::max(m.max_day, o.max_day);
  }
}

void DataProfile::merge(DataProfile&& later, std::uint64_t lines_before) {
  merge_counts(later);
  if (!detailed_) return;
  rows_log_.flush();
  customer_months_log_.flush();
  later.rows_log_.flush();
  later.customer_months_log_.flush();
  for (const auto& [month, p] : later.places_) place(month, {p.source, p.line + lines_before});
  // The later share's segments are moved in whole, after this one's: its places shifted by
  // the lines before it (the steps between its rows stay what they were).
  for (Log* log : {&rows_log_, &customer_months_log_}) {
    Log& from = log == &rows_log_ ? later.rows_log_ : later.customer_months_log_;
    if (from.size == 0) continue;
    const auto shifted = [lines_before](std::uint64_t place) {
      const std::uint64_t line = std::min((place & kLineMask) + lines_before, kLineMask);
      return (place & ~kLineMask) | line;
    };
    for (std::size_t b = 0; b < from.buckets.size(); ++b) {
      for (Log::Segment& s : from.buckets[b]) {
        if (s.rows == 0) continue;
        for (auto& far : s.far) far.second = shifted(far.second);
        s.last = shifted(s.last);
        log->size += s.rows;
        log->bucket(from.base + static_cast<std::int32_t>(b)).push_back(std::move(s));
      }
    }
    from = Log();
  }
  // Shares do not --dedupe (such a read uses one thread); their tables are empty.
}

std::uint64_t DataProfile::rows() const noexcept {
  std::uint64_t n = 0;
  for (const Month& m : months_) n += m.rows;
  return n;
}

std::vector<std::pair<YearMonth, std::uint64_t>> DataProfile::month_rows() const {
  std::vector<std::pair<YearMonth, std::uint64_t>> out;
  for (std::size_t i = 0; i < months_.size(); ++i) {
    if (months_[i].rows > 0) {
      out.emplace_back(YearMonth{base_ + static_cast<std::int32_t>(i)}, months_[i].rows);
    }
  }
  return out;
}

namespace {

// Months with rows split where at least `gap` empty months separate them.
struct Run {
  std::size_t begin, end;  // indexes into the months with rows
  std::uint64_t rows = 0;
};

std::vector<Run> runs_of(const std::vector<std::pair<YearMonth, std::uint64_t>>& months,
                         std::int32_t gap) {
  std::vector<Run> runs;
  for (std::size_t i = 0; i < months.size(); ++i) {
    if (i == 0 || months[i].first.index - months[i - 1].first.index - 1 >= gap) {
      runs.push_back({i, i, 0});
    }
    runs.back().end = i + 1;
    runs.back().rows += months[i].second;
  }
  return runs;
}

// The run with the most rows (ties: the latest).
std::size_t main_run(const std::vector<Run>& runs) {
  std::size_t best = 0;
  for (std::size_t r = 1; r < runs.size(); ++r) {
    if (runs[r].rows >= runs[best].rows) best = r;
  }
  return best;
}

}  // namespace

bool DataProfile::has_isolated(const DataQualityThresholds& limits) const {
  return runs_of(month_rows(), limits.isolation_gap_months).size() > 1;
}

std::vector<DataWarning> DataProfile::warnings(const std::vector<std::string>& sources, Date today,
                                               const Checks& checks,
                                               const DataQualityThresholds& limits) const {
  std::vector<DataWarning> out;
  const auto months = month_rows();
  if (months.empty()) return out;
  const std::vector<Run> runs = runs_of(months, limits.isolation_gap_months);
  const Run& main = runs[main_run(runs)];
  const YearMonth main_first = months[main.begin].first;
  const YearMonth main_last = months[main.end - 1].first;
  const auto rows_in = [&](YearMonth m) -> std::uint64_t {
    const std::int64_t i = std::int64_t{m.index} - base_;
    return i >= 0 && static_cast<std::size_t>(i) < months_.size() ? months_[static_cast<std::size_t>(i)].rows : 0;
  };
  const auto places_of = [&](const std::vector<YearMonth>& wanted) {
    std::vector<std::string> found;
    for (const auto& [month, p] : places_) {
      if (found.size() >= limits.max_locations) break;
      if (std::binary_search(wanted.begin(), wanted.end(), month)) found.push_back(where(sources, p));
    }
    return found;
  };

  if (checks.gaps) {
    DataWarning w;
    w.code = "gap_month";
    for (const Run& run : runs) {
      for (std::size_t i = run.begin + 1; i < run.end; ++i) {
        for (YearMonth m = months[i - 1].first.next(); m < months[i].first; m = m.next()) {
          w.periods.push_back(m);
        }
      }
    }
    if (!w.periods.empty()) {
      const std::uint64_t n = w.periods.size();
      w.counts.emplace_back("months", n);
      const std::string its = n == 1 ? "its" : "their";
      w.message = (n == 1 ? std::string("a month") : grouped(n) + " months") +
                  " without rows inside the range: " + month_list(w.periods) + "; " + its +
                  " customers count as churned and " + its +
                  " revenue as 0, and they come back as reactivated: check the export for a "
                  "missing month, or leave the months out with --since/--until";
      out.push_back(std::move(w));
    }
  }

  if (checks.isolated && runs.size() > 1) {
    for (const Run& run : runs) {
      if (&run == &main) continue;
      DataWarning w;
      w.code = "isolated_period";
      for (std::size_t i = run.begin; i < run.end; ++i) w.periods.push_back(months[i].first);
      const bool after = w.periods.front() > main_last;
      const std::int32_t distance =
          after ? w.periods.front().index - main_last.index : main_first.index - w.periods.back().index;
      w.counts.emplace_back("rows", run.rows);
      w.counts.emplace_back("months_apart", static_cast<std::uint64_t>(distance));
      w.locations = places_of(w.periods);
      w.message = month_list(w.periods) + " (" + plural(run.rows, "row", "rows") +
                  (w.locations.empty() ? "" : ", at " + location_list(w.locations)) + ") lies " +
                  plural(static_cast<std::uint64_t>(distance), "month", "months") +
                  (after ? " after " : " before ") + "the rest of the data (" + to_string(main_first) +
                  ".." + to_string(main_last) +
                  "), likely a mistyped date: fix the row, or leave it out with --since/--until";
      out.push_back(std::move(w));
    }
  }

  if (checks.partial && !months.empty() && months.back().first == main_last && main.end - main.begin >= 2) {
    const YearMonth last = main_last;
    const Month& lm = months_[static_cast<std::size_t>(last.index - base_)];
    const YearMonth before = last.prev();
    const std::int64_t bi = std::int64_t{before.index} - base_;
    const Month* pm = bi >= 0 ? &months_[static_cast<std::size_t>(bi)] : nullptr;
    const bool day_partial = lm.dated_rows > 0 && lm.max_day + limits.partial_day_slack < days_in(last) &&
                             pm != nullptr && pm->dated_rows > 0 &&
                             pm->max_day + limits.partial_day_slack >= days_in(before);
    bool rows_partial = false;
    std::uint64_t rows_before = 0;
    if (last.index - 3 >= main_first.index) {
      for (int k = 1; k <= 3; ++k) rows_before += rows_in(YearMonth{last.index - k});
      rows_partial = static_cast<double>(lm.rows) < limits.partial_row_share * static_cast<double>(rows_before) / 3.0;
    }
    if (day_partial || rows_partial) {
      DataWarning w;
      w.code = "partial_last_month";
      w.periods.push_back(last);
      w.counts.emplace_back("rows", lm.rows);
      if (last.index - 3 >= main_first.index) w.counts.emplace_back("rows_3_months_before", rows_before);
      if (lm.dated_rows > 0) w.counts.emplace_back("latest_day", lm.max_day);
      std::string why;
      if (day_partial) {
        char day[8];
        std::snprintf(day, sizeof day, "%02d", lm.max_day);
        why = "its latest date is " + to_string(last) + "-" + day + " while " + to_string(before) +
              " runs to its end";
      }
      if (rows_partial) {
        char mean[32];
        std::snprintf(mean, sizeof mean, "%.1f", static_cast<double>(rows_before) / 3.0);
        why += (why.empty() ? "" : ", and ") + plural(lm.rows, "row", "rows") + " against " + mean +
               " a month in the 3 months before";
      }
      w.message = "the last month " + to_string(last) + " looks partial (" + why +
                  "): its churn and revenue are not final; leave it out with --until previous (or "
                  "--until " + to_string(before) + ")";
      out.push_back(std::move(w));
    }
  }

  if (checks.future) {
    const YearMonth now = month_of(today);
    DataWarning w;
    w.code = "future_period";
    std::uint64_t rows = 0;
    for (const auto& [m, n] : months) {
      if (m > now) {
        w.periods.push_back(m);
        rows += n;
      }
    }
    if (!w.periods.empty()) {
      w.counts.emplace_back("rows", rows);
      w.locations = places_of(w.periods);
      w.message = plural(rows, "row is", "rows are") + " in a month after today (" + to_string(today) +
                  ", UTC): in " + month_list(w.periods) +
                  (w.locations.empty() ? "" : " (first at " + location_list(w.locations) + ")") +
                  ": a forecast or wrong dates; leave them out with --until previous";
      out.push_back(std::move(w));
    }
  }

  const Found found = checks.duplicates || checks.overlaps ? resolve(limits.max_locations) : Found{};
  if (checks.duplicates && found.duplicates > 0) {
    DataWarning w;
    w.code = "duplicate_rows";
    const std::uint64_t duplicates = found.duplicates;
    w.periods = found.duplicate_months;
    w.counts.emplace_back("rows", duplicates);
    for (const Place& p : found.duplicate_places) w.locations.push_back(where(sources, p));
    w.message = plural(duplicates, "row is an exact copy", "rows are exact copies") +
                " of an earlier row (every field the same; first at " + location_list(w.locations) +
                "), so " + (duplicates == 1 ? "its" : "their") +
                " revenue is counted twice: drop them with --dedupe, or fix the export";
    out.push_back(std::move(w));
  }

  if (checks.overlaps && found.overlaps > 0) {
    DataWarning w;
    w.code = "overlapping_sources";
    w.periods = found.overlap_months;
    w.counts.emplace_back("customer_months", found.overlaps);
    w.counts.emplace_back("inputs", found.overlap_sources.size());
    for (const Place& p : found.overlap_places) w.locations.push_back(where(sources, p));
    std::string names;
    for (const std::uint32_t s : found.overlap_sources) {
      names += (names.empty() ? "" : ", ") + (s < sources.size() ? sources[s] : std::string("<input>"));
    }
    w.message = plural(found.overlaps, "customer-month appears", "customer-months appear") +
                " in more than one input (" + names + "; first at " + location_list(w.locations) +
                "), in " + month_list(w.periods) +
                ": overlapping exports add the same revenue twice; give each customer and month in "
                "one input only (identical rows: --dedupe drops them)";
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace csm
