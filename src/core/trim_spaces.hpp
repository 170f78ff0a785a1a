#pragma once
// Text without its surrounding blanks (internal to csm_core): the one rule of the core's parsers
// of amounts, periods, dates and line types (blanks only; tabs are not trimmed).

#include <string_view>

namespace csm::detail {

inline std::string_view trim_spaces(std::string_view s) noexcept {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace csm::detail
