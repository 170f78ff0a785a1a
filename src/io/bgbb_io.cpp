#include "csm/io/bgbb_io.hpp"

#include "csm/io/interval_writer.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <optional>

#include "csm/error.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    std::string_view cell = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!cell.empty() && (cell.front() == ' ' || cell.front() == '"')) cell.remove_prefix(1);
    while (!cell.empty() && (cell.back() == ' ' || cell.back() == '"' || cell.back() == '\r')) cell.remove_suffix(1);
    out.push_back(cell);
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

std::string num(double v) { return fmt::format("{}", v); }

Json se_json(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? Json(*v) : Json(nullptr);
}

Json bound_json(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

std::string bound_text(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? num(*v) : std::string();
}

std::string bound_table(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? fmt::format("{:.1f}", *v) : std::string("-");
}

}  // namespace

std::vector<BgBbRow> parse_bgbb_summary(std::string_view text, const std::string& name) {
  std::vector<BgBbRow> rows;
  std::size_t pos = 0;
  std::uint64_t line_no = 0;
  std::optional<std::size_t> cx, ctx, cn, cc;
  std::size_t columns = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string_view> cells = split(line);
    if (!cx && !ctx && !cn && line_no == 1) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "frequency") cx = i;
        if (cells[i] == "recency") ctx = i;
        if (cells[i] == "n") cn = i;
        if (cells[i] == "n_custs") cc = i;
      }
      columns = cells.size();
      for (const auto& [col, label] : {std::pair{cx, "frequency"}, {ctx, "recency"}, {cn, "n"}}) {
        if (!col) {
          throw InputError(name, 1, label,
                           std::string("no column '") + label + "' in the header; a BG/BB summary "
                           "has the columns frequency,recency,n[,n_custs]");
        }
      }
      continue;
    }
    if (cells.size() != columns) {
      throw InputError(name, line_no, "", fmt::format("{} fields, expected {} as in the header",
                                                      cells.size(), columns));
    }
    const auto whole = [&](std::size_t i, const char* label) -> std::uint64_t {
      std::uint64_t v = 0;
      const std::string_view c = cells[i];
      const auto [ptr, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
      if (c.empty() || ec != std::errc() || ptr != c.data() + c.size() || v > 1'000'000'000) {
        throw InputError(name, line_no, label,
                         "'" + std::string(c) + "', expected a whole number from 0 to 1e9");
      }
      return v;
    };
    BgBbRow row;
    row.x = static_cast<std::uint32_t>(whole(*cx, "frequency"));
    row.t_x = static_cast<std::uint32_t>(whole(*ctx, "recency"));
    row.n = static_cast<std::uint32_t>(whole(*cn, "n"));
    row.count = cc ? static_cast<double>(whole(*cc, "n_custs")) : 1.0;
    if (row.n > 100'000) {
      throw InputError(name, line_no, "n", fmt::format("{}, expected at most 100000 opportunities", row.n));
    }
    if (row.x > row.t_x || row.t_x > row.n || (row.x == 0) != (row.t_x == 0)) {
      throw InputError(name, line_no, "recency",
                       fmt::format("frequency {}, recency {}, n {}: expected 0 <= frequency <= "
                                   "recency <= n, recency 0 exactly when frequency is 0",
                                   row.x, row.t_x, row.n));
    }
    if (row.count > 0) rows.push_back(row);
  }
  if (!cx) throw InputError(name, 0, "", "empty file: expected a header frequency,recency,n[,n_custs]");
  return rows;
}

