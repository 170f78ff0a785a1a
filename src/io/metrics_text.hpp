#pragma once
/// Private to csm_io (not installed): what the metrics writers share. JsonOut, the small
/// streaming JSON writer of to_json() (metrics_json.cpp), and the exact text of a period field
/// (metrics_writer.cpp, also used by the CSV writer there).

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/period_fields.hpp"
#include "csm/period_metrics.hpp"
#include "text_output.hpp"

namespace csm::io::metrics_text {

// The fields a report writes: all of period_fields(), without the NPS ones when no period has
// NPS counts.
inline bool written(const PeriodField& field, bool with_nps) { return with_nps || !field.nps; }

// The exact machine text of a field, or nullopt for null.
std::optional<std::string> machine_text(const PeriodMetrics& m, const PeriodField& field);

// A small streaming JSON writer: members in the order written, two-space indentation for the
// document, one line per period so that diffs of outputs stay readable.
class JsonOut {
 public:
  std::string text;

  void key(std::string_view name) {
    separator();
    text::append_json_string(text, name);
    text += ": ";
    fresh_ = true;
  }
  void raw(std::string_view value) {
    separator();
    text += value;
  }
  void string(std::string_view value) {
    separator();
    text::append_json_string(text, value);
  }
  void null() { raw("null"); }
  // A member whose value is a count.
  void count(std::string_view name, std::uint64_t n) {
    key(name);
    raw(std::to_string(n));
  }
  // A string value, or null when it is empty.
  void string_or_null(std::string_view value) {
    if (value.empty()) return null();
    string(value);
  }
  template <typename T>
  void optional_number(const std::optional<T>& value) {
    if (!value) return null();
    if constexpr (std::is_same_v<T, double>) {
      raw(text::number_text(*value));
    } else if constexpr (std::is_same_v<T, MoneySum>) {
      raw(format_money(*value));
    } else {
      raw(std::to_string(*value));
    }
  }
  void open(char bracket, bool inline_layout = false) {
    separator();
    text.push_back(bracket);
    stack_.push_back(inline_layout || (!stack_.empty() && stack_.back()));
    fresh_ = true;
    first_ = true;
  }
  void close(char bracket) {
    const bool was_inline = stack_.back();
    stack_.pop_back();
    if (!first_ && !was_inline) newline();
    text.push_back(bracket);
    first_ = false;
    fresh_ = false;
  }

 private:
  void separator() {
    if (fresh_ && !first_) {  // a value right after its key
      fresh_ = false;
      return;
    }
    if (!first_) text.push_back(',');
    if (!stack_.empty()) {
      if (stack_.back()) {
        if (!first_) text.push_back(' ');
      } else {
        newline();
      }
    }
    first_ = false;
    fresh_ = false;
  }
  void newline() {
    text.push_back('\n');
    text.append(2 * stack_.size(), ' ');
  }
  std::vector<bool> stack_;  // true = inline layout
  bool fresh_ = false;
  bool first_ = true;
};

}  // namespace csm::io::metrics_text
