// `csm-metrics calc <metric>`: one formula of csm::formulas applied to numbers given on the command
// line. Options are read as strings and converted here, so that every bad value gets the same
// kind of message ("cac: --spend: expected an amount >= 0, got \"-5\"") and exit status 2.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/run.hpp"
#include "csm/error.hpp"
#include "csm/formulas.hpp"
#include "io/text_output.hpp"

namespace csm::cli {
namespace {

// Insertion-ordered so that "metric" comes first and "value" last, as documented.
using Json = nlohmann::ordered_json;

struct Result {
  Json json;
  std::string text;
};

[[noreturn]] void fail(std::string_view command, std::string_view message) {
  throw UsageError(fmt::format("{}: {}", command, message));
}

// A leading '+' is accepted because people write "+5%"; std::from_chars does not take it.
std::string_view without_plus(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  return text;
}

std::int64_t parse_count(std::string_view command, std::string_view option,
                         const std::string& text) {
  const std::string_view digits = without_plus(text);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error == std::errc::result_out_of_range) {
    fail(command, fmt::format("{}: {} is too large for a count", option, quote_for_message(text)));
  }
  if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() ||
      value < 0) {
    fail(command, fmt::format("{}: expected a whole number >= 0, got {}", option,
                              quote_for_message(text)));
  }
  return value;
}

enum class Kind { amount, rate };

// An amount is a finite number >= 0. A rate is a finite fraction (0.1), or a percentage when it
// ends in '%' (10%), and may be negative; its range is checked by the command that uses it.
double parse_number(std::string_view command, std::string_view option, const std::string& text,
                    Kind kind) {
  if (kind == Kind::rate) {
    // The parser of every RATE option (option_checks.hpp).
    const std::optional<double> rate = parse_rate_text(text);
    if (!rate) {
      fail(command, fmt::format("{}: expected a fraction such as 0.05 or a percentage such as 5%, "
                                "got {}",
                                option, quote_for_message(text)));
    }
    return *rate;
  }
  const std::string_view number = without_plus(text);
  double value = 0.0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value,
                                            std::chars_format::general);
  const bool parsed = error == std::errc{} && end == number.data() + number.size() &&
                      !number.empty() && std::isfinite(value);
  if (!parsed || value < 0.0) {
    fail(command,
         fmt::format("{}: expected an amount >= 0, got {}", option, quote_for_message(text)));
  }
  return value;
}

double parse_amount(std::string_view command, std::string_view option, const std::string& text) {
  return parse_number(command, option, text, Kind::amount);
}

double parse_rate(std::string_view command, std::string_view option, const std::string& text) {
  return parse_number(command, option, text, Kind::rate);
}

double parse_discount_rate(std::string_view command, const std::string& text) {
  const double rate = parse_rate(command, "--discount-rate", text);
  if (rate <= -1.0) {
    fail(command, fmt::format("--discount-rate must be greater than -1 (-100%), got {}",
                              quote_for_message(text)));
  }
  return rate;
}

// Money and rates in text output: two decimals, and never "-0.00".
std::string two_decimals(double value) {
  std::string text = fmt::format("{:.2f}", value);
  if (text == "-0.00") text = "0.00";
  return text;
}

std::string percent_text(double value) { return two_decimals(value) + "%"; }

// An input rate echoed back: 0.05 -> "5%", without the noise of binary fractions.
std::string rate_echo(double fraction) { return fmt::format("{:.6g}%", fraction * 100.0); }

constexpr std::string_view kTooLarge = "the result is too large to represent";

// --- the commands ---------------------------------------------------------------------------

struct Command {
  CLI::App* app = nullptr;
  const std::string* format = nullptr;
  std::function<Result()> compute;
};

