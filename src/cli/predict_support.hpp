#pragma once
// What predict.cpp (BG/NBD, MBG/NBD, Pareto/NBD) and predict_bgbb.cpp (BG/BB) share: the options
// of `predict`, the --timings stopwatch, and the merge of rfm states for --from-state.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/scale_out.hpp"
#include "cli/transactions.hpp"

namespace csm::cli {

struct PredictOptions {
  TransactionOptions input;
  std::optional<double> horizon;
  double margin = 1;
  double discount_rate = 0;
  std::string model = "bgnbd";
  double penalizer = 0;
  std::string sort = "customer_id";
  std::size_t top = 0;
  std::optional<double> max_p_alive;
  std::string customers_csv;
  std::string holdout_end;
  bool timings = false;
  bool from_state = false;     ///< the files are rfm states (rfm --emit-state) to merge and fit
  bool allow_partial = false;  ///< with from_state: fit even when shards are missing
  bool unit_given = false;     ///< --unit on the command line
  bool compare = false;        ///< --compare: fit every purchase model and show the comparison
  bool model_given = false;    ///< --model on the command line
  std::optional<double> interval;  ///< --interval LEVEL: prediction intervals
  unsigned draws = 200;            ///< --draws
  std::uint64_t seed = 1;          ///< --seed
  bool interval_of_purchases = false;  ///< --interval-of purchases: also the purchases made
};

// Wall-clock seconds of each step, for --timings.
class Stopwatch {
 public:
  void lap(const char* name) {
    const auto now = std::chrono::steady_clock::now();
    text_ += (text_.empty() ? "" : ", ") + std::string(name) + " " +
             std::to_string(std::chrono::duration<double>(now - last_).count()).substr(0, 5) + " s";
    last_ = now;
  }
  const std::string& text() const { return text_; }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::string text_;
};

inline std::string fmt_g(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

/// --from-state: the rfm states of o.input.files read, checked to be rfm states, and merged as
/// `merge` does (a partial merge only with --allow-partial); --end, if given, must be theirs.
/// The caller checks that files were given.
MergedRfm merge_predict_states(const PredictOptions& o);

/// predict --model bg-bb (predict_bgbb.cpp).
int predict_bgbb(const PredictOptions& o, Streams io);

}  // namespace csm::cli
