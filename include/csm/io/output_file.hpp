#pragma once
/// Results written to a file appear whole or not at all.

#include <string>
#include <string_view>

namespace csm::io {

/// Write `text` to `path` through a temporary file in the same directory that is flushed to disk
/// and renamed over `path`: a reader sees the old file or the new one, never a part. On failure
/// the temporary file is removed and OutputError is thrown; an existing `path` is left untouched.
/// Temporary files that runs killed with SIGKILL on this host left in the directory (their
/// process no longer runs) are removed first; docs/reliability.md, "Output safety".
void write_file_atomically(const std::string& path, std::string_view text);

}  // namespace csm::io
