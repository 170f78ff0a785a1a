#pragma once
// Private helpers of the runs (run.cpp, run_metrics.cpp).

#include <string>
#include <vector>

#include "csm/io/run.hpp"

namespace csm::io::detail {

/// Records of a kind the run cannot use: an InputError naming the first input ("<stdin>" for
/// standard input) with `message`.
[[noreturn]] void throw_wrong_kind(const std::vector<std::string>& inputs, const std::string& message);

/// The kept reasons of the skipped records as messages; with `with_total`, a last line with the
/// count when more were skipped than kept.
void skipped_messages(const ReadReport& input, bool with_total, std::vector<RunMessage>& messages);

}  // namespace csm::io::detail
