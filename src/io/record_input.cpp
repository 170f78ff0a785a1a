#include "csm/io/record_input.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <future>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/columns.hpp"
#include "csm/io/csv_reader.hpp"
#include "csm/io/json_reader.hpp"
#include "csm/io/source.hpp"
#include "csm/parallel.hpp"
#include "invoice_input.hpp"
#include "text_output.hpp"

namespace csm::io {
namespace {

constexpr std::size_t kReadBlock = 1u << 20;

// Slots of the activity columns (the order of activity_columns()).
enum ActivitySlot : std::size_t { kCustomerId, kPeriod, kRevenue, kAcquisitionCost, kCsat, kSegment, kNps };
// Slots of the summary columns.
enum SummarySlot : std::size_t {
  kSumPeriod,
  kCustomersStart,
  kNewCustomers,
  kChurnedCustomers,
  kReactivatedCustomers,
  kExpandedCustomers,
  kContractedCustomers,
  kCsatSatisfied,
  kCsatResponses,
  kSumRevenue,
  kSumAcquisitionCost,
};
// Slots of the spend columns.
enum SpendSlot : std::size_t { kSpendPeriod, kAmount, kChannel, kSpendSegment };
// Slots of the subscription columns.
enum SubscriptionSlot : std::size_t { kSubCustomerId, kStartDate, kEndDate, kMrr, kSubSegment, kSubAcquisitionCost };

// Slots of the transaction columns.
enum TransactionSlot : std::size_t { kTxCustomerId, kTxDate, kTxAmount, kTxQuantity };

// The declared signals (churn-risk --signal) after the record kind's own columns.
void append_signal_columns(std::vector<ColumnSpec>& specs, const ReadOptions& options, RecordKind kind) {
  for (const std::string& signal : options.signals) {
    const std::string lower = text::ascii_lower(signal);
    for (const ColumnSpec& spec : specs) {
      if (spec.name == lower) {
        throw std::invalid_argument("--signal " + signal + ": " + spec.name + " is a column of " +
                                    std::string(to_string(kind)) +
                                    " records, not a signal (declare each "
                                    "signal once, and not revenue, csat, ...)");
      }
    }
    specs.push_back({lower, true});  // a CSV header must have it
  }
}

ColumnMap make_columns(RecordKind kind, const ReadOptions& options) {
  std::vector<ColumnSpec> specs;
  if (kind == RecordKind::summary) {
    for (std::size_t i = 0; i < summary_columns().size(); ++i) {
      specs.push_back({summary_columns()[i], i <= kChurnedCustomers});
    }
  } else if (kind == RecordKind::spend) {
    for (std::size_t i = 0; i < spend_columns().size(); ++i) {
      specs.push_back({spend_columns()[i], i <= kAmount});
    }
  } else if (kind == RecordKind::subscription) {
    for (std::size_t i = 0; i < subscription_columns().size(); ++i) {
      specs.push_back({subscription_columns()[i], i == kSubCustomerId || i == kStartDate || i == kMrr});
    }
  } else if (kind == RecordKind::invoice) {
    for (std::size_t i = 0; i < invoice_columns().size(); ++i) {
      specs.push_back({invoice_columns()[i], i == 0 || i == 1 || i == 3});
    }
    for (const std::string& extra : invoice_extra_columns()) specs.push_back({extra, false});
    append_signal_columns(specs, options, kind);
  } else if (kind == RecordKind::transaction) {
    for (std::size_t i = 0; i < transaction_columns().size(); ++i) {
      specs.push_back({transaction_columns()[i], i <= kTxAmount});
    }
  } else {
    for (std::size_t i = 0; i < activity_columns().size(); ++i) {
      specs.push_back({activity_columns()[i], i <= kRevenue});
    }
    append_signal_columns(specs, options, kind);
  }
  for (ColumnSpec& spec : specs) {
    const auto& wanted = options.required_columns;
    if (std::find(wanted.begin(), wanted.end(), spec.name) != wanted.end()) spec.required = true;
  }
  ColumnMap columns(std::move(specs));
  if (kind == RecordKind::invoice && !options.preset.empty()) {
    const InvoicePreset* preset = find_invoice_preset(options.preset);
    if (preset == nullptr) {
      throw std::invalid_argument("--preset " + options.preset + ": not a known preset (known: " +
                                  invoice_preset_names() + ")");
    }
    for (const auto& [canonical, input] : preset->columns) columns.rename(canonical, input);
    for (const auto& [canonical, input] : preset->alternatives) columns.add_alternative(canonical, input);
  }
  for (const auto& [canonical, input] : options.renames) {
    if (!columns.rename(canonical, input)) {
      std::string known;
      for (std::size_t s = 0; s < columns.size(); ++s) known += (s ? ", " : "") + columns.spec(s).name;
      throw std::invalid_argument("--column " + canonical + "=" + input + ": " + canonical +
                                  " is not a column of " +
                                  std::string(to_string(kind)) + " records (they have: " + known +
                                  ")");
    }
  }
  return columns;
}

std::string_view type_name(CellType type) noexcept {
  switch (type) {
    case CellType::absent:
      return "nothing";
    case CellType::null:
      return "null";
    case CellType::text:
      return "a string";
    case CellType::number:
      return "a number";
    case CellType::boolean:
      return "a boolean";
    case CellType::composite:
      return "an object or array";
  }
  return "a value";
}

bool is_blank(const Cell& cell) noexcept {
  if (cell.type == CellType::absent || cell.type == CellType::null) return true;
  if (cell.type != CellType::text) return false;
  if (!cell.text.empty() && cell.text.front() != ' ') return false;  // the usual case, early
  return cell.text.find_first_not_of(' ') == std::string_view::npos;
}

std::string_view trimmed(std::string_view s) noexcept {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Field checks shared by both record kinds. Each throws a located InputError.
class FieldParser {
 public:
  FieldParser(const ColumnMap& columns, const Location& where, std::uint64_t* rounded = nullptr)
      : columns_(columns), where_(where), rounded_(rounded) {}

  [[noreturn]] void fail(std::size_t slot, const std::string& message) const {
    if (where_.record != 0) {
      throw InputError(std::string(where_.source), where_.line, columns_.display_name(slot),
                       message + " (record " + std::to_string(where_.record) + ", byte " +
                           std::to_string(where_.offset) + ")");
    }
    throw InputError(std::string(where_.source), where_.line, columns_.display_name(slot), message);
  }

  // A customer id: a string, or a whole number as JSON exports of numeric ids write it.
  std::string_view id(std::size_t slot, const Cell& cell) const {
    if (cell.type == CellType::number && !cell.text.empty() &&
        cell.text.find_first_not_of("-0123456789") == std::string_view::npos) {
      return cell.text;
    }
    return text(slot, cell);
  }

  void require_present(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) {
      fail(slot, cell.type == CellType::absent ? "missing (a required field)"
                                               : "empty (a required field)");
    }
  }

  std::string_view text(std::size_t slot, const Cell& cell) const {
    require_present(slot, cell);
    if (cell.type != CellType::text) {
      std::string message = "expected a string, got ";
      message += type_name(cell.type);
      if (cell.type == CellType::number) {
        message += ' ';
        message += cell.text;
      }
      fail(slot, message);
    }
    return cell.text;
  }

  YearMonth period(std::size_t slot, const Cell& cell) const {
    const std::string_view value = text(slot, cell);
    YearMonth month;
    const PeriodError error = parse_period(value, month);
    if (error != PeriodError::ok) {
      fail(slot, std::string(describe(error)) + ", got " + quote_for_message(value));
    }
    return month;
  }

  Date date(std::size_t slot, const Cell& cell) const {
    const std::string_view value = text(slot, cell);
    Date day;
    const PeriodError error = parse_date(value, day);
    if (error != PeriodError::ok) {
      fail(slot, std::string(error == PeriodError::syntax ? "expected a date as YYYY-MM-DD"
                                                          : describe(error)) +
                     ", got " + quote_for_message(value));
    }
    return day;
  }

  std::optional<Date> optional_date(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return std::nullopt;
    return date(slot, cell);
  }

  Money money(std::size_t slot, const Cell& cell) const {
    require_present(slot, cell);
    if (cell.type != CellType::text && cell.type != CellType::number) {
      fail(slot, "expected a decimal >= 0, got " + std::string(type_name(cell.type)));
    }
    Money value = 0;
    DecimalError error = parse_money(cell.text, value);
    if (error == DecimalError::too_precise && rounded_ != nullptr) {
      error = round_money(cell.text, value);
      if (error == DecimalError::ok) ++*rounded_;
    }
    if (error == DecimalError::syntax && cell.text.find(',') != std::string_view::npos) {
      fail(slot, "expected a decimal >= 0 without thousands separators (1234.56), got " +
                     quote_for_message(cell.text));
    }
    if (error == DecimalError::too_precise) {
      fail(slot, std::string(describe(error)) + ", got " + quote_for_message(cell.text) +
                     " (float noise from a script? --round-money rounds amounts to the micro-unit)");
    }
    if (error != DecimalError::ok) {
      fail(slot, std::string(describe(error)) + ", got " + quote_for_message(cell.text));
    }
    return value;
  }

  std::optional<Money> optional_money(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return std::nullopt;
    return money(slot, cell);
  }

  std::optional<std::int64_t> optional_count(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return std::nullopt;
    return count(slot, cell);
  }

  std::int64_t count(std::size_t slot, const Cell& cell) const {
    require_present(slot, cell);
    std::string_view value = cell.text;
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    std::int64_t n = -1;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if ((cell.type != CellType::text && cell.type != CellType::number) || error != std::errc() ||
        end != value.data() + value.size() || n < 0 || (!value.empty() && value[0] == '-')) {
      fail(slot, "expected a whole number >= 0, got " +
                     (cell.type == CellType::text || cell.type == CellType::number
                          ? quote_for_message(cell.text)
                          : std::string(type_name(cell.type))));
    }
    return n;
  }

  // A signal value: any finite decimal number; blank = no observation.
  std::optional<double> signal(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return std::nullopt;
    const bool scalar = cell.type == CellType::text || cell.type == CellType::number;
    const std::string_view value = trimmed(cell.text);
    double x = 0;
    const char* begin = value.data();
    const char* end = value.data() + value.size();
    if (scalar && !value.empty() && *begin == '+') ++begin;
    const auto [stop, error] = std::from_chars(begin, end, x);
    if (!scalar || value.empty() || error != std::errc() || stop != end || !std::isfinite(x) ||
        value.find_first_of("xXpP") != std::string_view::npos) {
      fail(slot, "expected a number (a signal value, e.g. 12 or 3.5; blank: not observed), got " +
                     (scalar ? quote_for_message(cell.text) : std::string(type_name(cell.type))));
    }
    return x;
  }

  // One NPS answer, a whole number 0..10; blank = no answer (-1).
  std::int8_t nps(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return -1;
    const std::string_view value = trimmed(cell.text);
    const bool scalar = cell.type == CellType::text || cell.type == CellType::number;
    const bool digits = !value.empty() && value.size() <= 2 &&
                        value.find_first_not_of("0123456789") == std::string_view::npos;
    const int n = digits ? (value.size() == 1 ? value[0] - '0' : (value[0] - '0') * 10 + (value[1] - '0')) : -1;
    if (!scalar || !digits || n > 10 || (value.size() == 2 && value[0] == '0')) {
      fail(slot, "expected a whole number 0..10 (one NPS answer), got " +
                     (scalar ? quote_for_message(cell.text) : std::string(type_name(cell.type))));
    }
    return static_cast<std::int8_t>(n);
  }

  std::uint8_t csat(std::size_t slot, const Cell& cell) const {
    if (is_blank(cell)) return 0;
    std::string_view value = cell.text;
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    const bool scalar = cell.type == CellType::text || cell.type == CellType::number;
    if (!scalar || value.size() != 1 || value[0] < '1' || value[0] > '5') {
      fail(slot, "expected a whole number 1..5 (one survey response), got " +
                     (scalar ? quote_for_message(cell.text) : std::string(type_name(cell.type))));
    }
    return static_cast<std::uint8_t>(value[0] - '0');
  }

 private:
  // "29.990000000000002" to 29.99: the first 6 decimals, rounded half to even on the rest.
  static DecimalError round_money(std::string_view text, Money& out) noexcept {
    const std::string_view t = trimmed(text);
    const std::size_t dot = t.find('.');
    if (dot == std::string_view::npos || t.size() <= dot + 7) return DecimalError::too_precise;
    const std::string_view rest = t.substr(dot + 7);
    if (rest.find_first_not_of("0123456789") != std::string_view::npos) return DecimalError::syntax;
    Money value = 0;
    const DecimalError error = parse_money(t.substr(0, dot + 7), value);
    if (error != DecimalError::ok) return error;
    const bool above_half = rest[0] > '5' || (rest[0] == '5' && rest.find_first_not_of('0', 1) != std::string_view::npos);
    const bool half = rest[0] == '5' && !above_half;
    if (above_half || (half && value % 2 != 0)) {
      if (value >= kMaxMoney) return DecimalError::too_large;
      ++value;
    }
    out = value;
    return DecimalError::ok;
  }

  const ColumnMap& columns_;
  const Location& where_;
  std::uint64_t* rounded_;
};

// Counts and keeps skipped records, or stops the run at the first one.
// The errors of one record's fields, each field checked on its own: the first is the record's
// error; with --skip-invalid every bad field is counted (the data report lists invalid values by
// column, and a row with a bad revenue and a bad csat has two).
class FieldErrors {
 public:
  template <typename Parse>
  void check(Parse&& parse) {
    try {
      parse();
    } catch (const InputError& error) {
      if (!first_) {
        first_ = error;
      } else {
        more_.push_back(error.field());
      }
    }
  }
  bool any() const noexcept { return first_.has_value(); }
  const InputError& first() const { return *first_; }
  const std::vector<std::string>& more_fields() const noexcept { return more_; }

