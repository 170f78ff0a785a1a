// The record-size limits of the readers (docs/reliability.md, "Limits"): a record of exactly
// 64 MiB is read, one byte more is refused with the record's line, whether the record arrives
// whole or in pieces. And the byte-order mark in the middle of a file.
#include <catch2/catch.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "csm/error.hpp"
#include "csm/io/columns.hpp"
#include "csm/io/csv_reader.hpp"
#include "csm/io/json_reader.hpp"

namespace {

using csm::InputError;
using csm::io::Cell;
using csm::io::ColumnMap;
using csm::io::ColumnSpec;
using csm::io::CsvReader;
using csm::io::JsonLayout;
using csm::io::JsonReader;
using csm::io::Location;

ColumnMap make_columns() {
  return ColumnMap({ColumnSpec{"customer_id", true}, ColumnSpec{"period", true},
                    ColumnSpec{"revenue", true}});
}

// Keeps the length of each row's customer_id; rejects are errors, as in a strict run.
class Lengths : public csm::io::RowConsumer {
 public:
  void row(std::span<const Cell> cells, const Location&) override {
    ids.push_back(cells[0].text.size());
  }
  void reject(const InputError& error) override { throw error; }
  std::vector<std::size_t> ids;
};

// Feeds `doc` as record_input.cpp does: blocks of `block` bytes appended to what was not
// consumed. Returns the error message, or "" and the id lengths in `lengths`.
template <typename Reader>
std::string feed(Reader& reader, std::string_view doc, std::size_t block) {
  std::string buffer;
  std::size_t at = 0;
  try {
    for (;;) {
      const std::size_t n = std::min(block, doc.size() - at);
      buffer.append(doc.substr(at, n));
      at += n;
      const bool at_end = at == doc.size();
      const std::size_t used = reader.parse(buffer, at_end);
      if (at_end) {
        REQUIRE(used == buffer.size());
        return "";
      }
      buffer.erase(0, used);
    }
  } catch (const InputError& e) {
    return e.what();
  }
}

constexpr std::size_t kLimit = 64u << 20;

// Line 2 is a record of `size` bytes, line break included: ID,2025-01,1\n with a long ID.
std::string csv_with_record(std::size_t size) {
  const std::string tail = ",2025-01,1\n";
  return "customer_id,period,revenue\n" + std::string(size - tail.size(), 'c') + tail +
         "b,2025-01,2\n";
}

// Line 2 holds an object of `size` bytes, braces included.
std::string jsonl_with_record(std::size_t size) {
  const std::string head = R"({"customer_id": ")";
  const std::string tail = R"(", "period": "2025-01", "revenue": 1})";
  return "{\"customer_id\": \"a\", \"period\": \"2025-01\", \"revenue\": 1}\n" + head +
         std::string(size - head.size() - tail.size(), 'j') + tail + "\n";
}

}  // namespace

TEST_CASE("limits: the constants are the documented 64 MiB", "[io][limits]") {
  STATIC_REQUIRE(csm::io::kMaxRecordBytes == kLimit);
  STATIC_REQUIRE(csm::io::kMaxJsonRecordBytes == kLimit);
}

TEST_CASE("limits: a CSV record of 64 MiB is read, one byte more is refused", "[io][limits]") {
  const ColumnMap columns = make_columns();
  // 1 MiB blocks (as the driver reads), one block of everything, and an odd size.
  for (const std::size_t block : {std::size_t{1} << 20, std::size_t{200} << 20, std::size_t{12345679}}) {
    CAPTURE(block);
    {
      Lengths rows;
      CsvReader reader(columns, rows, "data.csv", ',');
      CHECK(feed(reader, csv_with_record(kLimit), block).empty());
      // The id is the record less ",2025-01,1\n" (11 bytes).
      CHECK(rows.ids == std::vector<std::size_t>{kLimit - 11, 1});
    }
    Lengths rows;
    CsvReader reader(columns, rows, "data.csv", ',');
    CHECK(feed(reader, csv_with_record(kLimit + 1), block) ==
          "data.csv:2: record longer than 64 MiB: expected a line break (is this a CSV file?)");
  }
}

TEST_CASE("limits: a JSON record of 64 MiB is read, one byte more is refused", "[io][limits]") {
  const ColumnMap columns = make_columns();
  const std::string message =
      "data.json:2: record longer than 64 MiB: expected the end of the object (is this a JSON file?)";
  for (const std::size_t block : {std::size_t{1} << 20, std::size_t{200} << 20, std::size_t{12345679}}) {
    CAPTURE(block);
    {
      Lengths rows;
      JsonReader reader(columns, rows, "data.json", JsonLayout::lines);
      CHECK(feed(reader, jsonl_with_record(kLimit), block).empty());
      // The id is the object less {"customer_id": "" (17 bytes) and , "period": "2025-01",
      // "revenue": 1} (37 bytes): 54 bytes.
      CHECK(rows.ids == std::vector<std::size_t>{1, kLimit - 54});
    }
    Lengths rows;
    JsonReader reader(columns, rows, "data.json", JsonLayout::lines);
    CHECK(feed(reader, jsonl_with_record(kLimit + 1), block) == message);
    // The same object as the second element of an array (the element alone counts, not the ',').
    std::string doc = jsonl_with_record(kLimit + 1);
    doc.replace(doc.find('\n'), 1, ",\n");
    doc = "[" + doc + "]";
    Lengths in_array;
    JsonReader array_reader(columns, in_array, "data.json", JsonLayout::array);
    CHECK(feed(array_reader, doc, block) == message);
  }
  // An unterminated string never reaches its end: refused once 64 MiB are buffered.
  Lengths rows;
  JsonReader reader(columns, rows, "data.json", JsonLayout::lines);
  const std::string open = "{\"customer_id\": \"a\", \"period\": \"2025-01\", \"revenue\": 1}\n{\"x\": \"" +
                           std::string(kLimit + 100, 'x');
  std::string error;
  try {
    reader.parse(open, false);
  } catch (const InputError& e) {
    error = e.what();
  }
  CHECK(error == message);
}

TEST_CASE("limits: a byte-order mark in the middle of a file is refused", "[io][limits]") {
  const ColumnMap columns = make_columns();
  const std::string bom = "\xEF\xBB\xBF";
  const std::string expected =
      ":3: byte-order mark (U+FEFF) in the middle of the file: were files joined with cat? (give "
      "them to csm-metrics as separate arguments)";
  {
    Lengths rows;
    CsvReader reader(columns, rows, "data.csv", ',');
    const std::string doc = bom + "customer_id,period,revenue\na,2025-01,1\n" + bom + "b,2025-01,2\n";
    CHECK(feed(reader, doc, 1 << 20) == "data.csv" + expected);
  }
  {
    Lengths rows;
    JsonReader reader(columns, rows, "data.json", JsonLayout::lines);
    const std::string line = "{\"customer_id\": \"a\", \"period\": \"2025-01\", \"revenue\": 1}\n";
    CHECK(feed(reader, bom + line + "\n" + bom + line, 1 << 20) == "data.json" + expected);
  }
}