void add_format_option(CLI::App& sub, std::string& format) {
  sub.add_option("-f,--format", format, "Output format: text (one line) or json (one object)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

struct DcfOptions {
  std::vector<std::string> revenues;
  std::string periods;
  std::string years;  // --years: the same as --periods, for yearly periods (hidden)
  CLI::Option* periods_option = nullptr;
  CLI::Option* years_option = nullptr;
  std::string discount_rate = "0";
  std::string format = "text";
};

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

struct CacOptions {
  std::string spend;
  std::string customers;
  std::string format = "text";
};

Command add_cac(CLI::App& calc) {
  auto options = std::make_shared<CacOptions>();
  CLI::App* sub = calc.add_subcommand(
      "cac", "Customer acquisition cost: spend / customers acquired");
  sub->add_option("--spend", options->spend, "Acquisition spend, >= 0")
      ->required()
      ->type_name("AMOUNT");
  sub->add_option("--customers,--acquired", options->customers,
                  "Customers acquired with that spend, > 0")
      ->required()
      ->type_name("N");
  add_format_option(*sub, options->format);
  auto compute = [options]() {
    constexpr std::string_view kName = "cac";
    const double spend = parse_amount(kName, "--spend", options->spend);
    const std::int64_t customers = parse_count(kName, "--customers", options->customers);
    if (customers == 0) {
      fail(kName, "--customers must be > 0: with no customers acquired the cost per customer "
                  "is undefined");
    }
    const formulas::Rate value = formulas::cac(spend, customers);
    if (!value) fail(kName, kTooLarge);
    Result result;
    result.json = Json{{"metric", "cac"},
                       {"spend", spend},
                       {"customers", customers},
                       {"unit", "currency"},
                       {"value", *value}};
    result.text = fmt::format("cac = {}", two_decimals(*value));
    return result;
  };
  return Command{sub, &options->format, compute};
}

struct CsatOptions {
  std::string satisfied;
  std::string responses;
  std::string format = "text";
};

Command add_csat(CLI::App& calc) {
  auto options = std::make_shared<CsatOptions>();
  CLI::App* sub = calc.add_subcommand(
      "csat", "Satisfaction, percent: 100 * satisfied / survey responses");
  sub->add_option("--satisfied", options->satisfied,
                  "Survey responses that count as satisfied (e.g. score >= 4)")
      ->required()
      ->type_name("N");
  sub->add_option("--responses", options->responses, "All survey responses, > 0")
      ->required()
      ->type_name("N");
  add_format_option(*sub, options->format);
  auto compute = [options]() {
    constexpr std::string_view kName = "csat";
    const std::int64_t satisfied = parse_count(kName, "--satisfied", options->satisfied);
    const std::int64_t responses = parse_count(kName, "--responses", options->responses);
    if (responses == 0) {
      fail(kName, "--responses must be > 0: with no survey responses csat is undefined");
    }
    if (satisfied > responses) {
      fail(kName, fmt::format("--satisfied ({}) cannot exceed --responses ({})", satisfied,
                              responses));
    }
    const formulas::Rate value = formulas::csat(satisfied, responses);
    if (!value) fail(kName, kTooLarge);
    Result result;
    result.json = Json{{"metric", "csat"},
                       {"satisfied", satisfied},
                       {"responses", responses},
                       {"unit", "percent"},
                       {"value", *value}};
    result.text = fmt::format("csat = {}", percent_text(*value));
    return result;
  };
  return Command{sub, &options->format, compute};
}

struct NpsOptions {
  std::string promoters;
  std::string passives;
  std::string detractors;
  std::string responses;
  std::string format = "text";
};

Command add_nps(CLI::App& calc) {
  auto options = std::make_shared<NpsOptions>();
  CLI::App* sub = calc.add_subcommand(
      "nps", "Net Promoter Score: 100 * (promoters - detractors) / responses, -100..100");
  sub->add_option("--promoters", options->promoters, "Answers of 9 or 10")->required()->type_name("N");
  sub->add_option("--detractors", options->detractors, "Answers of 0 to 6")->required()->type_name("N");
  auto* passives_option = sub->add_option("--passives", options->passives, "Answers of 7 or 8")->type_name("N");
  auto* responses_option = sub->add_option("--responses", options->responses,
                                           "All answers, > 0 (instead of --passives)")
                               ->type_name("N");
  passives_option->excludes(responses_option);
  add_format_option(*sub, options->format);
  auto compute = [options]() {
    constexpr std::string_view kName = "nps";
    const std::int64_t promoters = parse_count(kName, "--promoters", options->promoters);
    const std::int64_t detractors = parse_count(kName, "--detractors", options->detractors);
    if (options->passives.empty() == options->responses.empty()) {
      fail(kName, "give --passives (answers of 7 or 8) or --responses (all answers), one of them");
    }
    std::int64_t responses = 0;
    std::int64_t passives = 0;
    if (!options->responses.empty()) {
      responses = parse_count(kName, "--responses", options->responses);
      if (promoters > responses || detractors > responses - promoters) {
        fail(kName, fmt::format("--promoters ({}) + --detractors ({}) cannot exceed --responses ({})",
                                promoters, detractors, responses));
      }
      passives = responses - promoters - detractors;
    } else {
      passives = parse_count(kName, "--passives", options->passives);
      const std::int64_t limit = std::int64_t{1} << 60;
      if (promoters > limit || passives > limit || detractors > limit) fail(kName, kTooLarge);
      responses = promoters + passives + detractors;
    }
    if (responses == 0) fail(kName, "no answers: with no responses nps is undefined");
    const formulas::Rate value = formulas::nps(promoters, detractors, responses);
    if (!value) fail(kName, kTooLarge);
    Result result;
    result.json = Json{{"metric", "nps"},       {"promoters", promoters}, {"passives", passives},
                       {"detractors", detractors}, {"responses", responses}, {"unit", "points"},
                       {"value", *value}};
    result.text = fmt::format("nps = {:.1f} ({:.1f}% promoters - {:.1f}% detractors, {} responses)", *value,
                              100.0 * static_cast<double>(promoters) / static_cast<double>(responses),
                              100.0 * static_cast<double>(detractors) / static_cast<double>(responses),
                              responses);
    return result;
  };
  return Command{sub, &options->format, compute};
}

struct RetentionOptions {
  std::string start;
  std::string end;
  std::string new_customers;
  std::string reactivated;
  std::string retained;
  CLI::Option* end_option = nullptr;
  CLI::Option* new_option = nullptr;
  CLI::Option* reactivated_option = nullptr;
  CLI::Option* retained_option = nullptr;
  std::string format = "text";
};

Command add_retention(CLI::App& calc) {
  auto options = std::make_shared<RetentionOptions>();
  CLI::App* sub = calc.add_subcommand(
      "retention", "Retention rate, percent: 100 * (end - new - reactivated) / start, or 100 * retained / start");
  sub->add_option("--start", options->start, "Customers at the start of the period, > 0")
      ->required()
      ->type_name("N");
  options->end_option =
      sub->add_option("--end", options->end, "Customers at the end of the period")
          ->type_name("N");
  options->new_option =
      sub->add_option("--new", options->new_customers, "New customers won during the period")
          ->type_name("N");
  options->reactivated_option =
      sub->add_option("--reactivated", options->reactivated,
                      "Former customers who came back during the period (default 0)")
          ->type_name("N");
  options->retained_option =
      sub->add_option("--retained", options->retained,
                      "Customers of the start still there at the end (instead of --end/--new)")
          ->type_name("N");
  add_format_option(*sub, options->format);
  auto compute = [options]() {
    constexpr std::string_view kName = "retention";
    const bool standard = options->end_option->count() > 0 ||
                          options->new_option->count() > 0 ||
                          options->reactivated_option->count() > 0;
    const bool direct = options->retained_option->count() > 0;
    if (standard == direct) {
      fail(kName, standard ? "give either --end and --new, or --retained, not both"
                           : "give --end and --new (retention = (end - new) / start), or "
                             "--retained (retention = retained / start)");
    }
    if (standard && options->end_option->count() == 0) {
      fail(kName, "--end is required with --new (or give --retained instead)");
    }
    if (standard && options->new_option->count() == 0) {
      fail(kName, "--new is required with --end: the customers won during the period are not "
                  "retained ones (give --new 0 if there were none)");
    }
    const std::int64_t start = parse_count(kName, "--start", options->start);
    if (start == 0) {
      fail(kName, "--start must be > 0: with no customers at the start the rate is undefined");
    }
    Result result;
    result.json = Json{{"metric", "retention_rate"},
                       {"method", standard ? "end_minus_new" : "retained"},
                       {"start", start}};
    std::int64_t retained = 0;
    if (standard) {
      const std::int64_t end = parse_count(kName, "--end", options->end);
      const std::int64_t new_customers = parse_count(kName, "--new", options->new_customers);
      const std::int64_t reactivated =
          options->reactivated_option->count() > 0
              ? parse_count(kName, "--reactivated", options->reactivated)
              : 0;
      if (new_customers > end || reactivated > end - new_customers) {
        fail(kName, fmt::format("--new ({}) + --reactivated ({}) cannot exceed --end ({}): they "
                                "are part of the customers at the end",
                                new_customers, reactivated, end));
      }
      retained = end - new_customers - reactivated;
      if (retained > start) {
        fail(kName, fmt::format("--end - --new - --reactivated = {} customers retained, more than "
                                "--start ({})",
                                retained, start));
      }
      result.json["end"] = end;
      result.json["new"] = new_customers;
      result.json["reactivated"] = reactivated;
    } else {
      retained = parse_count(kName, "--retained", options->retained);
      if (retained > start) {
        fail(kName,
             fmt::format("--retained ({}) cannot exceed --start ({})", retained, start));
      }
      result.json["retained"] = retained;
    }
    // --retained R is the standard formula with E = R and N = A = 0.
    const formulas::Rate value = formulas::retention_rate(start, retained, 0, 0);
    if (!value) fail(kName, kTooLarge);
    result.json["unit"] = "percent";
    result.json["value"] = *value;
    result.text = fmt::format("retention_rate = {}", percent_text(*value));
    return result;
  };
  return Command{sub, &options->format, compute};
}

// churn and expansion: a part of the customers at the start.
struct ShareOptions {
  std::string start;
  std::string part;
  std::string format = "text";
};

using ShareFormula = formulas::Rate (*)(std::int64_t, std::int64_t) noexcept;

Command add_share_of_start(CLI::App& calc, std::string_view name, std::string_view metric,
                           std::string_view description, std::string_view part_option,
                           std::string_view part_help, ShareFormula formula) {
  auto options = std::make_shared<ShareOptions>();
  CLI::App* sub = calc.add_subcommand(std::string(name), std::string(description));
  sub->add_option("--start", options->start, "Customers at the start of the period, > 0")
      ->required()
      ->type_name("N");
  sub->add_option(std::string(part_option), options->part, std::string(part_help))
      ->required()
      ->type_name("N");
  add_format_option(*sub, options->format);
  auto compute = [options, name, metric, part_option, formula]() {
    const std::int64_t start = parse_count(name, "--start", options->start);
    const std::int64_t part = parse_count(name, part_option, options->part);
    if (start == 0) {
      fail(name, "--start must be > 0: with no customers at the start the rate is undefined");
    }
    if (part > start) {
      fail(name, fmt::format("{} ({}) cannot exceed --start ({}): they are part of the customers "
                             "at the start",
                             part_option, part, start));
    }
    const formulas::Rate value = formula(part, start);
    if (!value) fail(name, kTooLarge);
    Result result;
    result.json = Json{{"metric", metric},
                       {"start", start},
                       {part_option.substr(2), part},
                       {"unit", "percent"},
                       {"value", *value}};
    result.text = fmt::format("{} = {}", metric, percent_text(*value));
    return result;
  };
  return Command{sub, &options->format, compute};
}

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

// Compact JSON with numbers as every other command writes them (io::text::number_text: 5, not
// 5.0); a number that is not finite is null, as nlohmann's dump writes it.
void append_compact(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : j.items()) {
        if (!first) out.push_back(',');
        first = false;
        io::text::append_json_string(out, key);
        out.push_back(':');
        append_compact(out, value);
      }
      out.push_back('}');
      break;
    }
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const Json& value : j) {
        if (!first) out.push_back(',');
        first = false;
        append_compact(out, value);
      }
      out.push_back(']');
      break;
    }
    case Json::value_t::string:
      io::text::append_json_string(out, j.get_ref<const std::string&>());
      break;
    case Json::value_t::number_float: {
      const double v = j.get<double>();
      out += std::isfinite(v) ? io::text::number_text(v) : std::string("null");
      break;
    }
    default:
      out += j.dump();
  }
}

