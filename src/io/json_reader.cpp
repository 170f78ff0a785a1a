#include "csm/io/json_reader.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "csm/io/utf8.hpp"

namespace csm::io {
namespace {

// Thrown when the buffer ends inside a record and more bytes may come: parse() then returns what
// it had consumed before that record. Happens at most once per parse() call, so the cost of an
// exception does not matter, and it spares every read of the cursor a status check.
struct NeedMore {};

constexpr int kEof = -1;
constexpr std::size_t kMaxTokenShown = 32;
constexpr const char* kLinesHint = " (JSON Lines needs each object on one line)";

// Bytes the string scanner must look at: the quote, the backslash, control bytes and non-ASCII
// (to validate UTF-8). Everything else is copied in one run.
constexpr std::array<bool, 256> make_string_stops() {
  std::array<bool, 256> stops{};
  for (std::size_t c = 0; c < 256; ++c) stops[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  return stops;
}
constexpr std::array<bool, 256> kStringStops = make_string_stops();

bool is_digit(int c) noexcept { return c >= '0' && c <= '9'; }

bool is_word_char(int c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
         c == '+' || c == '-';
}

bool is_structural(int c) noexcept {
  return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' || c == '"';
}

// Ends a token shown in a message.
bool is_token_end(int c) noexcept { return c < 0x20 || c == ' ' || is_structural(c); }

int hex_value(int c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string hex4(std::uint32_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) s += kHex[(v >> shift) & 15];
  return s;
}

// An escape sequence for a message, without quote_for_message's doubling of the backslash when
// it is plain ASCII.
std::string show_escape(std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(),
                                 [](char c) { return c > 0x20 && c < 0x7f && c != '"'; });
  return plain ? "\"" + std::string(text) + "\"" : quote_for_message(text);
}

// What a value is, from its first byte, for "found a ..." messages.
const char* kind_of(int c) noexcept {
  switch (c) {
    case '{':
      return "an object";
    case '[':
      return "an array";
    case '"':
      return "a string";
    case 't':
    case 'f':
      return "a boolean";
    case 'n':
      return "null";
    default:
      return "a number";
  }
}

bool is_value_start(int c) noexcept {
  return c == '{' || c == '[' || c == '"' || c == '-' || is_digit(c) || c == 't' || c == 'f' ||
         c == 'n';
}

}  // namespace

/// The cursor of one parse() call. Positions are committed (consumed_, reader.line_, reader.stage_)
/// only between whole records, so a NeedMore leaves the reader as it was before the record.
struct JsonReader::State {
  JsonReader& r;
  const char* begin;
  const char* p;
  const char* end;
  bool at_end;
  std::uint64_t line;
  const char* consumed;
  // What is open at the top level, for "unexpected end of input" messages (array layout only).
  const char* open_kind = nullptr;
  std::uint64_t open_line = 0;
  // Array layout: the element being read (1-based; 0 = none) and the byte offset where it starts,
  // named in messages since a minified array is all on line 1.
  std::uint64_t element_number = 0;
  std::uint64_t element_offset = 0;

  State(JsonReader& reader, std::string_view buffer, bool last)
      : r(reader),
        begin(buffer.data()),
        p(buffer.data()),
        end(buffer.data() + buffer.size()),
        at_end(last),
        line(reader.line_),
        consumed(buffer.data()) {}

  bool lines() const noexcept { return r.layout_ == JsonLayout::lines; }

  void commit() noexcept {
    consumed = p;
    r.line_ = line;
  }

  int peek() {
    if (p != end) return static_cast<unsigned char>(*p);
    if (at_end) return kEof;
    throw NeedMore{};
  }

  int peek_at(std::size_t k) {
    if (static_cast<std::size_t>(end - p) > k) return static_cast<unsigned char>(p[k]);
    if (at_end) return kEof;
    throw NeedMore{};
  }

  // ---- errors ---------------------------------------------------------------------------------

