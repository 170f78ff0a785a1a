#include "csm/month.hpp"

#include <cstdio>

#include "trim_spaces.hpp"

namespace csm {
namespace {

using detail::trim_spaces;

bool digits(std::string_view s, std::size_t from, std::size_t count, int& value) noexcept {
  value = 0;
  for (std::size_t i = from; i < from + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

bool is_leap(int year) noexcept { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
std::int32_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

using Civil = CivilDate;

Civil civil_from_days(std::int32_t z) noexcept {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int doe = z - era * 146097;
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = yoe + era * 400;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  const int d = doy - (153 * mp + 2) / 5 + 1;
  const int m = mp + (mp < 10 ? 3 : -9);
  return {y + (m <= 2 ? 1 : 0), m, d};
}

// "HH:MM", "HH:MM:SS" or "HH:MM:SS.fff…", then nothing, "Z", or an offset "+HH:MM", "+HHMM", "+HH".
bool is_iso_time(std::string_view t) noexcept {
  int value = 0;
  if (t.size() < 5 || !digits(t, 0, 2, value) || value > 24 || t[2] != ':' || !digits(t, 3, 2, value) ||
      value > 59) {
    return false;
  }
  std::size_t i = 5;
  if (i < t.size() && t[i] == ':') {
    if (t.size() < i + 3 || !digits(t, i + 1, 2, value) || value > 60) return false;
    i += 3;
    if (i < t.size() && (t[i] == '.' || t[i] == ',')) {
      const std::size_t start = ++i;
      while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      if (i == start) return false;
    }
  }
  if (i == t.size()) return true;
  if ((t[i] == 'Z' || t[i] == 'z') && i + 1 == t.size()) return true;
  if (t[i] != '+' && t[i] != '-') return false;
  const std::string_view offset = t.substr(i + 1);
  if (offset.size() == 2) return digits(offset, 0, 2, value);
  if (offset.size() == 4) return digits(offset, 0, 4, value);
  return offset.size() == 5 && offset[2] == ':' && digits(offset, 0, 2, value) && digits(offset, 3, 2, value);
}

// Shared by periods and dates: "YYYY-MM" (when allowed) or "YYYY-MM-DD".
PeriodError parse_civil(std::string_view text, bool allow_month_only, int& year, int& month,
                        int& day) noexcept {
  text = trim_spaces(text);
  // An ISO 8601 timestamp counts by its calendar date as written: the time and any offset are
  // checked for form and then ignored (2024-01-31T23:30:00-05:00 is 2024-01-31).
  if (text.size() > 10 && (text[10] == 'T' || text[10] == ' ')) {
    if (!is_iso_time(text.substr(11))) return PeriodError::syntax;
    text = text.substr(0, 10);
  }
  const bool month_only = text.size() == 7;
  if (!(text.size() == 10 || (allow_month_only && month_only))) return PeriodError::syntax;
  if (text[4] != '-' || !digits(text, 0, 4, year) || !digits(text, 5, 2, month)) {
    return PeriodError::syntax;
  }
  day = 1;
  if (!month_only && (text[7] != '-' || !digits(text, 8, 2, day))) return PeriodError::syntax;
  if (month < 1 || month > 12) return PeriodError::bad_month;
  if (year < 1) return PeriodError::bad_year;
  if (day < 1 || day > days_in_month(year, month)) return PeriodError::bad_day;
  return PeriodError::ok;
}

}  // namespace

PeriodError parse_period(std::string_view text, YearMonth& out) noexcept {
  // The common "YYYY-MM" without spaces, in one step; everything else takes the general path.
  if (text.size() == 7 && text[4] == '-') {
    int year = 0;
    int month = 0;
    if (digits(text, 0, 4, year) && digits(text, 5, 2, month) && year >= 1 && month >= 1 &&
        month <= 12) {
      out = YearMonth::from(year, month);
      return PeriodError::ok;
    }
  }
  int year = 0, month = 0, day = 0;
  const PeriodError error = parse_civil(text, true, year, month, day);
  if (error == PeriodError::ok) out = YearMonth::from(year, month);
  return error;
}

PeriodError parse_date(std::string_view text, Date& out) noexcept {
  // The common "YYYY-MM-DD" without spaces, in one step (as parse_period's "YYYY-MM");
  // everything else, errors included, takes the general path.
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    int year = 0;
    int month = 0;
    int day = 0;
    if (digits(text, 0, 4, year) && digits(text, 5, 2, month) && digits(text, 8, 2, day) && year >= 1 &&
        month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month)) {
      out = Date{days_from_civil(year, month, day)};
      return PeriodError::ok;
    }
  }
  int year = 0, month = 0, day = 0;
  const PeriodError error = parse_civil(text, false, year, month, day);
  if (error == PeriodError::ok) out = Date{days_from_civil(year, month, day)};
  return error;
}

YearMonth month_of(Date date) noexcept {
  const Civil c = civil_from_days(date.days);
  return YearMonth::from(c.year, c.month);
}

std::string_view describe(PeriodError error) noexcept {
  switch (error) {
    case PeriodError::ok:
      return "ok";
    case PeriodError::syntax:
      return "expected a month as YYYY-MM or a date as YYYY-MM-DD";
    case PeriodError::bad_month:
      return "expected a month 01..12";
    case PeriodError::bad_day:
      return "expected a day that exists in its month";
    case PeriodError::bad_year:
      return "expected a year 0001..9999";
  }
  return "invalid period";
}

int days_in_month(int year, int month) noexcept {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

CivilDate civil_of(Date date) noexcept { return civil_from_days(date.days); }

Date date_of(int year, int month, int day) noexcept { return Date{days_from_civil(year, month, day)}; }

int days_in(YearMonth month) noexcept { return days_in_month(month.year(), month.month()); }

int day_of(Date date) noexcept { return civil_from_days(date.days).day; }

std::string to_string(YearMonth month) {
  char text[32];  // room for any int, so that the compiler can prove no truncation
  std::snprintf(text, sizeof text, "%04d-%02d", month.year(), month.month());
  return text;
}

std::string to_string(Date date) {
  const Civil c = civil_from_days(date.days);
  char text[48];  // room for any int, so that the compiler can prove no truncation
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", c.year, c.month, c.day);
  return text;
}

}  // namespace csm
