// Fuzz target: the partial-state reader (csm::io::parse_activity_state, `csm-metrics merge`).
// The first byte chooses the mode: odd, the bytes are read as they are (the header, trailer and
// checksum checks); even, the rest gets a correct `end` line first, so that the parser behind
// the checksum is reached. Properties: a state that parses writes out (to_state_text) as a state
// that parses to the same text; its metrics finish without a crash; added to itself (two shards)
// it still finishes. Format 2: the seeds (corpus/state_reader) include a subscription state
// (`records subscription`, `until`), and the reader's consistency checks (settings ranges, the
// month walk's identities, rfm customers' numbers) are behind the checksum, reached in the even
// mode. A state that passes them is also one whose doubled counts (two shards) pass them again.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/state_file.hpp"
#include "reader_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  if ((bytes[0] & 1) == 0) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    std::uint64_t lines = 0;
    for (const char c : text) lines += c == '\n' ? 1u : 0u;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(csm::shard_hash(text)));
    text += "end " + std::to_string(lines) + " " + hex + "\n";
  }
  try {  // an rfm state: parses, writes out and parses back to the same text
    const csm::io::RfmState rfm = csm::io::parse_rfm_state(text, "fuzz");
    const std::string written = csm::io::to_state_text(rfm);
    if (csm::io::to_state_text(csm::io::parse_rfm_state(written, "written")) != written) {
      csm::fuzz::fail("an rfm state round-trips", written);
    }
    return 0;
  } catch (const csm::InputError&) {
  }
  try {  // a cohorts state: parses, writes out the same, and rolls up
    const csm::io::CohortState cohorts = csm::io::parse_cohort_state(text, "fuzz");
    const std::string written = csm::io::to_state_text(cohorts);
    if (csm::io::to_state_text(csm::io::parse_cohort_state(written, "written")) != written) {
      csm::fuzz::fail("a cohorts state round-trips", written);
    }
    if (cohorts.stats.first) {
      csm::CohortTable sum = cohorts.monthly;
      csm::add_month_cohorts(sum, cohorts.monthly);
      (void)csm::roll_up_cohorts(sum, *cohorts.stats.first, *cohorts.stats.last, cohorts.options);
    }
    return 0;
  } catch (const csm::InputError&) {
  }
  csm::io::ActivityState state;
  try {
    state = csm::io::parse_activity_state(text, "fuzz");
  } catch (const csm::InputError&) {
    return 0;
  }
  const std::string written = csm::io::to_state_text(state);
  csm::io::ActivityState again;
  try {
    again = csm::io::parse_activity_state(written, "written");
  } catch (const csm::InputError& e) {
    csm::fuzz::fail("a parsed state writes out as a state that parses", written + "\n" + e.what());
  }
  if (csm::io::to_state_text(again) != written) {
    csm::fuzz::fail("a state round-trips", written);
  }
  std::vector<csm::GroupPeriods> groups;
  (void)csm::periods_from_raw(state.raw, state.options, &groups);
  csm::ActivityRaw doubled = state.raw;
  csm::add_raw(doubled, state.raw);
  (void)csm::periods_from_raw(doubled, state.options, &groups);
  // The identities are linear: the doubled state, written out, must be read back.
  csm::io::ActivityState twice = state;
  twice.raw = doubled;
  try {
    (void)csm::io::parse_activity_state(csm::io::to_state_text(twice), "doubled");
  } catch (const csm::InputError& e) {
    // Doubling may pass the bounds (2^40 counts, 30-digit amounts): not a failure. Breaking an
    // identity is.
    const std::string what = e.what();
    if (what.find("inconsistent") != std::string::npos || what.find("does not start") != std::string::npos) {
      csm::fuzz::fail("a state added to itself is still a valid state", what);
    }
  }
  return 0;
}