 private:
  std::optional<InputError> first_;
  std::vector<std::string> more_;
};

class RecordGate {
 public:
  RecordGate(const ReadOptions& options, ReadReport& report)
      : profile(options.profile), quality(options.quality), shard(options.shard),
        shard_count(options.shard_count), since(options.since), last_month(options.last_month),
        dedupe(options.dedupe), rounded(options.round_money ? &report.rounded_amounts : nullptr),
        options_(options), report_(report) {}
  /// Whether a row of `month` is outside --since / --until (then counted).
  bool outside(YearMonth month) {
    if ((since && month < *since) || (last_month && month > *last_month)) {
      ++report_.outside_range;
      return true;
    }
    return false;
  }
  void invalid(const InputError& error) {
    if (!options_.skip_invalid) throw error;
    ++report_.skipped;
    ++report_.skipped_by_field[error.field().empty() ? "(record)" : error.field()];
    if (kept.size() < options_.max_kept_messages) kept.push_back(error);
  }
  void invalid(const FieldErrors& errors) {
    invalid(errors.first());
    for (const std::string& field : errors.more_fields()) {
      ++report_.skipped_by_field[field.empty() ? "(record)" : field];
    }
  }
  /// The first few skipped records' errors, in input order.
  std::vector<InputError> kept;
  /// --explain: where valid rows are described (nullptr: not asked for).
  InputProfile* profile;
  /// Data-quality warnings: where valid rows in the range are described (nullptr: not asked for).
  DataProfile* quality;
  std::uint32_t source_index = 0;  ///< the input being read, for DataProfile::Place
  bool several_inputs = false;     ///< overlaps between inputs are possible (customer_month)
  /// --shard: the shard every record must be in (shard_count 0: no check).
  std::uint32_t shard;
  std::uint32_t shard_count;
  std::optional<YearMonth> since;
  std::optional<YearMonth> last_month;
  bool dedupe;
  std::uint64_t* rounded;  ///< --round-money: the count of rounded amounts; nullptr: refuse them