std::string to_json(const BgBbReport& r) {
  Json j;
  text::put_envelope(j, {r.version, "predict", r.kind});
  j["horizon"] = r.horizon;
  j["input"] = {{"sources", r.sources}, {"rows", r.rows.size()}, {"customers", r.fit.customers}};
  const BgBbFit& f = r.fit;
  Json m;
  m["model"] = "bg_bb";
  m["alpha"] = f.params.alpha;
  m["beta"] = f.params.beta;
  m["gamma"] = f.params.gamma;
  m["delta"] = f.params.delta;
  m["log_likelihood"] = f.log_likelihood;
  m["standard_errors"] = {{"alpha", se_json(f.standard_errors[0])},
                          {"beta", se_json(f.standard_errors[1])},
                          {"gamma", se_json(f.standard_errors[2])},
                          {"delta", se_json(f.standard_errors[3])}};
  m["customers"] = f.customers;
  m["iterations"] = f.iterations;
  m["starts"] = f.starts;
  m["converged"] = f.converged;
  m["limit"] = f.limit.empty() ? Json(nullptr) : Json(f.limit);
  j["model"] = {{"bg_bb", std::move(m)}};
  j["expected_transactions_total"] = r.expected_total;
  if (r.intervals) {
    const BgBbIntervals& iv = *r.intervals;
    j["interval"] = {
        {"level", iv.options.level},
        {"draws", iv.options.draws},
        {"seed", iv.options.seed},
        {"method", "parameter draws from the asymptotic normal distribution of the estimates of "
                   "the log-parameters (inverse Hessian); central share of the draws (linear "
                   "interpolation); intervals for the expectations, not for realised transactions"},
        {"totals", {{"customers", r.fit.customers},
                    {"expected_transactions", {{"estimate", r.expected_total},
                                               {"lower", bound_json(iv.expected_total.lower)},
                                               {"upper", bound_json(iv.expected_total.upper)}}}}}};
    if (iv.options.purchases) {
      j["interval"]["purchases_method"] = kPurchasesMethod;
      j["interval"]["totals"]["transactions"] = {{"estimate", r.expected_total},
                                                 {"lower", bound_json(iv.transactions_total.lower)},
                                                 {"upper", bound_json(iv.transactions_total.upper)}};
    }
  }
  j["notes"] = r.notes;
  j["warnings"] = r.warnings;
  Json rows = Json::array();
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const BgBbPrediction& p = r.rows[i];
    Json row = {{"frequency", p.row.x},
                {"recency", p.row.t_x},
                {"n", p.row.n},
                {"n_custs", p.row.count},
                {"p_alive", p.p_alive},
                {"expected_transactions", p.expected}};
    if (r.intervals) {
      const BgBbRowInterval& b = r.intervals->rows[i];
      row["p_alive_lower"] = bound_json(b.p_alive.lower);
      row["p_alive_upper"] = bound_json(b.p_alive.upper);
      row["expected_transactions_lower"] = bound_json(b.expected.lower);
      row["expected_transactions_upper"] = bound_json(b.expected.upper);
      if (r.intervals->options.purchases) {
        row["transactions_lower"] = bound_json(b.transactions.lower);
        row["transactions_upper"] = bound_json(b.transactions.upper);
      }
    }
    rows.push_back(std::move(row));
  }
  j["rows"] = std::move(rows);
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string to_csv(const BgBbReport& r) {
  std::string out = r.intervals ? "frequency,recency,n,n_custs,p_alive,expected_transactions,"
                                  "p_alive_lower,p_alive_upper,expected_transactions_lower,"
                                  "expected_transactions_upper," +
                                      std::string(r.intervals->options.purchases ? "transactions_lower,transactions_upper," : "") +
                                      "horizon\n"
                                : "frequency,recency,n,n_custs,p_alive,expected_transactions,horizon\n";
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const BgBbPrediction& p = r.rows[i];
    out += fmt::format("{},{},{},{},{},{},", p.row.x, p.row.t_x, p.row.n, num(p.row.count),
                       num(p.p_alive), num(p.expected));
    if (r.intervals) {
      const BgBbRowInterval& b = r.intervals->rows[i];
      out += fmt::format("{},{},{},{},", bound_text(b.p_alive.lower), bound_text(b.p_alive.upper),
                         bound_text(b.expected.lower), bound_text(b.expected.upper));
      if (r.intervals->options.purchases) {
        out += fmt::format("{},{},", bound_text(b.transactions.lower), bound_text(b.transactions.upper));
      }
    }
    out += fmt::format("{}\n", r.horizon);
  }
  return out;
}

std::string to_table(const BgBbReport& r) {
  const BgBbFit& f = r.fit;
  const auto se = [](const std::optional<double>& v) {
    return v ? fmt::format(" (se {:.4g})", *v) : std::string(" (se -)");
  };
  std::string out = fmt::format("BG/BB on {} customers (horizon {} opportunities)\n", num(f.customers), r.horizon);
  out += fmt::format("  alpha {:.4f}{}  beta {:.4f}{}\n  gamma {:.4f}{}  delta {:.4f}{}\n",
                     f.params.alpha, se(f.standard_errors[0]), f.params.beta, se(f.standard_errors[1]),
                     f.params.gamma, se(f.standard_errors[2]), f.params.delta, se(f.standard_errors[3]));
  out += fmt::format("  log-likelihood {:.2f}, {} evaluations, {}\n", f.log_likelihood, f.iterations,
                     f.limit.empty() ? "converged" : "converged to a limit (see the warning)");
  out += fmt::format("Expected transactions of all customers in the next {} opportunities: {:.1f}\n",
                     r.horizon, r.expected_total);
  if (r.intervals) {
    const BgBbIntervals& iv = *r.intervals;
    out += fmt::format("  {}% interval ({} parameter draws, seed {}; for the expectation): {} to {}\n",
                       num(iv.options.level * 100), iv.options.draws, iv.options.seed,
                       bound_table(iv.expected_total.lower), bound_table(iv.expected_total.upper));
    if (iv.options.purchases) {
      out += fmt::format("  transactions made (simulated paths): {} to {}\n",
                         bound_table(iv.transactions_total.lower).substr(0, bound_table(iv.transactions_total.lower).find('.')),
                         bound_table(iv.transactions_total.upper).substr(0, bound_table(iv.transactions_total.upper).find('.')));
    }
    out += "  per row: -f json or csv\n";
  }
  out += "\n";
  out += fmt::format("{:>9} {:>7} {:>5} {:>8} {:>8} {:>9}\n", "frequency", "recency", "n", "n_custs",
                     "p_alive", "expected");
  for (const BgBbPrediction& p : r.rows) {
    out += fmt::format("{:>9} {:>7} {:>5} {:>8} {:>8.4f} {:>9.4f}\n", p.row.x, p.row.t_x, p.row.n,
                       num(p.row.count), p.p_alive, p.expected);
  }
  for (const std::string& w : r.warnings) out += "warning: " + w + '\n';
  for (const std::string& n : r.notes) out += "note: " + n + '\n';
  return out;
}

}  // namespace csm::io
