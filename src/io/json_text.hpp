#pragma once
// JSON text shared by the writers of csm_io (private to the library).

#include <string>
#include <string_view>

namespace csm::io {

/// `text` as a JSON string, quotes included, appended to `out`. Invalid UTF-8 (a file name from
/// another encoding) becomes U+FFFD, so the document stays JSON. (Defined in metrics_writer.cpp.)
void append_json_string(std::string& out, std::string_view text);

}  // namespace csm::io
