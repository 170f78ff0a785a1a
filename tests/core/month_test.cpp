// Periods and dates: YYYY-MM / YYYY-MM-DD parsing, the calendar rules, month arithmetic, and the
// day count checked against a calendar walked day by day in the test itself.

#include "csm/month.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

using csm::Date;
using csm::PeriodError;
using csm::YearMonth;

namespace {

YearMonth period(std::string_view text) {
  YearMonth m{-1};
  const PeriodError error = csm::parse_period(text, m);
  INFO("text: \"" << std::string(text) << "\"");
  REQUIRE(error == PeriodError::ok);
  return m;
}

PeriodError period_error(std::string_view text) {
  YearMonth m{-1};
  const PeriodError error = csm::parse_period(text, m);
  INFO("text: \"" << std::string(text) << "\"");
  CHECK(error != PeriodError::ok);
  CHECK(m.index == -1);  // untouched on error
  return error;
}

std::int32_t date(std::string_view text) {
  Date d{-999'999'999};
  const PeriodError error = csm::parse_date(text, d);
  INFO("text: \"" << std::string(text) << "\"");
  REQUIRE(error == PeriodError::ok);
  return d.days;
}

PeriodError date_error(std::string_view text) {
  Date d{-999'999'999};
  const PeriodError error = csm::parse_date(text, d);
  INFO("text: \"" << std::string(text) << "\"");
  CHECK(error != PeriodError::ok);
  return error;
}

// The test's own calendar, written from the Gregorian rules.
bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int month_length(int y, int m) {
  constexpr int kLength[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && leap(y)) ? 29 : kLength[m - 1];
}

std::string ymd(int y, int m, int d) {
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
  return text;
}

}  // namespace

TEST_CASE("parse_period: YYYY-MM", "[month]") {
  const YearMonth jan = period("2024-01");
  CHECK(jan.year() == 2024);
  CHECK(jan.month() == 1);
  CHECK(jan.index == 2024 * 12);  // index = year * 12 + month - 1
  CHECK(period("2024-12").index == 2024 * 12 + 11);
  CHECK(period("0001-01").index == 12);
  CHECK(period("9999-12").index == 9999 * 12 + 11);
  CHECK(period(" 2024-03 ") == YearMonth::from(2024, 3));  // surrounding spaces ignored
}

TEST_CASE("parse_period: YYYY-MM-DD counts in its month", "[month]") {
  CHECK(period("2024-01-01") == YearMonth::from(2024, 1));
  CHECK(period("2024-01-31") == YearMonth::from(2024, 1));
  CHECK(period("2024-04-30") == YearMonth::from(2024, 4));
  CHECK(period("2023-12-31") == YearMonth::from(2023, 12));
  CHECK(period("2024-02-29") == YearMonth::from(2024, 2));   // 2024 is a leap year
  CHECK(period("2000-02-29") == YearMonth::from(2000, 2));   // divisible by 400: leap
  CHECK(period_error("2023-02-29") == PeriodError::bad_day);  // not a leap year
  CHECK(period_error("1900-02-29") == PeriodError::bad_day);  // divisible by 100, not 400
  CHECK(period_error("2100-02-29") == PeriodError::bad_day);
  CHECK(period_error("2024-02-30") == PeriodError::bad_day);
  CHECK(period_error("2024-04-31") == PeriodError::bad_day);
  CHECK(period_error("2024-06-31") == PeriodError::bad_day);
  CHECK(period_error("2024-01-32") == PeriodError::bad_day);
  CHECK(period_error("2024-01-00") == PeriodError::bad_day);
}

TEST_CASE("parse_period: impossible months and years", "[month]") {
  CHECK(period_error("2024-13") == PeriodError::bad_month);
  CHECK(period_error("2024-00") == PeriodError::bad_month);
  CHECK(period_error("0000-00") == PeriodError::bad_month);  // as documented in month.hpp
  CHECK(period_error("2024-13-01") == PeriodError::bad_month);
  CHECK(period_error("0000-01") == PeriodError::bad_year);
  CHECK(period_error("0000-01-01") == PeriodError::bad_year);
}

TEST_CASE("parse_period: ISO 8601 timestamps count in the month of their date (issue 16)", "[month]") {
  for (const char* text : {"2024-01-15T10:00:00Z", "2024-01-01T00:00:00", "2024-01-31 23:59",
                           "2024-01-31T23:30:00+05:00"}) {
    CHECK(period(text) == period("2024-01"));
  }
}

TEST_CASE("parse_period: anything else is a syntax error", "[month]") {
  for (const char* text :
       {"2024-1", "24-01", "2024/01", "2024.01", "202401", "2024-01-1", "2024-1-01", "2024 -01",
        "2024- 01", "01-2024", "Jan 2024", "2024-Jan",
        "+2024-01", "-2024-01", "20240-01", "2024--01", "2024-01-", "2024-0a", "abcd-01", "",
        "   ", "\t2024-01", "2024-01\t", "2024-01-01Z", "2024_01"}) {
    INFO("text: \"" << text << "\"");
    CHECK(period_error(text) == PeriodError::syntax);
  }
}

TEST_CASE("parse_period: describe() words each error", "[month]") {
  for (const PeriodError e : {PeriodError::syntax, PeriodError::bad_month, PeriodError::bad_day,
                              PeriodError::bad_year}) {
    CHECK(csm::describe(e).substr(0, 9) == "expected ");
  }
}

