// Fuzz target: `csm-metrics merge` of several states (parse_*_state, then what merge does with
// them: add_raw, add_month_cohorts, the rfm customers concatenated). The input holds up to four
// states separated by NUL bytes (a state never has one); for each, as in state_reader, an even
// first byte means "append a correct `end` line" so that the parser behind the checksum is
// reached. Properties, for states of one kind and one set of settings:
// - the merge does not depend on the order of the states (activity and cohorts: the merged
//   state's text is the same added forwards and backwards);
// - the merged state finishes (periods_from_raw, roll_up_cohorts) without a crash, and written out
//   it is read back, unless the sums passed the state's bounds (2^40 counts, 30-digit amounts):
//   never an identity of the month walk broken;
// - rfm: the merged customers write out and read back as a state.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/state_file.hpp"
#include "reader_harness.hpp"

namespace {

std::string with_end(std::string_view piece) {
  if (piece.empty()) return {};
  std::string text(piece.substr(1));
  if ((static_cast<unsigned char>(piece[0]) & 1u) == 0) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    std::uint64_t lines = 0;
    for (const char c : text) lines += c == '\n' ? 1u : 0u;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(csm::shard_hash(text)));
    text += "end " + std::to_string(lines) + " " + hex + "\n";
  }
  return text;
}

// The months from the earliest first to the latest last month of the states: a merge holds every
// month of that span (for every group), so spans far beyond any data are left out (they are valid,
// but take more memory and time than a fuzz run has: two rows in 0001-01 and 9999-12).
template <class State>
bool span_too_wide(const std::vector<State>& states, std::size_t groups) {
  std::optional<csm::YearMonth> first;
  std::optional<csm::YearMonth> last;
  for (const State& s : states) {
    const csm::ActivityStats& st = [&]() -> const csm::ActivityStats& {
      if constexpr (requires { s.raw; }) {
        return s.raw.stats;
      } else {
        return s.stats;
      }
    }();
    if (!st.first || !st.last) continue;
    if (!first || *st.first < *first) first = st.first;
    if (!last || *last < *st.last) last = st.last;
  }
  if (!first) return false;
  const auto months = static_cast<std::size_t>(last->index - first->index + 1);
  return months > 1200 || months * (groups + 1) > 200000;
}

bool bound_error(const std::string& what) {
  return what.find("inconsistent") == std::string::npos && what.find("does not start") == std::string::npos;
}

void merge_activity(const std::vector<std::string>& texts) {
  std::vector<csm::io::ActivityState> states;
  try {
    for (const std::string& t : texts) states.push_back(csm::io::parse_activity_state(t, "fuzz"));
  } catch (const csm::InputError&) {
    return;
  }
  const csm::io::ActivityState& head = states.front();
  for (const csm::io::ActivityState& s : states) {
    // merge refuses other settings (setting_difference in src/cli/merge.cpp).
    if (s.options.csat_threshold != head.options.csat_threshold ||
        s.options.gross_margin != head.options.gross_margin || s.options.discount_rate != head.options.discount_rate ||
        s.options.quick_ratio_reactivation != head.options.quick_ratio_reactivation || s.grain != head.grain ||
        s.group_by != head.group_by || s.raw.grouped != head.raw.grouped || s.subscriptions != head.subscriptions ||
        s.until != head.until) {
      return;
    }
  }
  std::size_t groups = 0;
  for (const csm::io::ActivityState& s : states) groups += s.raw.groups.size();
  if (span_too_wide(states, groups)) return;
  const auto merged = [&](bool backwards) {
    csm::ActivityRaw raw;
    raw.grouped = head.raw.grouped;
    raw.grain = head.raw.grain;
    for (std::size_t k = 0; k < states.size(); ++k) {
      csm::add_raw(raw, states[backwards ? states.size() - 1 - k : k].raw);
    }
    csm::io::ActivityState out = head;
    out.raw = raw;
    return out;
  };
  const csm::io::ActivityState forwards = merged(false);
  const std::string text = csm::io::to_state_text(forwards);
  if (csm::io::to_state_text(merged(true)) != text) {
    csm::fuzz::fail("an activity merge does not depend on the order of the states", text);
  }
  std::vector<csm::GroupPeriods> group_periods;
  (void)csm::periods_from_raw(forwards.raw, forwards.options, &group_periods);
  try {
    (void)csm::io::parse_activity_state(text, "merged");
  } catch (const csm::InputError& e) {
    if (!bound_error(e.what())) csm::fuzz::fail("a merged activity state is a valid state", e.what());
  }
}

