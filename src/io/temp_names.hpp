#pragma once
/// How csm-metrics names its temporary output files (write_file_atomically, FileSet).

#include <string>

namespace csm::io {

/// ".csm-metrics-HOST-PID-": host and pid let a later run tell a name left behind by a killed
/// process (this host, a pid no longer running) from one another process is still writing.
std::string temp_file_prefix();

}  // namespace csm::io
