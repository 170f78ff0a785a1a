#include "csm/io/record_input.hpp"

#include <cstring>
#include <stdexcept>

#include "csm/error.hpp"
#include "csm/io/csv_reader.hpp"
#include "csm/io/json_reader.hpp"
#include "csm/io/source.hpp"
#include "csm/parallel.hpp"
#include "field_parser.hpp"
#include "input_format.hpp"
#include "record_gate.hpp"
#include "record_kinds.hpp"
#include "split_read.hpp"

// Opening the inputs and reading them for whichever kind: each kind's columns, rows and what they
// feed are in its own file (record_kinds.hpp); a large file's shares in split_read.hpp.

namespace csm::io {

void MonthRows::add_extreme(YearMonth month, std::string_view source, std::uint64_t line) {
  // Rows come in input order: a month already held keeps its first row.
  const auto row = [&] { return MonthRow{month, std::string(source), line}; };
  if (!first || month < first->month) {
    next_first = std::move(first);
    first = row();
  } else if (month != first->month && (!next_first || month < next_first->month)) {
    next_first = row();
  }
  if (!last || month > last->month) {
    next_last = std::move(last);
    last = row();
  } else if (month != last->month && (!next_last || month > next_last->month)) {
    next_last = row();
  }
}

void MonthRows::add(const MonthRows& later, std::uint64_t lines_before) {
  for (const auto* row : {&later.first, &later.next_first, &later.last, &later.next_last}) {
    if (*row) add((*row)->month, (*row)->source, (*row)->line == 0 ? 0 : (*row)->line + lines_before);
  }
}

namespace {

// The first `bytes` of a source, or all of it when shorter (then `is_all`): a whole block, since
// pipes deliver less per read, so that the header is in it for detection.
std::string read_head(InputSource& source, std::size_t bytes, bool& is_all) {
  std::string head(bytes, '\0');
  std::size_t filled = 0;
  is_all = false;
  while (filled < head.size()) {
    const std::size_t n = source.read(head.data() + filled, head.size() - filled);
    if (n == 0) {
      is_all = true;
      break;
    }
    filled += n;
  }
  head.resize(filled);
  return head;
}

}  // namespace

struct RecordInput::Impl final : RecordReading {
  std::vector<std::string> paths;  // or the names of `texts`
  std::vector<std::shared_ptr<const std::string>> texts;  // in-memory inputs (from_memory)
  ReadOptions opts;
  ReadReport* report_ = nullptr;
  // The first input is opened early to detect the kind; its first block is kept for reading.
  std::optional<InputSource> first;
  std::string first_block;
  bool first_at_end = false;

