// `calc grr`, `nrr`, `arpu`, `ltv-cac`, `payback` and `quick-ratio`.

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "cli/calc_support.hpp"
#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "csm/error.hpp"
#include "csm/formulas.hpp"

namespace csm::cli::calc {

namespace {

// grr, nrr, arpu, ltv-cac, payback, quick-ratio: the unit economics of compute (docs/metrics.md
// section 3), each from a few numbers. Every input is an option holding text, read when it runs.
enum class Input { amount, count, fraction };

struct InputSpec {
  const char* option;    // "--mrr-start"
  const char* json;      // "mrr_start"
  const char* help;
  const char* fallback;  // nullptr: required
  Input kind = Input::amount;
};

struct FormulaOptions {
  std::vector<std::string> values;
  std::string format = "text";
};

using Values = std::vector<double>;
// The value, or the message of why it is undefined (a zero denominator, an impossible input).
using Formula = std::function<std::variant<double, std::string>(const Values&)>;

Command add_formula(CLI::App& calc, const char* name, const char* description, const char* metric,
                    const char* unit, std::vector<InputSpec> specs, Formula formula) {
  auto options = std::make_shared<FormulaOptions>();
  options->values.resize(specs.size());
  CLI::App* sub = calc.add_subcommand(name, description);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const InputSpec& spec = specs[i];
    CLI::Option* option = sub->add_option(spec.option, options->values[i], spec.help)
                              ->type_name(spec.kind == Input::count ? "N" : spec.kind == Input::fraction ? "RATE" : "AMOUNT");
    if (spec.fallback == nullptr) {
      option->required();
    } else {
      options->values[i] = spec.fallback;
      option->capture_default_str();
    }
  }
  add_format_option(*sub, options->format);
  const std::string command = name;
  auto compute = [options, specs, formula, command, metric, unit]() {
    Values values;
    Json json{{"metric", metric}};
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const InputSpec& spec = specs[i];
      const std::string& text = options->values[i];
      if (spec.kind == Input::count) {
        const std::int64_t count = parse_count(command, spec.option, text);
        values.push_back(static_cast<double>(count));
        json[spec.json] = count;
      } else if (spec.kind == Input::fraction) {
        const double rate = parse_rate(command, spec.option, text);
        if (rate < 0.0 || rate > 1.0) {
          fail(command, fmt::format("{} must be between 0 and 1 (or 0% and 100%), got {}", spec.option,
                                    quote_for_message(text)));
        }
        values.push_back(rate);
        json[spec.json] = rate;
      } else {
        values.push_back(parse_amount(command, spec.option, text));
        json[spec.json] = values.back();
      }
    }
    const std::variant<double, std::string> outcome = formula(values);
    if (const auto* why = std::get_if<std::string>(&outcome)) fail(command, *why);
    const double value = std::get<double>(outcome);
    if (!std::isfinite(value)) fail(command, kTooLarge);
    json["unit"] = unit;
    json["value"] = value;
    Result result;
    result.json = std::move(json);
    const std::string_view u = unit;
    result.text = fmt::format("{} = {}{}", metric, u == "percent" ? percent_text(value) : two_decimals(value),
                              u == "months" ? " months" : "");
    return result;
  };
  return Command{sub, &options->format, compute};
}

std::variant<double, std::string> defined(const formulas::Rate& rate, const char* why) {
  if (rate) return *rate;
  return std::string(why);
}

}  // namespace

