#include "csm/io/retention_writer.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>

#include "csm/error.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

using Json = nlohmann::ordered_json;

std::string trim_lower(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) {
    s.remove_suffix(1);
  }
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

// Column positions of cohort, period, active in a header; nullopt if it is not that header.
std::optional<std::array<std::size_t, 3>> header_columns(std::string_view line) {
  const std::vector<std::string_view> fields = split(line);
  if (fields.size() != 3) return std::nullopt;
  std::array<std::size_t, 3> at{3, 3, 3};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string name = trim_lower(fields[i]);
    const std::size_t which = name == "cohort" ? 0 : name == "period" ? 1 : name == "active" ? 2 : 3;
    if (which == 3 || at[which] != 3) return std::nullopt;
    at[which] = i;
  }
  return at;
}

double expected_at(const RetentionCohortResult& c, std::size_t t) {
  return retention_survival(c.fit->params, static_cast<double>(t));
}

Json model_json(const RetentionFit& fit) {
  Json m;
  const bool bdw = fit.model == RetentionModel::bdw;
  m["name"] = std::string(to_string(fit.model));
  const std::array<const char*, 3> names = bdw ? std::array<const char*, 3>{"gamma", "delta", "c"}
                                               : std::array<const char*, 3>{"alpha", "beta", ""};
  const std::array<double, 3> values{fit.params.a, fit.params.b, fit.params.c};
  const std::size_t k = parameter_count(fit.model);
  for (std::size_t i = 0; i < k; ++i) m[names[i]] = values[i];
  m["log_likelihood"] = fit.log_likelihood;
  m["bic"] = fit.bic;
  Json se = Json::object();
  for (std::size_t i = 0; i < k; ++i) se[names[i]] = text::json_number_or_null<Json>(fit.standard_errors[i]);
  m["std_errors"] = se;
  return m;
}

Json cohort_json(const RetentionCohortResult& c) {
  Json j;
  j["cohort"] = c.cohort;
  j["customers"] = static_cast<std::int64_t>(std::llround(c.customers));
  j["model"] = c.fit ? model_json(*c.fit) : Json(nullptr);
  Json survival = Json::array();
  for (std::size_t t = 0; t <= c.last_period; ++t) {
    Json e;
    e["period"] = t;
    e["actual"] = t < c.active.size() && c.customers > 0 ? Json(c.active[t] / c.customers) : Json(nullptr);
    e["expected"] = c.fit ? Json(expected_at(c, t)) : Json(nullptr);
    survival.push_back(std::move(e));
  }
  j["survival"] = std::move(survival);
  j["derl"] = text::json_number_or_null<Json>(c.derl);
  return j;
}

std::string parameters_text(const RetentionFit& f) {
  const auto se = [](const std::optional<double>& s) { return s ? fmt::format(" ({:.3g})", *s) : std::string(" (-)"); };
  if (f.model == RetentionModel::sbg) {
    return fmt::format("alpha {:.4g}{} beta {:.4g}{}", f.params.a, se(f.standard_errors[0]), f.params.b,
                       se(f.standard_errors[1]));
  }
  return fmt::format("gamma {:.4g}{} delta {:.4g}{} c {:.4g}{}", f.params.a, se(f.standard_errors[0]),
                     f.params.b, se(f.standard_errors[1]), f.params.c, se(f.standard_errors[2]));
}

std::string percent(double fraction) { return fmt::format("{:.1f}%", 100 * fraction); }

}  // namespace

bool is_survival_table_header(std::string_view first_line) {
  return header_columns(first_line).has_value();
}

