#pragma once
/// Data-quality warnings: what in an input is almost always an export mistake (a month without
/// rows, exact duplicate rows, the same customer and month in two files, a period far from the
/// rest, a last month that is not over, periods after today). The readers describe each valid row
/// to a DataProfile; warnings() turns what it saw into coded warnings (docs/metrics.md, "Data
/// quality" lists each code, its threshold and what to do).

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/month.hpp"

namespace csm {

/// The hash of a row's fields for DataProfile (duplicates, customer-months): a multiply-fold of
/// each 8 bytes (as wyhash), inlined, a few nanoseconds a row. Strings are mixed with their
/// length, so ("ab", "c") and ("a", "bc") differ. Numbers are folded two at a time (one multiply
/// for a pair added one after the other), so a row of a few numbers costs few multiplies.
class RowHash {
 public:
  [[gnu::always_inline]] void add(std::string_view bytes) noexcept {
    flush();
    h_ = fold_text(h_, bytes);
  }
  [[gnu::always_inline]] void add(std::int64_t value) noexcept {
    if (pending_) {
      h_ = mum(first_ ^ h_ ^ kC, static_cast<std::uint64_t>(value) ^ kD);
      pending_ = false;
    } else {
      first_ = static_cast<std::uint64_t>(value);
      pending_ = true;
    }
  }
  [[gnu::always_inline]] std::uint64_t value() const noexcept {
    const std::uint64_t h = pending_ ? mum(first_ ^ h_ ^ kC, kB) : h_;
    return mum(h ^ kA, kC);
  }

  // The hash of a row in independent lanes, for the readers' per-row path: each lane is one
  // multiply of two words (pair) or of a short string (text, one multiply up to 16 bytes), and
  // fold() mixes four lanes in two more, so a row costs about three dependent multiplies instead
  // of one per pair of fields. (Same construction as add(): strings mixed with their length.)
  [[gnu::always_inline]] static std::uint64_t pair(std::uint64_t a, std::uint64_t b) noexcept {
    return mum(a ^ kA, b ^ kB);
  }
  [[gnu::always_inline]] static std::uint64_t text(std::string_view bytes) noexcept {
    return fold_text(kD, bytes);
  }
  [[gnu::always_inline]] static std::uint64_t fold(std::uint64_t l1, std::uint64_t l2, std::uint64_t l3,
                                                   std::uint64_t l4) noexcept {
    const std::uint64_t x = mum(l1 ^ rotl(l3, 23) ^ kC, l2 ^ rotl(l4, 47) ^ kD);
    return mum(x ^ kA, kC);
  }

