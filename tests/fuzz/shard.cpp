// Fuzz target: `csm-metrics shard` (csm::io::RecordSharder). The first byte chooses the input
// format (auto, csv, tsv, json, jsonl), the number of shards (1..8), whether the data is one input
// or two (cut at a data-derived point) and how the bytes are handed to the reader. Properties:
// - the outcome (every shard's bytes, or the error) does not depend on how the input is cut into
//   reads;
// - when sharding succeeds and `compute`'s reader (the activity columns, customer_id required)
//   reads the inputs without a complaint, it reads from the shards exactly the same records, each
//   in the shard of its customer id: the same cells (text and type), in any order;
// - records() counts them.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/csv_reader.hpp"
#include "csm/io/json_reader.hpp"
#include "csm/io/record_sharder.hpp"
#include "reader_harness.hpp"

namespace {

struct StringSink final : csm::io::ShardSink {
  explicit StringSink(std::uint32_t n) : shards(n) {}
  void write(std::uint32_t shard, std::string_view bytes) override {
    if (shard >= shards.size()) csm::fuzz::fail("write() to a shard that does not exist", std::to_string(shard));
    shards[shard].append(bytes);
  }
  std::vector<std::string> shards;
};

struct Outcome {
  std::vector<std::string> shards;
  std::string error;
  std::uint64_t records = 0;
  csm::io::InputFormat format = csm::io::InputFormat::automatic;
};

Outcome run_sharder(const std::vector<std::string>& inputs, std::uint32_t n, csm::io::InputFormat format,
                    std::size_t piece) {
  StringSink sink(n);
  Outcome out;
  csm::io::RecordSharder sharder(sink, n, format, {});
  try {
    for (std::size_t i = 0; i < inputs.size(); ++i) sharder.add_bytes("in" + std::to_string(i), inputs[i], piece);
  } catch (const csm::InputError& e) {
    out.error = e.what();
  }
  out.shards = std::move(sink.shards);
  out.records = sharder.records();
  out.format = sharder.output_format();
  return out;
}

// Records as compute's reader sees them: cells only, no line numbers; the customer id kept apart.
class CellsConsumer final : public csm::io::RowConsumer {
 public:
  void row(std::span<const csm::io::Cell> cells, const csm::io::Location&) override {
    std::string line;
    for (const csm::io::Cell& cell : cells) {
      line += std::to_string(static_cast<int>(cell.type));
      line += '/';
      line += std::to_string(cell.text.size());
      line += '/';
      line.append(cell.text);
      line += '|';
    }
    rows.push_back(std::move(line));
    ids.emplace_back(cells[0].text);
  }
  std::vector<std::string> rows;
  std::vector<std::string> ids;
};

// Reads `text` in `format` with the activity columns; false when the reader complains.
bool read_cells(std::string_view text, csm::io::InputFormat format, CellsConsumer& consumer) {
  const csm::io::ColumnMap columns = csm::fuzz::activity_column_map();
  try {
    if (format == csm::io::InputFormat::csv || format == csm::io::InputFormat::tsv) {
      csm::io::CsvReader reader(columns, consumer, "x", format == csm::io::InputFormat::csv ? ',' : '\t');
      reader.parse(text, true);
      return reader.has_header();
    }
    csm::io::JsonReader reader(columns, consumer, "x",
                               format == csm::io::InputFormat::json ? csm::io::JsonLayout::array
                                                                    : csm::io::JsonLayout::lines);
    reader.parse(text, true);
    return true;
  } catch (const csm::InputError&) {
    return false;
  }
}

std::string join_all(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n---\n";
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = bytes[0];
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  static constexpr csm::io::InputFormat kFormats[] = {csm::io::InputFormat::automatic, csm::io::InputFormat::csv,
                                                      csm::io::InputFormat::tsv, csm::io::InputFormat::json,
                                                      csm::io::InputFormat::jsonl};
  const csm::io::InputFormat format = kFormats[(control & 7u) % 5];
  const std::uint32_t n = 1 + ((control >> 3) & 7u);
  std::vector<std::string> inputs;
  if ((control & 0x40u) != 0 && data.size() > 1) {
    const std::size_t cut = static_cast<std::size_t>(csm::fuzz::fnv1a(data) % data.size());
    inputs.emplace_back(data.substr(0, cut));
    inputs.emplace_back(data.substr(cut));
  } else {
    inputs.emplace_back(data);
  }

  const Outcome whole = run_sharder(inputs, n, format, SIZE_MAX);
  const std::size_t piece = (control & 0x80u) != 0 ? 1 : 1 + static_cast<std::size_t>(csm::fuzz::fnv1a(data) % 97);
  const Outcome pieces = run_sharder(inputs, n, format, piece);
  if (whole.error != pieces.error || whole.shards != pieces.shards || whole.records != pieces.records) {
    csm::fuzz::fail("the shards do not depend on how the input is cut into reads",
                    whole.error + " | " + pieces.error + "\n" + join_all(whole.shards) + "===\n" +
                        join_all(pieces.shards));
  }
  if (!whole.error.empty()) return 0;

  // What compute reads from the inputs, and from the shards.
  CellsConsumer original;
  for (const std::string& input : inputs) {
    csm::io::InputFormat f = format;
    if (f == csm::io::InputFormat::automatic) f = csm::io::detect_input_format("in", input);
    if (!read_cells(input, f, original)) return 0;  // a complaint the id-only sharder need not see
  }
  CellsConsumer sharded;
  std::uint64_t shard_rows = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    CellsConsumer one;
    if (!read_cells(whole.shards[i], whole.format, one)) {
      // Every shard of a CSV input has the header; a JSON shard may be empty.
      if (!(whole.shards[i].empty() && whole.format == csm::io::InputFormat::jsonl)) {
        csm::fuzz::fail("a shard reads back without a complaint", whole.shards[i]);
      }
    }
    for (const std::string& id : one.ids) {
      if (csm::shard_of(id, n) != i) csm::fuzz::fail("a record is in the shard of its customer id", id);
    }
    shard_rows += one.rows.size();
    sharded.rows.insert(sharded.rows.end(), one.rows.begin(), one.rows.end());
  }
  if (shard_rows != whole.records) csm::fuzz::fail("records() counts the records written", std::to_string(shard_rows));
  std::sort(original.rows.begin(), original.rows.end());
  std::sort(sharded.rows.begin(), sharded.rows.end());
  if (original.rows != sharded.rows) {
    csm::fuzz::fail("the shards hold the inputs' records, unchanged",
                    join_all(original.rows) + "===\n" + join_all(sharded.rows));
  }
  return 0;
}
