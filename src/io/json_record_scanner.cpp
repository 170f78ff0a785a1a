// One record of JSON input: the object at the cursor, its keys matched to the ColumnMap, the
// values of known keys into cells (strings unescaped, UTF-8 checked, numbers as written) and the
// values of other keys skipped. The hot path of JSON reading: these functions stay in one
// translation unit so that the compiler can inline them into each other.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csm/io/utf8.hpp"
#include "json_record_scanner.hpp"

namespace csm::io {
namespace {

using json_scan::is_digit;
using json_scan::is_value_start;
using json_scan::kEof;

// Bytes the string scanner must look at: the quote, the backslash, control bytes and non-ASCII
// (to validate UTF-8). Everything else is copied in one run.
constexpr std::array<bool, 256> make_string_stops() {
  std::array<bool, 256> stops{};
  for (std::size_t c = 0; c < 256; ++c) stops[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  return stops;
}
constexpr std::array<bool, 256> kStringStops = make_string_stops();

// The first byte from `q` on that the string scanner stops at, or `end`.
inline const char* find_string_stop(const char* q, const char* end) noexcept {
#if defined(__SSE2__)
  // 16 bytes at a time: signed, "less than 0x20" also takes the bytes from 0x80 up.
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (end - q >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m128i stops = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
        _mm_cmplt_epi8(x, space));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stops));
    if (mask != 0) return q + __builtin_ctz(mask);
    q += 16;
  }
#endif
  while (q != end && !kStringStops[static_cast<unsigned char>(*q)]) ++q;
  return q;
}

template <typename Word>
Word load(const char* at) noexcept {
  Word w;
  std::memcpy(&w, at, sizeof w);
  return w;
}

// a[0, n) == b[0, n), for the short keys of records: word loads, the last one overlapping.
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  if (n >= 8) {
    while (n > 8) {
      if (load<std::uint64_t>(a) != load<std::uint64_t>(b)) return false;
      a += 8;
      b += 8;
      n -= 8;
    }
    return load<std::uint64_t>(a + n - 8) == load<std::uint64_t>(b + n - 8);
  }
  if (n >= 4) {
    return load<std::uint32_t>(a) == load<std::uint32_t>(b) &&
           load<std::uint32_t>(a + n - 4) == load<std::uint32_t>(b + n - 4);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

bool is_word_char(int c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
         c == '+' || c == '-';
}

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

}  // namespace