 private:
  const ReadOptions& options_;
  ReadReport& report_;
};

class ActivityConsumer final : public RowConsumer {
 public:
  ActivityConsumer(const ColumnMap& columns, ActivityAggregator& out, RecordGate& gate,
                   ReadReport& report)
      : columns_(columns), out_(&out), gate_(gate), report_(report) {}
  ActivityConsumer(const ColumnMap& columns, ActivitySink& out, RecordGate& gate, ReadReport& report)
      : columns_(columns), sink_(&out), gate_(gate), report_(report),
        signals_(columns.size() - activity_columns().size()) {}
  /// Records go to `shards` through shard `shard` (one thread of a split read).
  ActivityConsumer(const ColumnMap& columns, ActivityShards& shards, unsigned shard,
                   RecordGate& gate, ReadReport& report)
      : columns_(columns), shards_(&shards), shard_(shard), gate_(gate), report_(report) {}

  void row(std::span<const Cell> cells, const Location& where) override {
    ActivityRecord record;
    const FieldParser f(columns_, where, gate_.rounded);
    // Valid rows, nearly all of them, in one go; a bad one again field by field, so that every
    // bad field is counted (FieldErrors) at the cost of that row alone.
    try {
      parse(record, f, cells, [](auto&& field) { field(); });
      if (!signals_.empty()) parse_signals(f, cells, [](auto&& field) { field(); });
    } catch (const InputError&) {
      FieldErrors errors;
      parse(record, f, cells, [&](auto&& field) { errors.check(field); });
      if (!signals_.empty()) parse_signals(f, cells, [&](auto&& field) { errors.check(field); });
      gate_.invalid(errors);
      return;
    }
    if (!signals_.empty()) record.signals = signals_;
    if (!is_blank(cells[kSegment])) record.segment = cells[kSegment].text;
    if ((gate_.since || gate_.last_month) && gate_.outside(record.period)) return;
    if (gate_.shard_count != 0) check_shard(record.customer_id, where);
    if (gate_.quality != nullptr && !describe_quality(record, trimmed(cells[kPeriod].text), where)) {
      return;  // --dedupe: an exact duplicate, dropped
    }
    if (gate_.profile != nullptr) describe_row(record, trimmed(cells[kPeriod].text));
    report_.month_rows.add(record.period, where.source, where.line);
    if (out_ != nullptr) {
      out_->add(record);
    } else if (shards_ != nullptr) {
      shards_->add(shard_, record);
    } else {
      try {
        sink_->add(record);
      } catch (const RevenueOverflow& e) {  // a sum that this row takes past the limit
        throw InputError(std::string(where.source), where.line, columns_.display_name(kRevenue), e.what());
      }
    }
    ++report_.records;
  }
  void reject(const InputError& error) override { gate_.invalid(error); }

 private:
  // Each field of the record from its cell, through check(parse_the_field).
  template <typename Check>
  static void parse(ActivityRecord& record, const FieldParser& f, std::span<const Cell> cells,
                    Check&& check) {
    check([&] { record.customer_id = f.id(kCustomerId, cells[kCustomerId]); });
    check([&] { record.period = f.period(kPeriod, cells[kPeriod]); });
    check([&] { record.revenue = f.money(kRevenue, cells[kRevenue]); });
    check([&] { record.acquisition_cost = f.optional_money(kAcquisitionCost, cells[kAcquisitionCost]); });
    check([&] { record.csat = f.csat(kCsat, cells[kCsat]); });
    check([&] {
      record.nps_column = cells[kNps].type != CellType::absent;
      record.nps = f.nps(kNps, cells[kNps]);
    });
  }

  // The declared signals (slots after the activity columns), into signals_.
  template <typename Check>
  void parse_signals(const FieldParser& f, std::span<const Cell> cells, Check&& check) {
    const std::size_t first = activity_columns().size();
    for (std::size_t i = 0; i < signals_.size(); ++i) {
      check([&] { signals_[i] = f.signal(first + i, cells[first + i]); });
    }
  }

  // Not a bad record but a wrong input for this shard: never skipped.
  void check_shard(std::string_view id, const Location& where) const {
    const std::uint32_t owner = shard_of(id, gate_.shard_count);
    if (owner == gate_.shard) return;
    throw InputError(std::string(where.source), where.line, columns_.display_name(kCustomerId),
                     "customer " + quote_for_message(id) + " belongs to shard " +
                         std::to_string(owner) + "/" + std::to_string(gate_.shard_count) +
                         ", not to shard " + std::to_string(gate_.shard) + "/" +
                         std::to_string(gate_.shard_count) +
                         " (--shard); split the input with 'csm-metrics shard'");
  }

  // The row for the data-quality warnings; false when --dedupe drops it.
  bool describe_quality(const ActivityRecord& r, std::string_view period_text, const Location& where) {
    DataProfile& q = *gate_.quality;
    const int day = period_text.size() >= 10 && period_text[7] == '-'
                        ? (period_text[8] - '0') * 10 + (period_text[9] - '0')
                        : 0;
    if (!q.detailed()) {
      q.row(r.period, day);
      return true;
    }
    const DataProfile::Place place{gate_.source_index, where.line};
    RowHash hash;
    hash.add(r.customer_id);
    RowHash customer = hash;
    hash.add(period_text);
    hash.add(r.revenue);
    hash.add(r.acquisition_cost ? *r.acquisition_cost : -1);
    hash.add(std::int64_t{r.csat});
    hash.add(std::int64_t{r.nps} + 1);  // 0: no answer
    if (!r.segment.empty()) hash.add(r.segment);
    const std::uint64_t h = hash.value();
    if (!gate_.dedupe) {
      q.log_row(h, r.period, place);
    } else if (q.duplicate(h, r.period, place)) {
      ++report_.duplicates_dropped;
      return false;
    }
    q.row(r.period, day);
    q.place(r.period, place);
    if (gate_.several_inputs) {
      customer.add(std::int64_t{r.period.index});
      q.customer_month(customer.value(), r.period, place);
    }
    return true;
  }

  void describe_row(const ActivityRecord& r, std::string_view period_text) {
    std::uint64_t h = InputProfile::kSeed;
    h = InputProfile::mix(h, r.customer_id);
    h = InputProfile::mix(h, period_text);
    h = InputProfile::mix(h, r.revenue);
    h = InputProfile::mix(h, r.acquisition_cost ? *r.acquisition_cost : -1);
    h = InputProfile::mix(h, std::int64_t{r.csat});
    h = InputProfile::mix(h, r.segment);
    if (r.nps >= 0) h = InputProfile::mix(h, std::int64_t{r.nps} + 1);
    gate_.profile->row(r.period, h, r.revenue == 0);
  }

  const ColumnMap& columns_;
  ActivityAggregator* out_ = nullptr;
  ActivityShards* shards_ = nullptr;
  ActivitySink* sink_ = nullptr;
  unsigned shard_ = 0;
  RecordGate& gate_;
  ReadReport& report_;
  std::vector<std::optional<double>> signals_;  // empty unless signals were declared (sinks only)
};

class SummaryConsumer final : public RowConsumer {
 public:
  SummaryConsumer(const ColumnMap& columns, SummaryAggregator& out, RecordGate& gate,
                  ReadReport& report)
      : columns_(columns), out_(out), gate_(gate), report_(report) {}