SurvivalTable parse_survival_table(std::string_view text, const std::string& source) {
  std::size_t pos = 0;
  std::uint64_t line_number = 0;
  std::optional<std::array<std::size_t, 3>> at;
  std::map<std::string, std::map<std::int64_t, std::pair<double, std::uint64_t>>> rows;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (trim(line).empty()) continue;
    if (!at) {
      at = header_columns(line);
      if (!at) {
        throw InputError(source, line_number, "",
                         "expected the header cohort,period,active of a survival table");
      }
      continue;
    }
    const std::vector<std::string_view> fields = split(line);
    if (fields.size() != 3) {
      throw InputError(source, line_number, "",
                       "expected 3 fields (cohort,period,active), found " + std::to_string(fields.size()));
    }
    const std::string cohort = trim(fields[(*at)[0]]);
    if (cohort.empty()) throw InputError(source, line_number, "cohort", "expected a name, found nothing");
    const std::string period_text = trim(fields[(*at)[1]]);
    std::int64_t period = -1;
    const auto [pend, perr] = std::from_chars(period_text.data(), period_text.data() + period_text.size(), period);
    if (perr != std::errc() || pend != period_text.data() + period_text.size() || period < 0 || period > 100000) {
      throw InputError(source, line_number, "period",
                       "expected a whole number 0, 1, 2, ..., found \"" + period_text + "\"");
    }
    const std::string active_text = trim(fields[(*at)[2]]);
    std::int64_t active = -1;
    const auto [aend, aerr] = std::from_chars(active_text.data(), active_text.data() + active_text.size(), active);
    if (aerr != std::errc() || aend != active_text.data() + active_text.size() || active < 0) {
      throw InputError(source, line_number, "active",
                       "expected a count of customers >= 0, found \"" + active_text + "\"");
    }
    auto& periods = rows[cohort];
    if (periods.count(period) != 0) {
      throw InputError(source, line_number, "period",
                       "cohort " + cohort + " has period " + std::to_string(period) + " twice (also on line " +
                           std::to_string(periods[period].second) + ")");
    }
    periods[period] = {static_cast<double>(active), line_number};
  }
  if (!at) throw InputError(source, 0, "", "empty input: expected the header cohort,period,active");
  if (rows.empty()) throw InputError(source, 0, "", "no rows after the header cohort,period,active");
  SurvivalTable table;
  for (const auto& [cohort, periods] : rows) {
    std::vector<double> active;
    std::int64_t expected = 0;
    for (const auto& [period, value] : periods) {
      if (period != expected) {
        throw InputError(source, value.second, "period",
                         "cohort " + cohort + " has period " + std::to_string(period) + " but no period " +
                             std::to_string(expected) + " (periods run 0, 1, 2, ... without gaps)");
      }
      if (!active.empty() && value.first > active.back()) {
        throw InputError(source, value.second, "active",
                         fmt::format("cohort {}: {} active at period {}, more than the {} of period {} "
                                     "(survival counts never increase)",
                                     cohort, value.first, period, active.back(), period - 1));
      }
      active.push_back(value.first);
      ++expected;
    }
    table.cohorts.push_back(cohort);
    table.active.push_back(std::move(active));
  }
  return table;
}

std::optional<HoldoutError> holdout_error(const RetentionCohortResult& c) {
  if (!c.fit || c.active.size() <= c.fitted_periods + 1 || !(c.customers > 0)) return std::nullopt;
  HoldoutError e;
  double mape = 0;
  std::size_t mape_n = 0;
  for (std::size_t t = c.fitted_periods + 1; t < c.active.size(); ++t) {
    const double actual = c.active[t] / c.customers;
    const double expected = expected_at(c, t);
    e.mean_absolute_error += std::fabs(expected - actual) * 100;
    if (actual > 0) {
      mape += std::fabs(expected - actual) / actual * 100;
      ++mape_n;
    }
    ++e.periods;
  }
  e.mean_absolute_error /= static_cast<double>(e.periods);
  e.mape = mape_n > 0 ? mape / static_cast<double>(mape_n) : std::nan("");
  return e;
}

