#include "csm/io/json_reader.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <span>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/error.hpp"
#include "csm/io/columns.hpp"

namespace {

using csm::InputError;
using csm::io::Cell;
using csm::io::CellType;
using csm::io::ColumnMap;
using csm::io::ColumnSpec;
using csm::io::JsonLayout;
using csm::io::JsonReader;
using csm::io::Location;

using Row = std::map<std::string, std::pair<CellType, std::string>>;

ColumnMap make_columns() {
  return ColumnMap({ColumnSpec{"customer_id", true}, ColumnSpec{"period", true},
                    ColumnSpec{"revenue", true}, ColumnSpec{"csat", false},
                    ColumnSpec{"segment", false}, ColumnSpec{"extra", false}});
}

// Records every row with its cells (absent cells left out) and, when `skip` is set, every
// rejected record; otherwise reject() rethrows like the default consumer.
class Recorder : public csm::io::RowConsumer {
 public:
  Recorder(const ColumnMap& columns, bool skip) : columns_(columns), skip_(skip) {}

  void row(std::span<const Cell> cells, const Location& where) override {
    REQUIRE(cells.size() == columns_.size());
    Row r;
    for (std::size_t slot = 0; slot < cells.size(); ++slot) {
      if (cells[slot].type != CellType::absent) {
        r[columns_.spec(slot).name] = {cells[slot].type, std::string(cells[slot].text)};
      }
    }
    rows.push_back(std::move(r));
    lines.push_back(where.line);
  }

  void reject(const InputError& error) override {
    if (!skip_) throw error;
    // Without the " (record N, byte B)" of an array's errors: "json: errors name the record and
    // the byte" checks those.
    static const std::regex position(R"( \(record \d+, byte \d+\)$)");
    rejected.emplace_back(std::regex_replace(std::string(error.what()), position, ""));
  }

  std::vector<Row> rows;
  std::vector<std::uint64_t> lines;
  std::vector<std::string> rejected;

