// `calc cac`, `csat`, `nps`, `retention`, `churn` and `expansion`: the rates of docs/calc.md.

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

struct CacOptions {
  std::string spend;
  std::string customers;
  std::string format = "text";
};

}  // namespace

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

namespace {

struct CsatOptions {
  std::string satisfied;
  std::string responses;
  std::string format = "text";
};

}  // namespace

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

namespace {

struct NpsOptions {
  std::string promoters;
  std::string passives;
  std::string detractors;
  std::string responses;
  std::string format = "text";
};

}  // namespace

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

namespace {

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

}  // namespace

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
namespace {

struct ShareOptions {
  std::string start;
  std::string part;
  std::string format = "text";
};

}  // namespace

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

}  // namespace csm::cli::calc
