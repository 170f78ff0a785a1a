#include "csm/io/movement_writer.hpp"

#include <algorithm>
#include <array>

#include "text_output.hpp"

namespace csm::io {
namespace {

constexpr std::size_t kChunk = std::size_t{1} << 20;

// Text built in one buffer and handed to the sink whenever it passes kChunk.
class ChunkedText {
 public:
  explicit ChunkedText(const TextSink& sink) : sink_(sink) { text.reserve(kChunk + 4096); }
  ChunkedText(const ChunkedText&) = delete;
  ChunkedText& operator=(const ChunkedText&) = delete;
  ~ChunkedText() = default;
  std::string text;
  void maybe_flush() {
    if (text.size() >= kChunk) flush();
  }
  void flush() {
    if (!text.empty()) sink_(text);
    text.clear();
  }

 private:
  const TextSink& sink_;
};

// A CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180).
void append_csv_field(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (const char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

// The period labels of a list, computed once per period.
class Labels {
 public:
  explicit Labels(Grain grain) : grain_(grain) {}
  const std::string& of(YearMonth period) {
    if (!valid_ || period != last_) {
      label_ = period_label(period, grain_);
      last_ = period;
      valid_ = true;
    }
    return label_;
  }

 private:
  Grain grain_;
  YearMonth last_;
  bool valid_ = false;
  std::string label_;
};

std::string_view group_text(const MovementList& list, const Movement& m) {
  const std::string& name = list.groups[m.group];
  return name.empty() ? std::string_view("(none)") : std::string_view(name);
}

// The wanted types in order, as names.
std::vector<std::string_view> type_names(std::uint8_t types) {
  std::vector<std::string_view> names;
  for (int t = 0; t < kMovementTypes; ++t) {
    if ((types & (1u << t)) != 0) names.push_back(to_string(static_cast<MovementType>(t)));
  }
  return names;
}

// Money for people, as compute's table shows it: rounded to the cent (half away from zero), with
// thousands separators ("1,234.50"), and with `sign` a "+" before amounts above zero. CSV and
// JSON carry the exact amounts.
std::string human_money(MoneySum amount, bool sign) {
  constexpr MoneySum kCent = kMoneyScale / 100;
  const MoneySum magnitude = amount < 0 ? -amount : amount;
  const MoneySum cents = (magnitude + kCent / 2) / kCent * kCent;
  amount = amount < 0 ? -cents : cents;
  const std::string plain = format_money(amount);
  const bool negative = plain.front() == '-';
  const std::size_t begin = negative ? 1 : 0;
  const std::size_t dot = plain.find('.');
  std::string out = negative ? "-" : (sign && amount > 0 ? "+" : "");
  for (std::size_t i = begin; i < dot; ++i) {
    if (i > begin && (dot - i) % 3 == 0) out.push_back(',');
    out.push_back(plain[i]);
  }
  out.append(plain, dot, std::string::npos);
  return out;
}

// Characters on screen of UTF-8 text (code points; the readers accept only valid UTF-8).
std::size_t width_of(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// `text` cut to `width` characters on screen, the last one "~" when cut, then padded. Control
// characters (a line break in a quoted id) are shown as spaces, so each line stays one line.
void append_cell(std::string& out, std::string_view text, std::size_t width, bool right = false) {
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    std::string shown(text);
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    append_cell(out, shown, width, right);
    return;
  }
  std::size_t w = width_of(text);
  if (w > width) {
    std::size_t keep = 0;
    std::size_t chars = 0;
    while (keep < text.size() && chars < width - 1) {
      ++keep;
      while (keep < text.size() && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) ++keep;
      ++chars;
    }
    out.append(text.substr(0, keep));
    out.push_back('~');
    return;
  }
  if (right) out.append(width - w, ' ');
  out.append(text);
  if (!right) out.append(width - w, ' ');
}

}  // namespace

void movements_to_csv(const MovementReport& report, const TextSink& sink) {
  const MovementList& list = report.list;
  ChunkedText out(sink);
  out.text += "period,customer_id,movement,mrr_before,mrr_after,mrr_change,group\n";
  Labels labels(list.grain);
  for (const Movement& m : list.movements) {
    std::string& t = out.text;
    t += labels.of(m.period);
    t.push_back(',');
    append_csv_field(t, list.customer_id(m.customer));
    t.push_back(',');
    t += to_string(m.type);
    t.push_back(',');
    append_money(t, m.before);
    t.push_back(',');
    append_money(t, m.after);
    t.push_back(',');
    append_money(t, m.change());
    t.push_back(',');
    if (list.grouped) append_csv_field(t, group_text(list, m));
    t.push_back('\n');
    out.maybe_flush();
  }
  out.flush();
}

void movements_to_json(const MovementReport& report, const TextSink& sink) {
  const MovementList& list = report.list;
  const MovementOptions& o = report.options;
  ChunkedText out(sink);
  std::string& t = out.text;
  const auto string_list = [&t](const auto& items) {
    t.push_back('[');
    bool first = true;
    for (const auto& item : items) {
      if (!first) t += ", ";
      first = false;
      text::append_json_string(t, item);
    }
    t.push_back(']');
  };
  t += "{\n";
  t += text::envelope_lines({report.version, "movements", to_string(report.kind)});
  t += "  \"settings\": {\"grain\": ";
  text::append_json_string(t, to_string(o.grain));
  t += ", \"group_by\": ";
  if (report.group_by.empty()) {
    t += "null";
  } else {
    text::append_json_string(t, report.group_by);
  }
  t += ", \"periods\": ";
  std::vector<std::string> periods;
  for (const YearMonth p : o.periods) periods.push_back(period_label(p, o.grain));
  string_list(periods);
  t += ", \"types\": ";
  string_list(type_names(o.types));
  t += ", \"customers\": ";
  string_list(o.customers);
  t += "},\n  \"input\": {\n    \"sources\": ";
  string_list(report.input.sources);
  const ActivityStats& a = report.activity;
  t += ",\n    \"records\": " + std::to_string(report.input.records);
  t += ",\n    \"skipped_records\": " + std::to_string(report.input.skipped);
  t += ",\n    \"customers\": " + std::to_string(a.customers);
  t += ",\n    \"first_period\": ";
  t += a.first ? "\"" + to_string(*a.first) + "\"" : std::string("null");
  t += ",\n    \"last_period\": ";
  t += a.last ? "\"" + to_string(*a.last) + "\"" : std::string("null");
  t += ",\n    \"months\": " + std::to_string(a.first ? a.last->index - a.first->index + 1 : 0);
  t += "\n  },\n  \"movements\": [";
  Labels labels(list.grain);
  bool first = true;
  for (const Movement& m : list.movements) {
    t += first ? "\n    {\"period\": \"" : ",\n    {\"period\": \"";
    first = false;
    t += labels.of(m.period);
    t += "\", \"customer_id\": ";
    text::append_json_string(t, list.customer_id(m.customer));
    t += ", \"movement\": \"";
    t += to_string(m.type);
    t += "\", \"mrr_before\": ";
    append_money(t, m.before);
    t += ", \"mrr_after\": ";
    append_money(t, m.after);
    t += ", \"mrr_change\": ";
    append_money(t, m.change());
    t += ", \"group\": ";
    if (list.grouped) {
      text::append_json_string(t, list.groups[m.group]);
    } else {
      t += "null";
    }
    t.push_back('}');
    out.maybe_flush();
  }
  t += list.movements.empty() ? "],\n  \"warnings\": " : "\n  ],\n  \"warnings\": ";
  string_list(report.warnings);
  t += "\n}\n";
  out.flush();
}

void movements_to_table(const MovementReport& report, const TextSink& sink) {
  const MovementList& list = report.list;
  ChunkedText out(sink);
  std::string& t = out.text;
  if (list.movements.empty()) {
    t += "no movements";
    if (!report.activity.first) t += " (no records)";
    t += "\n";
    out.flush();
    return;
  }
  // Column widths from the data, within 80 characters: ids and groups give way first.
  std::size_t period_w = 6;
  std::size_t id_w = 8;
  std::size_t group_w = 5;
  std::size_t money_w = 6;
  std::array<std::int64_t, kMovementTypes> lines{};
  std::array<MoneySum, kMovementTypes> change{};
  Labels labels(list.grain);
  for (const Movement& m : list.movements) {
    period_w = std::max(period_w, labels.of(m.period).size());
    money_w = std::max({money_w, human_money(m.before, false).size(), human_money(m.after, false).size(),
                        human_money(m.change(), true).size()});
    ++lines[static_cast<std::size_t>(m.type)];
    change[static_cast<std::size_t>(m.type)] += m.change();
  }
  for (std::uint32_t c = 0; c < list.customer_count(); ++c) id_w = std::max(id_w, width_of(list.customer_id(c)));
  if (list.grouped) {
    for (const std::string& g : list.groups) group_w = std::max(group_w, width_of(g.empty() ? "(none)" : g));
  }
  constexpr std::size_t kMovementWidth = 12;  // "reactivation"
  // Two spaces between columns: after the period, the customer, the movement and two amounts,
  // and before the group.
  const std::size_t fixed = period_w + kMovementWidth + 3 * money_w + 5 * 2 + (list.grouped ? 2 : 0);
  const std::size_t room = fixed < 80 ? 80 - fixed : 0;
  if (list.grouped) {
    const std::size_t want = id_w + group_w;
    if (want > room) {
      // Share the room: each gets at least 8 characters, the group at most half.
      group_w = std::max<std::size_t>(8, std::min(group_w, room / 2));
      id_w = std::max<std::size_t>(8, room > group_w ? room - group_w : 0);
    }
  } else {
    id_w = std::max<std::size_t>(8, std::min(id_w, room));
  }
  append_cell(t, "period", period_w);
  t += "  ";
  append_cell(t, "customer", id_w);
  t += "  ";
  append_cell(t, "movement", kMovementWidth);
  t += "  ";
  append_cell(t, "before", money_w, true);
  t += "  ";
  append_cell(t, "after", money_w, true);
  t += "  ";
  append_cell(t, "change", money_w, true);
  if (list.grouped) t += "  group";
  t += '\n';
  for (const Movement& m : list.movements) {
    append_cell(t, labels.of(m.period), period_w);
    t += "  ";
    append_cell(t, list.customer_id(m.customer), id_w);
    t += "  ";
    append_cell(t, to_string(m.type), kMovementWidth);
    t += "  ";
    append_cell(t, human_money(m.before, false), money_w, true);
    t += "  ";
    append_cell(t, human_money(m.after, false), money_w, true);
    t += "  ";
    append_cell(t, human_money(m.change(), true), money_w, true);
    if (list.grouped) {
      t += "  ";
      const std::string_view g = group_text(list, m);
      append_cell(t, g, std::min(group_w, width_of(g)));
    }
    t += '\n';
    out.maybe_flush();
  }
  // The lines and MRR change of each type, and all together: the bridge of the listed lines.
  t += '\n';
  std::int64_t all_lines = 0;
  MoneySum net = 0;
  std::size_t sum_w = 6;
  for (int k = 0; k < kMovementTypes; ++k) {
    sum_w = std::max(sum_w, human_money(change[static_cast<std::size_t>(k)], true).size());
    net += change[static_cast<std::size_t>(k)];
  }
  sum_w = std::max(sum_w, human_money(net, true).size());
  const auto total = [&t, sum_w](std::string_view name, std::string_view n, std::string_view sum) {
    append_cell(t, name, kMovementWidth);
    append_cell(t, n, 10, true);
    t += "  ";
    append_cell(t, sum, sum_w, true);
    t += '\n';
  };
  total("movement", "lines", "change");
  for (int k = 0; k < kMovementTypes; ++k) {
    const auto i = static_cast<std::size_t>(k);
    if (lines[i] == 0) continue;
    total(to_string(static_cast<MovementType>(k)), std::to_string(lines[i]), human_money(change[i], true));
    all_lines += lines[i];
  }
  total("all", std::to_string(all_lines), human_money(net, true));
  out.flush();
}

}  // namespace csm::io
