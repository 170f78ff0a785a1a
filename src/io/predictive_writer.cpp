#include "csm/io/predictive_writer.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <iterator>
#include <string_view>

#include "csm/io/interval_writer.hpp"
#include "csm/parallel.hpp"
#include "../core/pages.hpp"
#include "shortest_double.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

using Json = nlohmann::ordered_json;

Json finite(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

std::string dump(const Json& j) {
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json input_json(const ReadReport& input, const RfmSummary& s) {
  Json j;
  j["sources"] = input.sources;
  j["records"] = input.records;
  j["skipped_records"] = input.skipped;
  j["transactions_used"] = s.transactions_used;
  j["transactions_after_end"] = s.transactions - s.transactions_used;
  j["customers"] = s.customers.size();
  j["excluded_customers"] = s.excluded_customers;
  j["customers_with_repeats"] = s.customers_with_repeats;
  j["repeat_occasions"] = s.repeat_occasions;
  return j;
}

std::string num(double value) { return std::isfinite(value) ? fmt::format("{}", value) : ""; }

// The large CSV outputs are formatted in place, chunk by chunk (no string per field); the text
// is the same as num() gives (shortest_double.hpp).
void append(fmt::memory_buffer& out, std::string_view text) { out.append(text.data(), text.data() + text.size()); }

void append_num(fmt::memory_buffer& out, double value) {
  if (!std::isfinite(value)) return;
  char digits[detail::kShortestDoubleMax];
  out.append(digits, detail::write_shortest(digits, value));
}
void append_num(fmt::memory_buffer& out, const std::optional<double>& value) {
  if (value) append_num(out, *value);
}

void append_count(fmt::memory_buffer& out, std::uint32_t value) {
  const fmt::format_int digits(value);
  out.append(digits.data(), digits.data() + digits.size());
}

// A CSV text field (text::csv_field), with no copy when it is written as it is.
void append_csv_field(fmt::memory_buffer& out, std::string_view text, bool guard) {
  if (!text::csv_needs_change(text, guard)) {
    append(out, text);
    return;
  }
  append(out, text::csv_field(text, guard));
}

// YYYY-MM-DD, as to_string(Date) (which it calls for years outside 0..9999).
void append_date(fmt::memory_buffer& out, Date date) {
  const CivilDate c = civil_of(date);
  if (c.year < 0 || c.year > 9999) {
    append(out, to_string(date));
    return;
  }
  const auto digit = [](int v) { return static_cast<char>('0' + v); };
  const char text[10] = {digit(c.year / 1000), digit(c.year / 100 % 10), digit(c.year / 10 % 10), digit(c.year % 10), '-',
                         digit(c.month / 10),  digit(c.month % 10),      '-',                      digit(c.day / 10),   digit(c.day % 10)};
  out.append(text, text + sizeof text);
}

// Rows [0, n) in chunks of `per_chunk`, chunk(begin, end, buffer) appending the text of rows
// [begin, end) to `buffer` (a fmt::memory_buffer or a std::string), on up to `threads` threads
// (0: one per core), handed to `sink` in order: the text does not depend on the number of
// threads. Each thread formats a chunk into its own buffer (reused, so its pages are touched
// once) and, when the chunks before it have gone, hands it to the sink itself, while the other
// threads format the next chunks: no copy of the whole text is made, and writing overlaps
// formatting.
template <typename Buffer, typename Chunk>
void format_chunks(const TextSink& sink, std::size_t n, std::size_t per_chunk, unsigned threads, Chunk chunk) {
  constexpr std::size_t kStop = std::numeric_limits<std::size_t>::max();
  const std::size_t chunks = (n + per_chunk - 1) / per_chunk;
  std::vector<Buffer> buffers(resolve_threads(threads));
  std::atomic<std::size_t> turn{0};  // the chunk to hand over next; kStop after a failure
  parallel_jobs(chunks, threads, [&](unsigned worker, std::size_t c) {
    try {
      Buffer& buffer = buffers[worker];
      buffer.clear();
      chunk(c * per_chunk, std::min(n, (c + 1) * per_chunk), buffer);
      // Chunks are handed out in order, so every earlier one is held by a running thread.
      for (std::size_t t = turn.load(); t != c; t = turn.load()) {
        if (t == kStop) return;
        turn.wait(t);
      }
      sink(std::string_view(buffer.data(), buffer.size()));
      turn.store(c + 1);
      turn.notify_all();
    } catch (...) {
      turn.store(kStop);
      turn.notify_all();
      throw;
    }
  });
}

// CSV rows: row(i, buffer) appends row i; chunks of 4096 rows (about 0.7 MB for predict's CSV).
template <typename Row>
void format_rows(const TextSink& sink, std::size_t n, unsigned threads, Row row) {
  format_chunks<fmt::memory_buffer>(sink, n, 4096, threads, [&](std::size_t begin, std::size_t end, fmt::memory_buffer& buffer) {
    for (std::size_t i = begin; i < end; ++i) row(i, buffer);
  });
}

// A JSON document whose last member is the array "customers" of n objects, customer(i) the
// object of the i-th: the same text as dump() of the whole document, written in pieces. The
// objects are made and printed (by nlohmann's own serializer, at the depth dump() prints them)
// in chunks on up to `threads` threads, so the document is never whole in memory.
template <typename Customer>
void write_json_document(Json j, std::size_t n, unsigned threads, const TextSink& sink, Customer customer) {
  j["customers"] = Json::array();
  std::string text = dump(j);
  constexpr std::string_view kEmpty = "[]\n}\n";  // "customers": [] closes the document
  if (n == 0 || text.size() < kEmpty.size() || text.compare(text.size() - kEmpty.size(), kEmpty.size(), kEmpty) != 0) {
    if (n != 0) throw std::logic_error("predictive JSON: \"customers\" is not the last member");
    sink(text);
    return;
  }
  text.resize(text.size() - kEmpty.size());
  text += "[\n";
  sink(text);
  format_chunks<std::string>(sink, n, 2048, threads, [&](std::size_t begin, std::size_t end, std::string& buffer) {
    nlohmann::detail::serializer<Json> printer(nlohmann::detail::output_adapter<char, std::string>(buffer), ' ',
                                               Json::error_handler_t::replace);
    for (std::size_t i = begin; i < end; ++i) {
      buffer.append(4, ' ');
      printer.dump(customer(i), true, false, 2, 4);
      buffer += i + 1 < n ? ",\n" : "\n";
    }
  });
  sink("  ]\n}\n");
}

// The text that write(sink) gives in pieces, in one string.
template <typename Write>
std::string whole_text(Write write) {
  std::string out;
  write([&](std::string_view piece) {
    // Fresh pages backed in one call each, not faulted in one by one (core/pages.hpp).
    if (out.size() + piece.size() > out.capacity()) {
      out.reserve(std::max(out.size() + piece.size(), 2 * out.capacity()));
      detail::prepare_for_writing(out.data() + out.size(), out.capacity() - out.size());
    }
    out.append(piece);
  });
  return out;
}

std::string fixed(const std::optional<double>& value, int decimals) {
  if (!value || !std::isfinite(*value)) return "-";
  return fmt::format("{:.{}f}", *value, decimals);
}

// Long ids are shown with their middle elided in tables (CSV and JSON have them whole): at most
// this wide, and less where the table would pass 80 columns.
constexpr std::size_t kIdWidth = 32;

// Aligned columns: the first (ids, terminal-safe already) left-aligned and elided to fit 80
// columns, the rest right-aligned.
std::string table(const std::vector<std::string>& heads, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(heads.size());
  for (std::size_t c = 0; c < heads.size(); ++c) width[c] = heads[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], text::display_width(row[c]));
  }
  std::size_t others = 0;
  for (std::size_t c = 1; c < width.size(); ++c) others += 2 + width[c];
  const std::size_t room = others + heads[0].size() < text::kTableWidth ? text::kTableWidth - others : heads[0].size();
  width[0] = std::min({width[0], std::max(kIdWidth, heads[0].size()), std::max(room, heads[0].size())});
  std::string out;
  const auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += "  ";
      out += c == 0 ? text::pad_right(text::elide_middle(cells[c], width[c]), width[c])
                    : text::pad_left(cells[c], width[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  };
  line(heads);
  for (const auto& row : rows) line(row);
  return out;
}

// A parameter: 4 decimals, or 4 significant digits where that would show 0.0000 or a long
// number (fits at a limit of the model).
std::string param(double v) {
  const double m = std::fabs(v);
  return (m != 0 && m < 1e-3) || m >= 1e6 ? fmt::format("{:.4g}", v) : fmt::format("{:.4f}", v);
}

std::string se_text(const std::optional<double>& se) { return se ? fmt::format(" (se {:.4g})", *se) : " (se -)"; }

}  // namespace

