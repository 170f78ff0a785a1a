#pragma once
/// Invoice lines (a billing system's export: one row per invoice line, with a service period)
/// normalised to monthly recurring revenue and turned into the activity records of the months
/// they cover, so that every metric of the activity input applies to them unchanged.
///
/// The rules (docs/metrics.md, "Invoice records"):
/// - a `subscription` line covers month M when service_start <= M's last day < service_end, i.e.
///   the months month(service_start) .. month(service_end) - 1 (as subscription records);
/// - its monthly amount is amount / k when the period is k whole months, else
///   amount * L / d, where d is the period's length in days and L the length in days of the
///   month that ends on service_end (service_end one month back .. service_end); both rounded
///   half to even to the micro-unit;
/// - `one_time` and `refund` lines change no MRR: they are counted and summed in InvoiceStats;
/// - a line's signal values (churn-risk --signal) are observations in the month of service_start,
///   for every line type (docs/churn-risk.md, "Signals").

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/activity_aggregator.hpp"
#include "csm/activity_sink.hpp"
#include "csm/decimal.hpp"
#include "csm/month.hpp"

namespace csm {

enum class LineType : std::uint8_t { subscription, one_time, refund };

/// "subscription", "one_time" or "refund" (nullopt for anything else).
std::optional<LineType> parse_line_type(std::string_view text) noexcept;
std::string_view to_string(LineType type) noexcept;

/// One invoice line (one input row), already in the base currency. The views are valid only
/// until the next record.
struct InvoiceLine {
  std::string_view customer_id;
  Date start;                             ///< service_start (the charge's date for one_time, refund)
  std::optional<Date> end;                ///< service_end, exclusive; required for subscription
  Money amount = 0;                       ///< signed, base currency, after discounts, without tax
  LineType type = LineType::subscription;
  std::optional<Money> acquisition_cost;  ///< booked in the month of service_start
  std::uint8_t csat = 0;                  ///< one response 1..5, in the month of service_start
  std::int8_t nps = -1;                   ///< one NPS answer 0..10 (-1: none), in the month of service_start
  bool nps_column = false;                ///< the input has an nps column
  std::string_view segment;               ///< empty = none
  /// The declared signal columns (`churn-risk --signal`), as ActivityRecord::signals: one
  /// observation in the month of service_start (none in the other months the line covers).
  std::span<const std::optional<double>> signals;
};

/// The calendar helpers of the rules, exposed for tests (days_in_month is in csm/month.hpp).
/// `date` moved by `months` calendar months, the day clamped to the target month's length.
Date add_months(Date date, int months) noexcept;
/// k >= 1 when [start, end) is k whole months (end on start's day of month, or on the last day
/// of its month when start is a month's last day or its day does not exist there), else 0.
int whole_months(Date start, Date end) noexcept;
/// The monthly amount of a subscription line (end > start), exact to the micro-unit, half to
/// even. nullopt on overflow.
std::optional<Money> monthly_amount(Money amount, Date start, Date end) noexcept;

/// `value` * `numerator` / `denominator` rounded half to even (denominator > 0); nullopt when the
/// result does not fit in Money.
std::optional<Money> mul_div_half_even(Money value, MoneySum numerator, MoneySum denominator) noexcept;

/// What the normalisation saw, for the "input" member of the output.
struct InvoiceStats {
  std::uint64_t lines = 0;
  std::uint64_t subscription_lines = 0;
  std::uint64_t trial_lines = 0;             ///< subscription lines with amount 0
  std::uint64_t credit_lines = 0;            ///< subscription lines with amount < 0
  std::uint64_t whole_month_lines = 0;       ///< normalised as amount / k
  std::uint64_t day_rule_lines = 0;          ///< normalised by days
  std::uint64_t no_month_end_lines = 0;      ///< subscription lines that cover no month's last day
  std::uint64_t one_time_lines = 0;
  MoneySum one_time_amount = 0;
  std::uint64_t refund_lines = 0;
  MoneySum refund_amount = 0;
  std::uint64_t converted_lines = 0;         ///< lines converted from another currency
  std::uint64_t after_until_lines = 0;       ///< lines starting after --until (left out)
  /// one_time and refund amounts by the month of their date (service_start).
  std::map<std::int32_t, std::pair<MoneySum, MoneySum>> non_recurring_by_month;
  std::string currency;  ///< the base (--currency) or the lines' one currency; empty: none named
};

/// Adds the counts and sums of `part` (the lines of another shard) to `total`; the currency is
/// left to the caller (merge checks that the shards agree on it).
void add_invoice_stats(InvoiceStats& total, const InvoiceStats& part);

/// Feeds an ActivityAggregator (or any ActivitySink) with one record per (subscription line,
/// covered month), the line's monthly amount as revenue. Rows of one customer and month add up in
/// the aggregation (overlapping lines), and a month whose sum is <= 0 is a month without MRR.
class InvoiceExpander {
 public:
  /// `until`: the last month of the range (lines are cut there); without it the range ends at the
  /// latest month any line covers.
  InvoiceExpander(ActivityAggregator& out, std::optional<YearMonth> until);
  InvoiceExpander(ActivitySink& out, std::optional<YearMonth> until);

