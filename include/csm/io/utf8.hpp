#pragma once
/// Text checks shared by the readers: ids and segments must be valid UTF-8 without NUL bytes.

#include <cstddef>
#include <string>
#include <string_view>

namespace csm::io {

/// A UTF-8 byte-order mark, which the readers accept only at the start of a file.
inline constexpr std::string_view kMidFileBom = "\xEF\xBB\xBF";
/// The message for a byte-order mark at the start of a later line or record.
inline constexpr const char* kMidFileBomMessage =
    "byte-order mark (U+FEFF) in the middle of the file: were files joined with cat? (give them "
    "to csm-metrics as separate arguments)";

/// Offset of the first byte that is not part of valid UTF-8 (or is NUL), or npos.
std::size_t first_invalid_utf8(std::string_view text) noexcept;

/// Message for a text whose byte at `offset` is invalid: "invalid UTF-8 at byte 7 ..." or
/// "unexpected NUL byte ...".
std::string describe_invalid_text(std::string_view text, std::size_t offset);

}  // namespace csm::io