void add_unit_economics(CLI::App& calc, std::vector<Command>& commands) {
  constexpr const char* kStart = "MRR at the start of the period, > 0";
  constexpr const char* kChurned = "MRR of the customers of the start lost during the period";
  constexpr const char* kContraction = "MRR lost by customers of the start who stayed but pay less";
  const auto losses_fit = [](const Values& v) { return v[1] + v[2] <= v[0]; };
  commands.push_back(add_formula(
      calc, "grr", "Gross revenue retention, percent: 100 * (start - churned - contraction) / start", "grr",
      "percent",
      {{"--mrr-start", "mrr_start", kStart, nullptr},
       {"--churned-mrr", "churned_mrr", kChurned, "0"},
       {"--contraction-mrr", "contraction_mrr", kContraction, "0"}},
      [losses_fit](const Values& v) -> std::variant<double, std::string> {
        if (!losses_fit(v)) return std::string("--churned-mrr + --contraction-mrr cannot exceed --mrr-start");
        return defined(formulas::grr(v[0], v[1], v[2]), "--mrr-start must be > 0: with no MRR at the start grr is undefined");
      }));
  commands.push_back(add_formula(
      calc, "nrr",
      "Net revenue retention, percent: 100 * (start - churned - contraction + expansion) / start", "nrr",
      "percent",
      {{"--mrr-start", "mrr_start", kStart, nullptr},
       {"--churned-mrr", "churned_mrr", kChurned, "0"},
       {"--contraction-mrr", "contraction_mrr", kContraction, "0"},
       {"--expansion-mrr", "expansion_mrr", "MRR gained from customers of the start who pay more", "0"}},
      [losses_fit](const Values& v) -> std::variant<double, std::string> {
        if (!losses_fit(v)) return std::string("--churned-mrr + --contraction-mrr cannot exceed --mrr-start");
        return defined(formulas::nrr(v[0], v[1], v[2], v[3]), "--mrr-start must be > 0: with no MRR at the start nrr is undefined");
      }));
  commands.push_back(add_formula(
      calc, "arpu", "Average revenue per customer: mrr / customers", "arpu", "currency",
      {{"--mrr", "mrr", "MRR (revenue of the period) of the active customers", nullptr},
       {"--customers", "customers", "Active customers, > 0", nullptr, Input::count}},
      [](const Values& v) {
        return defined(formulas::arpu(v[0], static_cast<std::int64_t>(v[1])),
                       "--customers must be > 0: with no customers arpu is undefined");
      }));
  commands.push_back(add_formula(
      calc, "ltv-cac", "Lifetime value over acquisition cost: clv / cac", "ltv_cac", "ratio",
      {{"--clv", "clv", "Customer lifetime value (calc clv, or compute's clv)", nullptr},
       {"--cac", "cac", "Customer acquisition cost, > 0", nullptr}},
      [](const Values& v) -> std::variant<double, std::string> {
        if (v[1] == 0.0) return std::string("--cac must be > 0: with no acquisition cost ltv-cac is undefined");
        return v[0] / v[1];
      }));
  commands.push_back(add_formula(
      calc, "payback", "CAC payback, months: cac / (arpu * gross margin)", "cac_payback_months", "months",
      {{"--cac", "cac", "Customer acquisition cost", nullptr},
       {"--arpu", "arpu", "Monthly revenue per customer, > 0", nullptr},
       {"--gross-margin", "gross_margin", "Gross margin, 0..1 or 0%..100%, > 0", "1", Input::fraction}},
      [](const Values& v) -> std::variant<double, std::string> {
        if (v[1] * v[2] == 0.0) {
          return std::string("--arpu x --gross-margin must be > 0: a customer who earns nothing never pays back");
        }
        return v[0] / (v[1] * v[2]);
      }));
  commands.push_back(add_formula(
      calc, "quick-ratio",
      "SaaS quick ratio: (new + expansion + reactivation MRR) / (churned + contraction MRR)", "quick_ratio",
      "ratio",
      {{"--new-mrr", "new_mrr", "MRR of new customers", "0"},
       {"--expansion-mrr", "expansion_mrr", "MRR gained from customers who pay more", "0"},
       {"--reactivation-mrr", "reactivation_mrr", "MRR of customers who came back", "0"},
       {"--churned-mrr", "churned_mrr", kChurned, "0"},
       {"--contraction-mrr", "contraction_mrr", kContraction, "0"}},
      [](const Values& v) -> std::variant<double, std::string> {
        const double losses = v[3] + v[4];
        if (losses == 0.0) {
          return std::string("--churned-mrr + --contraction-mrr must be > 0: with no MRR lost the quick ratio is "
                             "undefined");
        }
        return (v[0] + v[1] + v[2]) / losses;
      }));
}

}  // namespace csm::cli::calc