 private:
  const ColumnMap& columns_;
  bool skip_;
};

struct Outcome {
  std::vector<Row> rows;
  std::vector<std::uint64_t> lines;
  std::vector<std::string> rejected;
  std::string error;  // what() of the InputError that stopped the parse, if any
  std::uint64_t records = 0;
};

const char* type_name(CellType type) {
  switch (type) {
    case CellType::absent:
      return "absent";
    case CellType::null:
      return "null";
    case CellType::text:
      return "text";
    case CellType::number:
      return "number";
    case CellType::boolean:
      return "boolean";
    case CellType::composite:
      return "composite";
  }
  return "?";
}

// A readable dump, so that a failed comparison shows what differs.
std::string describe(const Outcome& o) {
  std::string s;
  for (std::size_t i = 0; i < o.rows.size(); ++i) {
    s += "row@" + std::to_string(o.lines[i]) + " {";
    for (const auto& [key, cell] : o.rows[i]) {
      s += key + "=" + type_name(cell.first) + ":" + csm::quote_for_message(cell.second) + " ";
    }
    s += "}\n";
  }
  for (const auto& r : o.rejected) s += "rejected " + r + "\n";
  if (!o.error.empty()) s += "error " + o.error + "\n";
  s += "records " + std::to_string(o.records) + "\n";
  return s;
}

Outcome finish(Recorder& rec, const JsonReader& reader, std::string error) {
  return Outcome{rec.rows, rec.lines, rec.rejected, std::move(error), reader.records()};
}

// The whole document in one call.
Outcome read_whole(std::string_view doc, JsonLayout layout, bool skip = false,
                   const ColumnMap& columns = make_columns()) {
  Recorder rec(columns, skip);
  JsonReader reader(columns, rec, "data.json", layout);
  try {
    const std::size_t consumed = reader.parse(doc, true);
    REQUIRE(consumed == doc.size());
  } catch (const InputError& e) {
    return finish(rec, reader, e.what());
  }
  return finish(rec, reader, "");
}

// As the driver does it: the first `split` bytes, then what was not consumed plus the rest.
Outcome read_split(std::string_view doc, std::size_t split, JsonLayout layout, bool skip) {
  const ColumnMap columns = make_columns();
  Recorder rec(columns, skip);
  JsonReader reader(columns, rec, "data.json", layout);
  try {
    const std::size_t consumed = reader.parse(doc.substr(0, split), false);
    REQUIRE(consumed <= split);
    const std::string_view rest = doc.substr(consumed);
    const std::size_t rest_consumed = reader.parse(rest, true);
    REQUIRE(rest_consumed == rest.size());
  } catch (const InputError& e) {
    return finish(rec, reader, e.what());
  }
  return finish(rec, reader, "");
}

// One byte per read, the unconsumed bytes carried over each time.
Outcome read_bytewise(std::string_view doc, JsonLayout layout, bool skip) {
  const ColumnMap columns = make_columns();
  Recorder rec(columns, skip);
  JsonReader reader(columns, rec, "data.json", layout);
  try {
    std::string pending;
    for (const char c : doc) {
      pending += c;
      const std::size_t consumed = reader.parse(pending, false);
      REQUIRE(consumed <= pending.size());
      pending.erase(0, consumed);
    }
    const std::size_t last_consumed = reader.parse(pending, true);
    REQUIRE(last_consumed == pending.size());
  } catch (const InputError& e) {
    return finish(rec, reader, e.what());
  }
  return finish(rec, reader, "");
}

// The message of an error in a JSON array ends with " (record N, byte B)" (issue 16); the tests
// of the wording compare the message before it, and "json: errors name the record and the byte"
// checks the position.
std::string error_of(std::string_view doc, JsonLayout layout = JsonLayout::array) {
  std::string error = read_whole(doc, layout).error;
  static const std::regex position(R"( \(record \d+, byte \d+\)$)");
  return std::regex_replace(error, position, "");
}

std::string position_of(std::string_view doc) {
  const std::string error = read_whole(doc, JsonLayout::array).error;
  const auto open = error.rfind(" (record ");
  return open == std::string::npos ? std::string() : error.substr(open + 1);
}

std::string lines_error(std::string_view doc) { return error_of(doc, JsonLayout::lines); }

// Every split point and byte-by-byte feeding give exactly what one call gives.
void check_all_splits(std::string_view doc, JsonLayout layout, bool skip) {
  const std::string whole = describe(read_whole(doc, layout, skip));
  for (std::size_t split = 0; split <= doc.size(); ++split) {
    INFO("split at byte " << split);
    REQUIRE(describe(read_split(doc, split, layout, skip)) == whole);
  }
  REQUIRE(describe(read_bytewise(doc, layout, skip)) == whole);
}

std::pair<CellType, std::string> text(std::string s) { return {CellType::text, s}; }
std::pair<CellType, std::string> number(std::string s) { return {CellType::number, s}; }

// A BOM, CRLF line ends, escapes, every value type and ignored keys with nested values.
const std::string kArrayDoc =
    "\xEF\xBB\xBF[\r\n"
    "  {\"customer_id\": \"c1\", \"period\": \"2024-01\", \"revenue\": 104.740, \"csat\": 5},\r\n"
    "  {\"Customer_ID\": \"caf\\u00e9 \\ud83d\\ude00\", \"PERIOD\": \"2024-02\", "
    "\"revenue\": 1e400, \"csat\": null, \"segment\": true},\r\n"
    "  {\"customer_id\": \"q\\\"b\\\\s\\/\\n\\t\", "
    "\"ignored\": {\"a\": [1, {\"b\": [null, \"x\\u0041\", false, true]}], \"c\": -0.5E-3}, "
    "\"revenue\": -3, \"segment\": {\"x\": [1]}, \"extra\": [1, 2], \"z\": []},\r\n"
    "  {}\r\n"
    "]\r\n";

const std::string kLinesDoc =
    "\xEF\xBB\xBF{\"customer_id\":\"a\",\"revenue\":1}\n"
    "\n"
    "   \t\r\n"
    "{\"customer_id\":\"b\\u00e9\",\"revenue\":2.50 , \"ignored\":[{\"x\":{}}]}\r\n"
    "{ \"customer_id\" : \"c\" , \"csat\" : false }";

}  // namespace

TEST_CASE("json array: values keep their type and exact text", "[json]") {
  const Outcome out = read_whole(kArrayDoc, JsonLayout::array);
  INFO(describe(out));
  REQUIRE(out.error.empty());
  REQUIRE(out.rows.size() == 4);
  REQUIRE(out.records == 4);
  // '{' of each record: the '[' is on line 1, the records on lines 2..5.
  REQUIRE(out.lines == std::vector<std::uint64_t>{2, 3, 4, 5});

  CHECK(out.rows[0] == Row{{"customer_id", text("c1")},
                           {"period", text("2024-01")},
                           {"revenue", number("104.740")},
                           {"csat", number("5")}});
  // U+00E9 = C3 A9; the pair D83D DE00 = 0x10000 + (0x3D << 10) + 0x200 = U+1F600 = F0 9F 98 80.
  CHECK(out.rows[1] == Row{{"customer_id", text("caf\xC3\xA9 \xF0\x9F\x98\x80")},
                           {"period", text("2024-02")},
                           {"revenue", number("1e400")},
                           {"csat", {CellType::null, ""}},
                           {"segment", {CellType::boolean, "true"}}});
  CHECK(out.rows[2] == Row{{"customer_id", text("q\"b\\s/\n\t")},
                           {"revenue", number("-3")},
                           {"segment", {CellType::composite, ""}},
                           {"extra", {CellType::composite, ""}}});
  CHECK(out.rows[3].empty());
}

