#pragma once
/// Whether output goes to a person: colour only on a terminal, never with NO_COLOR or TERM=dumb.

#include <ostream>

namespace csm::cli {

enum class ColorMode { automatic, always, never };

/// True when `out` is the process's stdout and that is a terminal.
bool is_terminal(const std::ostream& out);

/// The colour decision: `always` and `never` as asked; `automatic` only on a terminal whose TERM
/// is set and not "dumb", and never when NO_COLOR is set to anything non-empty.
bool use_color(ColorMode mode, const std::ostream& out);

/// True when the locale's character set is UTF-8: the first of LC_ALL, LC_CTYPE, LANG that is
/// set and not empty contains "UTF-8" or "UTF8" (any case).
bool utf8_locale();

}  // namespace csm::cli