  void row(std::span<const Cell> cells, const Location& where) override {
    SummaryRecord r;
    try {
      const FieldParser f(columns_, where, gate_.rounded);
      r.period = f.period(kSumPeriod, cells[kSumPeriod]);
      if ((gate_.since || gate_.last_month) && gate_.outside(r.period)) return;
      r.customers_start = f.count(kCustomersStart, cells[kCustomersStart]);
      r.new_customers = f.count(kNewCustomers, cells[kNewCustomers]);
      r.churned_customers = f.count(kChurnedCustomers, cells[kChurnedCustomers]);
      r.reactivated_customers = f.optional_count(kReactivatedCustomers, cells[kReactivatedCustomers]);
      r.expanded_customers = f.optional_count(kExpandedCustomers, cells[kExpandedCustomers]);
      r.contracted_customers = f.optional_count(kContractedCustomers, cells[kContractedCustomers]);
      r.csat_satisfied = f.optional_count(kCsatSatisfied, cells[kCsatSatisfied]);
      r.csat_responses = f.optional_count(kCsatResponses, cells[kCsatResponses]);
      r.revenue = f.optional_money(kSumRevenue, cells[kSumRevenue]);
      r.acquisition_cost = f.optional_money(kSumAcquisitionCost, cells[kSumAcquisitionCost]);
      const auto not_above = [&](std::size_t slot, const std::optional<std::int64_t>& part,
                                 std::size_t whole_slot, const std::optional<std::int64_t>& whole) {
        if (part && whole && *part > *whole) {
          f.fail(slot, "expected at most " + columns_.display_name(whole_slot) + " (" +
                           std::to_string(*whole) + "), got " + std::to_string(*part));
        }
      };
      not_above(kChurnedCustomers, r.churned_customers, kCustomersStart, r.customers_start);
      not_above(kExpandedCustomers, r.expanded_customers, kCustomersStart, r.customers_start);
      not_above(kContractedCustomers, r.contracted_customers, kCustomersStart, r.customers_start);
      not_above(kCsatSatisfied, r.csat_satisfied, kCsatResponses, r.csat_responses);
      if (r.csat_satisfied && !r.csat_responses) {
        f.fail(kCsatSatisfied, "needs " + columns_.display_name(kCsatResponses) + " as well");
      }
      if (!out_.add(r)) f.fail(kSumPeriod, "period " + to_string(r.period) + " given twice");
    } catch (const InputError& error) {
      gate_.invalid(error);
      return;
    }
    if (gate_.profile != nullptr) {
      gate_.profile->row(r.period, static_cast<std::uint64_t>(r.period.index) + 1,
                         r.revenue && *r.revenue == 0);
    }
    if (gate_.quality != nullptr) {
      gate_.quality->row(r.period, 0);
      if (gate_.quality->detailed()) gate_.quality->place(r.period, {gate_.source_index, where.line});
    }
    ++report_.records;
  }
  void reject(const InputError& error) override { gate_.invalid(error); }

 private:
  const ColumnMap& columns_;
  SummaryAggregator& out_;
  RecordGate& gate_;
  ReadReport& report_;
};

class SpendConsumer final : public RowConsumer {
 public:
  SpendConsumer(const ColumnMap& columns, SpendTotals& out, RecordGate& gate, ReadReport& report)
      : columns_(columns), out_(out), gate_(gate), report_(report) {}

  void row(std::span<const Cell> cells, const Location& where) override {
    SpendRecord r;
    const FieldParser f(columns_, where, gate_.rounded);
    FieldErrors errors;
    errors.check([&] { r.period = f.period(kSpendPeriod, cells[kSpendPeriod]); });
    errors.check([&] { r.amount = f.money(kAmount, cells[kAmount]); });
    errors.check([&] {
      if (!is_blank(cells[kChannel])) r.channel = f.text(kChannel, cells[kChannel]);
    });
    errors.check([&] {
      if (!is_blank(cells[kSpendSegment])) r.segment = f.text(kSpendSegment, cells[kSpendSegment]);
    });
    if (errors.any()) {
      gate_.invalid(errors);
      return;
    }
    out_.add(r);
    ++report_.records;
  }
  void reject(const InputError& error) override { gate_.invalid(error); }

 private:
  const ColumnMap& columns_;
  SpendTotals& out_;
  RecordGate& gate_;
  ReadReport& report_;
};

class SubscriptionConsumer final : public RowConsumer {
 public:
  SubscriptionConsumer(const ColumnMap& columns, SubscriptionExpander& out, RecordGate& gate,
                       ReadReport& report)
      : columns_(columns), out_(out), gate_(gate), report_(report) {}

  void row(std::span<const Cell> cells, const Location& where) override {
    SubscriptionRecord r;
    const FieldParser f(columns_, where, gate_.rounded);
    FieldErrors errors;
    errors.check([&] { r.customer_id = f.id(kSubCustomerId, cells[kSubCustomerId]); });
    errors.check([&] { r.start = f.date(kStartDate, cells[kStartDate]); });
    errors.check([&] { r.end = f.optional_date(kEndDate, cells[kEndDate]); });
    errors.check([&] { r.mrr = f.money(kMrr, cells[kMrr]); });
    errors.check([&] {
      if (!is_blank(cells[kSubSegment])) r.segment = f.text(kSubSegment, cells[kSubSegment]);
    });
    errors.check([&] { r.acquisition_cost = f.optional_money(kSubAcquisitionCost, cells[kSubAcquisitionCost]); });
    if (errors.any()) {
      gate_.invalid(errors);
      return;
    }
    try {
      if (r.end && *r.end < r.start) {
        f.fail(kEndDate, "expected a date on or after " + columns_.display_name(kStartDate) + " (" +
                             to_string(r.start) + "), got " + to_string(*r.end));
      }
      if (const auto problem = out_.range_problem(r)) {
        f.fail(std::string_view(problem->first) == "end_date" ? kEndDate : kStartDate,
               problem->second);
      }
    } catch (const InputError& error) {
      gate_.invalid(error);
      return;
    }
    if (gate_.profile != nullptr) {
      std::uint64_t h = InputProfile::kSeed;
      h = InputProfile::mix(h, r.customer_id);
      h = InputProfile::mix(h, std::int64_t{r.start.days});
      h = InputProfile::mix(h, r.end ? std::int64_t{r.end->days} : INT64_MIN);
      h = InputProfile::mix(h, r.mrr);
      h = InputProfile::mix(h, r.acquisition_cost ? *r.acquisition_cost : -1);
      h = InputProfile::mix(h, r.segment);
      gate_.profile->row(month_of(r.start), h, r.mrr == 0);
    }
    if (gate_.quality != nullptr) {
      DataProfile& q = *gate_.quality;
      const DataProfile::Place place{gate_.source_index, where.line};
      RowHash hash;
      hash.add(r.customer_id);
      hash.add(std::int64_t{r.start.days});
      hash.add(r.end ? std::int64_t{r.end->days} : INT64_MIN);
      hash.add(r.mrr);
      hash.add(r.acquisition_cost ? *r.acquisition_cost : -1);
      hash.add(r.segment);
      const std::uint64_t h = hash.value();
      if (!gate_.dedupe) {
        q.log_row(h, month_of(r.start), place);
      } else if (q.duplicate(h, month_of(r.start), place)) {
        ++report_.duplicates_dropped;
        return;
      }
      q.row(month_of(r.start), 0);
      q.place(month_of(r.start), place);
    }
    out_.add(r);
    ++report_.records;
  }
  void reject(const InputError& error) override { gate_.invalid(error); }

 private:
  const ColumnMap& columns_;
  SubscriptionExpander& out_;
  RecordGate& gate_;
  ReadReport& report_;
};

// Invoice lines: the fields are read in invoice_input.cpp.
class InvoiceConsumer final : public RowConsumer {
 public:
  InvoiceConsumer(const ColumnMap& columns, InvoiceReader& out, RecordGate& gate, ReadReport& report)
      : columns_(columns), out_(out), gate_(gate), report_(report) {}
  void row(std::span<const Cell> cells, const Location& where) override {
    try {
      out_.row(columns_, cells, where);
    } catch (const InputError& error) {
      gate_.invalid(error);
      return;
    }
    if (gate_.shard_count != 0) {  // as activity records: a wrong input for this shard
      const std::string_view id = cells[0].text;
      const std::uint32_t owner = shard_of(id, gate_.shard_count);
      if (owner != gate_.shard) {
        throw InputError(std::string(where.source), where.line, columns_.display_name(0),
                         "customer " + quote_for_message(id) + " belongs to shard " +
                             std::to_string(owner) + "/" + std::to_string(gate_.shard_count) +
                             ", not to shard " + std::to_string(gate_.shard) + "/" +
                             std::to_string(gate_.shard_count) +
                             " (--shard); split the input with 'csm-metrics shard'");
      }
    }
    if (gate_.profile != nullptr) {  // --explain, check: the line as taken (in the base currency)
      const InvoiceLine& line = out_.last_line();
      std::uint64_t h = InputProfile::kSeed;
      h = InputProfile::mix(h, line.customer_id);
      h = InputProfile::mix(h, std::int64_t{line.start.days});
      h = InputProfile::mix(h, line.end ? std::int64_t{line.end->days} : INT64_MIN);
      h = InputProfile::mix(h, line.amount);
      h = InputProfile::mix(h, std::int64_t{static_cast<int>(line.type)});
      h = InputProfile::mix(h, line.acquisition_cost ? *line.acquisition_cost : -1);
      h = InputProfile::mix(h, std::int64_t{line.csat});
      h = InputProfile::mix(h, line.segment);
      gate_.profile->row(month_of(line.start), h, line.type == LineType::subscription && line.amount == 0);
    }
    ++report_.records;
  }
  void reject(const InputError& error) override { gate_.invalid(error); }

