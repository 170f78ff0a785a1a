#include "csm/thresholds.hpp"

#include "csm/period_fields.hpp"
#include "csm/suggest.hpp"

#include <algorithm>
#include <charconv>
#include <variant>

namespace csm {
namespace {

// The members a group's period object has beyond PeriodMetrics, in output order.
struct GroupField {
  const char* name;
  std::variant<std::int64_t GroupMoves::*, MoneySum GroupMoves::*> member;
};
const std::vector<GroupField>& group_fields() {
  using G = GroupMoves;
  static const std::vector<GroupField> list = {
      {"moved_in_customers", &G::moved_in_customers},
      {"moved_out_customers", &G::moved_out_customers},
      {"moved_in_mrr", &G::moved_in_mrr},
      {"moved_out_mrr", &G::moved_out_mrr},
  };
  return list;
}

constexpr std::string_view kSummaryPrefix = "summary.";

FieldKind kind_of(const PeriodMember& member) {
  if (std::holds_alternative<Count PeriodMetrics::*>(member)) return FieldKind::count;
  if (std::holds_alternative<Amount PeriodMetrics::*>(member)) return FieldKind::money;
  return FieldKind::rate;
}

FieldKind summary_kind_of(const SummaryMember& member) {
  if (std::holds_alternative<Count RangeSummary::*>(member)) return FieldKind::count;
  if (std::holds_alternative<Amount RangeSummary::*>(member)) return FieldKind::money;
  return FieldKind::rate;
}

std::string shortest(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '.';
}
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Micro-units of a plain decimal with an optional sign; the caller has checked the syntax.
MoneySum exact_number(std::string_view text, std::size_t position) {
  const std::size_t length = text.size();
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  Money magnitude = 0;
  const DecimalError error = parse_money(text, magnitude);
  if (error == DecimalError::too_precise) {
    throw ThresholdError("at most 6 decimal places in a limit", position, length);
  }
  if (error != DecimalError::ok) {
    throw ThresholdError("limit too large (at most 9223372036854.775807)", position, length);
  }
  return negative ? -MoneySum{magnitude} : MoneySum{magnitude};
}

template <typename T>
std::optional<std::string> value_text(const std::optional<T>& value) {
  if (!value) return std::nullopt;
  if constexpr (std::is_same_v<T, double>) {
    return shortest(*value);
  } else if constexpr (std::is_same_v<T, MoneySum>) {
    return format_money(*value);
  } else {
    return std::to_string(*value);
  }
}

template <typename T>
bool compare(const T& a, CompareOp op, const T& b) {
  switch (op) {
    case CompareOp::less:
      return a < b;
    case CompareOp::less_equal:
      return a <= b;
    case CompareOp::greater:
      return a > b;
    case CompareOp::greater_equal:
      return a >= b;
    case CompareOp::equal:
      return a == b;
    case CompareOp::not_equal:
      return a != b;
  }
  return false;
}

// Whether a non-null value crosses: counts and money exactly, rates as doubles.
template <typename T>
bool crosses(const T& value, const Threshold& t) {
  if constexpr (std::is_same_v<T, double>) {
    return compare(value, t.op, t.limit);
  } else if constexpr (std::is_same_v<T, MoneySum>) {
    return compare(value, t.op, t.exact_limit);
  } else {
    return compare(MoneySum{value} * kMoneyScale, t.op, t.exact_limit);
  }
}

std::string summary_null_reason(std::string_view field) {
  if (field.starts_with("average_") || field.starts_with("annualized_")) {
    return "no month with a defined value";
  }
  return "not determined by the input";
}

}  // namespace

ThresholdError::ThresholdError(std::string message, std::size_t position, std::size_t length,
                               std::string suggestion)
    : std::invalid_argument(message),
      position_(position),
      length_(length),
      suggestion_(std::move(suggestion)) {}

const std::vector<std::string>& threshold_field_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const PeriodField& f : period_fields()) list.emplace_back(f.name);  // NPS ones too
    for (const SummaryField& f : summary_fields()) {
      list.push_back(std::string(kSummaryPrefix).append(f.name));
    }
    return list;
  }();
  return names;
}

const std::vector<std::string>& group_threshold_field_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const GroupField& f : group_fields()) list.emplace_back(f.name);
    return list;
  }();
  return names;
}

const std::vector<std::pair<std::string, std::string>>& threshold_heading_names() {
  // The key columns of the compute table (io/metrics_writer.cpp, to_table); a test checks that
  // every heading the table prints is here.
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"active", "customers_end"}, {"new", "new_customers"},   {"react", "reactivated_customers"},
      {"churn", "churned_customers"}, {"churned", "churned_customers"}, {"churn%", "churn_rate"},
      {"mrr", "mrr_end"}, {"nrr%", "nrr"}, {"csat%", "csat"}};
  return names;
}

