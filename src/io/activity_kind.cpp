// Activity records: one row per customer and month (customer_id, period, revenue, ...), the
// kind every other kind of customer record is turned into. Large files are read in shares.

#include <optional>
#include <string>
#include <vector>

#include "csm/activity_state.hpp"
#include "csm/customer_index.hpp"
#include "field_parser.hpp"
#include "record_gate.hpp"
#include "record_kinds.hpp"
#include "split_read.hpp"

namespace csm::io {
namespace {

using fields::FieldParser;
using fields::is_blank;
using fields::trimmed;

// Slots of the activity columns (the order of activity_columns()).
enum ActivitySlot : std::size_t { kCustomerId, kPeriod, kRevenue, kAcquisitionCost, kCsat, kSegment, kNps };

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
    // One record reused: a fresh one per row was zeroed with `rep stos` (about 4 % of the CPU
    // time of compute on the benchmark). parse() sets every field but the segment, reset here,
    // and the signals, the same span for every row.
    ActivityRecord& record = record_;
    record.segment = {};
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
    if (gate_.shard_count != 0) gate_.check_shard(record.customer_id, where, columns_.display_name(kCustomerId));
    std::uint64_t customer_hash = 0;  // CustomerIndex::hash of the id, once computed
    if (gate_.quality != nullptr &&
        !describe_quality(record, trimmed(cells[kPeriod].text), where, customer_hash)) {
      return;  // --dedupe: an exact duplicate, dropped
    }
    if (gate_.profile != nullptr) describe_row(record, trimmed(cells[kPeriod].text));
    report_.month_rows.add(record.period, where.source, where.line);
    if (customer_hash == 0 && sink_ == nullptr) customer_hash = CustomerIndex::hash(record.customer_id);
    if (out_ != nullptr) {
      out_->add(record, customer_hash);
    } else if (shards_ != nullptr) {
      shards_->add(shard_, record, customer_hash);
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

  // The row for the data-quality warnings; false when --dedupe drops it. Detailed: sets
  // `customer_hash` to CustomerIndex::hash of the id (the aggregation's, reused).
  bool describe_quality(const ActivityRecord& r, std::string_view period_text, const Location& where,
                        std::uint64_t& customer_hash) {
    DataProfile& q = *gate_.quality;
    const int day = period_text.size() >= 10 && period_text[7] == '-'
                        ? (period_text[8] - '0') * 10 + (period_text[9] - '0')
                        : 0;
    if (!q.detailed()) {
      q.row(r.period, day);
      return true;
    }
    const DataProfile::Place place{gate_.source_index, where.line};
    // Every field, in independent lanes (RowHash::fold): the id through its 64-bit hash, the
    // period as written (a day date differs from another day's), the amounts, csat and nps
    // (0..5 and 0..11 in one word), the segment (0 when there is none).
    customer_hash = CustomerIndex::hash(r.customer_id);
    const std::uint64_t scores = std::uint64_t{r.csat} << 8 | static_cast<std::uint8_t>(r.nps + 1);
    const std::uint64_t h = RowHash::fold(
        RowHash::pair(customer_hash, static_cast<std::uint64_t>(r.revenue)),
        RowHash::text(period_text),
        RowHash::pair(static_cast<std::uint64_t>(r.acquisition_cost ? *r.acquisition_cost : -1) ^ 0x5bd1e995u,
                      scores ^ 0x9e3779b97f4a7c15ull),
        r.segment.empty() ? 0 : RowHash::text(r.segment));
    if (!gate_.dedupe) {
      q.logged_row(r.period, day, h, place);
    } else if (q.duplicate(h, r.period, place)) {
      ++report_.duplicates_dropped;
      return false;
    } else {
      q.row(r.period, day);
      q.place(r.period, place);
    }
    if (gate_.several_inputs) {
      q.customer_month(RowHash::fold(RowHash::pair(customer_hash, static_cast<std::uint64_t>(r.period.index)), 0, 0, 0),
                       r.period, place);
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
  ActivityRecord record_;                       // the row being read (see row())
};

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

bool read_shares_into(const SplitPlan& plan, RecordGate& gate, ActivityAggregator& out) {
  const auto make = [&](RowConsumer& consumer, std::uint64_t start) { return ShareReader(plan, consumer, start); };
  return read_split(plan.source, plan.size, plan.body(), plan.lines_before_body(), plan.columns, plan.options,
                    plan.threads, make, out, plan.report, gate);
}

void read_months(RecordReading& reading, ActivityAggregator& out) {
  read_with<ActivityConsumer>(reading, RecordKind::activity, out,
                              [&](const SplitPlan& plan, RecordGate& gate) {
                                return read_shares_into(plan, gate, out);
                              });
}

// Any other sink: one stream (files are not split across threads).
void read_into_sink(RecordReading& reading, ActivitySink& out) {
  read_with<ActivityConsumer>(reading, RecordKind::activity, out);
}

std::vector<ColumnSpec> columns() { return column_specs(activity_columns(), {kCustomerId, kPeriod, kRevenue}); }

}  // namespace

const std::vector<std::string>& activity_columns() {
  static const std::vector<std::string> columns = {"customer_id", "period", "revenue",
                                                   "acquisition_cost", "csat", "segment",
                                                   "nps"};
  return columns;
}

const KindSpec& activity_kind() {
  static const KindSpec spec{
      .kind = RecordKind::activity,
      .name = "activity",
      .columns = columns,
      .signals = true,
      .months = read_months,
      .month_sink = read_into_sink,
  };
  return spec;
}

}  // namespace csm::io