void write_json(const RfmReport& report, const TextSink& sink) {
  const RfmSummary& s = report.summary;
  Json j;
  text::put_envelope(j, {report.version, report.command, to_string(RecordKind::transaction)});
  j["unit"] = std::string(to_string(s.unit));
  j["days_per_unit"] = days_per_unit(s.unit);
  j["end"] = to_string(s.end);
  j["input"] = input_json(report.input, s);
  j["notes"] = report.notes;
  if (!report.warnings.empty()) j["warnings"] = report.warnings;
  write_json_document(std::move(j), s.customers.size(), report.threads, sink, [&](std::size_t i) {
    const RfmCustomer& c = s.customers[i];
    Json o;
    o["customer_id"] = c.customer_id;
    o["first_purchase"] = to_string(c.first);
    o["x"] = c.x;
    o["t_x"] = c.t_x;
    o["T"] = c.T;
    o["monetary"] = text::json_number_or_null<Json>(c.monetary);
    return o;
  });
}

std::string to_json(const RfmReport& report) { return whole_text([&](const TextSink& sink) { write_json(report, sink); }); }

void write_csv(const RfmReport& report, const CsvStyle& style, const TextSink& sink) {
  const RfmSummary& s = report.summary;
  sink("customer_id,first_purchase,x,t_x,T,monetary,unit\n");
  const std::string_view unit = to_string(s.unit);
  format_rows(sink, s.customers.size(), report.threads, [&](std::size_t i, fmt::memory_buffer& line) {
    const RfmCustomer& c = s.customers[i];
    append_csv_field(line, c.customer_id, style.formula_guard);
    line.push_back(',');
    append_date(line, c.first);
    line.push_back(',');
    append_count(line, c.x);
    line.push_back(',');
    append_num(line, c.t_x);
    line.push_back(',');
    append_num(line, c.T);
    line.push_back(',');
    append_num(line, c.monetary);
    line.push_back(',');
    append(line, unit);
    line.push_back('\n');
  });
}