  [[noreturn]] void fail(std::string message) {
    if (element_number != 0) {
      message += " (record " + std::to_string(element_number) + ", byte " +
                 std::to_string(r.offset_ + static_cast<std::uint64_t>(p - begin)) + ")";
    }
    throw InputError(r.source_, line, "", std::move(message));
  }

  std::string element_suffix() const {
    if (element_number == 0) return "";
    return " (record " + std::to_string(element_number) + ", byte " + std::to_string(element_offset) + ")";
  }

  // A record longer than kMaxJsonRecordBytes, checked both while it is incomplete (so that the
  // caller's buffer stops growing) and once it is complete (so that the limit does not depend on
  // how the input was cut into reads).
  [[noreturn]] void fail_too_long(std::uint64_t record_line) const {
    throw InputError(r.source_, record_line, "",
                     "record longer than " + std::to_string(kMaxJsonRecordBytes >> 20) +
                         " MiB: expected the end of the object (is this a JSON file?)");
  }

  void check_record_size(std::uint64_t record_line) const {
    if (static_cast<std::size_t>(p - consumed) > kMaxJsonRecordBytes) fail_too_long(record_line);
  }

  [[noreturn]] void fail_nul() {
    fail("malformed JSON: unexpected NUL byte (is the file UTF-16 or binary?)");
  }

  // The token at the cursor, quoted. Waits for more input rather than showing a token cut short by
  // the end of the buffer, so that a message never depends on how the input was split into reads.
  std::string token_here() {
    const char* q = p;
    if (q != end && is_structural(static_cast<unsigned char>(*q))) {
      ++q;
    } else {
      while (q != end && !is_token_end(static_cast<unsigned char>(*q)) &&
             static_cast<std::size_t>(q - p) < kMaxTokenShown) {
        ++q;
      }
      if (q == p && q != end) ++q;  // a lone space or control byte
      // At kMaxTokenShown bytes the next byte still decides whether "..." follows.
      if (q == end && !at_end && static_cast<std::size_t>(q - p) <= kMaxTokenShown) {
        throw NeedMore{};
      }
    }
    std::string shown = quote_for_message(std::string_view(p, static_cast<std::size_t>(q - p)));
    if (q != end && static_cast<std::size_t>(q - p) == kMaxTokenShown &&
        !is_token_end(static_cast<unsigned char>(*q))) {
      shown += "...";
    }
    return shown;
  }

  std::string eof_context() const {
    if (open_kind == nullptr) return "";
    return std::string(" (") + open_kind + " that starts on line " + std::to_string(open_line) +
           " is not closed)";
  }

  // "expected X, found Y" for whatever is at the cursor, end of input included.
  [[noreturn]] void fail_expected(std::string_view expected) {
    const int c = peek();
    if (c == kEof) {
      fail("unexpected end of input: expected " + std::string(expected) + eof_context());
    }
    if (c == 0) fail_nul();
    if (c == 0xEF && peek_at(1) == 0xBB && peek_at(2) == 0xBF) fail(kMidFileBomMessage);
    std::string message = "malformed JSON: expected ";
    message += expected;
    message += ", found ";
    if (c == '\n') {
      message += "a line break";
      if (lines()) message += kLinesHint;
    } else {
      message += token_here();
    }
    fail(std::move(message));
  }

  // A problem of the record, not of the JSON syntax: noted, and reported once the record is
  // complete, through RowConsumer::reject().
  void row_error(std::size_t slot, std::string message) {
    if (r.row_error_) return;
    r.row_error_ = true;
    r.row_error_field_ = slot == ColumnMap::npos ? std::string() : r.columns_.display_name(slot);
    r.row_error_message_ = std::move(message);
  }

  void reject(std::uint64_t record_line, std::string field, std::string message) {
    message += element_suffix();
    r.consumer_.reject(InputError(r.source_, record_line, std::move(field), std::move(message)));
  }

  // ---- whitespace -----------------------------------------------------------------------------

  // Between records: every kind of JSON whitespace, line breaks counted.
  void skip_ws_between() noexcept {
    while (p != end) {
      const char c = *p;
      if (c == '\n') {
        ++line;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return;
      }
      ++p;
    }
  }

