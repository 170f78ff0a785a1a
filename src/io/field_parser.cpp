#include "field_parser.hpp"

namespace csm::io::fields {

std::optional<double> parse_signal_value(const Cell& cell, std::string_view trimmed_value) noexcept {
  const bool scalar = cell.type == CellType::text || cell.type == CellType::number;
  const std::string_view value = trimmed_value;
  if (!scalar || value.empty()) return std::nullopt;
  double x = 0;
  const char* begin = value.data();
  const char* end = value.data() + value.size();
  if (*begin == '+') ++begin;
  const auto [stop, error] = std::from_chars(begin, end, x);
  if (error != std::errc() || stop != end || !std::isfinite(x) ||
      value.find_first_of("xXpP") != std::string_view::npos) {
    return std::nullopt;
  }
  return x;
}

std::string signal_value_problem(const Cell& cell) {
  const bool scalar = cell.type == CellType::text || cell.type == CellType::number;
  return "expected a number (a signal value, e.g. 12 or 3.5; blank: not observed), got " +
         (scalar ? quote_for_message(cell.text) : std::string(type_name(cell.type)));
}

}  // namespace csm::io::fields