std::string to_csv(const RfmReport& report, const CsvStyle& style) {
  return whole_text([&](const TextSink& sink) { write_csv(report, style, sink); });
}

std::string to_table(const RfmReport& report) {
  const RfmSummary& s = report.summary;
  std::vector<std::vector<std::string>> rows;
  rows.reserve(s.customers.size());
  for (const RfmCustomer& c : s.customers) {
    rows.push_back({text::terminal_text(c.customer_id), to_string(c.first), std::to_string(c.x), fmt::format("{:.2f}", c.t_x),
                    fmt::format("{:.2f}", c.T), fixed(c.monetary, 2)});
  }
  std::string out = table({"customer_id", "first", "x", "t_x", "T", "monetary"}, rows);
  // The summary line, wrapped to 80 columns.
  out += text::wrap(fmt::format(
      "{} customers ({} with repeat purchases, {} repeat occasions); t_x and T in {}s, to {}; "
      "{} customers first bought after it",
      s.customers.size(), s.customers_with_repeats, s.repeat_occasions, to_string(s.unit),
      to_string(s.end), s.excluded_customers),
                    text::kTableWidth, "", "");
  return out;
}

void write_json(const PredictReport& report, const TextSink& sink) {
  const RfmSummary& s = report.summary;
  const BgNbdFit& f = report.purchases;
  const GammaGammaFit& g = report.spend;
  Json j;
  text::put_envelope(j, {report.version, "predict", to_string(RecordKind::transaction)});
  j["unit"] = std::string(to_string(s.unit));
  j["days_per_unit"] = days_per_unit(s.unit);
  j["horizon"] = report.horizon;
  j["end"] = to_string(s.end);
  j["margin"] = report.margin;
  j["discount_rate"] = report.discount_rate;
  j["input"] = input_json(report.input, s);
  Json model;
  Json purchases;
  // Pareto/NBD keeps s and beta where BG/NBD keeps a and b.
  const bool pareto = f.model == PurchaseModel::paretonbd;
  const char* third = pareto ? "s" : "a";
  const char* fourth = pareto ? "beta" : "b";
  purchases["model"] = std::string(to_string(f.model));
  purchases["r"] = f.params.r;
  purchases["alpha"] = f.params.alpha;
  purchases[third] = f.params.a;
  purchases[fourth] = f.params.b;
  purchases["log_likelihood"] = finite(f.log_likelihood);
  purchases["standard_errors"] = {{"r", text::json_number_or_null<Json>(f.standard_errors[0])},
                                  {"alpha", text::json_number_or_null<Json>(f.standard_errors[1])},
                                  {third, text::json_number_or_null<Json>(f.standard_errors[2])},
                                  {fourth, text::json_number_or_null<Json>(f.standard_errors[3])}};
  purchases["customers"] = f.customers;
  purchases["iterations"] = f.iterations;
  purchases["starts"] = f.starts;
  purchases["converged"] = f.converged;
  purchases["limit"] = f.limit.empty() ? Json(nullptr) : Json(f.limit);
  model[std::string(to_string(f.model))] = std::move(purchases);
  Json spend;
  spend["p"] = g.params.p;
  spend["q"] = g.params.q;
  spend["gamma"] = g.params.gamma;
  spend["log_likelihood"] = finite(g.log_likelihood);
  spend["standard_errors"] = {{"p", text::json_number_or_null<Json>(g.standard_errors[0])},
                              {"q", text::json_number_or_null<Json>(g.standard_errors[1])},
                              {"gamma", text::json_number_or_null<Json>(g.standard_errors[2])}};
  spend["customers"] = g.customers;
  spend["iterations"] = g.iterations;
  spend["starts"] = g.starts;
  spend["converged"] = g.converged;
  spend["limit"] = g.limit.empty() ? Json(nullptr) : Json(g.limit);
  spend["correlation_x_monetary"] = text::json_number_or_null<Json>(g.correlation);
  model["gamma_gamma"] = std::move(spend);
  j["model"] = std::move(model);
  if (!report.comparison.empty()) {
    Json rows = Json::array();
    for (const ModelComparison& c : report.comparison) {
      rows.push_back({{"model", std::string(to_string(c.model))},
                      {"log_likelihood", text::json_number_or_null<Json>(c.log_likelihood)},
                      {"bic", text::json_number_or_null<Json>(c.bic)},
                      {"holdout_mean_absolute_error", text::json_number_or_null<Json>(c.holdout_mean_absolute_error)},
                      {"holdout_predicted", text::json_number_or_null<Json>(c.holdout_predicted)},
                      {"chosen", c.chosen},
                      {"error", c.error.empty() ? Json(nullptr) : Json(c.error)}});
    }
    j["comparison"] = {{"rule", report.comparison_rule}, {"models", std::move(rows)}};
  }
  if (report.holdout) {
    const HoldoutReport& h = *report.holdout;
    Json o;
    o["holdout_end"] = to_string(h.holdout_end);
    o["length"] = h.length;
    o["actual_purchases"] = h.actual_total;
    o["predicted_purchases"] = finite(h.predicted_total);
    o["mean_absolute_error"] = finite(h.mean_absolute_error);
    o["root_mean_squared_error"] = finite(h.root_mean_squared_error);
    Json series = Json::array();
    for (const HoldoutPoint& p : h.series) {
      series.push_back({{"t", p.t}, {"actual", p.actual}, {"predicted", finite(p.predicted)}});
    }
    o["cumulative"] = std::move(series);
    Json weekly = Json::array();
    for (const WeeklyPoint& w : h.weekly) {
      weekly.push_back({{"week", w.week},
                        {"through", to_string(w.through)},
                        {"period", w.holdout ? "holdout" : "calibration"},
                        {"actual", w.actual},
                        {"predicted", finite(w.predicted)}});
    }
    o["weekly"] = std::move(weekly);
    j["holdout"] = std::move(o);
  }
  if (report.intervals) j["interval"] = interval_json(report);
  j["notes"] = report.notes;
  j["warnings"] = report.warnings;
  j["sort"] = report.sort;
  j["max_p_alive"] = text::json_number_or_null<Json>(report.max_p_alive);
  j["customers_total"] = report.customers_total;
  j["customers_selected"] = report.customers_selected;
  if (!report.customers_in_json) {
    sink(dump(j));
    return;
  }
  write_json_document(std::move(j), report.customers.size(), report.threads, sink, [&](std::size_t i) {
      const CustomerPrediction& p = report.customers[i];
      const RfmCustomer& c = s.customers[p.customer];
      Json o;
      o["customer_id"] = c.customer_id;
      o["x"] = c.x;
      o["t_x"] = c.t_x;
      o["T"] = c.T;
      o["monetary"] = text::json_number_or_null<Json>(c.monetary);
      o["p_alive"] = finite(p.p_alive);
      o["expected_purchases"] = finite(p.expected_purchases);
      o["expected_spend"] = text::json_number_or_null<Json>(p.expected_spend);
      o["clv"] = text::json_number_or_null<Json>(p.clv);
      o["value_at_risk"] = text::json_number_or_null<Json>(p.value_at_risk);
      if (report.holdout) {
        o["holdout_actual"] = c.holdout_x;
        o["holdout_predicted"] = text::json_number_or_null<Json>(p.holdout_predicted);
      }
      if (report.intervals) add_interval_members(o, report.intervals->customers[p.customer], report.intervals->options.purchases);
      return o;
  });
}

