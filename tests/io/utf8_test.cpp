#include "csm/io/utf8.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

namespace {

using csm::io::describe_invalid_text;
using csm::io::first_invalid_utf8;
constexpr std::size_t npos = std::string_view::npos;

std::string with_bytes(std::string_view text) { return std::string(text); }

}  // namespace

TEST_CASE("utf8: valid text has no invalid byte", "[io][utf8]") {
  CHECK(first_invalid_utf8("") == npos);
  CHECK(first_invalid_utf8("customer-0001") == npos);
  CHECK(first_invalid_utf8("a long plain ASCII text, longer than eight bytes") == npos);
  CHECK(first_invalid_utf8("caf\xc3\xa9") == npos);                  // U+00E9, 2 bytes
  CHECK(first_invalid_utf8("\xe2\x82\xac 12") == npos);              // U+20AC, 3 bytes
  CHECK(first_invalid_utf8("\xf0\x9f\x98\x80 smile") == npos);       // U+1F600, 4 bytes
  CHECK(first_invalid_utf8("\xf4\x8f\xbf\xbf") == npos);             // U+10FFFF, the last
  CHECK(first_invalid_utf8("\xef\xbb\xbf") == npos);                 // U+FEFF
  CHECK(first_invalid_utf8("\xc2\x80") == npos);                     // U+0080, smallest 2-byte
  CHECK(first_invalid_utf8("\xe0\xa0\x80") == npos);                 // U+0800, smallest 3-byte
  CHECK(first_invalid_utf8("\xf0\x90\x80\x80") == npos);             // U+10000, smallest 4-byte
  CHECK(first_invalid_utf8("abcdefgh\xc3\xa9" "abcdefgh") == npos);  // multibyte after fast path
}

TEST_CASE("utf8: each kind of invalid sequence is found at its first byte", "[io][utf8]") {
  CHECK(first_invalid_utf8("\x80") == 0);                  // lone continuation byte
  CHECK(first_invalid_utf8("ab\xff") == 2);                // never valid
  CHECK(first_invalid_utf8("ab\xf8\x88\x80\x80\x80") == 2);  // 5-byte form
  CHECK(first_invalid_utf8("x\xc0\xaf") == 1);             // overlong '/'
  CHECK(first_invalid_utf8("x\xc1\xbf") == 1);             // overlong
  CHECK(first_invalid_utf8("x\xe0\x80\xaf") == 1);         // overlong 3-byte
  CHECK(first_invalid_utf8("x\xf0\x80\x80\xaf") == 1);     // overlong 4-byte
  CHECK(first_invalid_utf8("x\xed\xa0\x80") == 1);         // U+D800, a surrogate
  CHECK(first_invalid_utf8("x\xed\xbf\xbf") == 1);         // U+DFFF
  CHECK(first_invalid_utf8("x\xf4\x90\x80\x80") == 1);     // U+110000, beyond Unicode
  CHECK(first_invalid_utf8("caf\xc3") == 3);               // truncated at the end
  CHECK(first_invalid_utf8("caf\xe2\x82") == 3);           // truncated 3-byte
  CHECK(first_invalid_utf8("caf\xc3(") == 3);              // continuation missing
  CHECK(first_invalid_utf8("caf\xe9 latin1") == 3);        // Latin-1 e-acute
}

TEST_CASE("utf8: a NUL byte is refused wherever it is", "[io][utf8]") {
  // Every position in and around the 8-byte fast path.
  for (std::size_t at = 0; at < 20; ++at) {
    std::string text(20, 'a');
    text[at] = '\0';
    INFO("NUL at " << at);
    CHECK(first_invalid_utf8(text) == at);
  }
}

TEST_CASE("utf8: an invalid byte is found wherever it is", "[io][utf8]") {
  for (std::size_t at = 0; at < 20; ++at) {
    std::string text(20, 'a');
    text[at] = '\xff';
    INFO("0xff at " << at);
    CHECK(first_invalid_utf8(text) == at);
  }
  // The first of two.
  std::string two(24, 'z');
  two[11] = '\x80';
  two[17] = '\x00';
  CHECK(first_invalid_utf8(two) == 11);
}

TEST_CASE("utf8: messages name the 1-based byte and how to fix it", "[io][utf8]") {
  // Byte at offset 3 is the 4th byte.
  CHECK(describe_invalid_text("caf\xe9", 3) ==
        "invalid UTF-8 at byte 4 (expected UTF-8 text; convert the file, e.g. with iconv -f "
        "LATIN1 -t UTF-8)");
  const std::string nul = with_bytes(std::string_view("c\0d", 3));
  CHECK(describe_invalid_text(nul, 1) ==
        "unexpected NUL byte at byte 2 (is the file UTF-16 or binary?)");
}