// The envelope (tool, version, command "calc", kind null: no records are read), then the result.
std::string calc_json(const Json& result) {
  Json j;
  io::text::put_envelope(j, {CSM_VERSION, "calc", std::nullopt});
  for (const auto& [key, value] : result.items()) j[key] = value;
  std::string out;
  append_compact(out, j);
  return out;
}

void emit(const Result& result, const std::string& format, std::ostream& out) {
  if (format == "json") {
    out << calc_json(result.json) << '\n';
  } else {
    out << result.text << '\n';
  }
  out.flush();
  if (!out) throw OutputError("calc: cannot write the result to standard output");
}

}  // namespace

CommandRunner add_calc_command(CLI::App& app, Streams io) {
  CLI::App* calc = app.add_subcommand(
      "calc", "Compute one formula from numbers given on the command line (see docs/calc.md)");
  calc->require_subcommand(1);
  calc->footer(
      "Rates (--retention, --growth, --discount-rate) are fractions (0.05) or percentages (5%).\n"
      "Results that are rates are printed as percentages: 5.00% in text, 5 in JSON.");

  auto commands = std::make_shared<std::vector<Command>>();
  commands->push_back(add_clv_dcf(*calc));
  commands->push_back(add_clv(*calc));
  commands->push_back(add_cac(*calc));
  commands->push_back(add_csat(*calc));
  commands->push_back(add_nps(*calc));
  commands->push_back(add_retention(*calc));
  commands->push_back(add_share_of_start(
      *calc, "churn", "churn_rate", "Churn rate, percent: 100 * churned / start",
      "--churned", "Customers of the start lost during the period", &formulas::churn_rate));
  commands->push_back(add_share_of_start(
      *calc, "expansion", "expansion_rate",
      "Expansion rate, percent: 100 * expanded / start", "--expanded",
      "Customers of the start whose revenue grew during the period",
      &formulas::expansion_rate));
  add_unit_economics(*calc, *commands);

  return [commands, io]() -> int {
    for (const Command& command : *commands) {
      if (command.app->parsed()) {
        emit(command.compute(), *command.format, io.out);
        return kOk;
      }
    }
    throw UsageError("calc: give a metric: clv-dcf, clv, cac, csat, nps, retention, churn, expansion, grr, nrr, "
                     "arpu, ltv-cac, payback or quick-ratio");
  };
}

}  // namespace csm::cli
