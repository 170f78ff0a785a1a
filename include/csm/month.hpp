#pragma once
/// Calendar months as consecutive integers, so that "the month before" is index - 1.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace csm {

/// A calendar month, year 1..9999. index = year * 12 + (month - 1).
struct YearMonth {
  std::int32_t index = 0;

  static constexpr YearMonth from(int year, int month) noexcept { return {year * 12 + month - 1}; }
  constexpr int year() const noexcept { return index / 12; }
  constexpr int month() const noexcept { return index % 12 + 1; }  ///< 1..12
  constexpr YearMonth prev() const noexcept { return {index - 1}; }
  constexpr YearMonth next() const noexcept { return {index + 1}; }
  constexpr auto operator<=>(const YearMonth&) const noexcept = default;
};

enum class PeriodError : std::uint8_t {
  ok,
  syntax,        ///< not YYYY-MM or YYYY-MM-DD
  bad_month,     ///< month not 01..12 (e.g. 2024-13, 0000-00)
  bad_day,       ///< day not in the month (2023-02-29, 2024-04-31)
  bad_year,      ///< year 0000
};

/// Parse "YYYY-MM" or "YYYY-MM-DD" (the day must exist; it only selects the month). Surrounding
/// ASCII spaces are ignored.
PeriodError parse_period(std::string_view text, YearMonth& out) noexcept;

/// A calendar date, kept for transaction records (predictive models count days).
struct Date {
  std::int32_t days = 0;  ///< days since 1970-01-01
  constexpr auto operator<=>(const Date&) const noexcept = default;
};

/// Parse "YYYY-MM-DD" strictly (the day must exist).
PeriodError parse_date(std::string_view text, Date& out) noexcept;
YearMonth month_of(Date date) noexcept;

std::string_view describe(PeriodError error) noexcept;

/// Days in `month` (28..31).
int days_in(YearMonth month) noexcept;
/// Days in month `month` (1..12) of `year` (28..31), proleptic Gregorian.
int days_in_month(int year, int month) noexcept;

/// A date as year, month (1..12) and day (1..31).
struct CivilDate {
  int year, month, day;
};
/// The calendar date of `date` (Howard Hinnant's civil_from_days).
CivilDate civil_of(Date date) noexcept;
/// The date of a calendar day; the day must exist in its month.
Date date_of(int year, int month, int day) noexcept;
/// The day of the month of `date` (1..31).
int day_of(Date date) noexcept;

/// "YYYY-MM".
std::string to_string(YearMonth month);
/// "YYYY-MM-DD".
std::string to_string(Date date);

}  // namespace csm
