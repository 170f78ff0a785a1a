// `csm-metrics calc`: parsing, output and errors. Expected values are worked out by hand in the
// comments; JSON is parsed back rather than compared as text.

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/run.hpp"
#include "csm/error.hpp"

namespace {

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `csm-metrics calc <args...>` the way run.cpp does: register, parse, run the runner.
Outcome calc(const std::vector<std::string>& args) {
  CLI::App app{"Customer-success metrics", "csm-metrics"};
  std::ostringstream out;
  std::ostringstream err;
  const csm::cli::CommandRunner runner = csm::cli::add_calc_command(app, {out, err});
  std::vector<const char*> argv{"csm-metrics", "calc"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  Outcome outcome;
  outcome.status = runner();
  outcome.out = out.str();
  outcome.err = err.str();
  return outcome;
}

std::string calc_text(const std::vector<std::string>& args) {
  const Outcome outcome = calc(args);
  CHECK(outcome.status == csm::cli::kOk);
  CHECK(outcome.err.empty());
  return outcome.out;
}

nlohmann::json calc_json(std::vector<std::string> args) {
  args.push_back("--format");
  args.push_back("json");
  const Outcome outcome = calc(args);
  CHECK(outcome.status == csm::cli::kOk);
  CHECK(outcome.err.empty());
  REQUIRE(!outcome.out.empty());
  CHECK(outcome.out.back() == '\n');
  CHECK(outcome.out.find('\n') == outcome.out.size() - 1);  // one line
  // The envelope of every command's JSON (docs/cli.md, "JSON output"), first and in this order;
  // the members after it are the result, returned without the envelope.
  CHECK(outcome.out.rfind("{\"tool\":\"csm-metrics\",\"version\":\"", 0) == 0);
  CHECK(outcome.out.find("\",\"command\":\"calc\",\"kind\":null,\"metric\":") != std::string::npos);
  nlohmann::json json = nlohmann::json::parse(outcome.out);
  for (const char* member : {"tool", "version", "command", "kind"}) CHECK(json.erase(member) == 1);
  return json;
}

// The message of the UsageError that `args` must raise ("" when none is raised).
std::string usage_error(const std::vector<std::string>& args) {
  try {
    calc(args);
  } catch (const csm::cli::UsageError& error) {
    return error.what();
  }
  return "";
}

bool parse_error(const std::vector<std::string>& args) {
  try {
    calc(args);
  } catch (const CLI::ParseError&) {
    return true;
  }
  return false;
}

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

Approx near(double expected) { return Approx(expected).epsilon(1e-12); }

}  // namespace

TEST_CASE("calc clv-dcf", "[cli][calc]") {
  // 100/1.1 + 120/1.21 + 130/1.331 = 90.9090909 + 99.1735537 + 97.6709241 = 287.7535687.
  const std::string expected =
      "clv = 287.75 (discounted cash flow: 3 periods, discount rate 10% per period)\n";
  CHECK(calc_text({"clv-dcf", "--revenue", "100", "--revenue", "120", "--revenue", "130",
                   "--discount-rate", "0.1"}) == expected);
  CHECK(calc_text({"clv-dcf", "--revenues", "100,120,130", "--discount-rate", "0.1"}) ==
        expected);
  CHECK(calc_text({"clv-dcf", "--revenue", "100", "--revenues", "120,130", "--discount-rate",
                   "10%"}) == expected);
  CHECK(calc_text({"clv-dcf", "--discount-rate=10%", "--revenue", "100", "120", "130"}) ==
        expected);

  SECTION("article 000's example") {
    // 100000 * (1/1.1 + 1/1.21 + 1/1.331 + 1/1.4641) = 100000 * 3.1698654 = 316986.54
    // (the article prints 303,030.30).
    CHECK(calc_text({"clv-dcf", "--revenues", "100000,100000,100000,100000", "--discount-rate",
                     "0.1"}) ==
          "clv = 316986.54 (discounted cash flow: 4 periods, discount rate 10% per period)\n");
  }
  SECTION("no discount rate: the plain sum, one period") {
    CHECK(calc_text({"clv-dcf", "--revenue", "99.5"}) ==
          "clv = 99.50 (discounted cash flow: 1 period, discount rate 0% per period)\n");
  }
  SECTION("json") {
    const auto json = calc_json({"clv-dcf", "--revenues", "100,120,130", "--discount-rate", "10%"});
    CHECK(json.at("metric") == "clv");
    CHECK(json.at("model") == "dcf");
    CHECK(json.at("revenues") == nlohmann::json::array({100.0, 120.0, 130.0}));
    CHECK(json.at("discount_rate").get<double>() == 0.1);
    CHECK(json.at("periods") == 3);
    CHECK(json.at("unit") == "currency");
    CHECK(json.at("value").get<double>() == near(287.7535687453043));
    CHECK(json.size() == 7);
  }
  SECTION("json keeps full precision and a stable order") {
    Outcome outcome = calc({"clv-dcf", "--revenue", "110", "--format", "json"});
    // Numbers as compute writes them: 110 and 0, not 110.0 and 0.0.
    const std::string tail =
        ",\"command\":\"calc\",\"kind\":null,\"metric\":\"clv\",\"model\":\"dcf\",\"revenues\":[110],"
        "\"discount_rate\":0,\"periods\":1,\"unit\":\"currency\",\"value\":110}\n";
    CHECK(outcome.out.rfind("{\"tool\":\"csm-metrics\",\"version\":\"", 0) == 0);
    REQUIRE(outcome.out.size() > tail.size());
    CHECK(outcome.out.substr(outcome.out.size() - tail.size()) == tail);
  }
  SECTION("errors") {
    CHECK_THAT(usage_error({"clv-dcf", "--discount-rate", "0.1"}),
               StartsWith("clv-dcf: give the revenue of each period"));
    CHECK(usage_error({"clv-dcf", "--revenues", "100,-5"}) ==
          "clv-dcf: --revenue: expected an amount >= 0, got \"-5\"");
    CHECK(usage_error({"clv-dcf", "--revenue", "abc"}) ==
          "clv-dcf: --revenue: expected an amount >= 0, got \"abc\"");
    CHECK_THAT(usage_error({"clv-dcf", "--revenue", "nan"}), Contains("expected an amount"));
    CHECK_THAT(usage_error({"clv-dcf", "--revenue", "inf"}), Contains("expected an amount"));
    CHECK_THAT(usage_error({"clv-dcf", "--revenue", "1e400"}), Contains("expected an amount"));
    CHECK_THAT(usage_error({"clv-dcf", "--revenue", "10%"}), Contains("expected an amount"));
    // An empty item is a mistake, not a period to skip.
    CHECK(usage_error({"clv-dcf", "--revenues", "100,,120"}) ==
          "clv-dcf: --revenue: expected an amount >= 0, got \"\"");
    CHECK_THAT(usage_error({"clv-dcf", "--revenues", "100,120,"}), Contains("got \"\""));
    CHECK(usage_error({"clv-dcf", "--revenue", "100", "--discount-rate", "-1"}) ==
          "clv-dcf: --discount-rate must be greater than -1 (-100%), got \"-1\"");
    CHECK_THAT(usage_error({"clv-dcf", "--revenue", "100", "--discount-rate", "-100%"}),
               Contains("greater than -1"));
    CHECK_THAT(usage_error({"clv-dcf", "--revenue", "100", "--discount-rate", "ten"}),
               Contains("expected a fraction such as 0.05 or a percentage such as 5%"));
    // 1e308 / (1 - 0.5) overflows.
    CHECK(usage_error({"clv-dcf", "--revenue", "1e308", "--discount-rate", "-0.5"}) ==
          "clv-dcf: the result is too large to represent");
  }
  SECTION("a negative discount rate above -1 is allowed") {
    // 1 / 0.5 + 1 / 0.25 = 6.
    CHECK(calc_json({"clv-dcf", "--revenues", "1,1", "--discount-rate", "-0.5"})
              .at("value")
              .get<double>() == 6.0);
  }
}

TEST_CASE("calc clv (retention model)", "[cli][calc]") {
  SECTION("closed form") {
    // 900 / (1 + 0.01 - 0.9 * 1.05) = 900 / 0.065 = 13846.1538.
    CHECK(calc_text({"clv", "--margin", "900", "--retention", "0.9", "--growth", "0.05",
                     "--discount-rate", "0.01"}) ==
          "clv = 13846.15 (retention model: margin 900.00, retention 90%, growth 5%, "
          "discount rate 1%, no horizon)\n");
    CHECK(calc_text({"clv", "--margin", "900", "--retention", "90%", "--growth", "5%",
                     "--discount-rate", "1%"}) ==
          "clv = 13846.15 (retention model: margin 900.00, retention 90%, growth 5%, "
          "discount rate 1%, no horizon)\n");
  }
  SECTION("with a horizon") {
    // a (1 - q^36) / (1 - q) with a = 900/1.01, q = 0.945/1.01: 12583.4404 (formulas_test).
    CHECK(calc_text({"clv", "--margin", "900", "--retention", "0.9", "--growth", "0.05",
                     "--discount-rate", "0.01", "--horizon", "36"}) ==
          "clv = 12583.44 (retention model: margin 900.00, retention 90%, growth 5%, "
          "discount rate 1%, horizon 36 periods)\n");
    // T = 1: 100 / 1.01 = 99.0099.
    CHECK(calc_text({"clv", "--margin", "100", "--retention", "0.5", "--discount-rate", "0.01",
                     "--horizon", "1"}) ==
          "clv = 99.01 (retention model: margin 100.00, retention 50%, growth 0%, "
          "discount rate 1%, horizon 1 period)\n");
  }
  SECTION("defaults: no growth, no discount") {
    // 100 / (1 - 0.9) = 1000.
    CHECK(calc_json({"clv", "--margin", "100", "--retention", "0.9"}).at("value").get<double>() ==
          near(1000.0));
  }
  SECTION("a series that diverges needs a horizon") {
    // 0.95 * 1.06 = 1.007 >= 1.
    CHECK(usage_error({"clv", "--margin", "100", "--retention", "0.95", "--growth", "0.06"}) ==
          "clv: retention 0.95 x (1 + growth 0.06) = 1.007 is not below 1 + discount rate 0 = 1: "
          "the series does not converge; give --horizon");
    CHECK_THAT(usage_error({"clv", "--margin", "100", "--retention", "1"}),
               Contains("does not converge; give --horizon"));
    // With a horizon: 100 * (1.007^12 - 1) / 0.007 = 100 * 12.4729517 = 1247.30.
    CHECK(calc_json({"clv", "--margin", "100", "--retention", "0.95", "--growth", "0.06",
                     "--horizon", "12"})
              .at("value")
              .get<double>() == near(1247.2951702215255));
  }
  SECTION("json") {
    auto json = calc_json({"clv", "--margin", "900", "--retention", "0.9", "--growth", "0.05",
                           "--discount-rate", "0.01"});
    CHECK(json.at("metric") == "clv");
    CHECK(json.at("model") == "retention");
    CHECK(json.at("margin").get<double>() == 900.0);
    CHECK(json.at("retention").get<double>() == 0.9);
    CHECK(json.at("growth").get<double>() == 0.05);
    CHECK(json.at("discount_rate").get<double>() == 0.01);
    CHECK(json.at("horizon").is_null());
    CHECK(json.at("unit") == "currency");
    CHECK(json.at("value").get<double>() == near(13846.153846153846));
    CHECK(json.size() == 9);

    json = calc_json({"clv", "--margin", "900", "--retention", "0.9", "--horizon", "36"});
    CHECK(json.at("horizon") == 36);
  }
  SECTION("zero margin prints 0.00") {
    CHECK_THAT(calc_text({"clv", "--margin", "0", "--retention", "0.5"}),
               StartsWith("clv = 0.00 ("));
  }
  SECTION("errors") {
    CHECK(usage_error({"clv", "--margin", "100", "--retention", "90"}) ==
          "clv: --retention must be between 0 and 1 (or 0% and 100%), got \"90\"");
    CHECK_THAT(usage_error({"clv", "--margin", "100", "--retention", "-0.1"}),
               Contains("--retention must be between 0 and 1"));
    CHECK_THAT(usage_error({"clv", "--margin", "100", "--retention", "101%"}),
               Contains("--retention must be between 0 and 1"));
    CHECK(usage_error({"clv", "--margin", "-5", "--retention", "0.9"}) ==
          "clv: --margin: expected an amount >= 0, got \"-5\"");
    CHECK(usage_error({"clv", "--margin", "100", "--retention", "0.9", "--growth", "-2"}) ==
          "clv: --growth must be at least -1 (-100%), got \"-2\"");
    CHECK_THAT(
        usage_error({"clv", "--margin", "100", "--retention", "0.9", "--discount-rate", "-1.5"}),
        Contains("--discount-rate must be greater than -1"));
    CHECK(usage_error({"clv", "--margin", "100", "--retention", "0.9", "--horizon", "0"}) ==
          "clv: --horizon must be at least 1 period");
    CHECK(usage_error({"clv", "--margin", "100", "--retention", "0.9", "--horizon", "1.5"}) ==
          "clv: --horizon: expected a whole number >= 0, got \"1.5\"");
    // --gross-profit (or its former name --margin) is required.
    CHECK_THAT(usage_error({"clv", "--retention", "0.9"}), StartsWith("clv: --gross-profit is required"));
    CHECK(usage_error({"clv", "--gross-profit", "1", "--margin", "1", "--retention", "0.9"}) ==
          "clv: --margin is the former name of --gross-profit: give only --gross-profit");
    CHECK(usage_error({"clv", "--gross-profit", "-5", "--retention", "0.9"}) ==
          "clv: --gross-profit: expected an amount >= 0, got \"-5\"");
    CHECK(parse_error({"clv", "--margin", "100"}));     // --retention is required
  }
  SECTION("--gross-profit and its hidden former name --margin; -f as --format") {
    // 900 / (1 + 0 - 0.9) = 9000: the same value under either name.
    CHECK(calc_json({"clv", "--gross-profit", "900", "--retention", "0.9"}).at("value").get<double>() ==
          Approx(9000.0));
    CHECK(calc_json({"clv", "--margin", "900", "--retention", "0.9"}).at("value").get<double>() ==
          Approx(9000.0));
    CHECK(nlohmann::json::parse(calc_text({"clv", "--gross-profit", "900", "--retention", "0.9", "-f", "json"}))
              .at("margin") == 900.0);
    CHECK(parse_error({"csat", "--satisfied", "1", "--responses", "2", "-f", "xml"}));
  }
}

TEST_CASE("calc cac", "[cli][calc]") {
  CHECK(calc_text({"cac", "--spend", "5000", "--customers", "40"}) == "cac = 125.00\n");  // 5000/40
  CHECK(calc_text({"cac", "--spend", "100", "--acquired", "3"}) == "cac = 33.33\n");     // 100/3
  CHECK(calc_text({"cac", "--spend", "0", "--customers", "3"}) == "cac = 0.00\n");

  const auto json = calc_json({"cac", "--spend", "5000", "--customers", "40"});
  CHECK(json == nlohmann::json{{"metric", "cac"},
                               {"spend", 5000.0},
                               {"customers", 40},
                               {"unit", "currency"},
                               {"value", 125.0}});

  CHECK(usage_error({"cac", "--spend", "5000", "--customers", "0"}) ==
        "cac: --customers must be > 0: with no customers acquired the cost per customer is "
        "undefined");
  CHECK(usage_error({"cac", "--spend", "-1", "--customers", "4"}) ==
        "cac: --spend: expected an amount >= 0, got \"-1\"");
  CHECK(usage_error({"cac", "--spend", "100", "--customers", "-4"}) ==
        "cac: --customers: expected a whole number >= 0, got \"-4\"");
  CHECK(usage_error({"cac", "--spend", "100", "--customers", "2.5"}) ==
        "cac: --customers: expected a whole number >= 0, got \"2.5\"");
  CHECK(usage_error({"cac", "--spend", "100", "--customers", "99999999999999999999"}) ==
        "cac: --customers: \"99999999999999999999\" is too large for a count");
  CHECK(parse_error({"cac", "--spend", "100"}));
  CHECK(parse_error({"cac", "--spend", "100", "--spend", "200", "--customers", "4"}));
}

TEST_CASE("calc csat", "[cli][calc]") {
  CHECK(calc_text({"csat", "--satisfied", "90", "--responses", "100"}) == "csat = 90.00%\n");
  CHECK(calc_text({"csat", "--satisfied", "2", "--responses", "3"}) == "csat = 66.67%\n");
  CHECK(calc_text({"csat", "--satisfied", "0", "--responses", "3"}) == "csat = 0.00%\n");

  const auto json = calc_json({"csat", "--satisfied", "2", "--responses", "3"});
  CHECK(json.at("metric") == "csat");
  CHECK(json.at("satisfied") == 2);
  CHECK(json.at("responses") == 3);
  CHECK(json.at("unit") == "percent");
  CHECK(json.at("value").get<double>() == near(200.0 / 3.0));  // full precision: 66.666...

  CHECK(usage_error({"csat", "--satisfied", "0", "--responses", "0"}) ==
        "csat: --responses must be > 0: with no survey responses csat is undefined");
  CHECK(usage_error({"csat", "--satisfied", "120", "--responses", "100"}) ==
        "csat: --satisfied (120) cannot exceed --responses (100)");
  CHECK_THAT(usage_error({"csat", "--satisfied", "x", "--responses", "100"}),
             StartsWith("csat: --satisfied: expected a whole number >= 0"));
}

TEST_CASE("calc retention", "[cli][calc]") {
  SECTION("standard: (end - new - reactivated) / start") {
    // (1030 - 80) / 1000 = 95 %.
    CHECK(calc_text({"retention", "--start", "1000", "--end", "1030", "--new", "80"}) ==
          "retention_rate = 95.00%\n");
    // (1030 - 80 - 20) / 1000 = 93 %.
    CHECK(calc_text({"retention", "--start", "1000", "--end", "1030", "--new", "80",
                     "--reactivated", "20"}) == "retention_rate = 93.00%\n");
    const auto json =
        calc_json({"retention", "--start", "1000", "--end", "1030", "--new", "80"});
    CHECK(json == nlohmann::json{{"metric", "retention_rate"},
                                 {"method", "end_minus_new"},
                                 {"start", 1000},
                                 {"end", 1030},
                                 {"new", 80},
                                 {"reactivated", 0},
                                 {"unit", "percent"},
                                 {"value", 95.0}});
  }
  SECTION("retained / start") {
    CHECK(calc_text({"retention", "--start", "1000", "--retained", "950"}) ==
          "retention_rate = 95.00%\n");
    CHECK(calc_text({"retention", "--start", "3", "--retained", "1"}) ==
          "retention_rate = 33.33%\n");  // 100 / 3
    const auto json = calc_json({"retention", "--start", "1000", "--retained", "950"});
    CHECK(json == nlohmann::json{{"metric", "retention_rate"},
                                 {"method", "retained"},
                                 {"start", 1000},
                                 {"retained", 950},
                                 {"unit", "percent"},
                                 {"value", 95.0}});
  }
  SECTION("errors") {
    CHECK(usage_error({"retention", "--start", "1000", "--end", "1030", "--new", "80",
                       "--retained", "950"}) ==
          "retention: give either --end and --new, or --retained, not both");
    CHECK_THAT(usage_error({"retention", "--start", "1000"}),
               StartsWith("retention: give --end and --new"));
    CHECK_THAT(usage_error({"retention", "--start", "1000", "--end", "1030"}),
               StartsWith("retention: --new is required with --end"));
    CHECK_THAT(usage_error({"retention", "--start", "1000", "--new", "80"}),
               StartsWith("retention: --end is required"));
    CHECK(usage_error({"retention", "--start", "1000", "--end", "50", "--new", "80"}) ==
          "retention: --new (80) + --reactivated (0) cannot exceed --end (50): they are part of "
          "the customers at the end");
    CHECK_THAT(usage_error({"retention", "--start", "1000", "--end", "100", "--new", "80",
                            "--reactivated", "30"}),
               StartsWith("retention: --new (80) + --reactivated (30) cannot exceed --end (100)"));
    CHECK(usage_error({"retention", "--start", "10", "--end", "30", "--new", "5"}) ==
          "retention: --end - --new - --reactivated = 25 customers retained, more than --start "
          "(10)");
    CHECK(usage_error({"retention", "--start", "10", "--retained", "11"}) ==
          "retention: --retained (11) cannot exceed --start (10)");
    CHECK(usage_error({"retention", "--start", "0", "--retained", "0"}) ==
          "retention: --start must be > 0: with no customers at the start the rate is undefined");
    CHECK(usage_error({"retention", "--start", "-3", "--retained", "0"}) ==
          "retention: --start: expected a whole number >= 0, got \"-3\"");
    CHECK(parse_error({"retention", "--retained", "5"}));  // --start is required
  }
}

TEST_CASE("calc churn and expansion", "[cli][calc]") {
  // 50 / 1000 = 5 %; 120 / 1000 = 12 %.
  CHECK(calc_text({"churn", "--start", "1000", "--churned", "50"}) == "churn_rate = 5.00%\n");
  CHECK(calc_text({"expansion", "--start", "1000", "--expanded", "120"}) ==
        "expansion_rate = 12.00%\n");
  CHECK(calc_json({"churn", "--start", "1000", "--churned", "50"}) ==
        nlohmann::json{{"metric", "churn_rate"},
                       {"start", 1000},
                       {"churned", 50},
                       {"unit", "percent"},
                       {"value", 5.0}});
  CHECK(calc_json({"expansion", "--start", "1000", "--expanded", "120"}) ==
        nlohmann::json{{"metric", "expansion_rate"},
                       {"start", 1000},
                       {"expanded", 120},
                       {"unit", "percent"},
                       {"value", 12.0}});

  CHECK(usage_error({"churn", "--start", "0", "--churned", "0"}) ==
        "churn: --start must be > 0: with no customers at the start the rate is undefined");
  CHECK(usage_error({"churn", "--start", "100", "--churned", "101"}) ==
        "churn: --churned (101) cannot exceed --start (100): they are part of the customers at "
        "the start");
  CHECK(usage_error({"churn", "--start", "100", "--churned", "-5"}) ==
        "churn: --churned: expected a whole number >= 0, got \"-5\"");
  CHECK(usage_error({"expansion", "--start", "100", "--expanded", "200"}) ==
        "expansion: --expanded (200) cannot exceed --start (100): they are part of the customers "
        "at the start");
  CHECK(parse_error({"churn", "--start", "100"}));
}

TEST_CASE("calc: command line errors", "[cli][calc]") {
  CHECK(parse_error({}));                                               // no metric
  CHECK(parse_error({"ltv"}));                                          // unknown metric
  CHECK(parse_error({"cac", "--spend", "1", "--customers", "1", "--format", "xml"}));
  CHECK(parse_error({"cac", "--spend", "1", "--customers", "1", "--bogus"}));
  CHECK(parse_error({"churn", "cac", "--start", "1", "--churned", "1"}));  // one metric at a time
}

TEST_CASE("calc: a failed write is an OutputError", "[cli][calc]") {
  CLI::App app{"Customer-success metrics", "csm-metrics"};
  std::ostringstream out;
  std::ostringstream err;
  const auto runner = csm::cli::add_calc_command(app, {out, err});
  const std::vector<const char*> argv{"csm-metrics", "calc", "churn", "--start", "10",
                                      "--churned", "1"};
  app.parse(static_cast<int>(argv.size()), argv.data());
  out.setstate(std::ios::badbit);
  CHECK_THROWS_AS(runner(), csm::OutputError);
}

TEST_CASE("calc: the unit economics of compute, worked by hand (docs/calc.md)") {
  // grr = 100 (10000 - 500 - 300) / 10000 = 92; nrr adds the 1200 of expansion: 104.
  CHECK(calc_text({"grr", "--mrr-start", "10000", "--churned-mrr", "500", "--contraction-mrr", "300"}) ==
        "grr = 92.00%\n");
  CHECK(calc_json({"nrr", "--mrr-start", "10000", "--churned-mrr", "500", "--contraction-mrr", "300",
                   "--expansion-mrr", "1200"})
            .at("value")
            .get<double>() == near(104.0));
  CHECK(calc_json({"grr", "--mrr-start", "200"}).at("value").get<double>() == near(100.0));  // nothing lost
  // arpu = 9916 / 34 = 291.6470588...
  CHECK(calc_text({"arpu", "--mrr", "9916", "--customers", "34"}) == "arpu = 291.65\n");
  CHECK(calc_json({"arpu", "--mrr", "9916", "--customers", "34"}).at("value").get<double>() ==
        near(291.6470588235294));
  // ltv_cac = 13846.15 / 4000 = 3.4615375
  CHECK(calc_json({"ltv-cac", "--clv", "13846.15", "--cac", "4000"}).at("value").get<double>() == near(3.4615375));
  // payback = 1200 / (100 * 0.8) = 15 months; with the default margin 1: 12.
  CHECK(calc_text({"payback", "--cac", "1200", "--arpu", "100", "--gross-margin", "80%"}) ==
        "cac_payback_months = 15.00 months\n");
  CHECK(calc_json({"payback", "--cac", "1200", "--arpu", "100"}).at("value").get<double>() == near(12.0));
  // quick ratio = (1000 + 500 + 100) / (600 + 200) = 2
  CHECK(calc_text({"quick-ratio", "--new-mrr", "1000", "--expansion-mrr", "500", "--reactivation-mrr", "100",
                   "--churned-mrr", "600", "--contraction-mrr", "200"}) == "quick_ratio = 2.00\n");
  const auto json = calc_json({"quick-ratio", "--new-mrr", "300", "--churned-mrr", "400"});
  CHECK(json.at("metric") == "quick_ratio");
  CHECK(json.at("unit") == "ratio");
  CHECK(json.at("value").get<double>() == near(0.75));
  // Undefined or impossible: one UsageError each.
  CHECK_THAT(usage_error({"grr", "--mrr-start", "0"}), StartsWith("grr: --mrr-start must be > 0"));
  CHECK(usage_error({"grr", "--mrr-start", "100", "--churned-mrr", "80", "--contraction-mrr", "30"}) ==
        "grr: --churned-mrr + --contraction-mrr cannot exceed --mrr-start");
  CHECK_THAT(usage_error({"arpu", "--mrr", "5", "--customers", "0"}), StartsWith("arpu: --customers must be > 0"));
  CHECK_THAT(usage_error({"ltv-cac", "--clv", "5", "--cac", "0"}), StartsWith("ltv-cac: --cac must be > 0"));
  CHECK_THAT(usage_error({"payback", "--cac", "5", "--arpu", "0"}), StartsWith("payback: --arpu x --gross-margin"));
  CHECK_THAT(usage_error({"payback", "--cac", "5", "--arpu", "1", "--gross-margin", "120%"}),
             StartsWith("payback: --gross-margin must be between 0 and 1"));
  CHECK_THAT(usage_error({"quick-ratio", "--new-mrr", "5"}), StartsWith("quick-ratio: --churned-mrr + --contraction-mrr must be > 0"));
  CHECK(parse_error({"arpu", "--mrr", "5"}));  // --customers is required
}

TEST_CASE("calc clv-dcf --periods: one revenue in N equal periods") {
  // 100000 (1/1.1 + 1/1.21 + 1/1.331 + 1/1.4641) = 316986.5446...
  const double expected = 100000 / 1.1 + 100000 / 1.21 + 100000 / 1.331 + 100000 / 1.4641;
  CHECK(calc_json({"clv-dcf", "--revenue", "100000", "--periods", "4", "--discount-rate", "0.1"}).at("value").get<double>() ==
        near(expected));
  CHECK(calc_json({"clv-dcf", "--revenue", "100000", "--years", "4", "--discount-rate", "10%"}).at("periods") == 4);
  CHECK(calc_text({"clv-dcf", "--revenue", "100000", "--periods", "4", "--discount-rate", "0.1"}) ==
        calc_text({"clv-dcf", "--revenues", "100000,100000,100000,100000", "--discount-rate", "0.1"}));
  CHECK(usage_error({"clv-dcf", "--revenues", "1,2", "--periods", "3"}) ==
        "clv-dcf: --periods N repeats one revenue N times: give one --revenue, not 2");
  CHECK(usage_error({"clv-dcf", "--revenue", "1", "--periods", "0"}) == "clv-dcf: --periods must be at least 1");
  CHECK(usage_error({"clv-dcf", "--revenue", "1", "--periods", "2", "--years", "2"}) ==
        "clv-dcf: give --periods or --years, not both (they mean the same)");
}
