#pragma once
// Reading one large regular file in shares, one per thread (internal to csm_io): the shares'
// boundaries, the threads, and the folding of their reports in file order. A record kind that
// can be read so (activity, transaction, invoice) gives read_shares its consumers and shards in
// its own file; record_input.cpp decides when a file is split and falls back to one stream.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "csm/data_quality.hpp"
#include "csm/error.hpp"
#include "csm/io/csv_reader.hpp"
#include "csm/io/json_reader.hpp"
#include "csm/io/record_input.hpp"
#include "csm/io/source.hpp"
#include "record_gate.hpp"

namespace csm::io {

/// The size of the blocks inputs are read in.
inline constexpr std::size_t kReadBlock = 1u << 20;

/// A file about to be read in shares: where its data records start, and how a share's reader is
/// made (CSV/TSV: like the reader that read the header; JSON Lines: like `like`).
struct SplitPlan {
  const InputSource& source;
  std::uint64_t size;
  const CsvReader* header;  ///< CSV/TSV: the reader that read the header; nullptr: JSON Lines
  const JsonReader* like;   ///< JSON Lines: a reader of the file (its settings are copied)
  const ColumnMap& columns;
  const ReadOptions& options;
  unsigned threads;
  ReadReport& report;
  std::uint64_t body() const noexcept { return header != nullptr ? header->offset() : 0; }
  std::uint64_t lines_before_body() const noexcept {
    return header != nullptr ? header->line_breaks() : 0;
  }
};

/// The reader of one share: a CSV reader after the header, or a JSON Lines reader (the first
/// share starts at byte 0 with the byte-order-mark check of a fresh reader).
class ShareReader {
 public:
  ShareReader(const SplitPlan& plan, RowConsumer& consumer, std::uint64_t start) {
    if (plan.header != nullptr) {
      csv_.emplace(*plan.header, consumer, start);
    } else if (start == 0) {
      json_.emplace(plan.columns, consumer, std::string(plan.like->source()), JsonLayout::lines);
    } else {
      json_.emplace(*plan.like, consumer, start);
    }
  }
  std::size_t parse(std::string_view buffer, bool at_end) {
    return csv_ ? csv_->parse(buffer, at_end) : json_->parse(buffer, at_end);
  }
  void stop_at(std::uint64_t end) noexcept { csv_ ? csv_->stop_at(end) : json_->stop_at(end); }
  bool stopped() const noexcept { return csv_ ? csv_->stopped() : json_->stopped(); }
  std::uint64_t offset() const noexcept { return csv_ ? csv_->offset() : json_->offset(); }
  std::uint64_t line_breaks() const noexcept { return csv_ ? csv_->line_breaks() : json_->line_breaks(); }

