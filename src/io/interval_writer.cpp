#include "csm/io/interval_writer.hpp"

#include <cmath>
#include <iterator>

#include "csm/io/predictive_writer.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

using Json = nlohmann::ordered_json;

void append_bound(fmt::memory_buffer& line, const std::optional<double>& v) {
  line.push_back(',');
  if (v && std::isfinite(*v)) fmt::format_to(std::back_inserter(line), "{}", *v);
}

Json bounds_json(const std::optional<double>& estimate, const Bounds& b) {
  return Json{{"estimate", text::json_number_or_null<Json>(estimate)},
              {"lower", text::json_number_or_null<Json>(b.lower)},
              {"upper", text::json_number_or_null<Json>(b.upper)}};
}

std::string text_or_dash(const std::optional<double>& v, int decimals) {
  return v && std::isfinite(*v) ? fmt::format("{:.{}f}", *v, decimals) : "-";
}

}  // namespace

const char* const kPurchasesMethod =
    "--interval-of purchases: at each parameter draw one path of the purchase process per "
    "customer over the horizon, from the posterior given the history (alive with P(alive), "
    "latent rates from their posteriors); bounds are order statistics of the paths (whole "
    "purchases); the estimate is the expectation";

std::string interval_csv_header(bool purchases) {
  return std::string(",p_alive_lower,p_alive_upper,expected_purchases_lower,expected_purchases_upper,"
                     "clv_lower,clv_upper") +
         (purchases ? ",purchases_lower,purchases_upper" : "");
}

void append_interval_fields(fmt::memory_buffer& line, const CustomerInterval& c, bool purchases) {
  append_bound(line, c.p_alive.lower);
  append_bound(line, c.p_alive.upper);
  append_bound(line, c.expected_purchases.lower);
  append_bound(line, c.expected_purchases.upper);
  append_bound(line, c.clv.lower);
  append_bound(line, c.clv.upper);
  if (purchases) {
    append_bound(line, c.purchases.lower);
    append_bound(line, c.purchases.upper);
  }
}

void add_interval_members(Json& o, const CustomerInterval& c, bool purchases) {
  o["p_alive_lower"] = text::json_number_or_null<Json>(c.p_alive.lower);
  o["p_alive_upper"] = text::json_number_or_null<Json>(c.p_alive.upper);
  o["expected_purchases_lower"] = text::json_number_or_null<Json>(c.expected_purchases.lower);
  o["expected_purchases_upper"] = text::json_number_or_null<Json>(c.expected_purchases.upper);
  o["clv_lower"] = text::json_number_or_null<Json>(c.clv.lower);
  o["clv_upper"] = text::json_number_or_null<Json>(c.clv.upper);
  if (purchases) {
    o["purchases_lower"] = text::json_number_or_null<Json>(c.purchases.lower);
    o["purchases_upper"] = text::json_number_or_null<Json>(c.purchases.upper);
  }
}

Json interval_json(const PredictReport& report) {
  const PredictionIntervals& iv = *report.intervals;
  Json j;
  j["level"] = iv.options.level;
  j["draws"] = iv.options.draws;
  j["seed"] = iv.options.seed;
  j["method"] = "parameter draws from the asymptotic normal distribution of the estimates of "
                "the log-parameters (inverse Hessian), purchase model and Gamma-Gamma "
                "independently; central share of the draws (linear interpolation); intervals "
                "for the expectations, not for realised purchases";
  j["draws_without_mean_spend"] = iv.draws_without_mean_spend;
  j["totals"] = {{"customers", report.customers_total},
                 {"expected_purchases", bounds_json(report.expected_purchases_total,
                                                    iv.expected_purchases_total)},
                 {"clv", bounds_json(report.clv_total, iv.clv_total)}};
  if (iv.options.purchases) {
    j["purchases_method"] = kPurchasesMethod;
    j["totals"]["purchases"] = bounds_json(report.expected_purchases_total, iv.purchases_total);
  }
  return j;
}

std::string interval_model_csv(const PredictReport& report) {
  const PredictionIntervals& iv = *report.intervals;
  const auto row = [](std::string_view name, const std::optional<double>& v) {
    return fmt::format("interval,{},{},\n", name, v && std::isfinite(*v) ? fmt::format("{}", *v) : "");
  };
  std::string out = row("level", iv.options.level) + row("draws", iv.options.draws) +
                    row("seed", static_cast<double>(iv.options.seed));
  out += row("expected_purchases_total", report.expected_purchases_total);
  out += row("expected_purchases_total_lower", iv.expected_purchases_total.lower);
  out += row("expected_purchases_total_upper", iv.expected_purchases_total.upper);
  out += row("clv_total", report.clv_total);
  out += row("clv_total_lower", iv.clv_total.lower);
  out += row("clv_total_upper", iv.clv_total.upper);
  if (iv.options.purchases) {
    out += row("purchases_total_lower", iv.purchases_total.lower);
    out += row("purchases_total_upper", iv.purchases_total.upper);
  }
  return out;
}

std::string interval_table(const PredictReport& report) {
  const PredictionIntervals& iv = *report.intervals;
  const double pct = 100 * iv.options.level;
  std::string out = fmt::format(
      "{:g}% intervals ({} parameter draws, seed {}; for the expectations): all {} customers\n",
      pct, iv.options.draws, iv.options.seed, report.customers_total);
  out += fmt::format("  expected purchases {} ({} to {})\n",
                     text_or_dash(report.expected_purchases_total, 1),
                     text_or_dash(iv.expected_purchases_total.lower, 1),
                     text_or_dash(iv.expected_purchases_total.upper, 1));
  out += fmt::format("  clv {} ({} to {}); per customer: -f json or csv\n",
                     text_or_dash(report.clv_total, 2), text_or_dash(iv.clv_total.lower, 2),
                     text_or_dash(iv.clv_total.upper, 2));
  if (iv.options.purchases) {
    out += fmt::format("  purchases made in the horizon (simulated paths): {} to {}\n",
                       text_or_dash(iv.purchases_total.lower, 0), text_or_dash(iv.purchases_total.upper, 0));
  }
  return out;
}

}  // namespace csm::io
