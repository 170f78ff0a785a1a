#include "csm/io/csv_reader.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "csm/error.hpp"
#include "csm/io/columns.hpp"

namespace {

using csm::InputError;
using csm::io::Cell;
using csm::io::CellType;
using csm::io::ColumnMap;
using csm::io::ColumnSpec;
using csm::io::CsvReader;
using csm::io::Location;

ColumnMap make_columns() {
  return ColumnMap({ColumnSpec{"customer_id", true}, ColumnSpec{"period", true},
                    ColumnSpec{"revenue", true}, ColumnSpec{"csat", false},
                    ColumnSpec{"segment", false}});
}

struct Row {
  std::uint64_t line = 0;
  std::vector<std::optional<std::string>> cells;  // nullopt = absent
  bool operator==(const Row&) const = default;
};

// What a whole parse produced: rows, rejected records (when skipping) and the error that stopped
// it, so that different ways of feeding the same bytes can be compared as one value.
struct Outcome {
  std::vector<Row> rows;
  std::vector<std::string> rejects;
  std::optional<std::string> error;
  std::uint64_t records = 0;
  bool operator==(const Outcome&) const = default;
};

std::string describe(const Outcome& o) {
  std::string s;
  for (const Row& r : o.rows) {
    s += "L" + std::to_string(r.line);
    for (const auto& c : r.cells) s += "|" + (c ? "[" + *c + "]" : std::string("-"));
    s += "\n";
  }
  for (const auto& r : o.rejects) s += "reject: " + r + "\n";
  if (o.error) s += "error: " + *o.error + "\n";
  s += "records: " + std::to_string(o.records) + "\n";
  return s;
}

class Recorder : public csm::io::RowConsumer {
 public:
  Recorder(Outcome& out, bool skip) : out_(out), skip_(skip) {}
  void row(std::span<const Cell> cells, const Location& where) override {
    CHECK(where.source == "f.csv");
    Row r;
    r.line = where.line;
    for (const Cell& c : cells) {
      if (c.type == CellType::absent) {
        r.cells.emplace_back(std::nullopt);
      } else {
        CHECK(c.type == CellType::text);
        r.cells.emplace_back(std::string(c.text));
      }
    }
    out_.rows.push_back(std::move(r));
  }
  void reject(const InputError& error) override {
    if (!skip_) throw error;
    out_.rejects.emplace_back(error.what());
  }