TEST_CASE("json lines: blank lines, CRLF, BOM and a last line without a break", "[json]") {
  const Outcome out = read_whole(kLinesDoc, JsonLayout::lines);
  INFO(describe(out));
  REQUIRE(out.error.empty());
  REQUIRE(out.lines == std::vector<std::uint64_t>{1, 4, 5});
  CHECK(out.rows[0] == Row{{"customer_id", text("a")}, {"revenue", number("1")}});
  CHECK(out.rows[1] == Row{{"customer_id", text("b\xC3\xA9")}, {"revenue", number("2.50")}});
  CHECK(out.rows[2] == Row{{"customer_id", text("c")}, {"csat", {CellType::boolean, "false"}}});
}

TEST_CASE("json lines: empty or blank input has no records", "[json]") {
  for (const std::string doc : {"", "\n\n", " \r\n\t\n", "\xEF\xBB\xBF"}) {
    const Outcome out = read_whole(doc, JsonLayout::lines);
    CHECK(out.error.empty());
    CHECK(out.rows.empty());
  }
}

TEST_CASE("json: feeding split at every byte gives the same records", "[json][split]") {
  SECTION("array") { check_all_splits(kArrayDoc, JsonLayout::array, false); }
  SECTION("lines") { check_all_splits(kLinesDoc, JsonLayout::lines, false); }
  SECTION("array with rejected records") {
    check_all_splits(
        "[{\"revenue\":1}, 7, {\"revenue\":1,\"REVENUE\":2}, {\"customer_id\":\"\xFF\"},\n"
        " [[\"x\"]], {\"revenue\":3}]",
        JsonLayout::array, true);
  }
  SECTION("lines with rejected records") {
    check_all_splits("{\"revenue\":1}\n\"s\"\n{\"csat\":\"\\ud800\"}\n{\"revenue\":2}\n",
                     JsonLayout::lines, true);
  }
  SECTION("errors are the same wherever the input is cut") {
    for (const std::string doc : {
             "[{\"revenue\":1},\n{\"revenue\": 12x}]",
             "[{\"revenue\":1},\n{\"revenue\": 1",
             "[{\"revenue\":1},\n{\"revenue\": tru",
             "[{\"revenue\":1}]\n  garbage",
             "[{\"revenue\":\"abc\x01\"}]",
             "[{\"revenue\":1}, {\"a\": 0123456789}]",
             "[{\"a\": nullified}]",
             "[{\"a\":\"\\u12G4\"}]",
             "{\"revenue\":1}",
             "",
         }) {
      INFO(csm::quote_for_message(doc));
      check_all_splits(doc, JsonLayout::array, false);
    }
    // An unexpected token longer than the 32 bytes shown, cut right after the 32nd (found by
    // fuzzing: the message lost its "..." when a read block ended there).
    check_all_splits("[{\"customer_id\"" + std::string(40, 'x') + ":1}]", JsonLayout::array, false);
    check_all_splits("{\"revenue\":1}\n{\"revenue\":\n2}\n", JsonLayout::lines, false);
    check_all_splits("{\"revenue\":1}\n{\"revenue\":2} xyz\n", JsonLayout::lines, false);
  }
}

TEST_CASE("json: parse consumes whole records only", "[json][split]") {
  const ColumnMap columns = make_columns();
  Recorder rec(columns, false);
  JsonReader reader(columns, rec, "data.json", JsonLayout::array);
  // "[" + "{\"revenue\":1}" (13 bytes) + "," = 15 bytes; the second object is incomplete.
  const std::string doc = "[{\"revenue\":1},{\"revenue\":2}]";
  REQUIRE(reader.parse(std::string_view(doc).substr(0, 20), false) == 15);
  REQUIRE(reader.records() == 1);
  REQUIRE(reader.parse(std::string_view(doc).substr(15), true) == doc.size() - 15);
  REQUIRE(reader.records() == 2);

  // JSON Lines: a complete object is held back until its line break is seen.
  Recorder rec2(columns, false);
  JsonReader lines(columns, rec2, "data.jsonl", JsonLayout::lines);
  REQUIRE(lines.parse("{\"revenue\":1}  ", false) == 0);
  REQUIRE(lines.parse("{\"revenue\":1}  \n{\"rev", false) == 16);
  REQUIRE(rec2.rows.size() == 1);
}