std::string retention_to_json(const RetentionReport& r) {
  Json j;
  text::put_envelope(j, {r.version, "retention", r.kind});
  j["model_option"] = r.model_option;
  j["fit_periods"] = r.fit_periods ? Json(*r.fit_periods) : Json(nullptr);
  j["project"] = r.project;
  j["discount_rate"] = r.discount_rate;
  Json cohorts = Json::array();
  Json holdout = Json::array();
  for (const RetentionCohortResult& c : r.cohorts) {
    cohorts.push_back(cohort_json(c));
    if (const auto e = holdout_error(c)) {
      holdout.push_back({{"cohort", c.cohort},
                         {"periods", e->periods},
                         {"mean_absolute_error", e->mean_absolute_error},
                         {"mape", std::isfinite(e->mape) ? Json(e->mape) : Json(nullptr)}});
    }
  }
  j["cohorts"] = std::move(cohorts);
  j["pooled"] = r.pooled ? cohort_json(*r.pooled) : Json(nullptr);
  j["holdout"] = std::move(holdout);
  if (!r.base_value.empty()) {
    Json base = Json::array();
    for (const BaseValue& b : r.base_value) {
      base.push_back({{"cohort", b.cohort},
                      {"active_customers", b.active_customers},
                      {"mrr", b.mrr},
                      {"residual_value", text::json_number_or_null<Json>(b.residual_value)}});
    }
    j["base_value"] = std::move(base);
  }
  j["notes"] = r.notes;
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string retention_to_csv(const RetentionReport& r) {
  std::string out = "cohort,customers,model,period,actual,expected,derl\n";
  const auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  std::vector<const RetentionCohortResult*> all;
  for (const RetentionCohortResult& c : r.cohorts) all.push_back(&c);
  if (r.pooled) all.push_back(&*r.pooled);
  for (const RetentionCohortResult* c : all) {
    const std::string model = c->fit ? std::string(to_string(c->fit->model)) : "";
    for (std::size_t t = 0; t <= c->last_period; ++t) {
      out += fmt::format("{},{},{},{},", field(c->cohort), c->customers, model, t);
      if (t < c->active.size() && c->customers > 0) out += fmt::format("{}", c->active[t] / c->customers);
      out += ',';
      if (c->fit) out += fmt::format("{}", expected_at(*c, t));
      out += ',';
      if (c->derl) out += fmt::format("{}", *c->derl);
      out += '\n';
    }
  }
  return out;
}

std::string retention_to_table(const RetentionReport& r) {
  std::string out;
  std::vector<const RetentionCohortResult*> all;
  for (const RetentionCohortResult& c : r.cohorts) all.push_back(&c);
  if (r.pooled) all.push_back(&*r.pooled);
  for (const RetentionCohortResult* c : all) {
    const std::size_t periods = c->active.empty() ? 0 : c->active.size() - 1;
    out += fmt::format("{}: {} customers, {} period{} observed", c->cohort, c->customers, periods,
                       periods == 1 ? "" : "s");
    if (!c->fit) {
      out += "\n  not fitted: " + c->note + "\n";
      continue;
    }
    const RetentionFit& f = *c->fit;
    out += fmt::format(", {} fitted\n  {} {}\n  log-likelihood {:.2f}, BIC {:.2f}", c->fitted_periods,
                       display_name(f.model), parameters_text(f), f.log_likelihood, f.bic);
    if (c->derl) {
      out += fmt::format("\n  DERL {:.2f} after {} renewals at d = {:g}%", *c->derl, c->derl_renewals,
                         100 * r.discount_rate);
    }
    out += '\n';
    // The periods after the fitted ones: holdout (observed) and projection.
    if (c->last_period > c->fitted_periods) {
      out += "  period    actual  expected     error\n";
      for (std::size_t t = c->fitted_periods + 1; t <= c->last_period; ++t) {
        const bool observed = t < c->active.size();
        const double expected = expected_at(*c, t);
        const double actual = observed ? c->active[t] / c->customers : 0;
        out += fmt::format("  {:>6}  {:>8}  {:>8}  {:>8}\n", t, observed ? percent(actual) : "-",
                           percent(expected),
                           observed ? fmt::format("{:+.1f}", 100 * (expected - actual)) : "-");
      }
      if (const auto e = holdout_error(*c)) {
        out += fmt::format("  holdout: {} periods, mean absolute error {:.2f} points, MAPE {:.1f}%\n",
                           e->periods, e->mean_absolute_error, e->mape);
      }
    }
  }
  if (!r.base_value.empty()) {
    out += "Value of the active customers (MRR x gross margin x DERL):\n";
    out += fmt::format("  {:<16} {:>9} {:>14} {:>16}\n", "cohort", "customers", "MRR", "residual value");
    for (const BaseValue& b : r.base_value) {
      out += fmt::format("  {:<16} {:>9} {:>14.2f} {:>16}\n", b.cohort, b.active_customers, b.mrr,
                         b.residual_value ? fmt::format("{:.2f}", *b.residual_value) : "-");
    }
  }
  for (const std::string& n : r.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace csm::io
