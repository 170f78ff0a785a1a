#pragma once
// Shared by the targets that run a whole command path on a file (compute_path, rfm_path): the
// fuzz input minus its control byte, written to a private temporary file whose extension (or
// forced --input-format) the low three bits of the control byte pick, as a user's file would be.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "csm/io/record_input.hpp"
#include "reader_harness.hpp"

namespace csm::fuzz {

class InputFile {
 public:
  /// Writes bytes[1..size) to /dev/shm/csm_fuzz_<tag><pid><extension>; bytes[0] is the control.
  InputFile(std::string_view tag, const std::uint8_t* bytes, std::size_t size) {
    static const char* const kExtensions[] = {".csv", ".tsv", ".json", ".jsonl",
                                              ".txt", ".csv", ".json", ".jsonl"};
    static const io::InputFormat kFormats[] = {
        io::InputFormat::automatic, io::InputFormat::automatic, io::InputFormat::automatic,
        io::InputFormat::automatic, io::InputFormat::automatic, io::InputFormat::csv,
        io::InputFormat::json,      io::InputFormat::jsonl};
    const unsigned pick = bytes[0] & 7u;
    format = kFormats[pick];
    path = "/dev/shm/csm_fuzz_" + std::string(tag) + std::to_string(::getpid()) + kExtensions[pick];
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) fail("cannot write the temporary file", path);
    if (size > 1 && std::fwrite(bytes + 1, 1, size - 1, f) != size - 1) fail("short write", path);
    std::fclose(f);
  }
  ~InputFile() { ::unlink(path.c_str()); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  std::string path;
  io::InputFormat format = io::InputFormat::automatic;  // automatic: by the extension
};

}  // namespace csm::fuzz
