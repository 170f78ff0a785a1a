#pragma once
/// Results written to a file appear whole or not at all.

#include <functional>
#include <string>
#include <string_view>

#include "csm/io/text_sink.hpp"

namespace csm::io {

/// Write `text` to `path` through a temporary file in the same directory that is flushed to disk
/// and renamed over `path`: a reader sees the old file or the new one, never a part. On failure
/// the temporary file is removed and OutputError is thrown; an existing `path` is left untouched.
/// Temporary files that runs killed with SIGKILL on this host left in the directory (their
/// process no longer runs) are removed first; docs/reliability.md, "Output safety".
void write_file_atomically(const std::string& path, std::string_view text);

/// write_file_atomically with the text made in pieces: produce(sink) hands the pieces to sink in
/// order, and each is written as it comes, so the whole text is never held in memory (a large
/// CSV costs no buffer of its size, issue 22). When produce throws, `path` is left untouched (the
/// temporary file removed) and the exception goes on. produce may be called a second time (when
/// the file system refuses the first way of writing after the text was written), so it must give
/// the same pieces each time.
void write_file_atomically_in_pieces(const std::string& path,
                                     const std::function<void(const TextSink&)>& produce);

}  // namespace csm::io
