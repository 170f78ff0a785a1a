#pragma once
/// How the CSV writers treat text from the data (ids, segments, reasons).

namespace csm::io {

/// `formula_guard` (the default): a text field beginning with = + - @ TAB or CR is written with a
/// single quote before it and quoted ("'=1+1"), so that a spreadsheet shows it as text instead
/// of running it (OWASP, "CSV Injection"). Numbers are never changed. Off (`--csv-raw`): text
/// is written as it is, for programs that read the CSV.
struct CsvStyle {
  bool formula_guard = true;
};

}  // namespace csm::io