  // Inside a record. JSON Lines records end at the line break, so there it is not whitespace.
  void skip_ws_inside() noexcept {
    const bool newline_is_space = !lines();
    while (p != end) {
      const char c = *p;
      if (c == ' ' || c == '\t' || c == '\r') {
        ++p;
      } else if (c == '\n' && newline_is_space) {
        ++line;
        ++p;
      } else {
        return;
      }
    }
  }

  // ---- scalars --------------------------------------------------------------------------------

  void utf8_sequence(std::size_t slot, const char* string_start) {
    const int c0 = static_cast<unsigned char>(*p);
    std::size_t n = 0;
    int lo = 0x80;
    int hi = 0xBF;
    if (c0 >= 0xC2 && c0 <= 0xDF) {
      n = 1;
    } else if (c0 == 0xE0) {
      n = 2;
      lo = 0xA0;  // shorter forms are overlong
    } else if ((c0 >= 0xE1 && c0 <= 0xEC) || c0 == 0xEE || c0 == 0xEF) {
      n = 2;
    } else if (c0 == 0xED) {
      n = 2;
      hi = 0x9F;  // ED A0..BF would encode UTF-16 surrogates
    } else if (c0 == 0xF0) {
      n = 3;
      lo = 0x90;
    } else if (c0 >= 0xF1 && c0 <= 0xF3) {
      n = 3;
    } else if (c0 == 0xF4) {
      n = 3;
      hi = 0x8F;  // beyond U+10FFFF otherwise
    }
    for (std::size_t i = 1; i <= n; ++i) {
      const int c = peek_at(i);
      if (c < lo || c > hi) {
        n = 0;
        break;
      }
      lo = 0x80;
      hi = 0xBF;
    }
    if (n == 0) {
      // Only the first byte is skipped: what follows is scanned again, so that a quote right after
      // a truncated sequence still ends the string.
      if (!r.row_error_) {
        const auto offset = static_cast<std::size_t>(p - string_start);
        row_error(slot, describe_invalid_text(std::string_view(string_start, offset + 1), offset));
      }
      ++p;
      return;
    }
    p += n + 1;
  }

  std::uint32_t hex_escape_digits() {  // the cursor is on the 'u'
    std::uint32_t v = 0;
    for (std::size_t i = 1; i <= 4; ++i) {
      const int c = peek_at(i);
      const int h = hex_value(c);
      if (h < 0) {
        if (c == kEof) {
          p += i;
          fail_expected("4 hex digits after \"\\u\"");
        }
        std::string text = "\\u";
        for (std::size_t k = 1; k <= i; ++k) text += p[k];
        fail("malformed JSON: invalid escape " + show_escape(text) + " in a string");
      }
      v = (v << 4) | static_cast<std::uint32_t>(h);
    }
    p += 5;
    return v;
  }

  // The cursor is on the backslash. Appends the decoded character to `out` unless it is null.
  void escape(std::string* out, std::size_t slot) {
    ++p;
    const int c = peek();
    char simple = 0;
    switch (c) {
      case '"':
        simple = '"';
        break;
      case '\\':
        simple = '\\';
        break;
      case '/':
        simple = '/';
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'u':
        break;
      case kEof:
        fail_expected("an escape character after '\\'");
      default: {
        if (c == 0) fail_nul();
        std::string text = "\\";
        text += static_cast<char>(c);
        fail("malformed JSON: invalid escape " + show_escape(text) + " in a string");
      }
    }
    if (c != 'u') {
      ++p;
      if (out != nullptr) *out += simple;
      return;
    }
    std::uint32_t cp = hex_escape_digits();
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // A high surrogate counts only with a low one right after it.
      bool paired = false;
      if (peek() == '\\' && peek_at(1) == 'u') {
        std::uint32_t low = 0;
        bool hex = true;
        for (std::size_t i = 2; i < 6 && hex; ++i) {
          const int h = hex_value(peek_at(i));
          hex = h >= 0;
          low = (low << 4) | static_cast<std::uint32_t>(hex ? h : 0);
        }
        if (hex && low >= 0xDC00 && low <= 0xDFFF) {
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          paired = true;
        }
      }
      if (!paired) {
        row_error(slot, "unpaired UTF-16 surrogate " + show_escape(hex4(cp)) + " in a string");
        return;
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      row_error(slot, "unpaired UTF-16 surrogate " + show_escape(hex4(cp)) + " in a string");
      return;
    }
    if (out != nullptr) append_utf8(*out, cp);
  }