std::string nearest_field_name(std::string_view name) {
  std::string wanted;
  for (const char c : name) wanted.push_back(lower(c));
  std::string best;
  std::size_t best_distance = std::string::npos;
  std::vector<std::string> candidates = threshold_field_names();
  candidates.insert(candidates.end(), group_threshold_field_names().begin(),
                    group_threshold_field_names().end());
  for (const auto& heading : threshold_heading_names()) candidates.push_back(heading.first);
  for (const std::string& candidate : candidates) {
    std::size_t distance = edit_distance(wanted, candidate);
    // "average_nrr" is one step from "summary.average_nrr", not eight.
    if (candidate.starts_with(kSummaryPrefix)) {
      distance = std::min(distance,
                          edit_distance(wanted, candidate.substr(kSummaryPrefix.size())) + 1);
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  const std::size_t allowed = std::max<std::size_t>(2, wanted.size() / 3);
  return best_distance <= allowed ? best : std::string();
}

Threshold parse_threshold(std::string_view expression) {
  while (!expression.empty() && is_space(expression.front())) expression.remove_prefix(1);
  while (!expression.empty() && is_space(expression.back())) expression.remove_suffix(1);
  Threshold t;
  t.expression = std::string(expression);
  const std::string_view e = expression;
  if (e.empty()) {
    throw ThresholdError("empty expression: expected FIELD OP NUMBER, e.g. 'churn_rate > 5'", 0, 1);
  }

  // FIELD
  std::size_t at = 0;
  while (at < e.size() && is_name_char(e[at])) ++at;
  if (at > 0 && at < e.size() && e[at] == '%') ++at;  // a table heading: churn%, nrr%, csat%
  const std::string_view name = e.substr(0, at);
  if (name.empty()) {
    throw ThresholdError("expected a field name, e.g. churn_rate", 0, 1);
  }
  std::string canonical;
  for (const char c : name) canonical.push_back(lower(c));
  for (const auto& [heading, json_name] : threshold_heading_names()) {
    if (canonical == heading) canonical = json_name;
  }
  const std::string_view field = canonical;
  bool found = false;
  if (field.starts_with(kSummaryPrefix)) {
    const std::string_view rest = field.substr(kSummaryPrefix.size());
    for (const SummaryField& f : summary_fields()) {
      if (rest == f.name) {
        t.kind = summary_kind_of(f.member);
        found = true;
      }
    }
    t.summary = true;
  } else {
    if (const PeriodField* f = find_period_field(field)) {
      t.kind = kind_of(f->member);
      found = true;
    }
    for (const GroupField& f : group_fields()) {
      if (field == f.name) {
        t.kind = std::holds_alternative<std::int64_t GroupMoves::*>(f.member) ? FieldKind::count
                                                                              : FieldKind::money;
        t.group_only = true;
        found = true;
      }
    }
  }
  if (!found) {
    std::string suggestion = nearest_field_name(name);
    throw ThresholdError("unknown field \"" + std::string(name) + "\"", 0, name.size(),
                         std::move(suggestion));
  }
  t.field = canonical;

  // OP
  while (at < e.size() && is_space(e[at])) ++at;
  const std::size_t op_at = at;
  const std::string_view rest = e.substr(at);
  struct Spelling {
    std::string_view text;
    CompareOp op;
  };
  static constexpr Spelling spellings[] = {
      {"<=", CompareOp::less_equal}, {">=", CompareOp::greater_equal}, {"==", CompareOp::equal},
      {"!=", CompareOp::not_equal},  {"<", CompareOp::less},           {">", CompareOp::greater}};
  std::size_t op_size = 0;
  for (const Spelling& s : spellings) {
    if (rest.starts_with(s.text)) {
      t.op = s.op;
      op_size = s.text.size();
      break;
    }
  }
  if (op_size == 0) {
    const bool single_equal = rest.starts_with("=");
    throw ThresholdError(
        std::string(rest.empty() ? "expected an operator after the field"
                                 : "expected an operator") +
            " (one of < <= > >= == !=)" + (single_equal ? "; for equality write ==" : ""),
        rest.empty() ? e.size() : op_at, 1);
  }
  at += op_size;

  // NUMBER: [+-]digits[.digits] or [+-].digits
  while (at < e.size() && is_space(e[at])) ++at;
  const std::size_t number_at = at;
  const std::string_view number = e.substr(at);
  if (number.empty()) {
    throw ThresholdError("expected a number after \"" + std::string(to_string(t.op)) + "\"",
                         e.size(), 1);
  }
  std::size_t i = 0;
  if (number[i] == '+' || number[i] == '-') ++i;
  std::size_t digits = 0;
  while (i < number.size() && is_digit(number[i])) ++i, ++digits;
  if (i < number.size() && number[i] == '.') {
    ++i;
    while (i < number.size() && is_digit(number[i])) ++i, ++digits;
  }
  if (digits == 0 || i != number.size()) {
    throw ThresholdError("expected a number such as 5 or 2.5 (no units, no exponent), got \"" +
                             std::string(number) + "\"",
                         number_at, number.size());
  }
  const bool plus = number.front() == '+';
  const std::string_view unsigned_number = plus ? number.substr(1) : number;
  if (t.kind == FieldKind::rate) {
    const auto [end, error] = std::from_chars(
        unsigned_number.data(), unsigned_number.data() + unsigned_number.size(), t.limit);
    if (error != std::errc() || end != unsigned_number.data() + unsigned_number.size()) {
      throw ThresholdError("limit out of range", number_at, number.size());
    }
  } else {
    t.exact_limit = exact_number(number, number_at);
    t.limit = to_double(t.exact_limit);
  }
  return t;
}

std::string limit_text(const Threshold& t) {
  switch (t.kind) {
    case FieldKind::rate:
      return shortest(t.limit);
    case FieldKind::money:
      return format_money(t.exact_limit);
    case FieldKind::count:
      if (t.exact_limit % kMoneyScale == 0) {
        return std::to_string(static_cast<std::int64_t>(t.exact_limit / kMoneyScale));
      }
      return format_money(t.exact_limit);
  }
  return {};
}

std::string_view to_string(CompareOp op) noexcept {
  switch (op) {
    case CompareOp::less:
      return "<";
    case CompareOp::less_equal:
      return "<=";
    case CompareOp::greater:
      return ">";
    case CompareOp::greater_equal:
      return ">=";
    case CompareOp::equal:
      return "==";
    case CompareOp::not_equal:
      return "!=";
  }
  return "?";
}

std::vector<ThresholdCheck> evaluate_thresholds(const std::vector<Threshold>& thresholds,
                                                const std::vector<ThresholdSeries>& series,
                                                ThresholdScope scope) {
  std::vector<ThresholdCheck> checks;
  for (const ThresholdSeries& s : series) {
    for (const Threshold& t : thresholds) {
      if (t.summary) {
        const std::string_view name = std::string_view(t.field).substr(kSummaryPrefix.size());
        for (const SummaryField& f : summary_fields()) {
          if (name != f.name) continue;
          ThresholdCheck check{t, s.label, std::nullopt, std::nullopt, false, {}, s.is_group};
          std::visit(
              [&](auto member) {
                const auto& value = s.summary.*member;
                check.value = value_text(value);
                if (value) {
                  check.crossed = crosses(*value, t);
                } else {
                  check.null_reason = summary_null_reason(name);
                }
              },
              f.member);
          checks.push_back(std::move(check));
        }
        continue;
      }
      if (t.group_only) {
        // Moves between groups: only a group's periods have them (never null).
        const GroupField* field = nullptr;
        for (const GroupField& f : group_fields()) {
          if (t.field == f.name) field = &f;
        }
        if (field == nullptr || s.moves.empty()) continue;
        const std::size_t n = std::min(s.moves.size(), s.periods.size());
        for (std::size_t i = scope == ThresholdScope::latest ? n - 1 : 0; i < n; ++i) {
          ThresholdCheck check{t, s.label, s.periods[i].period, std::nullopt, false, {}, s.is_group};
          std::visit(
              [&](auto member) {
                const auto value = s.moves[i].*member;
                check.value = value_text(std::optional(value));
                check.crossed = crosses(value, t);
              },
              field->member);
          checks.push_back(std::move(check));
        }
        continue;
      }
      const PeriodField* field = find_period_field(t.field);
      if (field == nullptr || s.periods.empty()) continue;
      const std::span<const PeriodMetrics> checked =
          scope == ThresholdScope::latest ? s.periods.last(1) : s.periods;
      for (const PeriodMetrics& m : checked) {
        ThresholdCheck check{t, s.label, m.period, std::nullopt, false, {}, s.is_group};
        std::visit(
            [&](auto member) {
              const auto& value = m.*member;
              check.value = value_text(value);
              if (value) {
                check.crossed = crosses(*value, t);
              } else {
                check.null_reason = null_reason(*field, m);
              }
            },
            field->member);
        checks.push_back(std::move(check));
      }
    }
  }
  return checks;
}

}  // namespace csm