 private:
  static constexpr std::uint64_t kA = 0xa0761d6478bd642full;
  static constexpr std::uint64_t kB = 0xe7037ed1a0b428dbull;
  static constexpr std::uint64_t kC = 0x8ebc6af09c88c6e3ull;
  static constexpr std::uint64_t kD = 0x589965cc75374cc3ull;
  [[gnu::always_inline]] void flush() noexcept {
    if (pending_) {
      h_ = mum(first_ ^ h_ ^ kC, kB);
      pending_ = false;
    }
  }
  [[gnu::always_inline]] static std::uint64_t fold_text(std::uint64_t h, std::string_view bytes) noexcept {
    std::uint64_t n = bytes.size();
    std::size_t i = 0;
    for (; i + 16 <= bytes.size(); i += 16) {
      h = mum(load(bytes.data() + i) ^ h, load(bytes.data() + i + 8) ^ kB);
    }
    // The last 1..16 bytes in loads of fixed size that overlap (as wyhash reads them): each
    // byte is in a or b, so for a given length different bytes give different (a, b).
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    const char* p = bytes.data() + i;
    const std::size_t rest = bytes.size() - i;
    if (rest > 8) {
      a = load(p);
      b = load(p + rest - 8);
    } else if (rest >= 4) {
      a = std::uint64_t{load4(p)} << 32 | load4(p + rest - 4);
    } else if (rest > 0) {
      a = std::uint64_t{static_cast<unsigned char>(p[0])} << 16 |
          std::uint64_t{static_cast<unsigned char>(p[rest >> 1])} << 8 |
          static_cast<unsigned char>(p[rest - 1]);
    }
    return mum(a ^ h ^ kA, b ^ n ^ kB);
  }
  static std::uint64_t rotl(std::uint64_t x, unsigned r) noexcept { return x << r | x >> (64 - r); }
  static std::uint64_t load(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static std::uint32_t load4(const char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  static std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
    __extension__ using Wide = unsigned __int128;
    const Wide p = static_cast<Wide>(a) * b;
    return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
  }
  std::uint64_t h_ = 0x9e3779b97f4a7c15ull;
  std::uint64_t first_ = 0;  // a number waiting for the next, to be folded with it
  bool pending_ = false;
};

/// One warning: a stable `code`, a message for people that says what to do, and the evidence.
struct DataWarning {
  std::string code;
  std::string message;
  std::vector<YearMonth> periods;                                ///< the months concerned
  std::vector<std::pair<std::string, std::uint64_t>> counts;     ///< named counts, in order
  std::vector<std::string> locations;                            ///< the first "file:line"s
};

/// Thresholds of the warnings (docs/metrics.md, "Data quality").
struct DataQualityThresholds {
  /// isolated_period: months with rows separated from the rest by at least this many empty months.
  std::int32_t isolation_gap_months = 12;
  /// partial_last_month: the last month has fewer rows than this share of the mean of the three
  /// months before it.
  double partial_row_share = 0.5;
  /// partial_last_month: a month's latest day date counts as its end when at most this many days
  /// before its last day.
  int partial_day_slack = 2;
  /// Locations kept per warning.
  std::size_t max_locations = 3;
};

class DataProfile {
 public:
  /// Where a row is: the index of its input (in the order given) and its line.
  struct Place {
    std::uint32_t source = 0;
    std::uint64_t line = 0;
  };
  static constexpr unsigned kLineBits = 40;
  static constexpr std::uint64_t kLineMask = (std::uint64_t{1} << kLineBits) - 1;
  // A place packed so that packed places compare in reading order (inputs in order, then
  // lines). Lines past 2^40 (a file of terabytes) share the last value.
  static std::uint64_t pack(Place where) noexcept {
    return std::uint64_t{where.source} << kLineBits | (where.line < kLineMask ? where.line : kLineMask);
  }

  /// `detailed`: also duplicates, overlapping sources and the first places of each month (costs a
  /// hash per row and memory per distinct row); otherwise only counts per month.
  explicit DataProfile(bool detailed = true) : detailed_(detailed) {}

  bool detailed() const noexcept { return detailed_; }

  /// One valid row in the range: its month and the day of its date (0 when the period has none).
  [[gnu::always_inline]] void row(YearMonth month, int day) { count(month_of_row(month), day); }
  /// Detailed: where a row of `month` is (the first few of each month are kept).
  void place(YearMonth month, Place where);
  /// Detailed, --dedupe: a row's hash of all its fields; returns true when an earlier row had
  /// the same (an exact duplicate, counted). Answers at once, from a hash table of every row.
  bool duplicate(std::uint64_t row_hash, YearMonth month, Place where);
  /// Detailed, without --dedupe: a row's hash of all its fields, logged; the duplicates are
  /// found when the warnings are made, with the same result as duplicate() row by row.
  void log_row(std::uint64_t row_hash, YearMonth month, Place where) {
    rows_log_.add(row_hash, month, where);
  }
  /// Detailed, without --dedupe: log_row(), row() and place() in one, inlined (the readers'
  /// per-row path).
  [[gnu::always_inline]] void logged_row(YearMonth month, int day, std::uint64_t row_hash, Place where) {
    rows_log_.add(row_hash, month, where);
    Month& m = month_of_row(month);
    count(m, day);
    if (m.places < 3) place(month, where);
  }
  /// Detailed: a row's hash of (customer, month), logged: counted when an earlier row of
  /// another input had the same. Only worth logging when there are several inputs.
  void customer_month(std::uint64_t key, YearMonth month, Place where) {
    customer_months_log_.add(key, month, where);
  }

