// The rfm state (`rfm --emit-state`, read by `merge` and `predict --from-state`): one line per customer
// of the shard, and its period history with --periods (docs/scale-out.md).

#include <string>
#include <utility>
#include <vector>

#include "csm/io/state_file.hpp"
#include "state_format.hpp"

namespace csm::io {

using namespace state_format;  // the shared framing and StateLines (state_format.hpp)

std::string to_state_text(const RfmState& state) {
  std::string out;
  append_head(out, "rfm", state);
  const RfmSummary& s = state.summary;
  out += "end_date " + to_string(s.end) + "\n";
  out += "unit " + std::string(to_string(s.unit)) + "\n";
  if (!state.periods.empty()) out += "periods " + state.periods + "\n";
  append_sources(out, state);
  out += "totals " + std::to_string(s.transactions) + " " + std::to_string(s.transactions_used) + " " +
         std::to_string(s.excluded_customers) + "\n";
  out += "customers " + std::to_string(s.customers.size()) + "\n";
  for (const RfmCustomer& c : s.customers) {
    out += "c " + encode_state_string(c.customer_id) + " " + to_string(c.first) + " " + to_string(c.last) +
           " " + std::to_string(c.x) + " " + double_text(c.t_x) + " " + double_text(c.T) + " " +
           int128_text(c.repeat_amount) + " " + (c.monetary ? double_text(*c.monetary) : std::string("-")) + "\n";
  }
  if (!state.periods.empty()) {
    // One line per customer, in the order above: x t_x n in periods.
    for (const PeriodHistory& h : s.periods) {
      out += "p " + std::to_string(h.x) + " " + std::to_string(h.t_x) + " " + std::to_string(h.n) + "\n";
    }
  }
  append_end(out);
  return out;
}

RfmState parse_rfm_state(std::string_view text, const std::string& name) {
  RfmState state;
  StateLines lines = open_state(text, name, "rfm", state);
  RfmSummary& s = state.summary;
  const auto date = [&](std::string_view field) {
    Date d;
    if (field.size() != 10 || parse_date(field, d) != PeriodError::ok) lines.fail("invalid date " + quote_for_message(field));
    return d;
  };
  s.end = date(lines.expect("end_date", 1)[1]);
  {
    const auto& f = lines.expect("unit", 1);
    if (f[1] == "day") s.unit = TimeUnit::day;
    else if (f[1] == "week") s.unit = TimeUnit::week;
    else if (f[1] == "month") s.unit = TimeUnit::month;
    else lines.fail("invalid unit " + quote_for_message(f[1]));
  }
  if (lines.peek_keyword() == "periods") {
    const auto& f = lines.expect("periods", 1);
    if (f[1] != "day" && f[1] != "week" && f[1] != "month" && f[1] != "quarter" && f[1] != "year") {
      lines.fail("invalid periods " + quote_for_message(f[1]));
    }
    state.periods = std::string(f[1]);
  }
  read_sources(lines, state);
  {
    const auto& f = lines.expect("totals", 3);
    s.transactions = lines.integer<std::uint64_t>(f[1], 0, std::uint64_t{1} << 50);
    s.transactions_used = lines.integer<std::uint64_t>(f[2], 0, std::uint64_t{1} << 50);
    s.excluded_customers = lines.integer<std::uint64_t>(f[3], 0, std::uint64_t{1} << 50);
    if (s.transactions_used > s.transactions) lines.fail("'totals' line: more transactions used than read");
  }
  const auto count = lines.integer<std::uint64_t>(lines.expect("customers", 1)[1], 0, std::uint64_t{1} << 40);
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto& f = lines.expect("c", 8);
    RfmCustomer c;
    c.customer_id = lines.string(f[1]);
    if (!s.customers.empty() && !(s.customers.back().customer_id < c.customer_id)) {
      lines.fail("customers out of order (or repeated): " + quote_for_message(c.customer_id));
    }
    c.first = date(f[2]);
    c.last = date(f[3]);
    c.x = lines.integer<std::uint32_t>(f[4]);
    c.t_x = lines.real(f[5]);
    c.T = lines.real(f[6]);
    c.repeat_amount = lines.money(f[7]);
    if (f[8] != "-") c.monetary = lines.real(f[8]);
    if (c.last < c.first || s.end < c.last) lines.fail("customer dates out of order");
    // t_x, T and monetary follow from the dates, x and the amount (as RfmAccumulator computes
    // them): a state whose numbers disagree was not written by csm-metrics.
    const double per_unit = days_per_unit(s.unit);
    if (c.t_x != static_cast<double>(c.last.days - c.first.days) / per_unit ||
        c.T != static_cast<double>(s.end.days - c.first.days) / per_unit) {
      lines.fail("customer " + quote_for_message(c.customer_id) + ": t_x or T does not match its dates and --unit");
    }
    if ((c.x == 0) != (c.last == c.first) || c.x > static_cast<std::uint32_t>(c.last.days - c.first.days) ||
        (c.x == 0) == c.monetary.has_value() || (c.x == 0 && c.repeat_amount != 0) ||
        (c.monetary && *c.monetary != to_double(c.repeat_amount) / static_cast<double>(c.x))) {
      lines.fail("customer " + quote_for_message(c.customer_id) +
                 ": x, the dates, the repeat amount and monetary do not agree");
    }
    if (c.x > 0) ++s.customers_with_repeats;
    s.repeat_occasions += c.x;
    s.customers.push_back(std::move(c));
  }
  if (!state.periods.empty()) {
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto& f = lines.expect("p", 3);
      PeriodHistory h;
      h.x = lines.integer<std::uint32_t>(f[1]);
      h.t_x = lines.integer<std::uint32_t>(f[2]);
      h.n = lines.integer<std::uint32_t>(f[3]);
      if (h.x > h.t_x || h.t_x > h.n || (h.x == 0) != (h.t_x == 0)) {
        lines.fail("period history " + std::to_string(h.x) + " " + std::to_string(h.t_x) + " " +
                   std::to_string(h.n) + ": expected 0 <= x <= t_x <= n, and t_x = 0 exactly when x = 0");
      }
      s.periods.push_back(h);
    }
  }
  lines.expect_done("customers");
  return state;
}

}  // namespace csm::io
