#include "csm/invoice.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "csm/activity_sink.hpp"

namespace {

using csm::Date;
using csm::Money;

Date day(const char* text) {
  Date d;
  REQUIRE(csm::parse_date(text, d) == csm::PeriodError::ok);
  return d;
}

Money money(const char* text) {
  const bool negative = text[0] == '-';
  Money m = 0;
  REQUIRE(csm::parse_money(negative ? text + 1 : text, m) == csm::DecimalError::ok);
  return negative ? -m : m;
}

}  // namespace

TEST_CASE("whole months: same day, month-end starts, days that do not exist") {
  CHECK(csm::whole_months(day("2024-01-15"), day("2024-02-15")) == 1);
  CHECK(csm::whole_months(day("2024-01-15"), day("2024-04-15")) == 3);
  CHECK(csm::whole_months(day("2024-01-31"), day("2025-01-31")) == 12);
  CHECK(csm::whole_months(day("2024-01-31"), day("2024-02-29")) == 1);  // Feb has no 31st
  CHECK(csm::whole_months(day("2024-01-30"), day("2024-02-29")) == 1);  // nor a 30th
  CHECK(csm::whole_months(day("2024-02-29"), day("2024-05-31")) == 3);  // month-end start
  CHECK(csm::whole_months(day("2024-02-29"), day("2024-03-29")) == 1);  // same day
  CHECK(csm::whole_months(day("2024-01-15"), day("2024-02-14")) == 0);
  CHECK(csm::whole_months(day("2024-01-28"), day("2024-02-29")) == 0);  // not a month end start
  CHECK(csm::whole_months(day("2024-03-01"), day("2024-03-15")) == 0);
  CHECK(csm::whole_months(day("2024-03-15"), day("2024-03-15")) == 0);
}

TEST_CASE("monthly amounts: amount / k, else by days, half to even to the micro-unit") {
  CHECK(csm::monthly_amount(money("1200"), day("2024-01-31"), day("2025-01-31")) == money("100"));
  CHECK(csm::monthly_amount(money("100"), day("2024-01-01"), day("2024-04-01")) == money("33.333333"));
  CHECK(csm::monthly_amount(money("200"), day("2024-01-01"), day("2024-04-01")) == money("66.666667"));
  // 0.000001 / 2 is a tie: half to even gives 0; 0.000003 / 2 gives 0.000002.
  CHECK(csm::monthly_amount(money("0.000001"), day("2024-01-01"), day("2024-03-01")) == 0);
  CHECK(csm::monthly_amount(money("0.000003"), day("2024-01-01"), day("2024-03-01")) == money("0.000002"));
  CHECK(csm::monthly_amount(money("-0.000003"), day("2024-01-01"), day("2024-03-01")) == money("-0.000002"));
  // The worked example: 24 days of a 29-day month (Feb 15 .. Mar 15 2024).
  CHECK(csm::monthly_amount(money("124.14"), day("2024-02-20"), day("2024-03-15")) == money("150.0025"));
  CHECK(csm::monthly_amount(money("-82.76"), day("2024-02-20"), day("2024-03-15")) == money("-100.001667"));
  // 45 days ending on Mar 1 (L = Feb 1 .. Mar 1 2023 = 28 days): 90 * 28 / 45 = 56.
  CHECK(csm::monthly_amount(money("90"), day("2023-01-15"), day("2023-03-01")) == money("56"));
}

TEST_CASE("conversion rounds half to even to the micro-unit") {
  const std::int64_t rate = 1'085'000'000'000;  // 1.085 over 10^12
  CHECK(csm::convert(money("1200"), rate) == money("1302"));
  CHECK(csm::convert(money("0.000001"), 500'000'000'000) == 0);                 // 0.0000005: tie, even
  CHECK(csm::convert(money("0.000003"), 500'000'000'000) == money("0.000002"));  // 0.0000015: tie, even
}

TEST_CASE("rates: the latest on or before a date; gaps") {
  csm::FxRates rates;
  CHECK(rates.add("EUR", day("2024-01-29"), 1));
  CHECK(rates.add("EUR", day("2024-01-01"), 2));
  CHECK_FALSE(rates.add("EUR", day("2024-01-01"), 3));
  CHECK_FALSE(rates.finish().has_value());
  CHECK_FALSE(rates.rate("EUR", day("2023-12-31")).has_value());
  CHECK(rates.rate("EUR", day("2024-01-28"))->second == 2);
  CHECK(rates.rate("EUR", day("2024-01-29"))->second == 1);
  CHECK_FALSE(rates.rate("GBP", day("2024-01-29")).has_value());
  CHECK(rates.add("EUR", day("2024-03-01"), 4));  // 32 days after Jan 29
  REQUIRE(rates.finish().has_value());
  CHECK(rates.finish()->second == day("2024-03-01"));
}

TEST_CASE("currency codes and line types") {
  CHECK(csm::is_currency_code("USD"));
  CHECK(csm::is_currency_code("EUR"));
  CHECK_FALSE(csm::is_currency_code("USX"));
  CHECK_FALSE(csm::is_currency_code("usd"));
  CHECK(csm::minor_unit_digits("JPY") == 0);
  CHECK(csm::minor_unit_digits("KWD") == 3);
  CHECK(csm::minor_unit_digits("EUR") == 2);
  CHECK(csm::parse_line_type("one_time") == csm::LineType::one_time);
  CHECK_FALSE(csm::parse_line_type("setup_fee").has_value());
}

namespace {

// Records what the expander emits: (customer, month, revenue, first signal or -1 when none).
struct SignalRows final : csm::ActivitySink {
  std::vector<std::tuple<std::string, std::string, Money, double>> rows;
  void add(const csm::ActivityRecord& r) override {
    const double v = !r.signals.empty() && r.signals[0] ? *r.signals[0] : -1.0;
    rows.emplace_back(std::string(r.customer_id), csm::to_string(r.period), r.revenue, v);
  }
};

}  // namespace

TEST_CASE("signals: the month of service_start only, every line type, within the range") {
  SignalRows out;
  csm::InvoiceExpander expander(out, std::nullopt);
  const std::vector<std::optional<double>> seven{7.0};
  const std::vector<std::optional<double>> blank{std::nullopt};
  csm::InvoiceLine sub;
  sub.customer_id = "a";
  sub.start = day("2024-01-01");
  sub.end = day("2024-04-01");
  sub.amount = money("300");
  sub.signals = seven;
  expander.add(sub);  // 100 in Jan, Feb, Mar; 7 in Jan only
  csm::InvoiceLine fee;
  fee.customer_id = "a";
  fee.type = csm::LineType::one_time;
  fee.start = day("2024-02-10");
  fee.amount = money("20");
  fee.signals = seven;
  expander.add(fee);  // a zero-revenue row in Feb with 7
  fee.start = day("2024-05-02");
  expander.add(fee);  // after the last month: not used
  fee.type = csm::LineType::refund;
  fee.start = day("2024-03-02");
  fee.signals = blank;
  expander.add(fee);  // no value: no row
  expander.finish();
  using Row = std::tuple<std::string, std::string, Money, double>;
  const std::vector<Row> want{{"a", "2024-01", money("100"), 7.0},
                              {"a", "2024-02", money("100"), -1.0},
                              {"a", "2024-03", money("100"), -1.0},
                              {"a", "2024-02", 0, 7.0}};
  CHECK(out.rows == want);
}
