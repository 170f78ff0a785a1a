// `calc clv-dcf` and `calc clv`: lifetime value from cash flows or from a retention model.

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

struct DcfOptions {
  std::vector<std::string> revenues;
  std::string periods;
  std::string years;  // --years: the same as --periods, for yearly periods (hidden)
  CLI::Option* periods_option = nullptr;
  CLI::Option* years_option = nullptr;
  std::string discount_rate = "0";
  std::string format = "text";
};

}  // namespace

Command add_clv_dcf(CLI::App& calc) {
  auto options = std::make_shared<DcfOptions>();
  CLI::App* sub = calc.add_subcommand(
      "clv-dcf", "CLV as discounted cash flow: sum of R_t / (1 + d)^t, t = 1..n");
  sub->add_option("--revenue,--revenues", options->revenues,
                  "Revenue of period t = 1, 2, ... in order; repeat the option or separate "
                  "values with commas")
      ->type_name("AMOUNT");
  sub->add_option("--discount-rate", options->discount_rate,
                  "Discount rate d per period, > -1: 0.1 or 10%")
      ->type_name("RATE")
      ->capture_default_str();
  options->periods_option =
      sub->add_option("--periods", options->periods,
                      "With one --revenue R: R in each of N periods (constant revenue), >= 1")
          ->type_name("N");
  options->years_option = sub->add_option("--years", options->years, "")->type_name("N")->group("");
  add_format_option(*sub, options->format);
  auto compute = [options]() {
    constexpr std::string_view kName = "clv-dcf";
    if (options->revenues.empty()) {
      fail(kName, "give the revenue of each period: --revenue 100 --revenue 120, or "
                  "--revenues 100,120");
    }
    std::vector<double> revenues;
    // Split here rather than with CLI11's delimiter, which drops empty items: in "100,,120" the
    // empty item is a mistake to report, not a period to skip (skipping would shift the
    // discounting of every later period).
    for (const std::string& given : options->revenues) {
      std::string_view rest = given;
      while (true) {
        const std::size_t comma = rest.find(',');
        revenues.push_back(parse_amount(kName, "--revenue", std::string(rest.substr(0, comma))));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    const bool constant = options->periods_option->count() > 0 || options->years_option->count() > 0;
    if (options->periods_option->count() > 0 && options->years_option->count() > 0) {
      fail(kName, "give --periods or --years, not both (they mean the same)");
    }
    if (constant) {
      const bool by_years = options->years_option->count() > 0;
      const char* option = by_years ? "--years" : "--periods";
      const std::int64_t periods = parse_count(kName, option, by_years ? options->years : options->periods);
      if (periods < 1) fail(kName, fmt::format("{} must be at least 1", option));
      if (periods > 100000) fail(kName, fmt::format("{} must be at most 100000", option));
      if (revenues.size() != 1) {
        fail(kName, fmt::format("{} N repeats one revenue N times: give one --revenue, not {}", option,
                                revenues.size()));
      }
      revenues.assign(static_cast<std::size_t>(periods), revenues.front());
    }
    const double discount = parse_discount_rate(kName, options->discount_rate);
    const formulas::Rate dcf = formulas::clv_dcf(revenues, discount);
    if (!dcf) fail(kName, kTooLarge);
    const double value = *dcf;
    Result result;
    result.json = Json{{"metric", "clv"},
                       {"model", "dcf"},
                       {"revenues", revenues},
                       {"discount_rate", discount},
                       {"periods", revenues.size()},
                       {"unit", "currency"},
                       {"value", value}};
    result.text = fmt::format("clv = {} (discounted cash flow: {} period{}, discount rate {} "
                              "per period)",
                              two_decimals(value), revenues.size(),
                              revenues.size() == 1 ? "" : "s", rate_echo(discount));
    return result;
  };
  return Command{sub, &options->format, compute};
}

namespace {

struct RetentionModelOptions {
  std::string margin;
  CLI::Option* profit_option = nullptr;
  CLI::Option* margin_alias = nullptr;
  std::string retention;
  std::string growth = "0";
  std::string discount_rate = "0";
  std::string horizon;
  CLI::Option* horizon_option = nullptr;
  std::string format = "text";
};

}  // namespace

Command add_clv(CLI::App& calc) {
  auto options = std::make_shared<RetentionModelOptions>();
  CLI::App* sub = calc.add_subcommand(
      "clv", "CLV, retention model: m / (1 + d - r (1 + g)), or summed over --horizon");
  sub->footer(
      "With --horizon T: sum over t = 1..T of m (1+g)^(t-1) r^(t-1) / (1+d)^t.\n"
      "Without it the infinite sum m / (1 + d - r (1 + g)), which needs r (1 + g) < 1 + d.");
  CLI::Option* profit =
      sub->add_option("--gross-profit", options->margin,
                      "Gross profit m (money: revenue less its direct costs) earned in the first "
                      "period, >= 0")
          ->type_name("AMOUNT");
  // --margin: the spelling before 0.x, kept as a hidden alias (docs/cli.md); one of the two is
  // required (checked when it runs, since CLI11 cannot require one of two options).
  options->margin_alias = sub->add_option("--margin", options->margin, "")->type_name("AMOUNT")->group("");
  options->profit_option = profit;
  sub->add_option("--retention", options->retention,
                  "Retention r: chance a customer stays another period, 0..1 or 0%..100%")
      ->required()
      ->type_name("RATE");
  sub->add_option("--growth", options->growth,
                  "Growth g of the margin per period, >= -1: 0.05 or 5%")
      ->type_name("RATE")
      ->capture_default_str();
  sub->add_option("--discount-rate", options->discount_rate,
                  "Discount rate d per period, > -1: 0.01 or 1%")
      ->type_name("RATE")
      ->capture_default_str();
  options->horizon_option =
      sub->add_option("--horizon", options->horizon,
                      "Number of periods T, >= 1; without it the infinite series")
          ->type_name("N");
  add_format_option(*sub, options->format);
  auto compute = [options]() {
    constexpr std::string_view kName = "clv";
    if (options->profit_option->count() > 0 && options->margin_alias->count() > 0) {
      fail(kName, "--margin is the former name of --gross-profit: give only --gross-profit");
    }
    if (options->profit_option->count() == 0 && options->margin_alias->count() == 0) {
      fail(kName, "--gross-profit is required: the money a customer earns in the first period "
                  "(revenue less its direct costs), e.g. --gross-profit 900");
    }
    const double margin = parse_amount(kName, options->margin_alias->count() > 0 ? "--margin" : "--gross-profit", options->margin);
    const double retention = parse_rate(kName, "--retention", options->retention);
    if (retention < 0.0 || retention > 1.0) {
      fail(kName, fmt::format("--retention must be between 0 and 1 (or 0% and 100%), got {}",
                              quote_for_message(options->retention)));
    }
    const double growth = parse_rate(kName, "--growth", options->growth);
    if (growth < -1.0) {
      fail(kName, fmt::format("--growth must be at least -1 (-100%), got {}",
                              quote_for_message(options->growth)));
    }
    const double discount = parse_discount_rate(kName, options->discount_rate);
    std::optional<std::int64_t> horizon;
    if (options->horizon_option->count() > 0) {
      horizon = parse_count(kName, "--horizon", options->horizon);
      if (*horizon < 1) fail(kName, "--horizon must be at least 1 period");
    }

    double value = 0.0;
    if (horizon) {
      const formulas::Rate summed =
          formulas::clv_retention(margin, retention, growth, discount, *horizon);
      if (!summed) fail(kName, kTooLarge);
      value = *summed;
    } else {
      // The same comparison as clv_retention_closed, so the message names the real cause.
      if (retention * (1.0 + growth) >= 1.0 + discount) {
        fail(kName, fmt::format("retention {} x (1 + growth {}) = {} is not below 1 + discount "
                                "rate {} = {}: the series does not converge; give --horizon",
                                fmt::format("{:.6g}", retention), fmt::format("{:.6g}", growth),
                                fmt::format("{:.6g}", retention * (1.0 + growth)),
                                fmt::format("{:.6g}", discount),
                                fmt::format("{:.6g}", 1.0 + discount)));
      }
      const formulas::Rate closed =
          formulas::clv_retention_closed(margin, retention, growth, discount);
      if (!closed) fail(kName, kTooLarge);
      value = *closed;
    }

    Result result;
    result.json = Json{{"metric", "clv"},
                       {"model", "retention"},
                       {"margin", margin},
                       {"retention", retention},
                       {"growth", growth},
                       {"discount_rate", discount},
                       {"horizon", horizon ? Json(*horizon) : Json(nullptr)},
                       {"unit", "currency"},
                       {"value", value}};
    result.text = fmt::format(
        "clv = {} (retention model: margin {}, retention {}, growth {}, discount rate {}, {})",
        two_decimals(value), two_decimals(margin), rate_echo(retention), rate_echo(growth),
        rate_echo(discount),
        horizon ? fmt::format("horizon {} period{}", *horizon, *horizon == 1 ? "" : "s")
                : std::string("no horizon"));
    return result;
  };
  return Command{sub, &options->format, compute};
}

}  // namespace csm::cli::calc