void JsonReader::RecordScanner::utf8_sequence(std::size_t slot, const char* string_start) {
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

std::uint32_t JsonReader::RecordScanner::hex_escape_digits() {  // the cursor is on the 'u'
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
void JsonReader::RecordScanner::escape(std::string* out, std::size_t slot) {
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
bool JsonReader::RecordScanner::scan_string(std::string* out, std::size_t slot, std::string_view& raw) {
  ++p;
  const char* const start = p;
  const char* segment = p;
  bool escaped = false;
  for (;;) {
    p = find_string_stop(p, end);
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

void JsonReader::RecordScanner::skip_string() {
  std::string_view unused;
  scan_string(nullptr, ColumnMap::npos, unused);
}

// The digit at the cursor and those after it; returns the byte after them.
int JsonReader::RecordScanner::skip_digits() {
  int c = 0;
  do {
    ++p;
    c = peek();
  } while (is_digit(c));
  return c;
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, not followed by anything number-like.
void JsonReader::RecordScanner::number() {
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
    c = skip_digits();
  } else {
    fail_token_at(start, "invalid number");
  }
  if (c == '.') {
    ++p;
    c = peek();
    if (!is_digit(c)) fail_token_at(start, "invalid number");
    c = skip_digits();
  }
  if (c == 'e' || c == 'E') {
    ++p;
    c = peek();
    if (c == '+' || c == '-') {
      ++p;
      c = peek();
    }
    if (!is_digit(c)) fail_token_at(start, "invalid number");
    c = skip_digits();
  }
  if (is_word_char(c)) fail_token_at(start, "invalid number");
}

void JsonReader::RecordScanner::literal(std::string_view word) {
  const char* const start = p;
  for (const char expected : word) {
    if (peek() != static_cast<unsigned char>(expected))
      fail_token_at(start, "expected a value, found");
    ++p;
  }
  if (is_word_char(peek())) fail_token_at(start, "expected a value, found");
}

void JsonReader::RecordScanner::scalar(int c) {
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

// Skips the object or array at the cursor, which sits at nesting `level` (the record object is
// level 1). Iterative, with the open containers as bits, so hostile nesting cannot overflow the
// C++ stack: kMaxJsonDepth <= 64 levels fit in one word.
void JsonReader::RecordScanner::skip_container(std::size_t level) {
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

void JsonReader::RecordScanner::skip_value(std::size_t level) {
  const int c = peek();
  if (c == '{' || c == '[') {
    skip_container(level);
  } else {
    scalar(c);
  }
}

void JsonReader::RecordScanner::skip_record_value() { skip_value(1); }

// The common number -?[1-9][0-9]*(\.[0-9]+)? followed, inside the buffer, by a byte that cannot
// continue a number: the cursor moves past it and true is returned, as number() would. Anything
// else (a leading zero, an exponent, the end of the buffer, an error) is left to number().
bool JsonReader::RecordScanner::plain_number() noexcept {
  const char* q = p;
  if (q != end && *q == '-') ++q;
  if (q == end || *q < '1' || *q > '9') return false;
  ++q;
  while (q != end && is_digit(*q)) ++q;
  if (q != end && *q == '.') {
    ++q;
    const char* const fraction = q;
    while (q != end && is_digit(*q)) ++q;
    if (q == fraction) return false;
  }
  if (q == end || is_word_char(static_cast<unsigned char>(*q))) return false;
  p = q;
  return true;
}

// A known key's value, into cells_[slot]. Most values are strings without escapes or non-ASCII
// bytes (one run to the closing quote) or plain numbers; the others go to any_value().
void JsonReader::RecordScanner::value(std::size_t slot) {
  if (p != end && *p == '"') {
    const char* const q = find_string_stop(p + 1, end);
    if (q != end && *q == '"') {
      r.cells_[slot] =
          Cell{std::string_view(p + 1, static_cast<std::size_t>(q - p - 1)), CellType::text};
      p = q + 1;
      return;
    }
  } else {
    const char* const start = p;
    if (plain_number()) {
      r.cells_[slot] =
          Cell{std::string_view(start, static_cast<std::size_t>(p - start)), CellType::number};
      return;
    }
  }
  any_value(slot);
}

void JsonReader::RecordScanner::any_value(std::size_t slot) {
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

// Whether the key at the cursor (on its opening quote) is `known`, by its raw bytes (when they
// match, scan_string would return them as they are: the known key has no byte it stops at); if
// so, `key` is set to it and the cursor moved past its closing quote.
bool JsonReader::RecordScanner::take_raw_key(const KnownKey& known, std::string_view& key) noexcept {
  const std::size_t size = known.key.size();
  if (!known.plain || static_cast<std::size_t>(end - p) <= size + 1 || p[size + 1] != '"' ||
      !same_bytes(p + 1, known.key.data(), size)) {
    return false;
  }
  key = std::string_view(p + 1, size);
  p += size + 2;
  return true;
}

// The key at the cursor (on its opening quote), read past its closing quote, and its slot.
// Records of one file almost always list the same keys in the same order, a few optional keys
// shifting those after them: the key seen at this position last time is tried first, then the
// other keys seen before, each by its raw bytes; a key with escapes or not seen yet is read by
// scan_string and looked up.
std::size_t JsonReader::RecordScanner::key_slot(std::size_t ordinal, std::string_view& key) {
  if (ordinal < r.key_cache_.size()) {
    const KnownKey& last = r.key_cache_[ordinal];
    if (take_raw_key(last, key)) return last.slot;
  }
  return new_key_slot(ordinal, key);
}

// key_slot() when the key cache missed; out of line, so that the hit stays small.
std::size_t JsonReader::RecordScanner::new_key_slot(std::size_t ordinal, std::string_view& key) {
  if (ordinal >= r.key_cache_.size()) r.key_cache_.resize(ordinal + 1);
  KnownKey& cache = r.key_cache_[ordinal];
  for (const KnownKey& known : r.known_keys_) {
    if (take_raw_key(known, key)) {
      cache = known;
      return known.slot;
    }
  }
  r.key_.clear();
  if (scan_string(&r.key_, ColumnMap::npos, key)) key = r.key_;
  const auto seen = std::find_if(r.known_keys_.begin(), r.known_keys_.end(),
                                 [&key](const KnownKey& known) { return known.key == key; });
  if (seen != r.known_keys_.end()) {
    cache = *seen;
    return seen->slot;
  }
  cache.key.assign(key);
  cache.slot = r.columns_.find(key);
  cache.plain = std::none_of(key.begin(), key.end(), [](char ch) {
    return kStringStops[static_cast<unsigned char>(ch)];
  });
  if (r.known_keys_.size() < kMaxKnownKeys) r.known_keys_.push_back(cache);
  return cache.slot;
}

// The record object at the cursor, into cells_. Nothing is delivered yet.
void JsonReader::RecordScanner::object() {
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
    const std::size_t slot = key_slot(ordinal, key);
    if (end - p > 1 && *p == ':' && static_cast<unsigned char>(p[1]) > ' ') {
      ++p;  // compact JSON: the value right after the colon
    } else {
      skip_ws_inside();
      if (peek() != ':') fail_expected("':' after the key");
      ++p;
      skip_ws_inside();
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
    expected_key = "a key (a string in double quotes)";
    if (end - p > 1 && *p == ',' && static_cast<unsigned char>(p[1]) > ' ') {
      ++p;  // compact JSON: the next key right after the comma
      c = static_cast<unsigned char>(*p);
      continue;
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
  }
}

// Hands the record parsed by object() to the consumer.
void JsonReader::RecordScanner::deliver(std::uint64_t record_line) {
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

}  // namespace csm::io
