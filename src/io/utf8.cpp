#include "csm/io/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace csm::io {

std::size_t first_invalid_utf8(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time; NUL is caught below.
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, s + i, 8);
      const std::uint64_t has_zero = (word - 0x0101010101010101ull) & ~word & 0x8080808080808080ull;
      if (((word & 0x8080808080808080ull) | has_zero) == 0) {
        i += 8;
        continue;
      }
    }
    if (s[i] == 0) return i;
    const Utf8Char decoded = decode_utf8(text, i);
    if (decoded.length == 0) return i;
    i += decoded.length;
  }
  return std::string_view::npos;
}

std::string describe_invalid_text(std::string_view text, std::size_t offset) {
  if (offset < text.size() && text[offset] == '\0') {
    return "unexpected NUL byte at byte " + std::to_string(offset + 1) +
           " (is the file UTF-16 or binary?)";
  }
  return "invalid UTF-8 at byte " + std::to_string(offset + 1) +
         " (expected UTF-8 text; convert the file, e.g. with iconv -f LATIN1 -t UTF-8)";
}

}  // namespace csm::io
