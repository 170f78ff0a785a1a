// Summary records: one row per month with the counts already taken (customers_start, new, churned, ...).

#include <memory>
#include <string>
#include <vector>

#include "field_parser.hpp"
#include "record_gate.hpp"
#include "record_kinds.hpp"

namespace csm::io {
namespace {

using fields::FieldParser;

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

class SummaryConsumer final : public KindConsumer<SummaryAggregator> {
 public:
  using KindConsumer::KindConsumer;

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
};

void read_summary(RecordReading& reading, SummaryAggregator& out) {
  read_with<SummaryConsumer>(reading, RecordKind::summary, out);  // small: one stream
}

std::vector<ColumnSpec> columns() {
  return column_specs(summary_columns(), {kSumPeriod, kCustomersStart, kNewCustomers, kChurnedCustomers});
}

}  // namespace

const std::vector<std::string>& summary_columns() {
  static const std::vector<std::string> columns = {
      "period",           "customers_start",      "new_customers",  "churned_customers",
      "reactivated_customers", "expanded_customers", "contracted_customers", "csat_satisfied",
      "csat_responses",   "revenue",              "acquisition_cost"};
  return columns;
}

const KindSpec& summary_kind() {
  static const KindSpec spec{
      .kind = RecordKind::summary,
      .name = "summary",
      .columns = columns,
      .detect_with = {"customers_start"},
      .summary = read_summary,
  };
  return spec;
}

}  // namespace csm::io
