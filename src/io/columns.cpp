#include "csm/io/columns.hpp"

#include <algorithm>
#include <cctype>

#include "text_output.hpp"

namespace csm::io {
namespace {

std::string_view trim_spaces(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignore_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

ColumnMap::ColumnMap(std::vector<ColumnSpec> specs) : specs_(std::move(specs)) {
  lookup_.reserve(specs_.size());
  for (const auto& spec : specs_) {
    lookup_.push_back(text::ascii_lower(spec.name));
    display_.push_back(spec.name);
  }
}

bool ColumnMap::rename(std::string_view canonical, std::string_view input_name) {
  for (std::size_t slot = 0; slot < specs_.size(); ++slot) {
    if (equals_ignore_case(specs_[slot].name, trim_spaces(canonical))) {
      lookup_[slot] = text::ascii_lower(trim_spaces(input_name));
      display_[slot] = std::string(trim_spaces(input_name));
      std::erase_if(alternatives_, [slot](const auto& a) { return a.first == slot; });
      return true;
    }
  }
  return false;
}

bool ColumnMap::add_alternative(std::string_view canonical, std::string_view input_name) {
  for (std::size_t slot = 0; slot < specs_.size(); ++slot) {
    if (equals_ignore_case(specs_[slot].name, trim_spaces(canonical))) {
      alternatives_.emplace_back(slot, text::ascii_lower(trim_spaces(input_name)));
      return true;
    }
  }
  return false;
}

std::size_t ColumnMap::find(std::string_view input_name) const noexcept {
  const std::string_view name = trim_spaces(input_name);
  for (std::size_t slot = 0; slot < lookup_.size(); ++slot) {
    if (equals_ignore_case(lookup_[slot], name)) return slot;
  }
  for (const auto& [slot, alternative] : alternatives_) {
    if (equals_ignore_case(alternative, name)) return slot;
  }
  return npos;
}

}  // namespace csm::io
