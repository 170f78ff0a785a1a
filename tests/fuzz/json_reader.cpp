// Fuzz target: JsonReader. The first byte picks the layout (one array, or JSON Lines) and whether
// rejects stop the run; the rest is the file. Property: the rows, rejects and final error are the
// same whether the reader is fed the file whole or in pieces (cut at offsets derived from the
// data), and every row has one cell per column.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "csm/io/json_reader.hpp"
#include "reader_harness.hpp"

namespace {

using csm::fuzz::Outcome;

Outcome run(std::string_view data, csm::io::JsonLayout layout, bool rethrow, const std::vector<std::size_t>& cuts) {
  return csm::fuzz::read_traced(data, rethrow, cuts, [&](const auto& columns, auto& consumer) {
    return csm::io::JsonReader(columns, consumer, "fuzz.json", layout);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const csm::io::JsonLayout layout =
      (bytes[0] & 1u) ? csm::io::JsonLayout::lines : csm::io::JsonLayout::array;
  const bool rethrow = (bytes[0] & 2u) != 0;
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);

  const Outcome whole = run(data, layout, rethrow, {});
  const Outcome split = run(data, layout, rethrow, csm::fuzz::cut_points(data));
  if (whole.trace != split.trace || whole.error != split.error) {
    csm::fuzz::fail("JSON fed in pieces gives what it gives whole",
                    "whole:\n" + csm::fuzz::join(whole.trace) + whole.error + "\nsplit:\n" +
                        csm::fuzz::join(split.trace) + split.error);
  }
  return 0;
}