  InputSource open(std::size_t i) const {
    return texts.empty() ? InputSource::open(paths[i]) : InputSource::from_text(paths[i], texts[i]);
  }
  const ReadOptions& options() const override { return opts; }
  ReadReport& report() override { return *report_; }
  void read(RecordKind kind, const MakeConsumer& make, const ReadShares& read_shares) override;
};

RecordInput::RecordInput(std::vector<std::string> paths, ReadOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (paths.empty()) paths.emplace_back("-");
  impl_->paths = std::move(paths);
  impl_->opts = std::move(options);
  report_.kind = impl_->opts.kind;
}

RecordInput RecordInput::from_memory(std::vector<InputText> texts, ReadOptions options) {
  if (texts.empty()) throw std::invalid_argument("RecordInput::from_memory: no inputs");
  std::vector<std::string> names;
  for (const InputText& text : texts) names.push_back(text.name);
  RecordInput input(std::move(names), std::move(options));
  for (InputText& text : texts) input.impl_->texts.push_back(std::make_shared<const std::string>(std::move(text.bytes)));
  return input;
}

RecordInput::RecordInput(RecordInput&&) noexcept = default;
RecordInput& RecordInput::operator=(RecordInput&&) noexcept = default;
RecordInput::~RecordInput() = default;

RecordKind RecordInput::kind() {
  if (report_.kind != RecordKind::automatic) return report_.kind;
  Impl& impl = *impl_;
  if (!impl.first) {
    impl.first.emplace(impl.open(0));
    impl.first_block = read_head(*impl.first, kReadBlock, impl.first_at_end);
  }
  report_.kind = detect_kind(impl.first_block, impl.opts);
  return report_.kind;
}

namespace {

// Feed one source through a reader: blocks appended to the unconsumed tail of the last one.
template <typename Reader>
void pump(InputSource& source, std::string prefix, bool prefix_is_all, Reader& reader,
          std::atomic<std::uint64_t>* progress) {
  std::string buffer = std::move(prefix);
  std::size_t filled = buffer.size();
  bool at_end = prefix_is_all;
  if (buffer.size() < kReadBlock) buffer.resize(kReadBlock);
  for (;;) {
    if (!at_end && filled < buffer.size()) {
      const std::size_t n = source.read(buffer.data() + filled, buffer.size() - filled);
      if (n == 0) at_end = true;
      filled += n;
    }
    const std::size_t used = reader.parse(std::string_view(buffer.data(), filled), at_end);
    if (progress != nullptr) progress->fetch_add(used, std::memory_order_relaxed);
    if (at_end) return;
    if constexpr (requires { reader.stopped(); }) {
      if (reader.stopped()) return;
    }
    std::memmove(buffer.data(), buffer.data() + used, filled - used);
    filled -= used;
    // A record longer than the buffer: grow it (the readers bound the record size).
    if (filled == buffer.size()) buffer.resize(buffer.size() * 2);
  }
}

}  // namespace

unsigned effective_threads(unsigned requested) { return resolve_threads(requested); }

void RecordInput::Impl::read(RecordKind kind, const MakeConsumer& make, const ReadShares& read_shares) {
  Impl& impl = *this;
  ReadReport& report = *report_;
  const ColumnMap columns = make_columns(kind, impl.opts);
  RecordGate gate(impl.opts, report);
  const std::unique_ptr<RowConsumer> made = make(columns, gate, report);
  RowConsumer& consumer = *made;
  report.dedupe = impl.opts.dedupe;
  report.round_money = impl.opts.round_money;
  for (std::size_t i = 0; i < impl.paths.size(); ++i) {
    std::string head;
    bool head_is_all = false;
    std::optional<InputSource> opened;
    InputSource* source = nullptr;
    if (i == 0 && impl.first) {
      source = &*impl.first;
      head = std::move(impl.first_block);
      head_is_all = impl.first_at_end;
    } else {
      opened.emplace(impl.open(i));
      source = &*opened;
      head = read_head(*source, std::size_t{1} << 16, head_is_all);
    }
    report.sources.push_back(source->name());
    gate.source_index = static_cast<std::uint32_t>(i);
    gate.several_inputs = impl.paths.size() > 1;
    const InputFormat format = impl.opts.format != InputFormat::automatic
                                   ? impl.opts.format
                                   : detect_input_format(impl.paths[i], head);
    if (head.empty() && head_is_all) {
      throw InputError(source->name(), 0, "",
                       "empty input: expected a header line or JSON records");
    }
    // Large regular files are read by all threads, each taking a share (stdin never is).
    const unsigned threads = effective_threads(impl.opts.threads);
    const std::optional<std::uint64_t> size = source->size();
    const bool split = read_shares && threads > 1 && size && *size >= impl.opts.split_min_bytes &&
                       source->path() != "-" && impl.opts.profile == nullptr &&
                       !impl.opts.dedupe;
    if (format == InputFormat::csv || format == InputFormat::tsv) {
      const char delimiter = impl.opts.delimiter != 0 ? impl.opts.delimiter
                             : format == InputFormat::csv ? detect_delimiter(head, source->name())
                                                          : '\t';
      std::optional<CsvReader> reader;
      reader.emplace(columns, consumer, source->name(), delimiter);
      bool done = false;
      if (split) {
        // The header is read here; the data records in shares, one per thread.
        reader->stop_after_header();
        pump(*source, head, head_is_all, *reader, impl.opts.bytes_parsed);
        if (reader->stopped()) {
          done = read_shares(
              SplitPlan{*source, *size, &*reader, nullptr, columns, impl.opts, threads, report}, gate);
          if (!done) {
            // A quoted line break at a share boundary: read it all in one stream after all.
            opened.emplace(impl.open(i));
            source = &*opened;
            head.clear();
            head_is_all = false;
            reader.emplace(columns, consumer, source->name(), delimiter);
          }
        } else {
          done = true;  // the file ended within the header reader's reach
        }
      }
      if (!done) pump(*source, std::move(head), head_is_all, *reader, impl.opts.bytes_parsed);
      if (!reader->has_header()) {
        throw InputError(source->name(), 0, "", "no header line: the input holds only blank lines");
      }
    } else {
      JsonReader reader(columns, consumer, source->name(),
                        format == InputFormat::json ? JsonLayout::array : JsonLayout::lines);
      bool done = false;
      if (split && format == InputFormat::jsonl) {
        done = read_shares(SplitPlan{*source, *size, nullptr, &reader, columns, impl.opts, threads, report},
                           gate);
      }
      if (!done) pump(*source, std::move(head), head_is_all, reader, impl.opts.bytes_parsed);
    }
  }
  for (const InputError& e : gate.kept) report.skipped_messages.emplace_back(e.what());
  if (gate.quality != nullptr) gate.quality->seal(effective_threads(impl.opts.threads));  // the logs freed before the metrics
  if (report.records == 0 && report.skipped == 0 && !impl.opts.allow_empty) {
    throw InputError(report.sources.size() == 1 ? report.sources.front() : std::string(), 0, "",
                     "no records: expected at least one data record");
  }
  if (report.records == 0 && report.skipped > 0) {
    throw InputError(report.sources.size() == 1 ? report.sources.front() : std::string(), 0, "",
                     "no valid records: all " + std::to_string(report.skipped) +
                         " records were invalid and skipped");
  }
}

namespace {

// The entry of the kind that feeds `member`: `kind`'s when it does, else `fallback`'s.
template <typename Feed>
const KindSpec& feeding(RecordKind kind, Feed KindSpec::*member, RecordKind fallback) {
  const KindSpec& spec = kind_spec(kind == RecordKind::automatic ? fallback : kind);
  return spec.*member != nullptr ? spec : kind_spec(fallback);
}

}  // namespace

void RecordInput::read(ActivityAggregator& aggregator) {
  impl_->report_ = &report_;
  feeding(kind(), &KindSpec::months, RecordKind::activity).months(*impl_, aggregator);
}

void RecordInput::read(ActivitySink& sink) {
  impl_->report_ = &report_;
  feeding(kind(), &KindSpec::month_sink, RecordKind::activity).month_sink(*impl_, sink);
}

void RecordInput::read(RfmAccumulator& accumulator) {
  impl_->report_ = &report_;
  kind_spec(RecordKind::transaction).purchases(*impl_, accumulator);
}

void RecordInput::read(SummaryAggregator& aggregator) {
  impl_->report_ = &report_;
  kind_spec(RecordKind::summary).summary(*impl_, aggregator);
}

void RecordInput::read(SpendTotals& totals) {
  report_.kind = RecordKind::spend;
  impl_->report_ = &report_;
  kind_spec(RecordKind::spend).spend(*impl_, totals);
}

std::string_view required_text(const ColumnMap& columns, std::size_t slot, const Cell& cell,
                               const Location& where) {
  return fields::FieldParser(columns, where).text(slot, cell);
}

}  // namespace csm::io
