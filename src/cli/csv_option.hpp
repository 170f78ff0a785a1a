#pragma once
/// --csv-raw, the same on every command that writes CSV with text from the data (compute --by,
/// cohorts --by, merge, at-risk, rfm, predict): docs/reliability.md, "Output escaping".

#include <CLI/CLI.hpp>

#include "csm/io/csv_style.hpp"

namespace csm::cli {

inline void add_csv_raw_flag(CLI::App& cmd, bool& raw) {
  cmd.add_flag("--csv-raw", raw,
               "CSV: write ids and segments as they are; by default a text field starting with "
               "= + - @ TAB or CR gets a leading ' so that spreadsheets do not run it as a "
               "formula");
}

inline io::CsvStyle csv_style(bool raw) {
  io::CsvStyle style;
  style.formula_guard = !raw;
  return style;
}

}  // namespace csm::cli
