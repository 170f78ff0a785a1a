#pragma once
/// The `predict --interval` parts of predict's outputs (docs/predictive.md, "Prediction
/// intervals"), kept apart from predictive_writer.cpp: the `interval` object of the JSON, the
/// per-customer members and CSV columns `p_alive_lower`, `p_alive_upper`,
/// `expected_purchases_lower`, `expected_purchases_upper`, `clv_lower`, `clv_upper`, and the
/// table's lines.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <string>

#include "csm/prediction_interval.hpp"

namespace csm::io {

struct PredictReport;

/// The `purchases_method` text of the JSON (BG/BB's too).
extern const char* const kPurchasesMethod;

/// The CSV header fields, each with a leading comma (with `purchases`, also purchases_lower and
/// purchases_upper: --interval-of purchases).
std::string interval_csv_header(bool purchases = false);
/// One customer's CSV fields, each with a leading comma (empty where a bound is null).
void append_interval_fields(fmt::memory_buffer& line, const CustomerInterval& c, bool purchases = false);
/// One customer's JSON members.
void add_interval_members(nlohmann::ordered_json& customer, const CustomerInterval& c, bool purchases = false);
/// The top-level `interval` object: method, level, draws, seed and the totals of the base.
nlohmann::ordered_json interval_json(const PredictReport& report);
/// Rows `interval,NAME,VALUE,` of the model CSV (-f csv with --customers-csv).
std::string interval_model_csv(const PredictReport& report);
/// The table's lines about the intervals (totals of the base).
std::string interval_table(const PredictReport& report);

}  // namespace csm::io