 private:
  const ColumnMap& columns_;
  InvoiceReader& out_;
  RecordGate& gate_;
  ReadReport& report_;
};

// Out: an RfmAccumulator, or a thread's RfmShard below.
template <typename Out>
class BasicTransactionConsumer final : public RowConsumer {
 public:
  BasicTransactionConsumer(const ColumnMap& columns, Out& out, RecordGate& gate,
                           ReadReport& report)
      : columns_(columns), out_(out), gate_(gate), report_(report) {}

  void row(std::span<const Cell> cells, const Location& where) override {
    TransactionRecord record;
    try {
      const FieldParser f(columns_, where, gate_.rounded);
      record.customer_id = f.id(kTxCustomerId, cells[kTxCustomerId]);
      record.date = f.date(kTxDate, cells[kTxDate]);
      record.amount = f.money(kTxAmount, cells[kTxAmount]);
      record.quantity = f.optional_count(kTxQuantity, cells[kTxQuantity]);
    } catch (const InputError& error) {
      gate_.invalid(error);
      return;
    }
    if (gate_.shard_count != 0 && shard_of(record.customer_id, gate_.shard_count) != gate_.shard) {
      throw InputError(std::string(where.source), where.line, columns_.display_name(kTxCustomerId),
                       "customer " + quote_for_message(record.customer_id) + " belongs to shard " +
                           std::to_string(shard_of(record.customer_id, gate_.shard_count)) + "/" +
                           std::to_string(gate_.shard_count) + ", not to shard " +
                           std::to_string(gate_.shard) + "/" + std::to_string(gate_.shard_count) +
                           " (--shard); split the input with 'csm-metrics shard'");
    }
    out_.add(record);
    ++report_.records;
  }
  void reject(const InputError& error) override { gate_.invalid(error); }

 private:
  const ColumnMap& columns_;
  Out& out_;
  RecordGate& gate_;
  ReadReport& report_;
};
using TransactionConsumer = BasicTransactionConsumer<RfmAccumulator>;

// One reading thread's way into RfmShards.
struct RfmShard {
  RfmShards& shards;
  unsigned shard;
  void add(const TransactionRecord& record) { shards.add(shard, record); }
};

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ends_with_ignore_case(std::string_view text, std::string_view suffix) noexcept {
  if (text.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    if (lower(text[text.size() - suffix.size() + i]) != suffix[i]) return false;
  }
  return true;
}

// '[' starts a JSON array; '{' starts JSON Lines when the first line holds a whole object, and
// otherwise a pretty-printed object, which the array reader then refuses with a clear message.
InputFormat format_from_content(std::string_view head) {
  if (head.substr(0, 3) == "\xef\xbb\xbf") head.remove_prefix(3);
  const std::size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && head[first] == '[') return InputFormat::json;
  if (first != std::string_view::npos && head[first] == '{') {
    std::string_view line = head.substr(first, head.find('\n', first) - first);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    return !line.empty() && line.back() == '}' ? InputFormat::jsonl : InputFormat::json;
  }
  const std::string_view line = head.substr(0, head.find('\n'));
  if (line.find('\t') != std::string_view::npos && line.find(',') == std::string_view::npos) {
    return InputFormat::tsv;
  }
  return InputFormat::csv;
}

// The delimiter of a CSV from its header line: ',' when it has one; else ';', '|' or tab when the
// header holds exactly one of them; a header with several of them and no ',' is ambiguous.
char detect_delimiter(std::string_view head, const std::string& source) {
  if (head.substr(0, 3) == "\xef\xbb\xbf") head.remove_prefix(3);
  const std::string_view line = head.substr(0, head.find('\n'));
  if (line.find(',') != std::string_view::npos) return ',';
  std::string found;
  for (const char c : {';', '|', '\t'}) {
    if (line.find(c) != std::string_view::npos) found.push_back(c);
  }
  if (found.size() == 1) return found[0];
  if (found.empty()) return ',';
  std::string names;
  for (const char c : found) {
    names += std::string(names.empty() ? "" : " and ") + (c == '\t' ? "tab" : std::string("'") + c + "'");
  }
  throw InputError(source, 1, "",
                   "cannot tell the delimiter: the header has no ',' but both " + names +
                       "; give it with --delimiter (e.g. --delimiter ';', --delimiter tab)");
}

InputFormat detect_format(const std::string& path, std::string_view head) {
  if (ends_with_ignore_case(path, ".csv")) return InputFormat::csv;
  if (ends_with_ignore_case(path, ".tsv") || ends_with_ignore_case(path, ".tab")) {
    return InputFormat::tsv;
  }
  if (ends_with_ignore_case(path, ".jsonl") || ends_with_ignore_case(path, ".ndjson")) {
    return InputFormat::jsonl;
  }
  if (ends_with_ignore_case(path, ".json")) {
    // A .json file holding one object per line is JSON Lines in all but name.
    return format_from_content(head) == InputFormat::jsonl ? InputFormat::jsonl : InputFormat::json;
  }
  return format_from_content(head);
}

// Whether the header (CSV) or the first object (JSON) has the column `canonical`.
bool head_has_column(std::string_view head, const ReadOptions& options, const char* column) {
  // The name the column is looked for under, after --column renames.
  ColumnMap columns({{column, true}});
  for (const auto& [canonical, input] : options.renames) columns.rename(canonical, input);
  std::string wanted;
  for (char c : columns.display_name(0)) wanted.push_back(lower(c));
  if (head.substr(0, 3) == "\xef\xbb\xbf") head.remove_prefix(3);
  std::string lowered;
  lowered.reserve(std::min<std::size_t>(head.size(), 1u << 16));
  for (std::size_t i = 0; i < head.size() && i < (1u << 16); ++i) lowered.push_back(lower(head[i]));
  // Only the header line of a CSV counts, or the first object of JSON.
  const std::size_t start = lowered.find_first_not_of(" \t\r\n[");
  if (start == std::string::npos) return false;
  const bool json = lowered[start] == '{';
  const std::size_t end = lowered.find(json ? '}' : '\n', start);
  const std::string_view first = std::string_view(lowered).substr(start, end - start);
  std::size_t at = first.find(wanted);
  while (at != std::string_view::npos) {
    const bool left_ok = at == 0 || std::strchr(" \t,\"{", first[at - 1]) != nullptr;
    const std::size_t after = at + wanted.size();
    const bool right_ok = after >= first.size() || std::strchr(" \t,\"\r:", first[after]) != nullptr;
    if (left_ok && right_ok) return true;
    at = first.find(wanted, at + 1);
  }
  return false;
}

// The header (CSV) or the first object (JSON) names the kind: customers_start means summary,
// start_date subscription records, date and amount without period transaction records.
RecordKind detect_kind(std::string_view head, const ReadOptions& options) {
  if (!options.preset.empty() || head_has_column(head, options, "service_start")) return RecordKind::invoice;
  if (head_has_column(head, options, "customers_start")) return RecordKind::summary;
  if (head_has_column(head, options, "start_date")) return RecordKind::subscription;
  if (head_has_column(head, options, "date") && head_has_column(head, options, "amount") &&
      !head_has_column(head, options, "period")) {
    return RecordKind::transaction;
  }
  return RecordKind::activity;
}

}  // namespace

const std::vector<std::string>& activity_columns() {
  static const std::vector<std::string> columns = {"customer_id", "period", "revenue",
                                                   "acquisition_cost", "csat", "segment",
                                                   "nps"};
  return columns;
}

const std::vector<std::string>& transaction_columns() {
  static const std::vector<std::string> columns = {"customer_id", "date", "amount", "quantity"};
  return columns;
}

