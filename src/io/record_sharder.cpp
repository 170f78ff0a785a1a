#include "csm/io/record_sharder.hpp"

#include <algorithm>
#include <cstring>

#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/csv_reader.hpp"
#include "csm/io/json_reader.hpp"

namespace csm::io {
namespace {

constexpr std::size_t kBlock = std::size_t{1} << 20;

// One input's bytes, fed to a reader the way RecordInput does: the unconsumed tail of the last
// read stays at the start of the buffer and the next read is appended. The buffer grows only
// while one record fills it, and the readers refuse records past their 64 MiB limit.
class Feed {
 public:
  Feed(std::function<std::size_t(char*, std::size_t)> read, std::size_t capacity)
      : read_(std::move(read)), buffer_(capacity, '\0') {}

  void fill() {
    if (at_end_ || filled_ == buffer_.size()) return;
    const std::size_t n = read_(buffer_.data() + filled_, buffer_.size() - filled_);
    if (n == 0) at_end_ = true;
    filled_ += n;
  }
  std::string_view view() const noexcept { return {buffer_.data(), filled_}; }
  bool at_end() const noexcept { return at_end_; }
  // `used` bytes at the start are done with.
  void drop(std::size_t used) {
    std::memmove(buffer_.data(), buffer_.data() + used, filled_ - used);
    filled_ -= used;
    if (filled_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  }
  void grow_if_full() {
    if (filled_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  }

 private:
  std::function<std::size_t(char*, std::size_t)> read_;
  std::string buffer_;
  std::size_t filled_ = 0;
  bool at_end_ = false;
};

template <class Reader>
void pump(Feed& feed, Reader& reader) {
  for (;;) {
    feed.fill();
    const std::size_t used = reader.parse(feed.view(), feed.at_end());
    if (feed.at_end()) return;
    feed.drop(used);
  }
}

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

std::string name_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + quote_for_message(n);
  return out;
}

std::string_view family_name(InputFormat f) noexcept {
  return f == InputFormat::csv ? "CSV" : f == InputFormat::tsv ? "TSV" : "JSON";
}

// The record without its line break ("\n", "\r\n", or a lone "\r" at the end of the input, which
// the reader does not count as part of the last field either).
std::string_view without_line_end(std::string_view text, std::string_view& line_end) {
  line_end = "\n";
  if (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
    if (!text.empty() && text.back() == '\r') {
      text.remove_suffix(1);
      line_end = "\r\n";
    }
  } else if (!text.empty() && text.back() == '\r') {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

struct RecordSharder::Impl {
  ShardSink& sink;
  std::uint32_t count;
  InputFormat format;
  ColumnMap columns;  // one slot: customer_id, under its --column name
  InputFormat output = InputFormat::automatic;
  std::string first_name;            // the first input, whose header the shards get
  std::vector<std::string> first_columns;  // its header's names, trimmed, lower case
  std::uint64_t records = 0;

  Impl(ShardSink& s, std::uint32_t n, InputFormat f, ColumnMap map)
      : sink(s), count(n), format(f), columns(std::move(map)) {}

  void add(const std::string& name, const std::string& path,
           std::function<std::size_t(char*, std::size_t)> read, std::size_t capacity);
  void add_delimited(Feed& feed, const std::string& name, char delimiter);
  void add_json(Feed& feed, const std::string& name, JsonLayout layout);
};

namespace {

// CSV/TSV records: each to its customer's shard, as written, or with its fields in the first
// header's order (`order` not empty).
class DelimitedConsumer final : public RowConsumer {
 public:
  DelimitedConsumer(ShardSink& sink, std::uint32_t count, const ColumnMap& columns, char delimiter,
                    std::uint64_t& records)
      : sink_(sink), count_(count), columns_(columns), delimiter_(delimiter), records_(records) {}

  const CsvReader* reader = nullptr;
  std::vector<std::size_t> order;  // field k of the output is field order[k] of the input

  void row(std::span<const Cell> cells, const Location& where) override {
    const std::string_view id = required_text(columns_, 0, cells[0], where);
    const std::uint32_t shard = shard_of(id, count_);
    const std::string_view text = reader->record_text();
    ++records_;
    if (order.empty()) {
      sink_.write(shard, text);
      if (text.empty() || text.back() != '\n') sink_.write(shard, "\n");
      return;
    }
    std::string_view line_end;
    const std::vector<std::string_view> fields =
        CsvReader::raw_fields(without_line_end(text, line_end), delimiter_);
    if (fields.size() != order.size()) {  // the reader has checked the count: cannot happen
      throw InputError(std::string(where.source), where.line, "",
                       "expected " + std::to_string(order.size()) + " fields, found " +
                           std::to_string(fields.size()));
    }
    rewritten_.clear();
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (k > 0) rewritten_ += delimiter_;
      rewritten_ += fields[order[k]];
    }
    rewritten_ += line_end;
    sink_.write(shard, rewritten_);
  }

 private:
  ShardSink& sink_;
  std::uint32_t count_;
  const ColumnMap& columns_;
  char delimiter_;
  std::uint64_t& records_;
  std::string rewritten_;
};

// JSON records: each to its customer's shard on one line.
class JsonConsumer final : public RowConsumer {
 public:
  JsonConsumer(ShardSink& sink, std::uint32_t count, const ColumnMap& columns, std::uint64_t& records)
      : sink_(sink), count_(count), columns_(columns), records_(records) {}

  const JsonReader* reader = nullptr;

  void row(std::span<const Cell> cells, const Location& where) override {
    const std::string_view id = required_text(columns_, 0, cells[0], where);
    const std::uint32_t shard = shard_of(id, count_);
    std::string_view text = reader->record_text();
    ++records_;
    // Inside a record a line break can only be whitespace between tokens (the reader refuses one
    // in a string): a space does as well, and makes the record one JSON Lines line.
    const std::string_view body = text.substr(0, text.size() - (!text.empty() && text.back() == '\n'));
    if (body.find_first_of("\r\n") == std::string_view::npos) {
      sink_.write(shard, text);
      if (text.empty() || text.back() != '\n') sink_.write(shard, "\n");
      return;
    }
    line_.assign(body);
    std::replace(line_.begin(), line_.end(), '\n', ' ');
    std::replace(line_.begin(), line_.end(), '\r', ' ');
    line_ += '\n';
    sink_.write(shard, line_);
  }

 private:
  ShardSink& sink_;
  std::uint32_t count_;
  const ColumnMap& columns_;
  std::uint64_t& records_;
  std::string line_;
};

}  // namespace

void RecordSharder::Impl::add(const std::string& name, const std::string& path,
                              std::function<std::size_t(char*, std::size_t)> read,
                              std::size_t capacity) {
  Feed feed(std::move(read), capacity);
  feed.fill();
  while (!feed.at_end() && feed.view().size() < std::size_t{1} << 16) {
    feed.grow_if_full();
    feed.fill();  // pipes deliver less per read: the format is told from the first line
  }
  if (feed.view().empty() && feed.at_end()) {
    throw InputError(name, 0, "", "empty input: expected a header line or JSON records");
  }
  const InputFormat f = format != InputFormat::automatic ? format : detect_input_format(path, feed.view());
  const InputFormat family = f == InputFormat::json ? InputFormat::jsonl : f;
  if (output == InputFormat::automatic) {
    output = family;
  } else if (family != output) {
    throw InputError(name, 0, "",
                     "a " + std::string(family_name(family)) + " input, but " + first_name + " is " +
                         std::string(family_name(output)) +
                         ": every shard file has one format (shard them separately)");
  }
  if (first_name.empty()) first_name = name;
  if (f == InputFormat::csv || f == InputFormat::tsv) {
    add_delimited(feed, name, f == InputFormat::csv ? ',' : '\t');
  } else {
    add_json(feed, name, f == InputFormat::json ? JsonLayout::array : JsonLayout::lines);
  }
}

void RecordSharder::Impl::add_delimited(Feed& feed, const std::string& name, char delimiter) {
  DelimitedConsumer consumer(sink, count, columns, delimiter, records);
  // The header first, with a reader that stops after it; the buffer keeps every byte from the
  // start of the input until the header is known, and the reader of the records starts over.
  {
    CsvReader header(columns, consumer, name, delimiter);
    header.stop_after_header();
    std::size_t consumed = 0;
    for (;;) {
      consumed += header.parse(feed.view().substr(consumed), feed.at_end());
      if (header.has_header() || feed.at_end()) break;
      feed.grow_if_full();
      feed.fill();
    }
    if (!header.has_header()) {
      throw InputError(name, 0, "", "no header line: the input holds only blank lines");
    }
    std::vector<std::string> names;
    for (const std::string& n : header.header_fields()) names.push_back(lower_trimmed(n));
    if (first_columns.empty()) {
      first_columns = names;
      std::string text(header.record_text());
      if (text.empty() || text.back() != '\n') text += '\n';
      for (std::uint32_t i = 0; i < count; ++i) sink.write(i, text);
    } else if (names != first_columns) {
      // The same columns in another order: each field goes to its place in the first header.
      std::vector<std::string> missing;
      std::vector<std::string> extra;
      for (const std::string& c : first_columns) {
        if (std::count(names.begin(), names.end(), c) != 1) missing.push_back(c);
      }
      for (const std::string& c : names) {
        if (std::count(first_columns.begin(), first_columns.end(), c) != 1) extra.push_back(c);
      }
      if (!missing.empty() || !extra.empty() || names.size() != first_columns.size()) {
        std::string what = "the columns differ from those of " + first_name +
                           ", whose header every shard file has";
        if (!missing.empty()) what += "; not here (or not once): " + name_list(missing);
        if (!extra.empty()) what += "; only here (or more than once): " + name_list(extra);
        throw InputError(name, 1, "", what + " (shard the inputs with different columns separately)");
      }
      for (const std::string& c : first_columns) {
        consumer.order.push_back(
            static_cast<std::size_t>(std::find(names.begin(), names.end(), c) - names.begin()));
      }
    }
  }
  CsvReader reader(columns, consumer, name, delimiter);
  consumer.reader = &reader;
  pump(feed, reader);
}

void RecordSharder::Impl::add_json(Feed& feed, const std::string& name, JsonLayout layout) {
  JsonConsumer consumer(sink, count, columns, records);
  JsonReader reader(columns, consumer, name, layout);
  consumer.reader = &reader;
  pump(feed, reader);
}

RecordSharder::RecordSharder(ShardSink& sink, std::uint32_t count, InputFormat format,
                             std::vector<std::pair<std::string, std::string>> renames) {
  ColumnMap columns({{"customer_id", true}});
  for (const auto& [canonical, input] : renames) columns.rename(canonical, input);
  impl_ = std::make_unique<Impl>(sink, count, format, std::move(columns));
}

RecordSharder::~RecordSharder() = default;

void RecordSharder::add(InputSource& source) {
  impl_->add(source.name(), source.path(),
             [&source](char* to, std::size_t n) { return source.read(to, n); }, kBlock);
}

void RecordSharder::add_bytes(const std::string& name, std::string_view bytes, std::size_t piece) {
  std::size_t at = 0;
  impl_->add(name, name, [&](char* to, std::size_t n) {
    const std::size_t k = std::min({n, std::max<std::size_t>(piece, 1), bytes.size() - at});
    std::memcpy(to, bytes.data() + at, k);
    at += k;
    return k;
  }, std::clamp<std::size_t>(bytes.size() + 1, 64, kBlock));
}

InputFormat RecordSharder::output_format() const noexcept { return impl_->output; }
std::uint64_t RecordSharder::records() const noexcept { return impl_->records; }

}  // namespace csm::io