std::string to_json(const PredictReport& report) { return whole_text([&](const TextSink& sink) { write_json(report, sink); }); }

void write_csv(const PredictReport& report, const CsvStyle& style, const TextSink& sink) {
  const RfmSummary& s = report.summary;
  std::string head =
      "customer_id,x,t_x,T,monetary,p_alive,expected_purchases,expected_spend,clv,value_at_risk";
  if (report.holdout) head += ",holdout_actual,holdout_predicted";
  if (report.intervals) head += interval_csv_header(report.intervals->options.purchases);
  head += ",unit,horizon\n";
  sink(head);
  // The same last two fields on every line.
  const std::string tail = "," + std::string(to_string(s.unit)) + "," + num(report.horizon) + "\n";
  format_rows(sink, report.customers.size(), report.threads, [&](std::size_t i, fmt::memory_buffer& line) {
    const CustomerPrediction& p = report.customers[i];
    const RfmCustomer& c = s.customers[p.customer];
    append_csv_field(line, c.customer_id, style.formula_guard);
    line.push_back(',');
    append_count(line, c.x);
    line.push_back(',');
    append_num(line, c.t_x);
    line.push_back(',');
    append_num(line, c.T);
    line.push_back(',');
    append_num(line, c.monetary);
    line.push_back(',');
    append_num(line, p.p_alive);
    line.push_back(',');
    append_num(line, p.expected_purchases);
    line.push_back(',');
    append_num(line, p.expected_spend);
    line.push_back(',');
    append_num(line, p.clv);
    line.push_back(',');
    append_num(line, p.value_at_risk);
    if (report.holdout) {
      line.push_back(',');
      append_count(line, c.holdout_x);
      line.push_back(',');
      append_num(line, p.holdout_predicted);
    }
    if (report.intervals) append_interval_fields(line, report.intervals->customers[p.customer], report.intervals->options.purchases);
    append(line, tail);
  });
}