const std::vector<std::string>& summary_columns() {
  static const std::vector<std::string> columns = {
      "period",           "customers_start",      "new_customers",  "churned_customers",
      "reactivated_customers", "expanded_customers", "contracted_customers", "csat_satisfied",
      "csat_responses",   "revenue",              "acquisition_cost"};
  return columns;
}

const std::vector<std::string>& subscription_columns() {
  static const std::vector<std::string> columns = {"customer_id", "start_date", "end_date",
                                                   "mrr",         "segment",    "acquisition_cost"};
  return columns;
}

const std::vector<std::string>& invoice_columns() {
  static const std::vector<std::string> columns = {
      "customer_id", "service_start", "service_end",      "amount", "currency",
      "line_type",   "segment",       "acquisition_cost", "csat",
      "nps"};
  return columns;
}

const std::vector<std::string>& spend_columns() {
  static const std::vector<std::string> columns = {"period", "amount", "channel", "segment"};
  return columns;
}

void MonthRows::add(YearMonth month, std::string_view source, std::uint64_t line) {
  // Rows come in input order: a month already held keeps its first row.
  const auto row = [&] { return MonthRow{month, std::string(source), line}; };
  if (!first || month < first->month) {
    next_first = std::move(first);
    first = row();
  } else if (month != first->month && (!next_first || month < next_first->month)) {
    next_first = row();
  }
  if (!last || month > last->month) {
    next_last = std::move(last);
    last = row();
  } else if (month != last->month && (!next_last || month > next_last->month)) {
    next_last = row();
  }
}

void MonthRows::add(const MonthRows& later, std::uint64_t lines_before) {
  for (const auto* row : {&later.first, &later.next_first, &later.last, &later.next_last}) {
    if (*row) add((*row)->month, (*row)->source, (*row)->line == 0 ? 0 : (*row)->line + lines_before);
  }
}

std::string_view to_string(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::automatic:
      return "auto";
    case RecordKind::activity:
      return "activity";
    case RecordKind::summary:
      return "summary";
    case RecordKind::subscription:
      return "subscription";
    case RecordKind::transaction:
      return "transaction";
    case RecordKind::spend:
      return "spend";
    case RecordKind::invoice:
      return "invoice";
  }
  return "?";
}

std::string_view to_string(InputFormat format) noexcept {
  switch (format) {
    case InputFormat::automatic:
      return "auto";
    case InputFormat::csv:
      return "csv";
    case InputFormat::tsv:
      return "tsv";
    case InputFormat::json:
      return "json";
    case InputFormat::jsonl:
      return "jsonl";
  }
  return "?";
}

namespace {

// The first `bytes` of a source, or all of it when shorter (then `is_all`): a whole block, since
// pipes deliver less per read, so that the header is in it for detection.
std::string read_head(InputSource& source, std::size_t bytes, bool& is_all) {
  std::string head(bytes, '\0');
  std::size_t filled = 0;
  is_all = false;
  while (filled < head.size()) {
    const std::size_t n = source.read(head.data() + filled, head.size() - filled);
    if (n == 0) {
      is_all = true;
      break;
    }
    filled += n;
  }
  head.resize(filled);
  return head;
}

}  // namespace

struct RecordInput::Impl {
  std::vector<std::string> paths;
  ReadOptions options;
  // The first input is opened early to detect the kind; its first block is kept for reading.
  std::optional<InputSource> first;
  std::string first_block;
  bool first_at_end = false;

  template <typename Aggregator, typename Consumer>
  void read_all(RecordKind kind, ReadReport& report, Aggregator& out);
};

RecordInput::RecordInput(std::vector<std::string> paths, ReadOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (paths.empty()) paths.emplace_back("-");
  impl_->paths = std::move(paths);
  impl_->options = std::move(options);
  report_.kind = impl_->options.kind;
}

RecordInput::~RecordInput() = default;

RecordKind RecordInput::kind() {
  if (report_.kind != RecordKind::automatic) return report_.kind;
  Impl& impl = *impl_;
  if (!impl.first) {
    impl.first.emplace(InputSource::open(impl.paths.front()));
    impl.first_block = read_head(*impl.first, kReadBlock, impl.first_at_end);
  }
  report_.kind = detect_kind(impl.first_block, impl.options);
  return report_.kind;
}

