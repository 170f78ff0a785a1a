#pragma once
/// Text checks shared by the readers: ids and segments must be valid UTF-8 without NUL bytes.

#include <cstddef>
#include <string>
#include <string_view>

namespace csm::io {

/// Offset of the first byte that is not part of valid UTF-8 (or is NUL), or npos.
std::size_t first_invalid_utf8(std::string_view text) noexcept;

/// Message for a text whose byte at `offset` is invalid: "invalid UTF-8 at byte 7 ..." or
/// "unexpected NUL byte ...".
std::string describe_invalid_text(std::string_view text, std::size_t offset);

}  // namespace csm::io
