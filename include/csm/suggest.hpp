#pragma once
/// "Did you mean ...?" for mistyped names: option names, commands, metric fields.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace csm {

/// Levenshtein distance (insertions, deletions and substitutions of one byte each).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, or "" when none is close enough to be a likely typo (within
/// max(2, |word| / 3) edits). Ties go to the earlier candidate.
std::string nearest_word(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace csm