  /// The most months one line may cover (a mistyped year must not become centuries of rows).
  static constexpr std::int32_t kMaxLineMonths = 1200;

  /// Why the line cannot be taken (field name and message), or nullopt. The reader asks first.
  std::optional<std::pair<const char*, std::string>> problem(const InvoiceLine& line) const;

  /// Take one line (problem() must be empty).
  void add(const InvoiceLine& line);

  /// Set the aggregator's range. Throws std::invalid_argument when `until` is before every line
  /// unless `allow_empty_range`.
  void finish(bool allow_empty_range = false);
  /// Take in what `part`, the expander of a later share of the same lines (a file read by several
  /// threads), saw: its counts, its months and the signals finish() emits. Merge in input order.
  void merge(InvoiceExpander&& part);

  const InvoiceStats& stats() const noexcept { return stats_; }
  /// The reader converted the last line taken from another currency.
  void note_converted() noexcept { ++stats_.converted_lines; }

 private:
  void emit(const ActivityRecord& row) {
    if (aggregator_ != nullptr) {
      aggregator_->add(row);
    } else {
      sink_->add(row);
    }
  }

  ActivityAggregator* aggregator_ = nullptr;
  ActivitySink* sink_ = nullptr;
  std::optional<YearMonth> until_;
  std::optional<YearMonth> first_;
  std::optional<YearMonth> last_;
  InvoiceStats stats_;
  // Signals of one_time and refund lines (they emit no revenue row): emitted by finish() as
  // zero-revenue rows, only within the months the subscription lines span.
  struct PendingSignals {
    std::string customer_id;
    YearMonth period;
    std::vector<std::optional<double>> values;
  };
  std::vector<PendingSignals> pending_signals_;
};

/// ISO 4217: whether `code` is an active three-letter currency code (upper case).
bool is_currency_code(std::string_view code) noexcept;
/// Decimal places of the currency's minor unit (2 for most; 0 for JPY, KRW, ...; 3 for KWD, ...).
int minor_unit_digits(std::string_view code) noexcept;

/// Exchange rates: per currency, (date, rate) with rate = units of the base per unit of the
/// currency, as an integer over 10^kRateDecimals.
class FxRates {
 public:
  static constexpr int kRateDecimals = 12;
  /// A rate may be used for lines up to this many days after its date; a longer gap between two
  /// dates of one currency is an error in the rate file.
  static constexpr std::int32_t kMaxGapDays = 31;

  /// Add one rate (any order). Returns false when the currency already has a rate on that date.
  bool add(std::string_view currency, Date date, std::int64_t rate_scaled);
  /// Sort; the first (currency, date) whose gap to the date before it exceeds kMaxGapDays, or
  /// nullopt.
  std::optional<std::pair<std::string, Date>> finish();

  bool has(std::string_view currency) const { return rates_.count(std::string(currency)) > 0; }
  /// The latest rate on or before `date`, with its date; nullopt when none.
  std::optional<std::pair<Date, std::int64_t>> rate(std::string_view currency, Date date) const;

 private:
  std::map<std::string, std::vector<std::pair<Date, std::int64_t>>, std::less<>> rates_;
};

/// `amount` in a currency converted with `rate_scaled` (over 10^kRateDecimals), rounded half to
/// even to the micro-unit; nullopt on overflow.
std::optional<Money> convert(Money amount, std::int64_t rate_scaled) noexcept;

}  // namespace csm