TEST_CASE("json: escaped values stay valid however much escaped text the record has", "[json]") {
  // Many escaped strings force strings_ to reallocate after the first views would have been made.
  const std::string long_text(10000, 'x');
  const std::string doc = "[{\"customer_id\":\"a\\tb\",\"period\":\"\\u0041" + long_text +
                          "\",\"segment\":\"s\\\\\",\"csat\":\"plain\"}]";
  const Outcome out = read_whole(doc, JsonLayout::array);
  REQUIRE(out.error.empty());
  REQUIRE(out.rows.size() == 1);
  CHECK(out.rows[0].at("customer_id") == text("a\tb"));
  CHECK(out.rows[0].at("period") == text("A" + long_text));
  CHECK(out.rows[0].at("segment") == text("s\\"));
  CHECK(out.rows[0].at("csat") == text("plain"));
}

TEST_CASE("json lines: keys that change position, escaped spellings and long strings", "[json]") {
  // The key cache compares each key's raw bytes with the key seen at that position before, then
  // with the other keys seen; these records move keys about, spell known keys with escapes and
  // have keys that are prefixes or extensions of known ones.
  std::string doc =
      "{\"customer_id\":\"a\",\"period\":\"2024-01\",\"revenue\":1}\n"
      "{\"customer_id\":\"b\",\"period\":\"2024-01\",\"csat\":4,\"revenue\":2}\n"
      "{\"customer_id\":\"c\",\"period\":\"2024-01\",\"revenue\":3}\n"
      "{\"customer_id\":\"d\",\"\\u0070eriod\":\"2024-02\",\"revenue\":-4.25}\n"
      "{\"customer_id\":\"e\",\"rev\":9,\"revenue\":5,\"revenuex\":6}\n"
      "{\"customer_id\":\"f\",\"caf\\u00e9\":1,\"caf\xC3\xA9\":2,\"revenue\":7}\n"
      "{\"customer_id\":\"g\",\"revenue\":8,\"r\\u0065venue\":9}\n"
      "{\"customer_id\":\"abcdefghijklmnopqrstuvwxyz\\u00e9\","
      "\"segment\":\"0123456789abcdefg\xC3\xA9h\",\"revenue\":1e2}\n"
      "{\"customer_id\":\"0123456789abcdef\",\"segment\":\"0123456789abcdefg\\\"\",\"revenue\":0.5}\n";
  // More distinct keys than the reader keeps for its misses (32).
  doc += "{";
  for (int k = 1; k <= 40; ++k) doc += "\"k" + std::to_string(k) + "\":" + std::to_string(k) + ",";
  doc += "\"revenue\":10,\"customer_id\":\"h\"}\n";
  doc += "{\"revenue\":11,\"k40\":0,\"customer_id\":\"i\"}\n";

  const Outcome out = read_whole(doc, JsonLayout::lines, true);
  INFO(describe(out));
  REQUIRE(out.error.empty());
  CHECK(out.lines == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 8, 9, 10, 11});
  REQUIRE(out.rows.size() == 10);
  CHECK(out.rows[0] == Row{{"customer_id", text("a")},
                           {"period", text("2024-01")},
                           {"revenue", number("1")}});
  CHECK(out.rows[1] == Row{{"customer_id", text("b")},
                           {"period", text("2024-01")},
                           {"csat", number("4")},
                           {"revenue", number("2")}});
  CHECK(out.rows[2] == Row{{"customer_id", text("c")},
                           {"period", text("2024-01")},
                           {"revenue", number("3")}});
  CHECK(out.rows[3] == Row{{"customer_id", text("d")},
                           {"period", text("2024-02")},
                           {"revenue", number("-4.25")}});
  CHECK(out.rows[4] == Row{{"customer_id", text("e")}, {"revenue", number("5")}});
  CHECK(out.rows[5] == Row{{"customer_id", text("f")}, {"revenue", number("7")}});
  // Line 7 spells "revenue" twice, once with an escape: rejected.
  CHECK(out.rejected == std::vector<std::string>{"data.json:7: duplicate key \"revenue\""});
  CHECK(out.rows[6] == Row{{"customer_id", text("abcdefghijklmnopqrstuvwxyz\xC3\xA9")},
                           {"segment", text("0123456789abcdefg\xC3\xA9h")},
                           {"revenue", number("1e2")}});
  CHECK(out.rows[7] == Row{{"customer_id", text("0123456789abcdef")},
                           {"segment", text("0123456789abcdefg\"")},
                           {"revenue", number("0.5")}});
  CHECK(out.rows[8] == Row{{"customer_id", text("h")}, {"revenue", number("10")}});
  CHECK(out.rows[9] == Row{{"customer_id", text("i")}, {"revenue", number("11")}});
  check_all_splits(doc, JsonLayout::lines, true);
}