std::string to_csv(const PredictReport& report, const CsvStyle& style) {
  return whole_text([&](const TextSink& sink) { write_csv(report, style, sink); });
}

std::string model_csv(const PredictReport& report) {
  const BgNbdFit& f = report.purchases;
  const GammaGammaFit& g = report.spend;
  const std::string purchase(to_string(f.model));
  std::string out = "model,name,value,standard_error\n";
  const auto row = [&](std::string_view model, std::string_view name, double value,
                       const std::optional<double>& se) {
    out += fmt::format("{},{},{},{}\n", model, name, num(value), se ? num(*se) : "");
  };
  row(purchase, "r", f.params.r, f.standard_errors[0]);
  row(purchase, "alpha", f.params.alpha, f.standard_errors[1]);
  const bool pareto = f.model == PurchaseModel::paretonbd;
  row(purchase, pareto ? "s" : "a", f.params.a, f.standard_errors[2]);
  row(purchase, pareto ? "beta" : "b", f.params.b, f.standard_errors[3]);
  row(purchase, "log_likelihood", f.log_likelihood, std::nullopt);
  row(purchase, "customers", static_cast<double>(f.customers), std::nullopt);
  row(purchase, "iterations", f.iterations, std::nullopt);
  row("gamma_gamma", "p", g.params.p, g.standard_errors[0]);
  row("gamma_gamma", "q", g.params.q, g.standard_errors[1]);
  row("gamma_gamma", "gamma", g.params.gamma, g.standard_errors[2]);
  row("gamma_gamma", "log_likelihood", g.log_likelihood, std::nullopt);
  row("gamma_gamma", "customers", static_cast<double>(g.customers), std::nullopt);
  row("gamma_gamma", "iterations", g.iterations, std::nullopt);
  if (g.correlation) row("gamma_gamma", "correlation_x_monetary", *g.correlation, std::nullopt);
  const std::string unit(to_string(report.summary.unit));
  out += fmt::format("settings,unit,{},\nsettings,horizon,{},\nsettings,days_per_unit,{},\n"
                     "settings,margin,{},\nsettings,discount_rate,{},\n",
                     unit, num(report.horizon), num(days_per_unit(report.summary.unit)),
                     num(report.margin), num(report.discount_rate));
  if (report.holdout) {
    const HoldoutReport& h = *report.holdout;
    row("holdout", "length", h.length, std::nullopt);
    row("holdout", "actual_purchases", static_cast<double>(h.actual_total), std::nullopt);
    row("holdout", "predicted_purchases", h.predicted_total, std::nullopt);
    row("holdout", "mean_absolute_error", h.mean_absolute_error, std::nullopt);
    row("holdout", "root_mean_squared_error", h.root_mean_squared_error, std::nullopt);
  }
  if (report.intervals) out += interval_model_csv(report);
  return out;
}