 private:
  Outcome& out_;
  bool skip_;
};

// All bytes in one call.
Outcome parse_whole(std::string_view doc, char delim = ',', bool skip = false) {
  const ColumnMap columns = make_columns();
  Outcome out;
  Recorder rec(out, skip);
  try {
    CsvReader reader(columns, rec, "f.csv", delim);
    const std::size_t used = reader.parse(doc, true);
    CHECK(used == doc.size());
    out.records = reader.records();
  } catch (const InputError& e) {
    out.error = e.what();
  }
  return out;
}

// The first `n` bytes with more to come, then whatever was not consumed plus the rest.
Outcome parse_split(std::string_view doc, std::size_t n, char delim = ',', bool skip = false) {
  const ColumnMap columns = make_columns();
  Outcome out;
  Recorder rec(out, skip);
  try {
    CsvReader reader(columns, rec, "f.csv", delim);
    const std::size_t used = reader.parse(doc.substr(0, n), false);
    REQUIRE(used <= n);
    const std::size_t rest = reader.parse(doc.substr(used), true);
    CHECK(rest == doc.size() - used);
    out.records = reader.records();
  } catch (const InputError& e) {
    out.error = e.what();
  }
  return out;
}

// One byte more per call, as a reader on a slow pipe would see it.
Outcome parse_bytewise(std::string_view doc, char delim = ',', bool skip = false) {
  const ColumnMap columns = make_columns();
  Outcome out;
  Recorder rec(out, skip);
  try {
    CsvReader reader(columns, rec, "f.csv", delim);
    std::string buffer;
    for (const char c : doc) {
      buffer.push_back(c);
      const std::size_t used = reader.parse(buffer, false);
      REQUIRE(used <= buffer.size());
      buffer.erase(0, used);
    }
    const std::size_t used = reader.parse(buffer, true);
    CHECK(used == buffer.size());
    out.records = reader.records();
  } catch (const InputError& e) {
    out.error = e.what();
  }
  return out;
}

// Every way of feeding the document agrees with the one-call parse, and with `expected`.
void check_all_feeds(std::string_view doc, const Outcome& expected, char delim = ',',
                     bool skip = false) {
  const Outcome whole = parse_whole(doc, delim, skip);
  INFO("whole:\n" << describe(whole) << "expected:\n" << describe(expected));
  REQUIRE(whole == expected);
  for (std::size_t n = 0; n <= doc.size(); ++n) {
    const Outcome split = parse_split(doc, n, delim, skip);
    if (!(split == expected)) {
      FAIL_CHECK("split at byte " << n << " gives:\n" << describe(split));
    }
  }
  const Outcome bytewise = parse_bytewise(doc, delim, skip);
  INFO("bytewise:\n" << describe(bytewise));
  CHECK(bytewise == expected);
}

using Cells = std::vector<std::optional<std::string>>;
const std::nullopt_t absent = std::nullopt;

// Slot order of make_columns(): customer_id, period, revenue, csat, segment.

// BOM, header in another order with odd case and spaces and an unknown column, quoted commas,
// doubled quotes, line breaks inside quotes, empty and quoted-empty fields, a blank line and a
// last line without a line break.
const std::string kLfDoc =
    "\xEF\xBB\xBF"
    "Segment, Customer_ID ,notes,PERIOD,revenue,csat\n"           // line 1
    "smb,c1,\"hello, world\",2024-01,100.10,5\n"                   // line 2
    "\"ent\",\"c\"\"2\"\"\",\"multi\nline\nnote\",2024-02,\"1,000.00\",\n"  // lines 3-5
    ",c3,,2024-03,0,\"\"\n"                                        // line 6
    "\n"                                                           // line 7: blank
    "\"x\",c4,\"a\"\"b\",2024-04,5,\"4\"";                         // line 8, no line break

Outcome lf_expected() {
  Outcome o;
  o.rows = {
      Row{2, Cells{"c1", "2024-01", "100.10", "5", "smb"}},
      Row{3, Cells{"c\"2\"", "2024-02", "1,000.00", "", "ent"}},
      Row{6, Cells{"c3", "2024-03", "0", "", ""}},
      Row{8, Cells{"c4", "2024-04", "5", "4", "x"}},
  };
  o.records = 4;
  return o;
}

// CRLF line ends, a CRLF inside quotes (kept as data), an empty last field before CRLF, a blank
// line, and an empty trailing line.
const std::string kCrlfDoc =
    "customer_id,period,revenue,segment\r\n"       // line 1
    "c1,2024-01,10,\r\n"                           // line 2
    "\"c2\r\nx\",2024-01,20,\"s\"\r\n"             // lines 3-4
    "\r\n"                                         // line 5: blank
    "c3,2024-02,30,seg\r\n"                        // line 6
    "\r\n";                                        // line 7: empty trailing line

Outcome crlf_expected() {
  Outcome o;
  o.rows = {
      Row{2, Cells{"c1", "2024-01", "10", absent, ""}},
      Row{3, Cells{"c2\r\nx", "2024-01", "20", absent, "s"}},
      Row{6, Cells{"c3", "2024-02", "30", absent, "seg"}},
  };
  o.records = 3;
  return o;
}

// TSV: commas are data, a tab inside quotes is data.
const std::string kTsvDoc =
    "customer_id\tperiod\trevenue\n"
    "\"a\tb\"\t2024-01\t1\n"
    "x,y\t2024-02\t2\n"
    "\"q\"\"\"\t2024-03\t\"3\"\n";

Outcome tsv_expected() {
  Outcome o;
  o.rows = {
      Row{2, Cells{"a\tb", "2024-01", "1", absent, absent}},
      Row{3, Cells{"x,y", "2024-02", "2", absent, absent}},
      Row{4, Cells{"q\"", "2024-03", "3", absent, absent}},
  };
  o.records = 3;
  return o;
}

Outcome error_only(std::string message, std::vector<Row> rows = {}) {
  Outcome o;
  o.rows = std::move(rows);
  o.error = std::move(message);
  return o;
}

}  // namespace