TEST_CASE("json: keys match case-insensitively and through renames", "[json]") {
  ColumnMap columns = make_columns();
  REQUIRE(columns.rename("revenue", "MRR"));
  // "mrr" now fills revenue; "revenue" itself is an unknown key and is skipped.
  const Outcome out = read_whole("[{\"Mrr\": 7, \"Revenue\": 9, \"CUSTOMER_id\": \"c\"}]",
                                 JsonLayout::array, false, columns);
  REQUIRE(out.error.empty());
  REQUIRE(out.rows.size() == 1);
  CHECK(out.rows[0] == Row{{"customer_id", text("c")}, {"revenue", number("7")}});
}

TEST_CASE("json: every valid number is kept as written", "[json]") {
  for (const std::string n : {"0", "-0", "7", "-12", "0.5", "-0.0", "1e5", "1E+5", "1e-5",
                              "104.740", "123456789012345678901234567890", "2.5E-300"}) {
    const Outcome out = read_whole("[{\"revenue\":" + n + "}]", JsonLayout::array);
    INFO(n << " " << out.error);
    REQUIRE(out.rows.size() == 1);
    CHECK(out.rows[0].at("revenue") == number(n));
  }
}

TEST_CASE("json: errors name the record and the byte", "[json][errors]") {
  // Minified JSON is all line 1: the element number (1-based) and the byte offset (0-based) of
  // the offending token say where.
  CHECK(position_of("[{\"revenue\": +1}]") == "(record 1, byte 13)");  // after `[{"revenue": `
  const std::string two = "[{\"customer_id\": \"a\", \"revenue\": 1},\n {\"revenue\": +1}]";
  CHECK(position_of(two) == "(record 2, byte " + std::to_string(two.find("+1")) + ")");
  CHECK(position_of("[{\"a\": 1}, {\"a\": 2}, {\"a\" 3}]") ==
        "(record 3, byte " + std::to_string(std::string("[{\"a\": 1}, {\"a\": 2}, {\"a\" ").size()) + ")");
}

TEST_CASE("json: malformed numbers", "[json][errors]") {
  const auto err = [](const std::string& n) { return error_of("[{\"revenue\": " + n + "}]"); };
  CHECK(err("+1") == "data.json:1: malformed JSON: expected a value, found \"+1\"");
  CHECK(err("NaN") == "data.json:1: malformed JSON: expected a value, found \"NaN\"");
  CHECK(err("Infinity") == "data.json:1: malformed JSON: expected a value, found \"Infinity\"");
  CHECK(err(".5") == "data.json:1: malformed JSON: expected a value, found \".5\"");
  CHECK(err("01") == "data.json:1: malformed JSON: invalid number \"01\"");
  CHECK(err("1.") == "data.json:1: malformed JSON: invalid number \"1.\"");
  CHECK(err("1.e3") == "data.json:1: malformed JSON: invalid number \"1.e3\"");
  CHECK(err("1e") == "data.json:1: malformed JSON: invalid number \"1e\"");
  CHECK(err("-") == "data.json:1: malformed JSON: invalid number \"-\"");
  CHECK(err("--1") == "data.json:1: malformed JSON: invalid number \"--1\"");
  CHECK(err("1.5.3") == "data.json:1: malformed JSON: invalid number \"1.5.3\"");
  CHECK(err("0x10") == "data.json:1: malformed JSON: invalid number \"0x10\"");
  CHECK(err("-Infinity") == "data.json:1: malformed JSON: invalid number \"-Infinity\"");
  CHECK(err("True") == "data.json:1: malformed JSON: expected a value, found \"True\"");
  CHECK(err("nul") == "data.json:1: malformed JSON: expected a value, found \"nul\"");
  CHECK(err("nulls") == "data.json:1: malformed JSON: expected a value, found \"nulls\"");
}

