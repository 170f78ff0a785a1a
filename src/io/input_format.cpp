#include "input_format.hpp"

#include <string>

#include "csm/error.hpp"

namespace csm::io {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ends_with_ignore_case(std::string_view text, std::string_view suffix) noexcept {
  if (text.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    if (lower(text[text.size() - suffix.size() + i]) != suffix[i]) return false;
  }
  return true;
}

// '[' starts a JSON array; '{' starts JSON Lines when the first line holds a whole object, and
// otherwise a pretty-printed object, which the array reader then refuses with a clear message.
InputFormat format_from_content(std::string_view head) {
  if (head.substr(0, 3) == "\xef\xbb\xbf") head.remove_prefix(3);
  const std::size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && head[first] == '[') return InputFormat::json;
  if (first != std::string_view::npos && head[first] == '{') {
    std::string_view line = head.substr(first, head.find('\n', first) - first);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    return !line.empty() && line.back() == '}' ? InputFormat::jsonl : InputFormat::json;
  }
  const std::string_view line = head.substr(0, head.find('\n'));
  if (line.find('\t') != std::string_view::npos && line.find(',') == std::string_view::npos) {
    return InputFormat::tsv;
  }
  return InputFormat::csv;
}

// The delimiter of a CSV from its header line: ',' when it has one; else ';', '|' or tab when the
// header holds exactly one of them; a header with several of them and no ',' is ambiguous.
}  // namespace

char detect_delimiter(std::string_view head, const std::string& source) {
  if (head.substr(0, 3) == "\xef\xbb\xbf") head.remove_prefix(3);
  const std::string_view line = head.substr(0, head.find('\n'));
  if (line.find(',') != std::string_view::npos) return ',';
  std::string found;
  for (const char c : {';', '|', '\t'}) {
    if (line.find(c) != std::string_view::npos) found.push_back(c);
  }
  if (found.size() == 1) return found[0];
  if (found.empty()) return ',';
  std::string names;
  for (const char c : found) {
    names += std::string(names.empty() ? "" : " and ") + (c == '\t' ? "tab" : std::string("'") + c + "'");
  }
  throw InputError(source, 1, "",
                   "cannot tell the delimiter: the header has no ',' but both " + names +
                       "; give it with --delimiter (e.g. --delimiter ';', --delimiter tab)");
}

InputFormat detect_input_format(const std::string& path, std::string_view head) {
  if (ends_with_ignore_case(path, ".csv")) return InputFormat::csv;
  if (ends_with_ignore_case(path, ".tsv") || ends_with_ignore_case(path, ".tab")) {
    return InputFormat::tsv;
  }
  if (ends_with_ignore_case(path, ".jsonl") || ends_with_ignore_case(path, ".ndjson")) {
    return InputFormat::jsonl;
  }
  if (ends_with_ignore_case(path, ".json")) {
    // A .json file holding one object per line is JSON Lines in all but name.
    return format_from_content(head) == InputFormat::jsonl ? InputFormat::jsonl : InputFormat::json;
  }
  return format_from_content(head);
}

std::string_view to_string(InputFormat format) noexcept {
  switch (format) {
    case InputFormat::automatic:
      return "auto";
    case InputFormat::csv:
      return "csv";
    case InputFormat::tsv:
      return "tsv";
    case InputFormat::json:
      return "json";
    case InputFormat::jsonl:
      return "jsonl";
  }
  return "?";
}


}  // namespace csm::io
