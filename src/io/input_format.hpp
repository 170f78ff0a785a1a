#pragma once
// The format of an input and the delimiter of a CSV (internal to csm_io; detect_input_format and
// to_string(InputFormat) are declared in csm/io/record_input.hpp).

#include <string>
#include <string_view>

#include "csm/io/record_input.hpp"

namespace csm::io {

/// The delimiter of a CSV from its header line: ',' when it has one; else ';', '|' or tab when the
/// header holds exactly one of them. Throws InputError (line 1 of `source`) when it is ambiguous.
char detect_delimiter(std::string_view head, const std::string& source);

}  // namespace csm::io