TEST_CASE("csv: RFC 4180 corners with LF, BOM and header matching", "[io][csv]") {
  check_all_feeds(kLfDoc, lf_expected());
}

TEST_CASE("csv: CRLF, CRLF inside quotes, empty trailing line", "[io][csv]") {
  check_all_feeds(kCrlfDoc, crlf_expected());
}

TEST_CASE("csv: TSV", "[io][csv]") { check_all_feeds(kTsvDoc, tsv_expected(), '\t'); }

TEST_CASE("csv: a mix of LF and CRLF lines", "[io][csv]") {
  const std::string doc =
      "customer_id,period,revenue\n"
      "a,2024-01,1\r\n"
      "b,2024-01,2\n"
      "\"c\",2024-01,\"3\"\r\n";
  Outcome o;
  o.rows = {Row{2, Cells{"a", "2024-01", "1", absent, absent}},
            Row{3, Cells{"b", "2024-01", "2", absent, absent}},
            Row{4, Cells{"c", "2024-01", "3", absent, absent}}};
  o.records = 3;
  check_all_feeds(doc, o);
}

TEST_CASE("csv: last line ends in a quote then CR without LF", "[io][csv]") {
  const std::string doc = "customer_id,period,revenue\r\na,2024-01,\"7\"\r";
  Outcome o;
  o.rows = {Row{2, Cells{"a", "2024-01", "7", absent, absent}}};
  o.records = 1;
  check_all_feeds(doc, o);
}

TEST_CASE("csv: last unquoted line ends in CR without LF", "[io][csv]") {
  const std::string doc = "customer_id,period,revenue\r\na,2024-01,7\r";
  Outcome o;
  o.rows = {Row{2, Cells{"a", "2024-01", "7", absent, absent}}};
  o.records = 1;
  check_all_feeds(doc, o);
}

TEST_CASE("csv: blank lines before the header shift every line number", "[io][csv]") {
  const std::string doc = "\n\r\ncustomer_id,period,revenue\na,2024-01,1\n";
  Outcome o;
  o.rows = {Row{4, Cells{"a", "2024-01", "1", absent, absent}}};
  o.records = 1;
  check_all_feeds(doc, o);
}

TEST_CASE("csv: lines of spaces and tabs are blank, a quoted space is not", "[io][csv]") {
  const std::string doc =
      "  \ncustomer_id,period,revenue\n"  // header on line 2
      " \t \r\n"                          // 3: blank
      "a,2024-01,1\n"                     // 4
      "\" \"\n";                           // 5: one field holding a space
  Outcome o;
  o.rows = {Row{4, Cells{"a", "2024-01", "1", absent, absent}}};
  o.rejects = {"f.csv:5: expected 3 fields as in the header, found 1"};
  o.records = 1;
  check_all_feeds(doc, o, ',', true);
}

TEST_CASE("csv: newlines in quotes move the next record's line number", "[io][csv]") {
  // Record 1 on line 2 spans 2..4 (two breaks inside quotes), record 2 starts on line 5 and spans
  // 5..6, so the too-short record 3 is on line 7.
  const std::string doc =
      "customer_id,period,revenue\n"
      "\"a\n\nb\",2024-01,1\n"
      "c,2024-01,\"2\r\n\"\n"
      "d,2024-01\n";
  Outcome o;
  o.rows = {Row{2, Cells{"a\n\nb", "2024-01", "1", absent, absent}},
            Row{5, Cells{"c", "2024-01", "2\r\n", absent, absent}}};
  o.rejects = {"f.csv:7: expected 3 fields as in the header, found 2"};
  o.records = 2;
  check_all_feeds(doc, o, ',', true);
}

