#pragma once
/// BG/BB in `predict --model bg-bb`: the summary file it reads (columns frequency, recency, n,
/// n_custs, as Fader, Hardie & Shang 2010 publish their donations data) and its outputs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csm/bgbb.hpp"
#include "csm/prediction_interval.hpp"

namespace csm::io {

/// The rows of a summary CSV with a header naming (in any order, other columns ignored)
/// `frequency` (x), `recency` (t_x), `n` and `n_custs` (customers with these values; the
/// column may be left out, then every row is one customer). Throws InputError
/// ("NAME:LINE: field: ...") for a missing column, a value that is not a whole number >= 0, or
/// values that cannot occur (x > t_x, t_x > n, x = 0 with t_x > 0, or t_x = 0 with x > 0).
std::vector<BgBbRow> parse_bgbb_summary(std::string_view text, const std::string& name);

struct BgBbPrediction {
  BgBbRow row;
  double p_alive = 1;        ///< at the next opportunity
  double expected = 0;       ///< transactions in the next `horizon` opportunities, per customer
};

struct BgBbReport {
  std::string version;
  /// The JSON member "kind": "transaction" (with --end) or "frequency_recency" (a summary file).
  std::string kind = "transaction";
  std::vector<std::string> sources;
  BgBbFit fit;
  std::uint32_t horizon = 0;  ///< future opportunities
  std::vector<BgBbPrediction> rows;
  double expected_total = 0;  ///< sum over all customers
  /// With --interval: bounds per row (in the order of `rows`) and of expected_total.
  std::optional<BgBbIntervals> intervals;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
};

std::string to_json(const BgBbReport& report);
/// One row per (x, t_x, n) with its customers, P(alive) and expected transactions.
std::string to_csv(const BgBbReport& report);
std::string to_table(const BgBbReport& report);

}  // namespace csm::io