namespace {

// Feed one source through a reader: blocks appended to the unconsumed tail of the last one.
template <typename Reader>
void pump(InputSource& source, std::string prefix, bool prefix_is_all, Reader& reader,
          std::atomic<std::uint64_t>* progress) {
  std::string buffer = std::move(prefix);
  std::size_t filled = buffer.size();
  bool at_end = prefix_is_all;
  if (buffer.size() < kReadBlock) buffer.resize(kReadBlock);
  for (;;) {
    if (!at_end && filled < buffer.size()) {
      const std::size_t n = source.read(buffer.data() + filled, buffer.size() - filled);
      if (n == 0) at_end = true;
      filled += n;
    }
    const std::size_t used = reader.parse(std::string_view(buffer.data(), filled), at_end);
    if (progress != nullptr) progress->fetch_add(used, std::memory_order_relaxed);
    if (at_end) return;
    if constexpr (requires { reader.stopped(); }) {
      if (reader.stopped()) return;
    }
    std::memmove(buffer.data(), buffer.data() + used, filled - used);
    filled -= used;
    // A record longer than the buffer: grow it (the readers bound the record size).
    if (filled == buffer.size()) buffer.resize(buffer.size() * 2);
  }
}

// Where the record after byte `at` starts: just past the next line break at or after at - 1.
// Inside a quoted field this guess is wrong; the reader before it finds out (see read_split).
std::uint64_t next_line_start(const InputSource& source, std::uint64_t at, std::uint64_t size) {
  std::string window(1u << 16, '\0');
  std::uint64_t from = at - 1;
  while (from < size) {
    const std::size_t n = source.read_at(window.data(), window.size(), from);
    if (n == 0) break;
    const std::size_t newline = std::string_view(window.data(), n).find('\n');
    if (newline != std::string_view::npos) return from + newline + 1;
    from += n;
  }
  return size;
}

InputError shifted(const InputError& e, std::uint64_t lines) {
  return InputError(e.source(), e.line() == 0 ? 0 : e.line() + lines, e.field(), e.message());
}

// One thread's share of a split file: where it stopped and what it found.
struct Share {
  std::uint64_t end = 0;  // the start of the next share when all is well
  std::uint64_t line_breaks = 0;
  ReadReport report;
  std::vector<InputError> kept;
  std::exception_ptr failure;
  std::optional<InputError> input_error;
  DataProfile quality;  // detailed when the reading's is: its lines from the share's start
};

// Read the records of a regular file from byte `body` on in `threads` shares at once, each
// thread passing its rows to `shards` (which send each customer's rows to the thread that owns
// the customer), and fold the shares' reports into `report` and `gate` in file order.
// with_consumer(k, gate, report, read) calls read(consumer) with thread k's consumer;
// make_reader(consumer, start) makes the reader of the share that starts at byte `start`;
// after_finish(k) runs on thread k once shards.finish(k) has. Returns false (having folded
// nothing) when a share boundary turned out to fall inside a record (a quoted line break in a
// CSV field) or when a thread could not be started; the caller then reads the file in one stream.
template <typename Shards, typename WithConsumer, typename MakeReader, typename AfterFinish>
bool read_shares(const InputSource& source, std::uint64_t size, std::uint64_t body,
                 std::uint64_t lines_before_body, const ReadOptions& options, unsigned threads,
                 Shards& shards, WithConsumer with_consumer, MakeReader make_reader,
                 AfterFinish after_finish, ReadReport& report, RecordGate& gate) {
  std::vector<std::uint64_t> starts = {body};
  for (unsigned k = 1; k < threads; ++k) {
    const std::uint64_t nominal = body + (size - body) * k / threads;
    starts.push_back(std::max(starts.back(), next_line_start(source, nominal, size)));
  }
  std::vector<Share> shares(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  // The threads start reading only once all of them exist: each waits for every other in
  // shards.finish, so a thread that cannot be started (no memory for its stack, a process
  // limit) must stop the others before they begin. The file is then read in one stream.
  std::promise<bool> all_started;
  const std::shared_future<bool> go = all_started.get_future().share();
  const auto work = [&](unsigned k, std::shared_future<bool> start) {
    if (!start.get()) return;
    Share& share = shares[k];
    try {
      RecordGate share_gate(options, share.report);
      if (gate.quality != nullptr) {
        share.quality = DataProfile(gate.quality->detailed());
        share_gate.quality = &share.quality;
      }
      share_gate.source_index = gate.source_index;
      share_gate.several_inputs = gate.several_inputs;
      with_consumer(k, share_gate, share.report, [&](RowConsumer& consumer) {
        auto reader = make_reader(consumer, starts[k]);
        if (k + 1 < threads) reader.stop_at(starts[k + 1]);
        std::string buffer(kReadBlock, '\0');
        std::size_t filled = 0;
        std::uint64_t position = starts[k];
        for (;;) {
          bool at_end = false;
          if (filled < buffer.size()) {
            const std::size_t n =
                source.read_at(buffer.data() + filled, buffer.size() - filled, position);
            at_end = n == 0;
            position += n;
            filled += n;
          }
          const std::size_t used = reader.parse(std::string_view(buffer.data(), filled), at_end);
          if (options.bytes_parsed != nullptr) {
            options.bytes_parsed->fetch_add(used, std::memory_order_relaxed);
          }
          shards.receive(k);  // rows of this thread's customers that the others read
          if (reader.stopped() || at_end) break;
          std::memmove(buffer.data(), buffer.data() + used, filled - used);
          filled -= used;
          if (filled == buffer.size()) buffer.resize(buffer.size() * 2);
        }
        share.end = reader.offset();
        share.line_breaks = reader.line_breaks();
      });
      share.kept = std::move(share_gate.kept);
    } catch (const InputError& e) {
      share.input_error = e;
    } catch (...) {
      share.failure = std::current_exception();
    }
    // Always: the other threads wait for every thread to finish before they stop.
    try {
      shards.finish(k);
    } catch (...) {
      if (!share.failure) share.failure = std::current_exception();
    }
    after_finish(k);
  };
  try {
    for (unsigned k = 0; k < threads; ++k) pool.emplace_back(work, k, go);  // a future each
  } catch (...) {
    all_started.set_value(false);
    for (std::thread& t : pool) t.join();
    return false;
  }
  all_started.set_value(true);
  for (std::thread& t : pool) t.join();

  // Shares are trusted in order: each one's start is right only if the one before ended there.
  std::uint64_t lines_before = lines_before_body;
  for (unsigned k = 0; k < threads; ++k) {
    const Share& share = shares[k];
    if (share.input_error) throw shifted(*share.input_error, lines_before);
    if (share.failure) std::rethrow_exception(share.failure);
    if (k + 1 < threads && share.end != starts[k + 1]) return false;
    lines_before += share.line_breaks;
  }
  lines_before = lines_before_body;
  for (unsigned k = 0; k < threads; ++k) {
    Share& share = shares[k];
    for (const InputError& e : share.kept) {
      if (gate.kept.size() < options.max_kept_messages) gate.kept.push_back(shifted(e, lines_before));
    }
    report.month_rows.add(share.report.month_rows, lines_before);
    // Duplicates, overlaps and the first rows of each month as if read in one stream.
    if (gate.quality != nullptr) gate.quality->merge(std::move(share.quality), lines_before);
    lines_before += share.line_breaks;
    report.records += share.report.records;
    report.skipped += share.report.skipped;
    for (const auto& [field, n] : share.report.skipped_by_field) report.skipped_by_field[field] += n;
    report.outside_range += share.report.outside_range;
    report.rounded_amounts += share.report.rounded_amounts;
  }
  return true;
}

// Activity records, each share into its own aggregator, folded into `out` in file order.
template <typename MakeReader>
bool read_split(const InputSource& source, std::uint64_t size, std::uint64_t body,
                std::uint64_t lines_before_body, const ColumnMap& columns,
                const ReadOptions& options, unsigned threads, MakeReader make_reader,
                ActivityAggregator& out, ReadReport& report, RecordGate& gate) {
  ActivityShards shards(threads, &out);
  std::vector<ActivityAggregator> aggregators(threads);
  const auto with_consumer = [&](unsigned k, RecordGate& share_gate, ReadReport& share_report,
                                 auto&& read) {
    ActivityConsumer consumer(columns, shards, k, share_gate, share_report);
    read(consumer);
  };
  const auto take = [&](unsigned k) { aggregators[k] = shards.take(k); };
  if (!read_shares(source, size, body, lines_before_body, options, threads, shards,
                   with_consumer, make_reader, take, report, gate)) {
    return false;
  }
  for (ActivityAggregator& aggregator : aggregators) out.merge(std::move(aggregator));
  return true;
}

// Reading a file in shares is for activity records only; summaries are small.
template <typename Aggregator, typename Reader>
bool try_read_split(const InputSource&, std::uint64_t, const Reader&, const ColumnMap&,
                    const ReadOptions&, unsigned, Aggregator&, ReadReport&, RecordGate&) {
  return false;
}
template <>
bool try_read_split<ActivityAggregator, CsvReader>(const InputSource& source, std::uint64_t size,
                                                   const CsvReader& header,
                                                   const ColumnMap& columns,
                                                   const ReadOptions& options, unsigned threads,
                                                   ActivityAggregator& out, ReadReport& report,
                                                   RecordGate& gate) {
  const auto make = [&](RowConsumer& consumer, std::uint64_t start) {
    return CsvReader(header, consumer, start);
  };
  return read_split(source, size, header.offset(), header.line_breaks(), columns, options,
                    threads, make, out, report, gate);
}
template <>
bool try_read_split<ActivityAggregator, JsonReader>(const InputSource& source, std::uint64_t size,
                                                    const JsonReader& like,
                                                    const ColumnMap& columns,
                                                    const ReadOptions& options, unsigned threads,
                                                    ActivityAggregator& out, ReadReport& report,
                                                    RecordGate& gate) {
  // JSON Lines has no header, and a line break is always a record boundary. The first share
  // starts at byte 0 with the byte-order-mark check of a fresh reader.
  const auto make = [&](RowConsumer& consumer, std::uint64_t start) {
    return start == 0 ? JsonReader(columns, consumer, std::string(like.source()), JsonLayout::lines)
                      : JsonReader(like, consumer, start);
  };
  return read_split(source, size, 0, 0, columns, options, threads, make, out, report, gate);
}

// Transaction files split the same way, and like activity records each customer's rows go to
// the thread that owns the customer (RfmShards): the threads hold disjoint customers, which the
// summary walks side by side. It is ordered by customer id, so the result does not depend on
// where the shares begin.
template <typename MakeReader>
bool read_split_transactions(const InputSource& source, std::uint64_t size, std::uint64_t body,
                             std::uint64_t lines_before_body, const ColumnMap& columns,
                             const ReadOptions& options, unsigned threads, MakeReader make_reader,
                             RfmAccumulator& out, ReadReport& report, RecordGate& gate) {
  RfmShards shards(threads, out.end(), out.holdout_end());
  const auto with_consumer = [&](unsigned k, RecordGate& share_gate, ReadReport& share_report,
                                 auto&& read) {
    RfmShard sink{shards, k};
    BasicTransactionConsumer<RfmShard> consumer(columns, sink, share_gate, share_report);
    read(consumer);
  };
  if (!read_shares(source, size, body, lines_before_body, options, threads, shards,
                   with_consumer, make_reader, [](unsigned) {}, report, gate)) {
    return false;
  }
  out.merge(shards.take());
  return true;
}

template <>
bool try_read_split<RfmAccumulator, CsvReader>(const InputSource& source, std::uint64_t size,
                                               const CsvReader& header, const ColumnMap& columns,
                                               const ReadOptions& options, unsigned threads,
                                               RfmAccumulator& out, ReadReport& report,
                                               RecordGate& gate) {
  const auto make = [&](RowConsumer& consumer, std::uint64_t start) {
    return CsvReader(header, consumer, start);
  };
  return read_split_transactions(source, size, header.offset(), header.line_breaks(), columns,
                                 options, threads, make, out, report, gate);
}
template <>
bool try_read_split<RfmAccumulator, JsonReader>(const InputSource& source, std::uint64_t size,
                                                const JsonReader& like, const ColumnMap& columns,
                                                const ReadOptions& options, unsigned threads,
                                                RfmAccumulator& out, ReadReport& report,
                                                RecordGate& gate) {
  const auto make = [&](RowConsumer& consumer, std::uint64_t start) {
    return start == 0 ? JsonReader(columns, consumer, std::string(like.source()), JsonLayout::lines)
                      : JsonReader(like, consumer, start);
  };
  return read_split_transactions(source, size, 0, 0, columns, options, threads, make, out, report,
                                 gate);
}

}  // namespace

unsigned effective_threads(unsigned requested) { return resolve_threads(requested); }

template <typename Aggregator, typename Consumer>
void RecordInput::Impl::read_all(RecordKind kind, ReadReport& report, Aggregator& out) {
  Impl& impl = *this;
  const ColumnMap columns = make_columns(kind, impl.options);
  RecordGate gate(impl.options, report);
  Consumer consumer(columns, out, gate, report);
  report.dedupe = impl.options.dedupe;
  report.round_money = impl.options.round_money;
  for (std::size_t i = 0; i < impl.paths.size(); ++i) {
    std::string head;
    bool head_is_all = false;
    std::optional<InputSource> opened;
    InputSource* source = nullptr;
    if (i == 0 && impl.first) {
      source = &*impl.first;
      head = std::move(impl.first_block);
      head_is_all = impl.first_at_end;
    } else {
      opened.emplace(InputSource::open(impl.paths[i]));
      source = &*opened;
      head = read_head(*source, std::size_t{1} << 16, head_is_all);
    }
    report.sources.push_back(source->name());
    gate.source_index = static_cast<std::uint32_t>(i);
    gate.several_inputs = impl.paths.size() > 1;
    const InputFormat format = impl.options.format != InputFormat::automatic
                                   ? impl.options.format
                                   : detect_format(impl.paths[i], head);
    if (head.empty() && head_is_all) {
      throw InputError(source->name(), 0, "",
                       "empty input: expected a header line or JSON records");
    }
    // Large regular files are read by all threads, each taking a share (stdin never is).
    const unsigned threads = effective_threads(impl.options.threads);
    const std::optional<std::uint64_t> size = source->size();
    const bool split = threads > 1 && size && *size >= impl.options.split_min_bytes &&
                       source->path() != "-" && impl.options.profile == nullptr &&
                       !impl.options.dedupe;
    if (format == InputFormat::csv || format == InputFormat::tsv) {
      const char delimiter = impl.options.delimiter != 0 ? impl.options.delimiter
                             : format == InputFormat::csv ? detect_delimiter(head, source->name())
                                                          : '\t';
      std::optional<CsvReader> reader;
      reader.emplace(columns, consumer, source->name(), delimiter);
      bool done = false;
      if (split) {
        // The header is read here; the data records in shares, one per thread.
        reader->stop_after_header();
        pump(*source, head, head_is_all, *reader, impl.options.bytes_parsed);
        if (reader->stopped()) {
          done = try_read_split<Aggregator, CsvReader>(*source, *size, *reader, columns,
                                                       impl.options, threads, out, report, gate);
          if (!done) {
            // A quoted line break at a share boundary: read it all in one stream after all.
            opened.emplace(InputSource::open(impl.paths[i]));
            source = &*opened;
            head.clear();
            head_is_all = false;
            reader.emplace(columns, consumer, source->name(), delimiter);
          }
        } else {
          done = true;  // the file ended within the header reader's reach
        }
      }
      if (!done) pump(*source, std::move(head), head_is_all, *reader, impl.options.bytes_parsed);
      if (!reader->has_header()) {
        throw InputError(source->name(), 0, "", "no header line: the input holds only blank lines");
      }
    } else {
      JsonReader reader(columns, consumer, source->name(),
                        format == InputFormat::json ? JsonLayout::array : JsonLayout::lines);
      bool done = false;
      if (split && format == InputFormat::jsonl) {
        done = try_read_split<Aggregator, JsonReader>(*source, *size, reader, columns,
                                                      impl.options, threads, out, report, gate);
      }
      if (!done) pump(*source, std::move(head), head_is_all, reader, impl.options.bytes_parsed);
    }
  }
  for (const InputError& e : gate.kept) report.skipped_messages.emplace_back(e.what());
  if (gate.quality != nullptr) gate.quality->seal();  // the logs freed before the metrics
  if (report.records == 0 && report.skipped == 0 && !impl.options.allow_empty) {
    throw InputError(report.sources.size() == 1 ? report.sources.front() : std::string(), 0, "",
                     "no records: expected at least one data record");
  }
  if (report.records == 0 && report.skipped > 0) {
    throw InputError(report.sources.size() == 1 ? report.sources.front() : std::string(), 0, "",
                     "no valid records: all " + std::to_string(report.skipped) +
                         " records were invalid and skipped");
  }
}

namespace {
InvoiceSettings invoice_settings(const ReadOptions& options) {
  return InvoiceSettings{options.currency, options.fx, options.preset};
}
}  // namespace

void RecordInput::read(ActivityAggregator& aggregator) {
  if (kind() == RecordKind::invoice) {
    InvoiceExpander expander(aggregator, impl_->options.until);
    InvoiceReader reader(expander, invoice_settings(impl_->options));
    impl_->read_all<InvoiceReader, InvoiceConsumer>(RecordKind::invoice, report_, reader);
    expander.finish(impl_->options.allow_empty);
    report_.invoices = expander.stats();
    report_.invoices->currency = reader.currency();
    return;
  }
  if (kind() == RecordKind::subscription) {
    SubscriptionExpander expander(aggregator, impl_->options.until);
    if (impl_->options.since) expander.set_since(*impl_->options.since);
    impl_->read_all<SubscriptionExpander, SubscriptionConsumer>(RecordKind::subscription, report_,
                                                                expander);
    expander.finish(impl_->options.allow_empty);
    report_.subscriptions = expander.stats();
    report_.outside_range += expander.stats().outside;
    return;
  }
  impl_->read_all<ActivityAggregator, ActivityConsumer>(RecordKind::activity, report_, aggregator);
}

void RecordInput::read(RfmAccumulator& accumulator) {
  impl_->read_all<RfmAccumulator, TransactionConsumer>(RecordKind::transaction, report_,
                                                       accumulator);
}

void RecordInput::read(SummaryAggregator& aggregator) {
  impl_->read_all<SummaryAggregator, SummaryConsumer>(RecordKind::summary, report_, aggregator);
}

void RecordInput::read(ActivitySink& sink) {
  if (kind() == RecordKind::invoice) {
    InvoiceExpander expander(sink, impl_->options.until);
    InvoiceReader reader(expander, invoice_settings(impl_->options));
    impl_->read_all<InvoiceReader, InvoiceConsumer>(RecordKind::invoice, report_, reader);
    expander.finish();
    report_.invoices = expander.stats();
    report_.invoices->currency = reader.currency();
    return;
  }
  if (kind() == RecordKind::subscription) {
    SubscriptionExpander expander(sink, impl_->options.until);
    if (impl_->options.since) expander.set_since(*impl_->options.since);
    impl_->read_all<SubscriptionExpander, SubscriptionConsumer>(RecordKind::subscription, report_,
                                                                expander);
    expander.finish();
    report_.subscriptions = expander.stats();
    report_.outside_range += expander.stats().outside;
    return;
  }
  impl_->read_all<ActivitySink, ActivityConsumer>(RecordKind::activity, report_, sink);
}

}  // namespace csm::io

namespace csm::io {

void RecordInput::read(SpendTotals& totals) {
  report_.kind = RecordKind::spend;
  impl_->read_all<SpendTotals, SpendConsumer>(RecordKind::spend, report_, totals);
}

}  // namespace csm::io

namespace csm::io {

InputFormat detect_input_format(const std::string& path, std::string_view head) {
  return detect_format(path, head);
}

std::string_view required_text(const ColumnMap& columns, std::size_t slot, const Cell& cell,
                               const Location& where) {
  return FieldParser(columns, where).text(slot, cell);
}

}  // namespace csm::io