TEST_CASE("csv: a line holding only a quoted empty field is a record, not a blank line",
          "[io][csv]") {
  const std::string doc = "customer_id,period,revenue\n\"\"\na,2024-01,1\n";
  Outcome o;
  o.rows = {Row{3, Cells{"a", "2024-01", "1", absent, absent}}};
  o.rejects = {"f.csv:2: expected 3 fields as in the header, found 1"};
  o.records = 1;
  check_all_feeds(doc, o, ',', true);
}

TEST_CASE("csv: too few and too many fields name the line and the counts", "[io][csv]") {
  const std::string doc =
      "customer_id,period,revenue\n"
      "a,2024-01\n"
      "b,2024-01,1,extra\n"
      "c,2024-01,1,\n"  // a trailing delimiter is a fourth (empty) field
      "d,2024-01,4\n";
  Outcome skipped;
  skipped.rows = {Row{5, Cells{"d", "2024-01", "4", absent, absent}}};
  skipped.rejects = {"f.csv:2: expected 3 fields as in the header, found 2",
                     "f.csv:3: expected 3 fields as in the header, found 4",
                     "f.csv:4: expected 3 fields as in the header, found 4"};
  skipped.records = 1;
  check_all_feeds(doc, skipped, ',', true);

  // Strict: the first one stops the run.
  check_all_feeds(doc, error_only("f.csv:2: expected 3 fields as in the header, found 2"));
}

TEST_CASE("csv: unterminated quote", "[io][csv]") {
  // The quote opens on line 3 and the rest of the file (two more line breaks) is inside it; the
  // error points at the line where the quote opened.
  const std::string doc =
      "customer_id,period,revenue\n"
      "a,2024-01,1\n"
      "\"b,2024-02,2\n"
      "c,2024-03,3\n";
  check_all_feeds(doc, error_only("f.csv:3: unterminated quoted field: expected a closing '\"' "
                                  "before the end of the input",
                                  {Row{2, Cells{"a", "2024-01", "1", absent, absent}}}),
                  ',', true);
}

TEST_CASE("csv: unterminated quote in a later field after line breaks in an earlier one",
          "[io][csv]") {
  // Record on line 2: the first field holds one line break, so the third field's quote opens on
  // line 3.
  const std::string doc = "customer_id,period,revenue\n\"a\nb\",2024-01,\"1\n\n";
  check_all_feeds(doc, error_only("f.csv:3: unterminated quoted field: expected a closing '\"' "
                                  "before the end of the input"));
}

TEST_CASE("csv: a lone quote at the very end is unterminated", "[io][csv]") {
  const std::string doc = "customer_id,period,revenue\na,2024-01,\"";
  check_all_feeds(doc, error_only("f.csv:2: unterminated quoted field: expected a closing '\"' "
                                  "before the end of the input"));
}

TEST_CASE("csv: garbage after a closing quote", "[io][csv]") {
  const std::string doc = "customer_id,period,revenue\na,2024-01,1\n\"b\"x,2024-01,1\n";
  check_all_feeds(doc, error_only("f.csv:3: unexpected \"x\" after a closing quote: expected a "
                                  "delimiter or the end of the line",
                                  {Row{2, Cells{"a", "2024-01", "1", absent, absent}}}),
                  ',', true);
}

TEST_CASE("csv: a space after a closing quote is garbage too", "[io][csv]") {
  const std::string doc = "customer_id,period,revenue\n\"b\" ,2024-01,1\n";
  check_all_feeds(doc, error_only("f.csv:2: unexpected \" \" after a closing quote: expected a "
                                  "delimiter or the end of the line"));
}

