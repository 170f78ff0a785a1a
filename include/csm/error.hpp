#pragma once
/// Errors the library reports. Exceptions are used only for bad input and I/O; the CLI catches
/// them once and maps them to exit codes (see README, "Exit codes").

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace csm {

/// Invalid input data: a record, a header or a whole file that does not follow the input rules.
/// what() reads "source:line: field: message" (parts that are unknown are left out).
class InputError : public std::runtime_error {
 public:
  InputError(std::string source, std::uint64_t line, std::string field, std::string message);

  const std::string& source() const noexcept { return source_; }
  std::uint64_t line() const noexcept { return line_; }  ///< 1-based; 0 = not tied to a line
  const std::string& field() const noexcept { return field_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string source_;
  std::uint64_t line_;
  std::string field_;
  std::string message_;
};

/// An input that cannot be opened or read at all (missing file, a directory, no permission).
class SourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Writing the results failed (disk full, cannot create or rename the output file).
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Quote a value for an error message: printable ASCII kept, the rest escaped, long values cut.
std::string quote_for_message(std::string_view value);

}  // namespace csm
