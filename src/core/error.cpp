#include "csm/error.hpp"

#include <string>

namespace csm {
namespace {

std::string compose(const std::string& source, std::uint64_t line, const std::string& field,
                    const std::string& message) {
  std::string text;
  if (!source.empty()) {
    text += source;
    if (line > 0) text += ":" + std::to_string(line);
    text += ": ";
  }
  if (!field.empty()) text += field + ": ";
  text += message;
  return text;
}

}  // namespace

InputError::InputError(std::string source, std::uint64_t line, std::string field,
                       std::string message)
    : std::runtime_error(compose(source, line, field, message)),
      source_(std::move(source)),
      line_(line),
      field_(std::move(field)),
      message_(std::move(message)) {}

std::string quote_for_message(std::string_view value) {
  constexpr std::size_t kMaxShown = 40;
  std::string text = "\"";
  std::size_t shown = 0;
  for (const char byte : value) {
    const auto c = static_cast<unsigned char>(byte);
    if (shown == kMaxShown) {
      text += "...";
      break;
    }
    ++shown;
    if (c == '"' || c == '\\') {
      text += '\\';
      text += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      text += static_cast<char>(c);
    } else {
      // Control bytes and non-ASCII are escaped so that the message stays one printable line.
      static constexpr char kHex[] = "0123456789abcdef";
      text += "\\x";
      text += kHex[c >> 4];
      text += kHex[c & 15];
    }
  }
  text += '"';
  if (value.size() > kMaxShown) text += " (" + std::to_string(value.size()) + " bytes)";
  return text;
}

}  // namespace csm