std::string comparison_table(const PredictReport& report) {
  std::string out = "model        log-likelihood          BIC  holdout MAE  holdout predicted\n";
  const auto cell = [](const std::optional<double>& v, int width, int decimals) {
    return v ? fmt::format("{:>{}.{}f}", *v, width, decimals) : fmt::format("{:>{}}", "-", width);
  };
  for (const ModelComparison& c : report.comparison) {
    out += fmt::format("{:<12} {} {} {} {}{}\n", display_name(c.model), cell(c.log_likelihood, 14, 2),
                       cell(c.bic, 12, 2), cell(c.holdout_mean_absolute_error, 12, 4),
                       cell(c.holdout_predicted, 18, 1), c.chosen ? "  <- chosen" : "");
    if (!c.error.empty()) out += "  refused: " + c.error + "\n";
  }
  out += "rule: " + report.comparison_rule + "\n";
  return out;
}

std::string to_table(const PredictReport& report) {
  const RfmSummary& s = report.summary;
  const BgNbdFit& f = report.purchases;
  const GammaGammaFit& g = report.spend;
  const std::string unit(to_string(s.unit));
  std::string out;
  if (!report.comparison.empty()) out += comparison_table(report) + "\n";
  out += fmt::format("{} on {} customers to {} (time unit: {}; horizon {} {}s)\n",
                     display_name(f.model), f.customers,
                     to_string(s.end), unit, fmt::format("{:.6g}", report.horizon), unit);
  const bool pareto = f.model == PurchaseModel::paretonbd;
  out += fmt::format("  r {}{}  alpha {}{}\n  {} {}{}  {} {}{}\n", param(f.params.r),
                     se_text(f.standard_errors[0]), param(f.params.alpha),
                     se_text(f.standard_errors[1]), pareto ? "s" : "a", param(f.params.a),
                     se_text(f.standard_errors[2]), pareto ? "beta" : "b", param(f.params.b),
                     se_text(f.standard_errors[3]));
  out += fmt::format("  log-likelihood {:.2f}, {} evaluations, {}\n", f.log_likelihood,
                     f.iterations, !f.limit.empty() ? "converged to a limit (see warning)"
                                   : f.converged    ? "converged"
                                                    : "NOT converged");
  out += fmt::format("Gamma-Gamma on {} customers with repeat purchases\n", g.customers);
  out += fmt::format("  p {}{}  q {}{}  gamma {}{}\n", param(g.params.p),
                     se_text(g.standard_errors[0]), param(g.params.q),
                     se_text(g.standard_errors[1]), param(g.params.gamma),
                     se_text(g.standard_errors[2]));
  out += fmt::format("  log-likelihood {:.2f}, {}; correlation of x and monetary {}\n",
                     g.log_likelihood,
                     !g.limit.empty() ? "converged to a limit (see warning)"
                     : g.converged    ? "converged"
                                      : "NOT converged",
                     fixed(g.correlation, 3));
  if (report.holdout) {
    const HoldoutReport& h = *report.holdout;
    out += fmt::format(
        "Holdout to {} ({:.2f} {}s): {} purchases made, {:.1f} predicted; mean absolute error "
        "{:.3f} per customer\n",
        to_string(h.holdout_end), h.length, unit, h.actual_total, h.predicted_total,
        h.mean_absolute_error);
  }
  if (report.intervals) out += interval_table(report);
  if (report.customers_in_json) {
    out += '\n';
    std::vector<std::vector<std::string>> rows;
    for (const CustomerPrediction& p : report.customers) {
      const RfmCustomer& c = s.customers[p.customer];
      rows.push_back({text::terminal_text(c.customer_id), std::to_string(c.x), fixed(c.monetary, 2),
                      fmt::format("{:.3f}", p.p_alive), fmt::format("{:.3f}", p.expected_purchases),
                      fixed(p.expected_spend, 2), fixed(p.clv, 2), fixed(p.value_at_risk, 2)});
    }
    out += table({"customer_id", "x", "monetary", "p_alive", "purchases", "spend", "clv", "at_risk"},
                 rows);
    const std::string filter =
        report.max_p_alive ? fmt::format(" with p_alive <= {}", *report.max_p_alive) : "";
    if (report.customers.size() < report.customers_selected) {
      out += fmt::format("(top {} of {} customers{} by {})\n", report.customers.size(),
                         report.customers_selected, filter, report.sort);
    } else if (report.customers_selected < report.customers_total) {
      out += fmt::format("({} of {} customers{})\n", report.customers_selected,
                         report.customers_total, filter);
    }
  }
  // Warnings stay with the table, wrapped to 80 columns; notes go to stderr (src/cli/predict.cpp).
  for (const std::string& w : report.warnings) out += text::wrap(w, text::kTableWidth, "warning: ", "  ");
  return out;
}

}  // namespace csm::io
