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

class SpendConsumer final : public KindConsumer<SpendTotals> {
 public:
  using KindConsumer::KindConsumer;

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
};

void read_spend(RecordReading& reading, SpendTotals& out) {
  read_with<SpendConsumer>(reading, RecordKind::spend, out);
}

std::vector<ColumnSpec> columns() { return column_specs(spend_columns(), {kSpendPeriod, kAmount}); }

}  // namespace

const std::vector<std::string>& spend_columns() {
  static const std::vector<std::string> columns = {"period", "amount", "channel", "segment"};
  return columns;
}

const KindSpec& spend_kind() {
  static const KindSpec spec{
      .kind = RecordKind::spend,
      .name = "spend",
      .columns = columns,
      .detectable = false,  // only --spend reads it
      .spend = read_spend,
  };
  return spec;
}

}  // namespace csm::io
