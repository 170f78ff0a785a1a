// Fuzz target: CsvReader. The first byte picks CSV or TSV and whether rejects stop the run; the
// rest is the file. Property: the rows, rejects and final error are the same whether the reader is
// fed the file whole or in pieces (cut at offsets derived from the data), and every row has one
// cell per column.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "csm/io/csv_reader.hpp"
#include "reader_harness.hpp"

namespace {

using csm::fuzz::Outcome;

Outcome run(std::string_view data, char delimiter, bool rethrow, const std::vector<std::size_t>& cuts) {
  return csm::fuzz::read_traced(data, rethrow, cuts, [&](const auto& columns, auto& consumer) {
    return csm::io::CsvReader(columns, consumer, "fuzz.csv", delimiter);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const char delimiter = (bytes[0] & 1u) ? '\t' : ',';
  const bool rethrow = (bytes[0] & 2u) != 0;
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);

  const Outcome whole = run(data, delimiter, rethrow, {});
  const Outcome split = run(data, delimiter, rethrow, csm::fuzz::cut_points(data));
  if (whole.trace != split.trace || whole.error != split.error) {
    csm::fuzz::fail("CSV fed in pieces gives what it gives whole",
                    "whole:\n" + csm::fuzz::join(whole.trace) + whole.error + "\nsplit:\n" +
                        csm::fuzz::join(split.trace) + split.error);
  }
  return 0;
}