void merge_cohorts(const std::vector<std::string>& texts) {
  std::vector<csm::io::CohortState> states;
  try {
    for (const std::string& t : texts) states.push_back(csm::io::parse_cohort_state(t, "fuzz"));
  } catch (const csm::InputError&) {
    return;
  }
  const csm::io::CohortState& head = states.front();
  for (const csm::io::CohortState& s : states) {
    if (s.options.grain != head.options.grain || s.options.exclude_reactivated != head.options.exclude_reactivated ||
        s.group_by != head.group_by) {
      return;
    }
  }
  std::size_t groups = 0;
  for (const csm::io::CohortState& s : states) groups += s.monthly.groups.size();
  if (span_too_wide(states, groups)) return;
  const auto merged = [&](bool backwards) {
    csm::io::CohortState out = head;
    out.monthly = csm::CohortTable{};
    out.monthly.options = head.monthly.options;
    for (std::size_t k = 0; k < states.size(); ++k) {
      csm::add_month_cohorts(out.monthly, states[backwards ? states.size() - 1 - k : k].monthly);
    }
    return out;
  };
  const csm::io::CohortState forwards = merged(false);
  const std::string text = csm::io::to_state_text(forwards);
  if (csm::io::to_state_text(merged(true)) != text) {
    csm::fuzz::fail("a cohorts merge does not depend on the order of the states", text);
  }
  std::optional<csm::YearMonth> first;
  std::optional<csm::YearMonth> last;
  for (const csm::io::CohortState& s : states) {
    if (!s.stats.first) continue;
    if (!first || *s.stats.first < *first) first = s.stats.first;
    if (!last || *last < *s.stats.last) last = s.stats.last;
  }
  if (first) (void)csm::roll_up_cohorts(forwards.monthly, *first, *last, head.options);
}

void merge_rfm(const std::vector<std::string>& texts) {
  std::vector<csm::io::RfmState> states;
  try {
    for (const std::string& t : texts) states.push_back(csm::io::parse_rfm_state(t, "fuzz"));
  } catch (const csm::InputError&) {
    return;
  }
  csm::io::RfmState out = states.front();
  out.summary.customers.clear();
  out.summary.transactions = 0;
  out.summary.transactions_used = 0;
  for (const csm::io::RfmState& s : states) {
    if (s.summary.end != out.summary.end || s.summary.unit != out.summary.unit) return;
    out.summary.transactions += s.summary.transactions;
    out.summary.transactions_used += s.summary.transactions_used;
    out.summary.customers.insert(out.summary.customers.end(), s.summary.customers.begin(), s.summary.customers.end());
  }
  std::sort(out.summary.customers.begin(), out.summary.customers.end(),
            [](const csm::RfmCustomer& a, const csm::RfmCustomer& b) { return a.customer_id < b.customer_id; });
  for (std::size_t i = 1; i < out.summary.customers.size(); ++i) {
    if (out.summary.customers[i - 1].customer_id == out.summary.customers[i].customer_id) return;  // refused
  }
  const std::string text = csm::io::to_state_text(out);
  try {
    const csm::io::RfmState again = csm::io::parse_rfm_state(text, "merged");
    if (csm::io::to_state_text(again) != text) csm::fuzz::fail("a merged rfm state round-trips", text);
  } catch (const csm::InputError& e) {
    if (!bound_error(e.what())) csm::fuzz::fail("a merged rfm state is a valid state", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  std::vector<std::string> texts;
  std::size_t from = 0;
  while (texts.size() < 4) {
    const std::size_t nul = data.find('\0', from);
    texts.push_back(with_end(data.substr(from, nul == std::string_view::npos ? nul : nul - from)));
    if (nul == std::string_view::npos) break;
    from = nul + 1;
  }
  std::string kind;
  try {
    kind = csm::io::state_kind(texts.front(), "fuzz");
  } catch (const csm::InputError&) {
    return 0;
  }
  if (kind == "activity") merge_activity(texts);
  if (kind == "cohorts") merge_cohorts(texts);
  if (kind == "rfm") merge_rfm(texts);
  return 0;
}
