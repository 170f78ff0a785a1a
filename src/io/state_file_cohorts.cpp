// The cohorts state (`cohorts --emit-state`, read by `merge`): the cohort table of a customer shard at
// month grain, of all customers and of each group (docs/scale-out.md).

#include <string>
#include <utility>
#include <vector>

#include "csm/io/state_file.hpp"
#include "state_format.hpp"

namespace csm::io {
namespace {

using namespace state_format;  // the shared framing and StateLines (state_format.hpp)

void append_cohorts(std::string& out, const std::vector<Cohort>& cohorts) {
  for (const Cohort& c : cohorts) {
    out += "cohort " + to_string(c.period) + " " + std::to_string(c.customers) + " " + std::to_string(c.ages.size()) + "\n";
    for (const CohortAge& a : c.ages) out += "a " + std::to_string(a.active_customers) + " " + int128_text(a.revenue) + "\n";
  }
}

std::vector<Cohort> parse_cohorts(StateLines& lines, std::uint64_t count, const ActivityStats& st) {
  std::vector<Cohort> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto& f = lines.expect("cohort", 3);
    Cohort c;
    c.period = lines.month(f[1]);
    c.customers = lines.integer<std::int64_t>(f[2], 0, kMaxCount);
    const auto ages = lines.integer<std::uint64_t>(f[3], 0, 120000);
    if (!st.first || c.period < *st.first || *st.last < c.period ||
        ages != static_cast<std::uint64_t>(st.last->index - c.period.index + 1)) {
      lines.fail("cohort " + to_string(c.period) + " outside the months of the state, or the wrong number of ages");
    }
    if (!out.empty() && !(out.back().period < c.period)) lines.fail("cohorts out of order");
    for (std::uint64_t k = 0; k < ages; ++k) {
      const auto& a = lines.expect("a", 2);
      CohortAge age;
      age.active_customers = lines.integer<std::int64_t>(a[1], 0, kMaxCount);
      if (age.active_customers > c.customers) {
        lines.fail("cohort " + to_string(c.period) + ": more active customers than the cohort has");
      }
      age.revenue = lines.money(a[2]);
      c.ages.push_back(age);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::string to_state_text(const CohortState& state) {
  std::string out;
  append_head(out, "cohorts", state);
  out += "grain " + std::string(to_string(state.options.grain)) + "\n";
  out += std::string("exclude_reactivated ") + (state.options.exclude_reactivated ? "1" : "0") + "\n";
  out += "by " + std::string(state.group_by.empty() ? "0 " : "1 ") + encode_state_string(state.group_by) + "\n";
  append_sources(out, state);
  append_stats(out, state.stats);
  out += "cohorts " + std::to_string(state.monthly.cohorts.size()) + "\n";
  append_cohorts(out, state.monthly.cohorts);
  out += "groups " + std::to_string(state.monthly.groups.size()) + "\n";
  for (const CohortGroup& g : state.monthly.groups) {
    out += "group " + encode_state_string(g.group) + " " + std::to_string(g.cohorts.size()) + "\n";
    append_cohorts(out, g.cohorts);
  }
  append_end(out);
  return out;
}

CohortState parse_cohort_state(std::string_view text, const std::string& name) {
  CohortState state;
  StateLines lines = open_state(text, name, "cohorts", state);
  state.options.grain = lines.grain_line();
  state.options.exclude_reactivated = lines.integer<int>(lines.expect("exclude_reactivated", 1)[1], 0, 1) == 1;
  const bool grouped = lines.by_line(state.group_by);
  read_sources(lines, state);
  state.stats = parse_stats(lines);
  state.monthly.cohorts = parse_cohorts(lines, lines.integer<std::uint64_t>(lines.expect("cohorts", 1)[1], 0, 120000), state.stats);
  const auto group_count = lines.integer<std::uint64_t>(lines.expect("groups", 1)[1], 0, ActivityAggregator::kMaxGroups);
  if (group_count > 0 && !grouped) lines.fail("groups in a state without --by");
  for (std::uint64_t g = 0; g < group_count; ++g) {
    const auto& f = lines.expect("group", 2);
    CohortGroup group;
    group.group = lines.string(f[1]);
    const auto count = lines.integer<std::uint64_t>(f[2], 0, 120000);
    if (!state.monthly.groups.empty() && !(state.monthly.groups.back().group < group.group)) {
      lines.fail("groups out of order (or repeated): " + quote_for_message(group.group));
    }
    group.cohorts = parse_cohorts(lines, count, state.stats);
    state.monthly.groups.push_back(std::move(group));
  }
  lines.expect_done("groups");
  return state;
}

}  // namespace csm::io