  // The cursor is on the opening quote. Without escapes the text is `raw` (a view of the buffer)
  // and `out` is untouched; with escapes the unescaped text is appended to `out` (unless null) and
  // true is returned.
  bool scan_string(std::string* out, std::size_t slot, std::string_view& raw) {
    ++p;
    const char* const start = p;
    const char* segment = p;
    bool escaped = false;
    for (;;) {
      while (p != end && !kStringStops[static_cast<unsigned char>(*p)]) ++p;
      const int c = peek();
      if (c == '"') {
        if (escaped) {
          if (out != nullptr) out->append(segment, p);
        } else {
          raw = std::string_view(start, static_cast<std::size_t>(p - start));
        }
        ++p;
        return escaped;
      }
      if (c == '\\') {
        if (out != nullptr) out->append(segment, p);
        escaped = true;
        escape(out, slot);
        segment = p;
      } else if (c == kEof) {
        fail_expected("'\"' to close the string");
      } else if (c == 0) {
        fail_nul();
      } else if (c == '\n') {
        fail("malformed JSON: line break in a string (missing closing '\"'?)");
      } else if (c < 0x20) {
        fail("malformed JSON: unescaped control character " +
             quote_for_message(std::string_view(p, 1)) + " in a string");
      } else {
        utf8_sequence(slot, start);
      }
    }
  }

  void skip_string() {
    std::string_view unused;
    scan_string(nullptr, ColumnMap::npos, unused);
  }