  /// The reading is over: resolve the logs now and free their memory (before the metrics are
  /// made, so that the log and the aggregation's peak do not add up). Nothing is logged after.
  /// `threads`: the large months are checked for a repeated hash on up to this many threads.
  void seal(unsigned threads = 1);

  /// Rows of another profile of the same reading (a thread's share); counts only.
  void merge_counts(const DataProfile& other);
  /// Everything a detailed profile of a later part of the same reading took (a thread's share of
  /// a file, whose lines are counted from `lines_before`): as if this one had taken its rows.
  void merge(DataProfile&& later, std::uint64_t lines_before);

  std::uint64_t rows() const noexcept;
  /// Exact duplicate rows and customer-months in several inputs. These and warnings() are asked
  /// after seal() (std::logic_error while rows logged are not sealed).
  std::uint64_t duplicate_rows() const;
  std::uint64_t overlapping_customer_months() const;
  /// Months with rows, in order, and their row counts.
  std::vector<std::pair<YearMonth, std::uint64_t>> month_rows() const;

  /// Which warnings to look for: by record kind, the caller says which apply.
  struct Checks {
    bool gaps = true;
    bool isolated = true;
    bool partial = true;
    bool future = true;
    bool duplicates = true;
    bool overlaps = true;
  };
  /// The warnings, in a fixed order of codes. `sources`: input names by index; `today`: the
  /// current date (UTC) for future_period.
  std::vector<DataWarning> warnings(const std::vector<std::string>& sources, Date today,
                                    const Checks& checks,
                                    const DataQualityThresholds& limits = {}) const;

  /// Whether the months with rows fall into several runs separated by isolation gaps (a second,
  /// detailed read is then worth making to name their lines).
  bool has_isolated(const DataQualityThresholds& limits = {}) const;

 private:
  struct Month {
    std::uint64_t rows = 0;
    std::uint64_t dated_rows = 0;
    std::uint8_t max_day = 0;
    std::uint8_t places = 0;
  };
  [[gnu::always_inline]] Month& month_of_row(YearMonth month) {
    const std::int64_t i = std::int64_t{month.index} - base_;
    // (A month before base_ wraps to a large unsigned index.)
    if (static_cast<std::uint64_t>(i) < months_.size()) return months_[static_cast<std::size_t>(i)];
    return months_[slot(month)];
  }
  [[gnu::always_inline]] static void count(Month& m, int day) {
    ++m.rows;
    if (day > 0) {
      ++m.dated_rows;
      if (day > m.max_day) m.max_day = static_cast<std::uint8_t>(day);
    }
  }
  std::size_t slot(YearMonth month) {
    if (months_.empty()) {
      base_ = month.index;
      months_.resize(1);
    } else if (month.index < base_) {
      months_.insert(months_.begin(), static_cast<std::size_t>(base_ - month.index), Month{});
      base_ = month.index;
    } else if (static_cast<std::size_t>(month.index - base_) >= months_.size()) {
      months_.resize(static_cast<std::size_t>(month.index - base_) + 1);
    }
    return static_cast<std::size_t>(month.index - base_);
  }
  // An open-addressing set of 64-bit keys (0 = free) with a value each.
  struct Table {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> slots;
    std::size_t used = 0;
    // The slot of `key`, inserting it with `value` when new (`inserted` says which).
    std::pair<std::uint64_t, std::uint32_t>& find(std::uint64_t key, std::uint32_t value, bool& inserted);
  };

