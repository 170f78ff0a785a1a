// Subscription records: one row per subscription (customer_id, start_date, end_date, mrr), expanded into the activity records of their active months.

#include <memory>
#include <type_traits>
#include <string>
#include <vector>

#include "field_parser.hpp"
#include "record_gate.hpp"
#include "record_kinds.hpp"

namespace csm::io {
namespace {

using fields::FieldParser;
using fields::is_blank;

// Slots of the subscription columns.
enum SubscriptionSlot : std::size_t { kSubCustomerId, kStartDate, kEndDate, kMrr, kSubSegment, kSubAcquisitionCost };

class SubscriptionConsumer final : public KindConsumer<SubscriptionExpander> {
 public:
  using KindConsumer::KindConsumer;

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
        q.logged_row(month_of(r.start), 0, h, place);
      } else if (q.duplicate(h, month_of(r.start), place)) {
        ++report_.duplicates_dropped;
        return;
      } else {
        q.row(month_of(r.start), 0);
        q.place(month_of(r.start), place);
      }
    }
    out_.add(r);
    ++report_.records;
  }
};

// Into `out` (an ActivityAggregator, or another ActivitySink) through the expansion into months.
template <typename Out>
void read_months(RecordReading& reading, Out& out) {
  const ReadOptions& options = reading.options();
  SubscriptionExpander expander(out, options.until);
  if (options.since) expander.set_since(*options.since);
  read_with<SubscriptionConsumer>(reading, RecordKind::subscription, expander);
  // Only into an aggregator may the range be empty with --allow-empty.
  expander.finish(std::is_same_v<Out, ActivityAggregator> && options.allow_empty);
  ReadReport& report = reading.report();
  report.subscriptions = expander.stats();
  report.outside_range += expander.stats().outside;
}


std::vector<ColumnSpec> columns() { return column_specs(subscription_columns(), {kSubCustomerId, kStartDate, kMrr}); }

}  // namespace

const std::vector<std::string>& subscription_columns() {
  static const std::vector<std::string> columns = {"customer_id", "start_date", "end_date",
                                                   "mrr",         "segment",    "acquisition_cost"};
  return columns;
}

const KindSpec& subscription_kind() {
  static const KindSpec spec{
      .kind = RecordKind::subscription,
      .name = "subscription",
      .columns = columns,
      .detect_with = {"start_date"},
      .months = read_months<ActivityAggregator>,
      .month_sink = read_months<ActivitySink>,
  };
  return spec;
}

}  // namespace csm::io