TEST_CASE("json: syntax errors name what was expected and what was found", "[json][errors]") {
  CHECK(error_of("[\n{\"revenue\": 1},\n{\"revenue\": 1 x}\n]") ==
        "data.json:3: malformed JSON: expected ',' or '}' after a value, found \"x\"");
  CHECK(error_of("[{\"revenue\" 1}]") ==
        "data.json:1: malformed JSON: expected ':' after the key, found \"1\"");
  CHECK(error_of("[{revenue: 1}]") ==
        "data.json:1: malformed JSON: expected a key (a string in double quotes) or '}', found "
        "\"revenue\"");
  CHECK(error_of("[{\"revenue\": 1,}]") ==
        "data.json:1: malformed JSON: expected a key (a string in double quotes), found \"}\"");
  CHECK(error_of("[{\"a\": [1,]}]") ==
        "data.json:1: malformed JSON: expected a value, found \"]\"");
  CHECK(error_of("[{\"a\": {\"b\" 1}}]") ==
        "data.json:1: malformed JSON: expected ':' after the key, found \"1\"");
  CHECK(error_of("[{\"a\": [1 2]}]") ==
        "data.json:1: malformed JSON: expected ',' or ']' after a value, found \"2\"");
  CHECK(error_of("[{\"revenue\": 1},]") ==
        "data.json:1: malformed JSON: expected an object after ',', found \"]\"");
  CHECK(error_of("[{\"revenue\": 1} {\"revenue\": 2}]") ==
        "data.json:1: malformed JSON: expected ',' or ']' after an array element, found \"{\"");
  CHECK(error_of("[{\"a\": \"\\x\"}]") ==
        "data.json:1: malformed JSON: invalid escape \"\\x\" in a string");
  CHECK(error_of("[{\"a\": \"\\u12G4\"}]") ==
        "data.json:1: malformed JSON: invalid escape \"\\u12G\" in a string");
  CHECK(error_of("[{\"a\": 'x'}]") ==
        "data.json:1: malformed JSON: expected a value, found \"'x'\"");
  CHECK(error_of("[{\"a\": \"x\n\"}]") ==
        "data.json:1: malformed JSON: line break in a string (missing closing '\"'?)");
  CHECK(error_of("[{\"a\": 1}]x") ==
        "data.json:1: malformed JSON: expected the end of input after the closing ']', found "
        "\"x\"");
  CHECK(error_of("[{\"a\": 1}]\n\n  [") ==
        "data.json:3: malformed JSON: expected the end of input after the closing ']', found "
        "\"[\"");
  // A long token is cut after 32 bytes.
  CHECK(error_of("[{\"a\": " + std::string(50, 'z') + "}]") ==
        "data.json:1: malformed JSON: expected a value, found \"" + std::string(32, 'z') + "\"...");
}

TEST_CASE("json: truncated documents", "[json][errors]") {
  CHECK(error_of("[\n{\"revenue\": 1,\n") ==
        "data.json:3: unexpected end of input: expected a key (a string in double quotes) (the "
        "object that starts on line 2 is not closed)");
  CHECK(error_of("[{\"revenue\": 1}") ==
        "data.json:1: unexpected end of input: expected ',' or ']' after an array element (the "
        "array that starts on line 1 is not closed)");
  CHECK(error_of("[\n{\"a\": \"abc") ==
        "data.json:2: unexpected end of input: expected '\"' to close the string (the object "
        "that starts on line 2 is not closed)");
  CHECK(error_of("[{\"a\": [[") ==
        "data.json:1: unexpected end of input: expected a value or ']' (the object that starts "
        "on line 1 is not closed)");
  CHECK(error_of("[{\"a\": \"\\u12") ==
        "data.json:1: unexpected end of input: expected 4 hex digits after \"\\u\" (the object "
        "that starts on line 1 is not closed)");
  CHECK(error_of("[{\"a\": tr") == "data.json:1: malformed JSON: expected a value, found \"tr\"");
  CHECK(error_of("[") ==
        "data.json:1: unexpected end of input: expected an object or ']' (the array that starts "
        "on line 1 is not closed)");
  CHECK(lines_error("{\"revenue\": 1") ==
        "data.json:1: unexpected end of input: expected ',' or '}' after a value");
}

