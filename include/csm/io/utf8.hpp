#pragma once
/// Text checks shared by the readers: ids and segments must be valid UTF-8 without NUL bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace csm::io {

/// A UTF-8 byte-order mark, which the readers accept only at the start of a file.
inline constexpr std::string_view kMidFileBom = "\xEF\xBB\xBF";
/// The message for a byte-order mark at the start of a later line or record.
inline constexpr const char* kMidFileBomMessage =
    "byte-order mark (U+FEFF) in the middle of the file: were files joined with cat? (give them "
    "to csm-metrics as separate arguments)";

/// One decoded character: its code point and its length in bytes; length 0 when the bytes at
/// the position are not valid UTF-8 (overlong, surrogate, past U+10FFFF or cut short).
struct Utf8Char {
  std::uint32_t code = 0;
  std::size_t length = 0;
};

/// The character that starts at byte `i` of `text` (i < text.size()). NUL decodes as U+0000.
inline Utf8Char decode_utf8(std::string_view text, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return {c, 1};
  std::size_t length = 0;
  std::uint32_t min = 0;
  std::uint32_t code = 0;
  if ((c & 0xe0) == 0xc0) {
    length = 2, min = 0x80, code = c & 0x1fu;
  } else if ((c & 0xf0) == 0xe0) {
    length = 3, min = 0x800, code = c & 0x0fu;
  } else if ((c & 0xf8) == 0xf0) {
    length = 4, min = 0x10000, code = c & 0x07u;
  } else {
    return {};
  }
  if (i + length > text.size()) return {};
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return {};
    code = (code << 6) | (next & 0x3fu);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return {};
  return {code, length};
}

/// Offset of the first byte that is not part of valid UTF-8 (or is NUL), or npos.
std::size_t first_invalid_utf8(std::string_view text) noexcept;

/// Message for a text whose byte at `offset` is invalid: "invalid UTF-8 at byte 7 ..." or
/// "unexpected NUL byte ...".
std::string describe_invalid_text(std::string_view text, std::size_t offset);

}  // namespace csm::io
