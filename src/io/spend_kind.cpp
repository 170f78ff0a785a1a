// Spend records (--spend): marketing spend by month (period, amount, optional channel or segment).

#include <memory>
#include <string>
#include <vector>

#include "field_parser.hpp"
#include "record_gate.hpp"
#include "record_kinds.hpp"

namespace csm::io {
namespace {

using fields::FieldParser;
using fields::is_blank;

// Slots of the spend columns.
enum SpendSlot : std::size_t { kSpendPeriod, kAmount, kChannel, kSpendSegment };

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

void read_spend(RecordReading& reading, SpendTotals& out) {
  reading.read(
      RecordKind::spend,
      [&](const ColumnMap& columns, RecordGate& gate, ReadReport& report) {
        return std::make_unique<SpendConsumer>(columns, out, gate, report);
      },
      nullptr);
}

std::vector<ColumnSpec> columns() { return column_specs(spend_columns(), {kSpendPeriod, kAmount}); }

}  // namespace

const std::vector<std::string>& spend_columns() {
  static const std::vector<std::string> columns = {"period", "amount", "channel", "segment"};
  return columns;
}

const KindSpec& spend_kind() {
  static const KindSpec spec = [] {
    KindSpec s;
    s.kind = RecordKind::spend;
    s.name = "spend";
    s.columns = columns;
    s.detectable = false;  // only --spend reads it
    s.spend = read_spend;
    return s;
  }();
  return spec;
}

}  // namespace csm::io