TEST_CASE("json: the top level must be an array of objects", "[json][errors]") {
  CHECK(error_of("") == "data.json: empty input: expected a JSON array");
  CHECK(error_of(" \r\n\t ") == "data.json: empty input: expected a JSON array");
  CHECK(error_of("\xEF\xBB\xBF\n") == "data.json: empty input: expected a JSON array");
  CHECK(error_of("\n{\"revenue\": 1}") ==
        "data.json:2: expected a JSON array of objects, found an object (use --input-format "
        "jsonl for JSON Lines)");
  CHECK(error_of("\"x\"") == "data.json:1: expected a JSON array of objects, found a string");
  CHECK(error_of("42") == "data.json:1: expected a JSON array of objects, found a number");
  CHECK(error_of("true") ==
        "data.json:1: malformed JSON: expected a JSON array of objects, found \"true\"");
  CHECK(error_of("\xFF\xFE[\0{\0}\0]\0") ==
        "data.json:1: the file is UTF-16; expected UTF-8 (convert it, e.g. with iconv -f UTF-16 -t "
        "UTF-8)");
  CHECK(error_of("[]").empty());
  CHECK(read_whole("[ ]", JsonLayout::array).rows.empty());
}

TEST_CASE("json: an element that is not an object is rejected and skipped", "[json][errors]") {
  const std::string doc =
      "[\n1,\n\"s\",\n{\"revenue\": 2},\n[{\"revenue\": 3}],\nnull,\ntrue,\n{\"revenue\": 4}\n]";
  CHECK(error_of(doc) == "data.json:2: expected an object, found a number");

  const Outcome out = read_whole(doc, JsonLayout::array, true);
  REQUIRE(out.error.empty());
  CHECK(out.rejected == std::vector<std::string>{
                            "data.json:2: expected an object, found a number",
                            "data.json:3: expected an object, found a string",
                            "data.json:5: expected an object, found an array",
                            "data.json:6: expected an object, found null",
                            "data.json:7: expected an object, found a boolean",
                        });
  CHECK(out.lines == std::vector<std::uint64_t>{4, 8});
  CHECK(out.rows == std::vector<Row>{{{"revenue", number("2")}}, {{"revenue", number("4")}}});
  CHECK(out.records == 2);
}

TEST_CASE("json: a duplicate key rejects the record", "[json][errors]") {
  const std::string doc =
      "[{\"revenue\": 1, \"other\": 1, \"other\": 2},\n"
      " {\"revenue\": 1, \"segment\": \"a\", \"Revenue\": 2},\n"
      " {\"revenue\": 5}]";
  CHECK(error_of(doc) == "data.json:2: duplicate key \"Revenue\"");
  const Outcome out = read_whole(doc, JsonLayout::array, true);
  CHECK(out.rejected == std::vector<std::string>{"data.json:2: duplicate key \"Revenue\""});
  // Repeated unknown keys are not checked: nothing is kept of them.
  CHECK(out.lines == std::vector<std::uint64_t>{1, 3});
}

TEST_CASE("json: strings must be valid UTF-8 without raw control characters", "[json][errors]") {
  const auto err = [](const std::string& s) { return error_of("[{\"segment\": \"" + s + "\"}]"); };
  // The byte is counted in the string as written, from 1.
  const auto invalid = [](const std::string& field, int byte) {
    return "data.json:1: " + field + "invalid UTF-8 at byte " + std::to_string(byte) +
           " (expected UTF-8 text; convert the file, e.g. with iconv -f LATIN1 -t UTF-8)";
  };
  CHECK(err("a\xFF") == invalid("segment: ", 2));
  CHECK(err("\\n\xFF") == invalid("segment: ", 3));           // '\\', 'n', then the bad byte
  CHECK(err("\xC0\xAF") == invalid("segment: ", 1));          // overlong '/'
  CHECK(err("\xE0\x80\xAF") == invalid("segment: ", 1));      // overlong, 3 bytes
  CHECK(err("\xF0\x80\x80\xAF") == invalid("segment: ", 1));  // overlong, 4 bytes
  CHECK(err("\xED\xA0\x80") == invalid("segment: ", 1));      // encoded surrogate U+D800
  CHECK(err("\xF4\x90\x80\x80") == invalid("segment: ", 1));  // U+110000
  CHECK(err("ab\xE2\x82") == invalid("segment: ", 3));        // cut short by the closing quote
  CHECK(err("\x80") == invalid("segment: ", 1));              // lone continuation byte
  CHECK(err("\xF8\x88\x80\x80\x80") == invalid("segment: ", 1));
  CHECK(err("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF").empty());  // é € 😀 U+10FFFF
  CHECK(err("\\ud800") ==
        "data.json:1: segment: unpaired UTF-16 surrogate \"\\ud800\" in a string");
  CHECK(err("\\udc00x") ==
        "data.json:1: segment: unpaired UTF-16 surrogate \"\\udc00\" in a string");
  CHECK(err("\\ud800\\u0041") ==
        "data.json:1: segment: unpaired UTF-16 surrogate \"\\ud800\" in a string");
  // In a key or an ignored value there is no field to name.
  CHECK(error_of("[{\"k\xFF\": 1}]") == invalid("", 2));
  CHECK(error_of("[{\"other\": [\"\xFF\"]}]") == invalid("", 1));

  CHECK(err("a\x01") ==
        "data.json:1: malformed JSON: unescaped control character \"\\x01\" in a string");
  CHECK(err("a\tb") ==
        "data.json:1: malformed JSON: unescaped control character \"\\x09\" in a string");
  CHECK(err("\\u0009").empty());
}

