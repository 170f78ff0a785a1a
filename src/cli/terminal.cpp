#include "cli/terminal.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace csm::cli {

bool is_terminal(const std::ostream& out) {
  if (&out == &std::cout) return ::isatty(STDOUT_FILENO) == 1;
  if (&out == &std::cerr) return ::isatty(STDERR_FILENO) == 1;
  return false;
}

bool use_color(ColorMode mode, const std::ostream& out) {
  if (mode == ColorMode::always) return true;
  if (mode == ColorMode::never) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term == nullptr || std::strcmp(term, "dumb") == 0) return false;
  return is_terminal(out);
}

}  // namespace csm::cli