TEST_CASE("csv: invalid UTF-8 and NUL in a used field are rejected, in an unused one ignored",
          "[io][csv]") {
  const std::string doc = std::string(
                              "customer_id,period,revenue,notes\n"
                              "c\xff" "1,2024-01,1,x\n"      // line 2: bad id (byte 2)
                              "ok,2024-01,1,caf\xe9\n"      // line 3: bad but unused column
                              "seg,2024-01,1,x\n") +          // line 4
                          std::string("n\0ul,2024-01,1,x\n", 17);  // line 5: NUL at byte 2
  Outcome o;
  o.rows = {Row{3, Cells{"ok", "2024-01", "1", absent, absent}},
            Row{4, Cells{"seg", "2024-01", "1", absent, absent}}};
  o.rejects = {
      "f.csv:2: customer_id: invalid UTF-8 at byte 2 (expected UTF-8 text; convert the file, e.g. "
      "with iconv -f LATIN1 -t UTF-8)",
      "f.csv:5: customer_id: unexpected NUL byte at byte 2 (is the file UTF-16 or binary?)"};
  o.records = 2;
  check_all_feeds(doc, o, ',', true);
}

TEST_CASE("csv: valid multi-byte UTF-8 passes through unchanged", "[io][csv]") {
  const std::string doc =
      "customer_id,period,revenue,segment\n"
      "M\xc3\xbcller GmbH,2024-01,1,\"\xe2\x82\xac uro, \xf0\x9f\x98\x80\"\n";
  Outcome o;
  o.rows = {Row{2, Cells{"M\xc3\xbcller GmbH", "2024-01", "1", absent,
                         "\xe2\x82\xac uro, \xf0\x9f\x98\x80"}}};
  o.records = 1;
  check_all_feeds(doc, o);
}

TEST_CASE("csv: UTF-16 input is refused with a hint", "[io][csv]") {
  const std::string le("\xff\xfe" "c\0u\0s\0", 8);
  const std::string be("\xfe\xff" "\0c\0u\0s", 8);
  const std::string message =
      "f.csv:1: the file is UTF-16; expected UTF-8 (convert it, e.g. with iconv -f UTF-16 -t "
      "UTF-8)";
  check_all_feeds(le, error_only(message));
  check_all_feeds(be, error_only(message));
}

TEST_CASE("csv: UTF-16 without a BOM shows up as a NUL byte in the header", "[io][csv]") {
  const std::string doc("c\0u\0s\0\n\0", 8);
  check_all_feeds(doc, error_only("f.csv:1: header field 1: unexpected NUL byte at byte 2 (is the "
                                  "file UTF-16 or binary?)"));
}

TEST_CASE("csv: duplicate header column", "[io][csv]") {
  const std::string doc = "customer_id,period,revenue, REVENUE \na,2024-01,1,2\n";
  check_all_feeds(doc, error_only("f.csv:1: duplicate column \"revenue\" (fields 3 and 4)"));
}

TEST_CASE("csv: missing required column lists the header and the fix", "[io][csv]") {
  const std::string doc = "customer_id,period,amount\na,2024-01,1\n";
  check_all_feeds(doc, error_only("f.csv:1: missing required column \"revenue\" (the header has: "
                                  "customer_id, period, amount; map another column with --column "
                                  "revenue=NAME)"));
}

TEST_CASE("csv: missing required column after a rename names the renamed column", "[io][csv]") {
  ColumnMap columns = make_columns();
  REQUIRE(columns.rename("revenue", "MRR"));
  Outcome out;
  Recorder rec(out, false);
  CsvReader reader(columns, rec, "f.csv", ',');
  // "revenue" is present but no longer looked for.
  CHECK_THROWS_WITH(reader.parse("customer_id,period,revenue\na,2024-01,1\n", true),
                    "f.csv:1: missing required column \"MRR\" (the header has: customer_id, "
                    "period, revenue; map another column with --column revenue=NAME)");
}

TEST_CASE("csv: a renamed column is read from its input name", "[io][csv]") {
  ColumnMap columns = make_columns();
  REQUIRE(columns.rename("revenue", "MRR"));
  Outcome out;
  Recorder rec(out, false);
  CsvReader reader(columns, rec, "f.csv", ',');
  reader.parse("Customer_ID,Period,revenue,Mrr\na,2024-01,999,12.5\n", true);
  REQUIRE(out.rows.size() == 1);
  CHECK(out.rows[0].cells[2] == std::optional<std::string>("12.5"));
}

