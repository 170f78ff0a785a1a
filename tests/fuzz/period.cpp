// Fuzz target: parse_period and parse_date. Properties: a period that parses prints (to_string)
// as YYYY-MM and parses back to the same month; a date that parses prints as YYYY-MM-DD, parses
// back to the same day, and as a period names the same month as month_of(date).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "csm/month.hpp"
#include "reader_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);

  csm::YearMonth month;
  const csm::PeriodError period_error = csm::parse_period(text, month);
  (void)csm::describe(period_error);
  if (period_error == csm::PeriodError::ok) {
    if (month.year() < 1 || month.year() > 9999 || month.month() < 1 || month.month() > 12) {
      csm::fuzz::fail("a parsed period is in 0001-01..9999-12", std::string(text));
    }
    const std::string printed = csm::to_string(month);
    csm::YearMonth again;
    if (printed.size() != 7 || csm::parse_period(printed, again) != csm::PeriodError::ok ||
        again != month) {
      csm::fuzz::fail("period round-trips", std::string(text) + " -> " + printed);
    }
  }

  csm::Date date;
  const csm::PeriodError date_error = csm::parse_date(text, date);
  if (date_error == csm::PeriodError::ok) {
    const std::string printed = csm::to_string(date);
    csm::Date again;
    if (printed.size() != 10 || csm::parse_date(printed, again) != csm::PeriodError::ok ||
        again != date) {
      csm::fuzz::fail("date round-trips", std::string(text) + " -> " + printed);
    }
    // The period parser takes YYYY-MM-DD too and must agree on the month.
    csm::YearMonth of_printed;
    if (csm::parse_period(printed, of_printed) != csm::PeriodError::ok ||
        of_printed != csm::month_of(date)) {
      csm::fuzz::fail("parse_period and parse_date agree on the month", printed);
    }
    if (period_error != csm::PeriodError::ok || month != csm::month_of(date)) {
      csm::fuzz::fail("a valid date is a valid period of the same month", std::string(text));
    }
  }
  return 0;
}