  // Keys logged in reading order, one bucket per month, each resolved with a hash table sized to
  // it. A place is packed as source << 40 | line, so that packed places compare in reading order;
  // the log keeps 9 bytes a row: the key, and the step from the place of the bucket's previous row
  // in one byte (kFar: the place is in `far`, as for the first row of a segment and a change of
  // input). A bucket is a list of segments, one per stream (a thread's share is moved in whole),
  // a segment a list of blocks that grow to kBlockRows rows (never copied when they fill).
  struct Log {
    static constexpr std::uint8_t kFar = 255;
    static constexpr std::uint32_t kFirstBlockRows = 1024;
    static constexpr std::uint32_t kBlockRows = 16384;
    struct Block {  // allocated to its capacity at once, never copied
      std::unique_ptr<std::uint64_t[]> keys;
      std::unique_ptr<std::uint8_t[]> steps;
      std::uint32_t size = 0;
      std::uint32_t capacity = 0;
      std::uint32_t ready = 0;  // rows whose pages are backed (populated a chunk at a time)
    };
    // Rows whose pages are backed in one system call when a cursor reaches them (instead of a
    // page fault for each fresh page: expensive on a virtual machine).
    static constexpr std::uint32_t kChunkRows = 8192;
    struct Segment {
      std::vector<Block> blocks;
      std::vector<std::pair<std::uint64_t, std::uint64_t>> far;  // (row in the segment, place)
      std::uint64_t rows = 0;
      std::uint64_t last = 0;  // the packed place of the last row
      void grow();
    };
    // Where each month's next row goes, in a small dense array (the rows of a shuffled file go
    // to a different month each time: this keeps the per-row path to one array and two
    // stores). The block's size and the segment's rows and last place are written back by
    // flush().
    struct Cursor {
      std::uint64_t* key = nullptr;
      std::uint8_t* step = nullptr;
      std::uint64_t* end = nullptr;
      Segment* segment = nullptr;
      std::uint64_t rows = 0;
      std::uint64_t last = 0;
    };
    std::vector<std::vector<Segment>> buckets;  // month - base
    std::vector<Cursor> cursors;                // month - base, as buckets
    std::int32_t base = 0;
    std::size_t size = 0;
    [[gnu::always_inline]] void add(std::uint64_t key, YearMonth month, Place where) {
      const std::int64_t i = std::int64_t{month.index} - base;
      if (i < 0 || static_cast<std::uint64_t>(i) >= cursors.size() ||
          cursors[static_cast<std::size_t>(i)].key == cursors[static_cast<std::size_t>(i)].end) {
        open(month.index);
        add_at(cursors[static_cast<std::size_t>(month.index - base)], key, where);
        return;
      }
      add_at(cursors[static_cast<std::size_t>(i)], key, where);
    }
    [[gnu::always_inline]] void add_at(Cursor& c, std::uint64_t key, Place where) {
      const std::uint64_t place = pack(where);
      std::uint8_t step = kFar;
      if (c.rows > 0 && place >= c.last && place - c.last < kFar) {
        step = static_cast<std::uint8_t>(place - c.last);
      } else {
        c.segment->far.emplace_back(c.rows, place);
      }
      // The next lines of this month's keys asked for ahead (for writing): on a shuffled file
      // the store would otherwise wait for its line (prefetches never fault past the end).
      __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(c.key) + 128), 1, 3);
      *c.key++ = key;
      *c.step++ = step;
      ++c.rows;
      c.last = place;
      ++size;
    }
    // A cursor with room for `month` (a new bucket, segment or block as needed).
    void open(std::int32_t month);
    // Write the cursors back into the blocks and segments, and drop them.
    void flush();
    std::vector<Segment>& bucket(std::int32_t month);
  };
  // What the logs say (and the --dedupe table).
  struct Found {
    std::uint64_t duplicates = 0;
    std::vector<YearMonth> duplicate_months;  // sorted, distinct
    std::vector<Place> duplicate_places;      // the first copies, in reading order
    std::uint64_t overlaps = 0;
    std::vector<YearMonth> overlap_months;
    std::vector<Place> overlap_places;
    std::vector<std::uint32_t> overlap_sources;  // sorted, distinct
  };
  Found resolve(std::size_t max_locations, unsigned threads = 1) const;
  std::optional<Found> sealed_;  // seal(): what the logs said, the logs freed

  bool detailed_;
  std::vector<Month> months_;
  std::int32_t base_ = 0;
  std::vector<std::pair<YearMonth, Place>> places_;  // the first few rows of each month
  // --dedupe: every row's hash at once.
  Table rows_;
  std::uint64_t duplicates_ = 0;
  std::vector<Place> duplicate_places_;  // the first copies
  std::vector<YearMonth> duplicate_months_;  // sorted, distinct
  // Otherwise: logged, resolved by seal() (their cursors written back first).
  Log rows_log_;
  Log customer_months_log_;
};

}  // namespace csm