TEST_CASE("json: NUL bytes are refused", "[json][errors]") {
  const std::string nul_message =
      "malformed JSON: unexpected NUL byte (is the file UTF-16 or binary?)";
  using namespace std::string_literals;
  CHECK(error_of("[{\"a\": 1}\0]"s) == "data.json:1: " + nul_message);
  CHECK(error_of("[{\"a\": \"x\0\"}]"s) == "data.json:1: " + nul_message);
  CHECK(error_of("\n\0"s) == "data.json:2: " + nul_message);
  CHECK(lines_error("{\"a\": 1}\n\0\n"s) == "data.json:2: " + nul_message);
}

TEST_CASE("json: nesting is limited without recursion", "[json][errors]") {
  const std::string deep(100000, '[');
  const std::string message = "data.json:1: nesting deeper than 64 levels";
  CHECK(error_of("[" + deep) == message);
  CHECK(error_of("[{\"other\": " + deep) == message);
  CHECK(lines_error("{\"a\": " + deep) == message);
  CHECK(lines_error("{\"a\": " + std::string(100000, '{')) ==
        "data.json:1: malformed JSON: expected a key (a string in double quotes) or '}', found "
        "\"{\"");
  // The record is level 1: 63 levels of value inside it are the most allowed.
  const auto nested = [](std::size_t levels) {
    std::string v = "1";
    for (std::size_t i = 0; i < levels; ++i)
      v = (i % 2 == 0 ? "[" : "{\"k\":") + v + (i % 2 == 0 ? "]" : "}");
    return "[{\"other\": " + v + ", \"extra\": " + v + ", \"revenue\": 1}]";
  };
  const Outcome ok = read_whole(nested(63), JsonLayout::array);
  CHECK(ok.error.empty());
  CHECK(ok.rows ==
        std::vector<Row>{{{"extra", {CellType::composite, ""}}, {"revenue", number("1")}}});
  CHECK(error_of(nested(64)) == message);
  // An element that is not an object is level 1 itself: 64 levels in all.
  CHECK(read_whole("[" + std::string(64, '[') + std::string(64, ']') + "]", JsonLayout::array, true)
            .rejected.size() == 1);
  CHECK(error_of("[" + std::string(65, '[') + std::string(65, ']') + "]") == message);
}

TEST_CASE("json lines: each line holds one object", "[json][errors]") {
  CHECK(lines_error("{\"revenue\": 1}\n42\n") ==
        "data.json:2: expected a JSON object per line, found a number");
  CHECK(lines_error("{\"revenue\":\n1}") ==
        "data.json:1: malformed JSON: expected a value, found a line break (JSON Lines needs "
        "each object on one line)");
  CHECK(lines_error("{\"revenue\": 1} {\"revenue\": 2}\n") ==
        "data.json:1: malformed JSON: expected a line break after the object, found \"{\"");
  CHECK(lines_error("\n[{\"revenue\": 1}]\n") ==
        "data.json:2: expected a JSON object per line, found an array (use --input-format json "
        "for a JSON array)");
  CHECK(lines_error("{}\n[1]\n") == "data.json:2: expected a JSON object per line, found an array");
  CHECK(lines_error("{}\nhello\n") ==
        "data.json:2: malformed JSON: expected a JSON object, found \"hello\"");
  CHECK(lines_error("{}\n{\"a\": \"x\n\"}") ==
        "data.json:2: malformed JSON: line break in a string (missing closing '\"'?)");

  const Outcome out =
      read_whole("{\"revenue\": 1}\n\"text\"\n{\"revenue\": 2}\n", JsonLayout::lines, true);
  CHECK(out.rejected ==
        std::vector<std::string>{"data.json:2: expected a JSON object per line, found a string"});
  CHECK(out.lines == std::vector<std::uint64_t>{1, 3});
}
