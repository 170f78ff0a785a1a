// Fuzz target: the `rfm` path (transaction records for `rfm` and `predict`), bytes -> RecordInput
// -> RfmAccumulator -> RfmSummary -> the rfm writers and the rfm state, through the public API
// as the CLI uses it. The first byte picks the format (by --input-format or by file extension),
// strict or --skip-invalid, the time unit, a holdout period, and whether to compare with a read
// split across threads; the rest is the file, written to a private temporary file.
// Properties, on whatever input parses: customers in byte order of their ids, each with
// first <= last <= --end, x = 0 exactly when first = last and then no monetary, monetary =
// repeat amount / x otherwise, t_x and T the day differences in the unit, t_x <= T, no holdout
// purchases without a holdout; rows used <= rows read; the writers produce valid JSON; the rfm
// state of the summary reads back to the same text; a split read gives byte-identical output (or
// the same error). Invalid input must end in InputError, nothing else.

#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "csm/error.hpp"
#include "csm/io/predictive_writer.hpp"
#include "csm/io/record_input.hpp"
#include "csm/io/state_file.hpp"
#include "csm/rfm.hpp"
#include "input_file.hpp"
#include "reader_harness.hpp"

namespace {

using csm::fuzz::fail;

constexpr csm::Date kEnd{20269};      // 2025-06-30
constexpr csm::Date kHoldout{20453};  // 2025-12-31

bool near(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::fmax(1.0, std::fabs(b)); }

void check_summary(const csm::RfmSummary& s, bool holdout) {
  const double unit = csm::days_per_unit(s.unit);
  if (s.transactions_used > s.transactions) fail("rows used <= rows read", "");
  for (std::size_t i = 0; i < s.customers.size(); ++i) {
    const csm::RfmCustomer& c = s.customers[i];
    if (i > 0 && !(s.customers[i - 1].customer_id < c.customer_id)) {
      fail("customers in byte order, each once", c.customer_id);
    }
    if (c.first > c.last || c.last > s.end) fail("first <= last <= end", c.customer_id);
    if ((c.x == 0) != (c.first == c.last)) fail("x = 0 exactly when first = last", c.customer_id);
    if (c.x == 0 && (c.monetary || c.repeat_amount != 0)) fail("x = 0: no monetary", c.customer_id);
    if (c.x > 0) {
      if (!c.monetary || *c.monetary < 0) fail("x > 0: monetary >= 0", c.customer_id);
      if (!near(*c.monetary, csm::to_double(c.repeat_amount) / c.x)) fail("monetary = amount / x", c.customer_id);
      if (static_cast<std::int64_t>(c.x) > c.last.days - c.first.days) {
        fail("at most one occasion a day", c.customer_id);
      }
    }
    if (!near(c.t_x, (c.last.days - c.first.days) / unit) || !near(c.T, (s.end.days - c.first.days) / unit)) {
      fail("t_x and T are the day differences in the unit", c.customer_id);
    }
    if (c.t_x > c.T) fail("t_x <= T", c.customer_id);
    if (!holdout && c.holdout_x != 0) fail("no holdout purchases without a holdout", c.customer_id);
  }
}

struct Result {
  std::string json;
  std::string error;
};

Result run(const std::string& path, const csm::io::ReadOptions& read, csm::TimeUnit unit, bool holdout) {
  Result result;
  csm::io::RfmReport report;
  report.version = "fuzz";
  try {
    csm::RfmAccumulator accumulator(kEnd, holdout ? std::optional<csm::Date>(kHoldout) : std::nullopt);
    csm::io::RecordInput input({path}, read);
    input.read(accumulator);
    report.input = input.report();
    report.summary = accumulator.finish(unit, read.threads);
  } catch (const csm::InputError& e) {
    result.error = std::string("InputError: ") + e.what();
    return result;
  } catch (const std::invalid_argument& e) {  // a file of another record kind, as the CLI maps it
    result.error = std::string("invalid_argument: ") + e.what();
    return result;
  }
  check_summary(report.summary, holdout);
  result.json = csm::io::to_json(report);
  try {
    (void)nlohmann::json::parse(result.json);
  } catch (const nlohmann::json::exception& e) {
    fail("the rfm JSON parses", std::string(e.what()) + "\n" + result.json);
  }
  if (report.summary.customers.size() <= 2000) {
    (void)csm::io::to_csv(report);
    (void)csm::io::to_table(report);
    if (!holdout) {
      csm::io::RfmState state;
      state.tool_version = "fuzz";
      state.sources = report.input.sources;
      state.records = report.input.records;
      state.skipped = report.input.skipped;
      state.summary = report.summary;
      const std::string text = csm::io::to_state_text(state);
      if (csm::io::to_state_text(csm::io::parse_rfm_state(text, "state")) != text) {
        fail("the rfm state of a summary reads back to the same text", text);
      }
    }
  }
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const unsigned control = bytes[0];
  const csm::fuzz::InputFile input("rfm_", bytes, size);
  const std::string& path = input.path;
  static const csm::TimeUnit kUnits[] = {csm::TimeUnit::week, csm::TimeUnit::day, csm::TimeUnit::month,
                                         csm::TimeUnit::week};
  const csm::TimeUnit unit = kUnits[(control >> 4) & 3u];
  const bool holdout = (control & 0x40u) != 0;

  csm::io::ReadOptions read;
  read.format = input.format;
  read.kind = csm::io::RecordKind::transaction;
  read.skip_invalid = (control & 8u) != 0;
  read.threads = 1;
  const Result one = run(path, read, unit, holdout);
  if ((control & 0x80u) != 0) {
    read.threads = 3;
    read.split_min_bytes = 1;
    const Result split = run(path, read, unit, holdout);
    if (split.json != one.json || split.error.empty() != one.error.empty()) {
      fail("a read split across threads gives the same result",
           "one thread:\n" + one.json + one.error + "\nthree threads:\n" + split.json + split.error);
    }
  }
  return 0;
}
