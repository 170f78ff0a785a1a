// The shared rate parser (option_checks.hpp): "80%" and "0.8" are the same double, everywhere.
#include "cli/option_checks.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <optional>
#include <string>

#include "cli/commands.hpp"

using csm::cli::parse_rate_text;

TEST_CASE("parse_rate_text: a fraction or a percentage, the same double") {
  // Expected values are the fractions as C++ reads them: a percentage must round to the same
  // double as the decimal fraction it stands for (0.7 / 100 is one bit away from 0.007).
  CHECK(parse_rate_text("0.8") == 0.8);
  CHECK(parse_rate_text("80%") == 0.8);
  CHECK(parse_rate_text("+80%") == 0.8);
  CHECK(parse_rate_text("0.7%") == 0.007);
  CHECK(parse_rate_text("33.3%") == 0.333);
  CHECK(parse_rate_text("0.07%") == 0.0007);
  CHECK(parse_rate_text("12.5%") == 0.125);
  CHECK(parse_rate_text("100%") == 1.0);
  CHECK(parse_rate_text("-5%") == -0.05);
  CHECK(parse_rate_text("8e-1") == 0.8);
  CHECK(parse_rate_text("8e1%") == 0.8);
  for (const char* bad : {"", "%", "+", "abc", "80 %", "80%%", "nan", "nan%", "inf", "-inf%", "1e999", "0.8x", "%80"}) {
    INFO(bad);
    CHECK_FALSE(parse_rate_text(bad).has_value());
  }
}

TEST_CASE("rate_number and rate_value: the range in fractions, the message names both forms") {
  std::string text = "80%";
  CHECK(csm::cli::rate_number(0.0, 1.0)(text).empty());
  CHECK(text == "0.8");  // rewritten to the fraction CLI11 then converts
  text = "180%";
  CHECK(csm::cli::rate_number(0.0, 1.0)(text) ==
        "expected a number from 0 to 1 or a percentage from 0% to 100%, got \"180%\"");
  CHECK(csm::cli::rate_value("--margin", "40%", 0.0, 1.0) == 0.4);
  try {
    csm::cli::rate_value("--margin", "2", 0.0, 1.0);
    FAIL("no UsageError");
  } catch (const csm::cli::UsageError& e) {
    CHECK(std::string(e.what()) == "--margin: expected a number from 0 to 1 or a percentage from 0% to 100%, got \"2\"");
  }
}
