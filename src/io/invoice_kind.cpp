// Invoice records: billing lines with service periods (customer_id, service_start, service_end,
// amount, currency, line_type, ...), normalised to monthly amounts and expanded into the activity
// records of their months. The fields are checked in invoice_input.cpp (InvoiceReader). Large
// files are read in shares (with --currency).

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "csm/activity_state.hpp"
#include "invoice_input.hpp"
#include "record_gate.hpp"
#include "record_kinds.hpp"
#include "split_read.hpp"

namespace csm::io {
namespace {

// Invoice lines: the fields are read in invoice_input.cpp.
class InvoiceConsumer final : public KindConsumer<InvoiceReader> {
 public:
  using KindConsumer::KindConsumer;
  void row(std::span<const Cell> cells, const Location& where) override {
    try {
      out_.row(columns_, cells, where);
    } catch (const InputError& error) {
      gate_.invalid(error);
      return;
    }
    if (gate_.shard_count != 0) gate_.check_shard(cells[0].text, where, columns_.display_name(0));
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
};

InvoiceSettings invoice_settings(const ReadOptions& options) {
  return InvoiceSettings{options.currency, options.fx, options.preset};
}

// A thread's way into ActivityShards, as the sink of its share's InvoiceExpander.
class ShardSink final : public ActivitySink {
 public:
  ShardSink(ActivityShards& shards, unsigned shard) : shards_(shards), shard_(shard) {}
  void add(const ActivityRecord& record) override { shards_.add(shard_, record); }

 private:
  ActivityShards& shards_;
  unsigned shard_;
};

// A large file in shares, as activity records are: each thread reads and normalises its lines
// with a reader like `like` into its own expander, whose month rows go through the shards to the
// thread that owns the customer; then the shards' aggregators are merged into `out` and the
// expanders into `expander` (counts, months, pending signals), in file order.
bool read_invoice_shares(const SplitPlan& plan, RecordGate& gate, ActivityAggregator& out,
                         InvoiceExpander& expander, const InvoiceReader& like) {
  const unsigned threads = plan.threads;
  ActivityShards shards(threads, &out);
  std::vector<ActivityAggregator> aggregators(threads);
  std::vector<std::unique_ptr<ShardSink>> sinks;
  std::vector<std::unique_ptr<InvoiceExpander>> expanders;
  std::vector<std::unique_ptr<InvoiceReader>> readers;
  for (unsigned k = 0; k < threads; ++k) {
    sinks.push_back(std::make_unique<ShardSink>(shards, k));
    expanders.push_back(std::make_unique<InvoiceExpander>(*sinks.back(), plan.options.until));
    readers.push_back(std::make_unique<InvoiceReader>(*expanders.back(), like));
  }
  const auto with_consumer = [&](unsigned k, RecordGate& share_gate, ReadReport& share_report,
                                 auto&& read) {
    InvoiceConsumer consumer(plan.columns, *readers[k], share_gate, share_report);
    read(consumer);
  };
  const auto take = [&](unsigned k) { aggregators[k] = shards.take(k); };
  const auto make = [&](RowConsumer& consumer, std::uint64_t start) { return ShareReader(plan, consumer, start); };
  if (!read_shares(plan.source, plan.size, plan.body(), plan.lines_before_body(), plan.options, threads,
                   shards, with_consumer, make, take, plan.report, gate)) {
    return false;
  }
  for (ActivityAggregator& aggregator : aggregators) out.merge(std::move(aggregator));
  for (const auto& part : expanders) expander.merge(std::move(*part));
  return true;
}

// Into `out` (an ActivityAggregator or another ActivitySink) through the normalisation to months.
// Large files into an aggregator are read in shares when --currency names the base: without it the
// base is the lines' one currency, which only a reading in file order can check line by line.
template <typename Out>
void read_months(RecordReading& reading, Out& out) {
  const ReadOptions& options = reading.options();
  InvoiceExpander expander(out, options.until);
  InvoiceReader reader(expander, invoice_settings(options));
  RecordReading::ReadShares split;
  if constexpr (std::is_same_v<Out, ActivityAggregator>) {
    if (!options.currency.empty()) {
      split = [&](const SplitPlan& plan, RecordGate& gate) {
        return read_invoice_shares(plan, gate, out, expander, reader);
      };
    }
  }
  read_with<InvoiceConsumer>(reading, RecordKind::invoice, reader, split);
  // Only into an aggregator may the range be empty with --allow-empty.
  expander.finish(std::is_same_v<Out, ActivityAggregator> && options.allow_empty);
  ReadReport& report = reading.report();
  report.invoices = expander.stats();
  report.invoices->currency = reader.currency();
}


std::vector<ColumnSpec> columns() {
  std::vector<ColumnSpec> specs = column_specs(invoice_columns(), {0, 1, 3});
  for (const std::string& extra : invoice_extra_columns()) specs.push_back({extra, false});
  return specs;
}

// --preset: the billing export's column names.
void apply_preset(ColumnMap& columns, const ReadOptions& options) {
  if (options.preset.empty()) return;
  const InvoicePreset* preset = find_invoice_preset(options.preset);
  if (preset == nullptr) {
    throw std::invalid_argument("--preset " + options.preset + ": not a known preset (known: " +
                                invoice_preset_names() + ")");
  }
  for (const auto& [canonical, input] : preset->columns) columns.rename(canonical, input);
  for (const auto& [canonical, input] : preset->alternatives) columns.add_alternative(canonical, input);
}

}  // namespace

const std::vector<std::string>& invoice_columns() {
  static const std::vector<std::string> columns = {
      "customer_id", "service_start", "service_end",      "amount", "currency",
      "line_type",   "segment",       "acquisition_cost", "csat",
      "nps"};
  return columns;
}

const KindSpec& invoice_kind() {
  static const KindSpec spec{
      .kind = RecordKind::invoice,
      .name = "invoice",
      .columns = columns,
      .signals = true,
      .detect_with = {"service_start"},
      .preset_kind = true,
      .adjust_columns = apply_preset,
      .months = read_months<ActivityAggregator>,
      .month_sink = read_months<ActivitySink>,
  };
  return spec;
}

}  // namespace csm::io