  [[noreturn]] void fail_token_at(const char* start, std::string_view what) {
    p = start;
    std::string message = "malformed JSON: ";
    message += what;
    message += ' ';
    message += token_here();
    fail(std::move(message));
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, not followed by anything number-like.
  void number() {
    const char* const start = p;
    int c = peek();
    if (c == '-') {
      ++p;
      c = peek();
    }
    if (c == '0') {
      ++p;
      c = peek();
    } else if (is_digit(c)) {
      do {
        ++p;
        c = peek();
      } while (is_digit(c));
    } else {
      fail_token_at(start, "invalid number");
    }
    if (c == '.') {
      ++p;
      c = peek();
      if (!is_digit(c)) fail_token_at(start, "invalid number");
      do {
        ++p;
        c = peek();
      } while (is_digit(c));
    }
    if (c == 'e' || c == 'E') {
      ++p;
      c = peek();
      if (c == '+' || c == '-') {
        ++p;
        c = peek();
      }
      if (!is_digit(c)) fail_token_at(start, "invalid number");
      do {
        ++p;
        c = peek();
      } while (is_digit(c));
    }
    if (is_word_char(c)) fail_token_at(start, "invalid number");
  }

  void literal(std::string_view word) {
    const char* const start = p;
    for (const char expected : word) {
      if (peek() != static_cast<unsigned char>(expected))
        fail_token_at(start, "expected a value, found");
      ++p;
    }
    if (is_word_char(peek())) fail_token_at(start, "expected a value, found");
  }

  void scalar(int c) {
    switch (c) {
      case '"':
        skip_string();
        return;
      case 't':
        literal("true");
        return;
      case 'f':
        literal("false");
        return;
      case 'n':
        literal("null");
        return;
      default:
        if (c == '-' || is_digit(c)) {
          number();
          return;
        }
        fail_expected("a value");
    }
  }

  // ---- containers -----------------------------------------------------------------------------

  [[noreturn]] void fail_nesting() {
    fail("nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }

  // Skips the object or array at the cursor, which sits at nesting `level` (the record object is
  // level 1). Iterative, with the open containers as bits, so hostile nesting cannot overflow the
  // C++ stack: kMaxJsonDepth <= 64 levels fit in one word.
  void skip_container(std::size_t level) {
    static_assert(kMaxJsonDepth <= 64);
    enum class Expect : std::uint8_t { first, key, value, after };
    std::uint64_t objects = 0;  // bit 0 = the innermost open container is an object
    std::size_t depth = 0;
    Expect expect = Expect::first;
    const auto open = [&] {
      if (level + depth > kMaxJsonDepth) fail_nesting();
      objects = (objects << 1) | (*p == '{' ? 1u : 0u);
      ++depth;
      ++p;
      expect = Expect::first;
    };
    open();
    for (;;) {
      skip_ws_inside();
      const int c = peek();
      const bool in_object = (objects & 1u) != 0;
      const char close = in_object ? '}' : ']';
      switch (expect) {
        case Expect::first:
          if (c == close) break;
          if (in_object && c != '"') fail_expected("a key (a string in double quotes) or '}'");
          if (!in_object && !is_value_start(c)) fail_expected("a value or ']'");
          expect = in_object ? Expect::key : Expect::value;
          continue;
        case Expect::key:
          if (c != '"') fail_expected("a key (a string in double quotes)");
          skip_string();
          skip_ws_inside();
          if (peek() != ':') fail_expected("':' after the key");
          ++p;
          expect = Expect::value;
          continue;
        case Expect::value:
          if (c == '{' || c == '[') {
            open();
          } else {
            scalar(c);
            expect = Expect::after;
          }
          continue;
        case Expect::after:
          if (c == ',') {
            ++p;
            expect = in_object ? Expect::key : Expect::value;
            continue;
          }
          if (c != close) {
            fail_expected(in_object ? "',' or '}' after a value" : "',' or ']' after a value");
          }
          break;
      }
      // The innermost container closes.
      ++p;
      objects >>= 1;
      if (--depth == 0) return;
      expect = Expect::after;
    }
  }

  void skip_value(std::size_t level) {
    const int c = peek();
    if (c == '{' || c == '[') {
      skip_container(level);
    } else {
      scalar(c);
    }
  }

  // A known key's value, into cells_[slot].
  void value(std::size_t slot) {
    const char* const start = p;
    const int c = peek();
    Cell& cell = r.cells_[slot];
    switch (c) {
      case '"': {
        const std::size_t offset = r.strings_.size();
        std::string_view raw;
        if (scan_string(&r.strings_, slot, raw)) {
          // strings_ may still grow and move: the view is made once the record is complete.
          r.escaped_.push_back({slot, offset, r.strings_.size() - offset});
          cell = Cell{std::string_view(), CellType::text};
        } else {
          cell = Cell{raw, CellType::text};
        }
        return;
      }
      case '{':
      case '[':
        skip_container(2);
        cell = Cell{std::string_view(), CellType::composite};
        return;
      case 't':
      case 'f':
        literal(c == 't' ? "true" : "false");
        cell =
            Cell{std::string_view(start, static_cast<std::size_t>(p - start)), CellType::boolean};
        return;
      case 'n':
        literal("null");
        cell = Cell{std::string_view(), CellType::null};
        return;
      default:
        if (c == '-' || is_digit(c)) {
          number();
          cell =
              Cell{std::string_view(start, static_cast<std::size_t>(p - start)), CellType::number};
          return;
        }
        fail_expected("a value");
    }
  }

  // The record object at the cursor, into cells_. Nothing is delivered yet.
  void object() {
    std::fill(r.cells_.begin(), r.cells_.end(), Cell{});
    r.escaped_.clear();
    r.strings_.clear();
    r.row_error_ = false;

    ++p;
    skip_ws_inside();
    int c = peek();
    if (c == '}') {
      ++p;
      return;
    }
    const char* expected_key = "a key (a string in double quotes) or '}'";
    std::size_t ordinal = 0;  // position of the key in the object, for the key cache
    for (;;) {
      if (c != '"') fail_expected(expected_key);
      std::string_view key;
      r.key_.clear();
      if (scan_string(&r.key_, ColumnMap::npos, key)) key = r.key_;
      skip_ws_inside();
      if (peek() != ':') fail_expected("':' after the key");
      ++p;
      skip_ws_inside();
      // Records of one file almost always list the same keys in the same order: remember the
      // slot of the key seen at this position last time.
      std::size_t slot = ColumnMap::npos;
      if (ordinal < r.key_cache_.size() && r.key_cache_[ordinal].first == key) {
        slot = r.key_cache_[ordinal].second;
      } else {
        slot = r.columns_.find(key);
        if (ordinal >= r.key_cache_.size()) r.key_cache_.resize(ordinal + 1);
        r.key_cache_[ordinal].first.assign(key);
        r.key_cache_[ordinal].second = slot;
      }
      ++ordinal;
      if (slot == ColumnMap::npos) {
        skip_value(2);
      } else if (r.cells_[slot].type != CellType::absent) {
        row_error(ColumnMap::npos, "duplicate key " + quote_for_message(key));
        skip_value(2);
      } else {
        value(slot);
      }
      skip_ws_inside();
      c = peek();
      if (c == '}') {
        ++p;
        return;
      }
      if (c != ',') fail_expected("',' or '}' after a value");
      ++p;
      skip_ws_inside();
      c = peek();
      expected_key = "a key (a string in double quotes)";
    }
  }

  // Hands the record parsed by object() to the consumer.
  void deliver(std::uint64_t record_line) {
    if (r.row_error_) {
      reject(record_line, r.row_error_field_, r.row_error_message_);
      return;
    }
    for (const EscapedText& e : r.escaped_) {
      r.cells_[e.slot].text = std::string_view(r.strings_.data() + e.offset, e.size);
    }
    r.consumer_.row(r.cells_, Location{r.source_, record_line, element_number, element_offset});
    ++r.records_;
  }

  // ---- layouts --------------------------------------------------------------------------------

  // Returns false while the buffer is too short to tell whether it starts with a byte-order mark.
  bool byte_order_mark() {
    const auto size = static_cast<std::size_t>(end - p);
    if (size < 3 && !at_end) return false;
    const auto byte = [&](std::size_t i) {
      return i < size ? static_cast<unsigned char>(p[i]) : 0;
    };
    if ((byte(0) == 0xFF && byte(1) == 0xFE) || (byte(0) == 0xFE && byte(1) == 0xFF)) {
      fail("the file is UTF-16; expected UTF-8 (convert it, e.g. with iconv -f UTF-16 -t UTF-8)");
    }
    if (byte(0) == 0xEF && byte(1) == 0xBB && byte(2) == 0xBF) p += 3;
    r.bom_checked_ = true;
    commit();
    return true;
  }

  void element(std::string_view expected) {
    const int c = peek();
    const std::uint64_t element_line = line;
    const char* const start = p;
    element_number = r.elements_ + 1;
    element_offset = r.offset_ + static_cast<std::uint64_t>(p - begin);
    if (!is_value_start(c)) fail_expected(expected);
    const char* const saved_kind = open_kind;
    const std::uint64_t saved_line = open_line;
    open_kind = c == '[' ? "the array" : "the object";
    open_line = element_line;
    if (c == '{') {
      object();
    } else {
      skip_value(1);
    }
    open_kind = saved_kind;
    open_line = saved_line;
    check_record_size(element_line);
    r.stage_ = Stage::after_element;
    commit();
    r.record_text_ = std::string_view(start, static_cast<std::size_t>(p - start));
    ++r.elements_;
    if (c == '{') {
      deliver(element_line);
    } else {
      reject(element_line, "", std::string("expected an object, found ") + kind_of(c));
    }
    element_number = 0;
  }

  void run_array() {
    if (r.stage_ != Stage::start && r.stage_ != Stage::done) {
      open_kind = "the array";
      open_line = r.array_line_;
    }
    for (;;) {
      skip_ws_between();
      commit();
      const int c = peek();
      switch (r.stage_) {
        case Stage::start:
          if (c == kEof) throw InputError(r.source_, 0, "", "empty input: expected a JSON array");
          if (c == '[') {
            r.array_line_ = line;
            open_kind = "the array";
            open_line = line;
            ++p;
            r.stage_ = Stage::first_element;
            continue;
          }
          if (c == '{') {
            fail(
                "expected a JSON array of objects, found an object (use --input-format jsonl for "
                "JSON Lines)");
          }
          if (c == '"' || c == '-' || is_digit(c)) {
            fail(std::string("expected a JSON array of objects, found ") + kind_of(c));
          }
          fail_expected("a JSON array of objects");
        case Stage::first_element:
          if (c == ']') {
            ++p;
            r.stage_ = Stage::done;
            open_kind = nullptr;
            continue;
          }
          element("an object or ']'");
          continue;
        case Stage::next_element:
          element("an object after ','");
          continue;
        case Stage::after_element:
          if (c == ',') {
            ++p;
            r.stage_ = Stage::next_element;
            continue;
          }
          if (c == ']') {
            ++p;
            r.stage_ = Stage::done;
            open_kind = nullptr;
            continue;
          }
          fail_expected("',' or ']' after an array element");
        case Stage::done:
          if (c == kEof) return;
          fail_expected("the end of input after the closing ']'");
      }
    }
  }

  void end_of_line(const char* what) {
    while (p != end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
    const int c = peek();
    if (c == '\n') {
      ++p;
      ++line;
    } else if (c != kEof) {
      fail_expected(what);
    }
  }

  void run_lines() {
    for (;;) {
      if (r.offset_ + static_cast<std::uint64_t>(p - begin) >= r.stop_at_) {
        commit();
        r.stopped_ = true;
        return;
      }
      skip_ws_between();
      commit();
      const int c = peek();
      if (c == kEof) return;
      const std::uint64_t record_line = line;
      const char* const start = p;
      if (c == '{') {
        object();
        check_record_size(record_line);
        end_of_line("a line break after the object");
        r.seen_value_ = true;
        commit();
        r.record_text_ = std::string_view(start, static_cast<std::size_t>(p - start));
        deliver(record_line);
        continue;
      }
      if (c == '[' && !r.seen_value_) {
        fail(
            "expected a JSON object per line, found an array (use --input-format json for a JSON "
            "array)");
      }
      if (!is_value_start(c)) fail_expected("a JSON object");
      skip_value(1);
      check_record_size(record_line);
      end_of_line("a line break after the value");
      r.seen_value_ = true;
      commit();
      r.record_text_ = std::string_view(start, static_cast<std::size_t>(p - start));
      reject(record_line, "", std::string("expected a JSON object per line, found ") + kind_of(c));
    }
  }

  std::size_t run() {
    try {
      if (!r.bom_checked_ && !byte_order_mark()) return 0;
      if (lines()) {
        run_lines();
      } else {
        run_array();
      }
      if (!r.stopped_) consumed = end;
    } catch (const NeedMore&) {
      // The record at `consumed` is incomplete: the caller appends more bytes and calls again.
      if (static_cast<std::size_t>(end - consumed) > kMaxJsonRecordBytes) fail_too_long(r.line_);
    }
    return static_cast<std::size_t>(consumed - begin);
  }
};

JsonReader::JsonReader(const ColumnMap& columns, RowConsumer& consumer, std::string source_name,
                       JsonLayout layout)
    : columns_(columns),
      consumer_(consumer),
      source_(std::move(source_name)),
      layout_(layout),
      cells_(columns.size()) {}

JsonReader::JsonReader(const JsonReader& like, RowConsumer& consumer, std::uint64_t start)
    : columns_(like.columns_),
      consumer_(consumer),
      source_(like.source_),
      layout_(JsonLayout::lines),
      bom_checked_(true),
      seen_value_(true),
      offset_(start),
      cells_(like.columns_.size()) {}

std::size_t JsonReader::parse(std::string_view buffer, bool at_end) {
  State state(*this, buffer, at_end);
  const std::size_t used = state.run();
  offset_ += used;
  return used;
}

}  // namespace csm::io