 private:
  std::optional<CsvReader> csv_;
  std::optional<JsonReader> json_;
};

// Where the record after byte `at` starts: just past the next line break at or after at - 1.
// Inside a quoted field this guess is wrong; the reader before it finds out (see read_split).
inline std::uint64_t next_line_start(const InputSource& source, std::uint64_t at, std::uint64_t size) {
  std::string window(1u << 16, '\0');
  std::uint64_t from = at - 1;
  while (from < size) {
    const std::size_t n = source.read_at(window.data(), window.size(), from);
    if (n == 0) break;
    const std::size_t newline = std::string_view(window.data(), n).find('\n');
    if (newline != std::string_view::npos) return from + newline + 1;
    from += n;
  }
  return size;
}

inline InputError shifted(const InputError& e, std::uint64_t lines) {
  return InputError(e.source(), e.line() == 0 ? 0 : e.line() + lines, e.field(), e.message());
}

// One thread's share of a split file: where it stopped and what it found.
struct Share {
  std::uint64_t end = 0;  // the start of the next share when all is well
  std::uint64_t line_breaks = 0;
  ReadReport report;
  std::vector<InputError> kept;
  std::exception_ptr failure;
  std::optional<InputError> input_error;
  DataProfile quality;  // detailed when the reading's is: its lines from the share's start
};

// Read the records of a regular file from byte `body` on in `threads` shares at once, each
// thread passing its rows to `shards` (which send each customer's rows to the thread that owns
// the customer), and fold the shares' reports into `report` and `gate` in file order.
// with_consumer(k, gate, report, read) calls read(consumer) with thread k's consumer;
// make_reader(consumer, start) makes the reader of the share that starts at byte `start`;
// after_finish(k) runs on thread k once shards.finish(k) has. Returns false (having folded
// nothing) when a share boundary turned out to fall inside a record (a quoted line break in a
// CSV field) or when a thread could not be started; the caller then reads the file in one stream.
template <typename Shards, typename WithConsumer, typename MakeReader, typename AfterFinish>
bool read_shares(const InputSource& source, std::uint64_t size, std::uint64_t body,
                 std::uint64_t lines_before_body, const ReadOptions& options, unsigned threads,
                 Shards& shards, WithConsumer with_consumer, MakeReader make_reader,
                 AfterFinish after_finish, ReadReport& report, RecordGate& gate) {
  std::vector<std::uint64_t> starts = {body};
  for (unsigned k = 1; k < threads; ++k) {
    const std::uint64_t nominal = body + (size - body) * k / threads;
    starts.push_back(std::max(starts.back(), next_line_start(source, nominal, size)));
  }
  std::vector<Share> shares(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  // The threads start reading only once all of them exist: each waits for every other in
  // shards.finish, so a thread that cannot be started (no memory for its stack, a process
  // limit) must stop the others before they begin. The file is then read in one stream.
  std::promise<bool> all_started;
  const std::shared_future<bool> go = all_started.get_future().share();
  const auto work = [&](unsigned k, std::shared_future<bool> start) {
    if (!start.get()) return;
    Share& share = shares[k];
    try {
      RecordGate share_gate(options, share.report);
      if (gate.quality != nullptr) {
        share.quality = DataProfile(gate.quality->detailed());
        share_gate.quality = &share.quality;
      }
      share_gate.source_index = gate.source_index;
      share_gate.several_inputs = gate.several_inputs;
      with_consumer(k, share_gate, share.report, [&](RowConsumer& consumer) {
        auto reader = make_reader(consumer, starts[k]);
        if (k + 1 < threads) reader.stop_at(starts[k + 1]);
        std::string buffer(kReadBlock, '\0');
        std::size_t filled = 0;
        std::uint64_t position = starts[k];
        for (;;) {
          bool at_end = false;
          if (filled < buffer.size()) {
            const std::size_t n =
                source.read_at(buffer.data() + filled, buffer.size() - filled, position);
            at_end = n == 0;
            position += n;
            filled += n;
          }
          const std::size_t used = reader.parse(std::string_view(buffer.data(), filled), at_end);
          if (options.bytes_parsed != nullptr) {
            options.bytes_parsed->fetch_add(used, std::memory_order_relaxed);
          }
          shards.receive(k);  // rows of this thread's customers that the others read
          if (reader.stopped() || at_end) break;
          std::memmove(buffer.data(), buffer.data() + used, filled - used);
          filled -= used;
          if (filled == buffer.size()) buffer.resize(buffer.size() * 2);
        }
        share.end = reader.offset();
        share.line_breaks = reader.line_breaks();
      });
      share.kept = std::move(share_gate.kept);
    } catch (const InputError& e) {
      share.input_error = e;
    } catch (...) {
      share.failure = std::current_exception();
    }
    // Always: the other threads wait for every thread to finish before they stop.
    try {
      shards.finish(k);
    } catch (...) {
      if (!share.failure) share.failure = std::current_exception();
    }
    after_finish(k);
  };
  try {
    for (unsigned k = 0; k < threads; ++k) pool.emplace_back(work, k, go);  // a future each
  } catch (...) {
    all_started.set_value(false);
    for (std::thread& t : pool) t.join();
    return false;
  }
  all_started.set_value(true);
  for (std::thread& t : pool) t.join();

  // Shares are trusted in order: each one's start is right only if the one before ended there.
  std::uint64_t lines_before = lines_before_body;
  for (unsigned k = 0; k < threads; ++k) {
    const Share& share = shares[k];
    if (share.input_error) throw shifted(*share.input_error, lines_before);
    if (share.failure) std::rethrow_exception(share.failure);
    if (k + 1 < threads && share.end != starts[k + 1]) return false;
    lines_before += share.line_breaks;
  }
  lines_before = lines_before_body;
  for (unsigned k = 0; k < threads; ++k) {
    Share& share = shares[k];
    for (const InputError& e : share.kept) {
      if (gate.kept.size() < options.max_kept_messages) gate.kept.push_back(shifted(e, lines_before));
    }
    report.month_rows.add(share.report.month_rows, lines_before);
    // Duplicates, overlaps and the first rows of each month as if read in one stream.
    if (gate.quality != nullptr) gate.quality->merge(std::move(share.quality), lines_before);
    lines_before += share.line_breaks;
    report.records += share.report.records;
    report.skipped += share.report.skipped;
    for (const auto& [field, n] : share.report.skipped_by_field) report.skipped_by_field[field] += n;
    report.outside_range += share.report.outside_range;
    report.rounded_amounts += share.report.rounded_amounts;
  }
  return true;
}

}  // namespace csm::io