TEST_CASE("csv: an empty input and blank-only input give no header", "[io][csv]") {
  for (const std::string& doc : {std::string(), std::string("\n\n"), std::string("\r\n\r\n"),
                                std::string("\xEF\xBB\xBF")}) {
    const ColumnMap columns = make_columns();
    Outcome out;
    Recorder rec(out, false);
    CsvReader reader(columns, rec, "f.csv", ',');
    CHECK(reader.parse(doc, true) == doc.size());
    CHECK_FALSE(reader.has_header());
    CHECK(reader.records() == 0);
  }
}

TEST_CASE("csv: header only gives a header and no records", "[io][csv]") {
  const ColumnMap columns = make_columns();
  Outcome out;
  Recorder rec(out, false);
  CsvReader reader(columns, rec, "f.csv", ',');
  reader.parse("customer_id,period,revenue", true);
  CHECK(reader.has_header());
  CHECK(reader.records() == 0);
  CHECK(out.rows.empty());
}

TEST_CASE("csv: parse without at_end keeps an incomplete last record", "[io][csv]") {
  const ColumnMap columns = make_columns();
  Outcome out;
  Recorder rec(out, false);
  CsvReader reader(columns, rec, "f.csv", ',');
  const std::string head = "customer_id,period,revenue\na,2024-01,1\nb,2024-0";
  // Consumed: the header (27 bytes with its LF) and the first record (12 bytes) = 39.
  CHECK(reader.parse(head, false) == 39);
  CHECK(out.rows.size() == 1);
  // A complete buffer ending in a line break is consumed whole even without at_end.
  const std::string rest = "b,2024-02,2\n";
  CHECK(reader.parse(rest, false) == rest.size());
  CHECK(reader.records() == 2);
  CHECK(reader.parse("", true) == 0);
  CHECK(reader.records() == 2);
}

TEST_CASE("csv: a large document fed in uneven chunks", "[io][csv]") {
  // 500 records cycling through the awkward shapes; fed in chunk sizes 1..7 in turn.
  std::string doc = "customer_id,period,revenue,segment\r\n";
  Outcome expected;
  std::uint64_t line = 2;
  for (int i = 0; i < 500; ++i) {
    const std::string id = "c" + std::to_string(i);
    switch (i % 4) {
      case 0:
        doc += id + ",2024-01," + std::to_string(i) + ",\r\n";
        expected.rows.push_back(Row{line, Cells{id, "2024-01", std::to_string(i), absent, ""}});
        line += 1;
        break;
      case 1:
        doc += "\"" + id + "\",2024-02,\"" + std::to_string(i) + "\",\"a\"\"\nb\"\n";
        expected.rows.push_back(
            Row{line, Cells{id, "2024-02", std::to_string(i), absent, "a\"\nb"}});
        line += 2;
        break;
      case 2:
        doc += "\r\n";  // blank
        line += 1;
        doc += id + ",2024-03,\"1,5\",\"\"\r\n";
        expected.rows.push_back(Row{line, Cells{id, "2024-03", "1,5", absent, ""}});
        line += 1;
        break;
      default:
        doc += id + ",2024-04,9,\"\r\n\r\n\"\n";
        expected.rows.push_back(Row{line, Cells{id, "2024-04", "9", absent, "\r\n\r\n"}});
        line += 3;
        break;
    }
  }
  expected.records = 500;
  REQUIRE(parse_whole(doc) == expected);

  const ColumnMap columns = make_columns();
  Outcome out;
  Recorder rec(out, false);
  CsvReader reader(columns, rec, "f.csv", ',');
  std::string buffer;
  std::size_t at = 0;
  std::size_t step = 1;
  while (at < doc.size()) {
    const std::size_t take = std::min(step, doc.size() - at);
    buffer.append(doc, at, take);
    at += take;
    step = step % 7 + 1;
    buffer.erase(0, reader.parse(buffer, false));
  }
  reader.parse(buffer, true);
  out.records = reader.records();
  INFO(describe(out).substr(0, 2000));
  CHECK(out == expected);
}