TEST_CASE("YearMonth: prev and next across year boundaries", "[month]") {
  CHECK(YearMonth::from(2024, 1).prev() == YearMonth::from(2023, 12));
  CHECK(YearMonth::from(2023, 12).next() == YearMonth::from(2024, 1));
  CHECK(YearMonth::from(2024, 2).prev() == YearMonth::from(2024, 1));
  CHECK(YearMonth::from(2024, 11).next() == YearMonth::from(2024, 12));
  CHECK(YearMonth::from(2000, 1).prev().year() == 1999);
  CHECK(YearMonth::from(2000, 1).prev().month() == 12);
  CHECK(YearMonth::from(1, 2).prev() == YearMonth::from(1, 1));
  CHECK(csm::to_string(YearMonth::from(2024, 1).prev()) == "2023-12");
  CHECK(csm::to_string(YearMonth::from(2023, 12).next()) == "2024-01");
  CHECK(YearMonth::from(2023, 12) < YearMonth::from(2024, 1));
  // Twelve steps forward is the same month of the next year.
  YearMonth m = YearMonth::from(2023, 7);
  for (int i = 0; i < 12; ++i) m = m.next();
  CHECK(m == YearMonth::from(2024, 7));
  for (int i = 0; i < 24; ++i) m = m.prev();
  CHECK(m == YearMonth::from(2022, 7));
}

TEST_CASE("to_string(YearMonth) round-trips every month", "[month]") {
  CHECK(csm::to_string(YearMonth::from(2024, 1)) == "2024-01");
  CHECK(csm::to_string(YearMonth::from(1, 1)) == "0001-01");
  CHECK(csm::to_string(YearMonth::from(9999, 12)) == "9999-12");
  int failures = 0;
  for (int y = 1; y <= 9999 && failures == 0; ++y) {
    for (int mo = 1; mo <= 12; ++mo) {
      char expected[16];
      std::snprintf(expected, sizeof expected, "%04d-%02d", y, mo);
      const YearMonth m = YearMonth::from(y, mo);
      YearMonth back{-1};
      if (m.year() != y || m.month() != mo || csm::to_string(m) != expected ||
          csm::parse_period(expected, back) != PeriodError::ok || back != m) {
        INFO("month " << expected);
        CHECK(csm::to_string(m) == expected);
        ++failures;
        break;
      }
    }
  }
  CHECK(failures == 0);
}

TEST_CASE("parse_date: known day counts", "[month]") {
  // Checked with Python's datetime: (date(y, m, d) - date(1970, 1, 1)).days.
  CHECK(date("1970-01-01") == 0);
  CHECK(date("1970-01-02") == 1);
  CHECK(date("1969-12-31") == -1);
  CHECK(date("2000-03-01") == 11017);
  CHECK(date("2024-02-29") == 19782);
  CHECK(date("2023-12-31") == 19722);
  CHECK(date("2024-01-01") == 19723);
  CHECK(date("1900-03-01") == -25508);
  CHECK(date("0001-01-01") == -719162);
  CHECK(date("9999-12-31") == 2932896);
  CHECK(date(" 2024-02-29 ") == 19782);
}

TEST_CASE("parse_date: strict YYYY-MM-DD", "[month]") {
  CHECK(date_error("2024-01") == PeriodError::syntax);  // a month is not a date
  CHECK(date_error("2024-1-01") == PeriodError::syntax);
  CHECK(date_error("2024/01/01") == PeriodError::syntax);
  CHECK(date_error("2023-02-29") == PeriodError::bad_day);
  CHECK(date_error("1900-02-29") == PeriodError::bad_day);
  CHECK(date_error("2024-13-01") == PeriodError::bad_month);
  CHECK(date_error("0000-01-01") == PeriodError::bad_year);
  CHECK(date_error("") == PeriodError::syntax);
}

TEST_CASE("parse_date, month_of and to_string agree with a day-by-day calendar", "[month]") {
  // Walk every day from 0001-01-01 to 9999-12-31 with the test's own calendar, counting days from
  // 0001-01-01 = -719162 (checked above); every date must parse to the running count, print back
  // to the same text and fall in the right month.
  std::int32_t days = -719162;
  int failures = 0;
  for (int y = 1; y <= 9999 && failures == 0; ++y) {
    for (int m = 1; m <= 12 && failures == 0; ++m) {
      const int length = month_length(y, m);
      for (int d = 1; d <= length; ++d, ++days) {
        const std::string text = ymd(y, m, d);
        Date parsed{-999'999'999};
        const bool ok = csm::parse_date(text, parsed) == PeriodError::ok && parsed.days == days &&
                        csm::to_string(Date{days}) == text &&
                        csm::month_of(Date{days}) == YearMonth::from(y, m);
        if (!ok) {
          INFO("date " << text << ", expected day " << days);
          CHECK(parsed.days == days);
          CHECK(csm::to_string(Date{days}) == text);
          CHECK(csm::month_of(Date{days}) == YearMonth::from(y, m));
          ++failures;
          break;
        }
      }
      // The day after the month's last is refused.
      YearMonth unused{-1};
      if (csm::parse_period(ymd(y, m, length + 1), unused) != PeriodError::bad_day) {
        INFO("date " << ymd(y, m, length + 1));
        CHECK(false);
        ++failures;
      }
    }
  }
  CHECK(failures == 0);
  CHECK(days == 2932896 + 1);  // one past 9999-12-31
}
