#include "record_kinds.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "text_output.hpp"

namespace csm::io {

const std::vector<const KindSpec*>& record_kinds() {
  // Detection tries them in this order; one line per kind.
  static const std::vector<const KindSpec*> kinds = {
      &invoice_kind(),      // service_start (or a --preset)
      &summary_kind(),      // customers_start
      &subscription_kind(), // start_date
      &transaction_kind(),  // date and amount without period
      &spend_kind(),        // only asked for (--spend)
      &activity_kind(),     // anything else
  };
  return kinds;
}

const KindSpec& kind_spec(RecordKind kind) {
  for (const KindSpec* spec : record_kinds()) {
    if (spec->kind == kind) return *spec;
  }
  throw std::logic_error("no record kind " + std::to_string(static_cast<int>(kind)));
}

std::vector<ColumnSpec> column_specs(const std::vector<std::string>& names,
                                     std::initializer_list<std::size_t> required) {
  std::vector<ColumnSpec> specs;
  for (std::size_t i = 0; i < names.size(); ++i) {
    specs.push_back({names[i], std::find(required.begin(), required.end(), i) != required.end()});
  }
  return specs;
}

namespace {

// The declared signals (churn-risk --signal) after the record kind's own columns.
void append_signal_columns(std::vector<ColumnSpec>& specs, const ReadOptions& options, RecordKind kind) {
  for (const std::string& signal : options.signals) {
    const std::string lower = text::ascii_lower(signal);
    for (const ColumnSpec& spec : specs) {
      if (spec.name == lower) {
        throw std::invalid_argument("--signal " + signal + ": " + spec.name + " is a column of " +
                                    std::string(to_string(kind)) +
                                    " records, not a signal (declare each "
                                    "signal once, and not revenue, csat, ...)");
      }
    }
    specs.push_back({lower, true});  // a CSV header must have it
  }
}

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Whether the header (CSV) or the first object (JSON) has the column `canonical`.
bool head_has_column(std::string_view head, const ReadOptions& options, const char* column) {
  // The name the column is looked for under, after --column renames.
  ColumnMap columns({{column, true}});
  for (const auto& [canonical, input] : options.renames) columns.rename(canonical, input);
  std::string wanted;
  for (char c : columns.display_name(0)) wanted.push_back(lower(c));
  if (head.substr(0, 3) == "\xef\xbb\xbf") head.remove_prefix(3);
  head = head.substr(0, std::size_t{1} << 16);
  // Only the header line of a CSV counts, or the first object of JSON; only it is lowered (this
  // runs for each column of each kind, and the head is up to 64 KiB).
  const std::size_t start = head.find_first_not_of(" \t\r\n[");
  if (start == std::string_view::npos) return false;
  const bool json = head[start] == '{';
  const std::size_t end = head.find(json ? '}' : '\n', start);
  std::string first;
  for (const char c : head.substr(start, end - start)) first.push_back(lower(c));
  std::size_t at = first.find(wanted);
  while (at != std::string_view::npos) {
    const bool left_ok = at == 0 || std::strchr(" \t,\"{", first[at - 1]) != nullptr;
    const std::size_t after = at + wanted.size();
    const bool right_ok = after >= first.size() || std::strchr(" \t,\"\r:", first[after]) != nullptr;
    if (left_ok && right_ok) return true;
    at = first.find(wanted, at + 1);
  }
  return false;
}

}  // namespace

ColumnMap make_columns(RecordKind kind, const ReadOptions& options) {
  const KindSpec& kind_entry = kind_spec(kind);
  std::vector<ColumnSpec> specs = kind_entry.columns();
  if (kind_entry.signals) append_signal_columns(specs, options, kind);
  for (ColumnSpec& spec : specs) {
    const auto& wanted = options.required_columns;
    if (std::find(wanted.begin(), wanted.end(), spec.name) != wanted.end()) spec.required = true;
  }
  ColumnMap columns(std::move(specs));
  if (kind_entry.adjust_columns != nullptr) kind_entry.adjust_columns(columns, options);
  for (const auto& [canonical, input] : options.renames) {
    if (!columns.rename(canonical, input)) {
      std::string known;
      for (std::size_t s = 0; s < columns.size(); ++s) known += (s ? ", " : "") + columns.spec(s).name;
      throw std::invalid_argument("--column " + canonical + "=" + input + ": " + canonical +
                                  " is not a column of " +
                                  std::string(to_string(kind)) + " records (they have: " + known +
                                  ")");
    }
  }
  return columns;
}

// The header (CSV) or the first object (JSON) names the kind: the first kind of the table whose
// detection columns it has.
RecordKind detect_kind(std::string_view head, const ReadOptions& options) {
  const auto has = [&](const char* column) { return head_has_column(head, options, column); };
  for (const KindSpec* spec : record_kinds()) {
    if (!spec->detectable) continue;
    if (spec->preset_kind && !options.preset.empty()) return spec->kind;
    if (std::all_of(spec->detect_with.begin(), spec->detect_with.end(), has) &&
        std::none_of(spec->detect_without.begin(), spec->detect_without.end(), has)) {
      return spec->kind;
    }
  }
  return RecordKind::activity;
}

std::string_view to_string(RecordKind kind) noexcept {
  if (kind == RecordKind::automatic) return "auto";
  for (const KindSpec* spec : record_kinds()) {
    if (spec->kind == kind) return spec->name;
  }
  return "?";
}

RecordKind record_kind_named(std::string_view name) {
  if (text::ascii_lower(name) == "auto") return RecordKind::automatic;
  for (const KindSpec* spec : record_kinds()) {
    if (spec->name == text::ascii_lower(name)) return spec->kind;
  }
  throw std::invalid_argument("--kind " + std::string(name) + ": not a record kind");
}

}  // namespace csm::io
