// Transaction records: one row per purchase (customer_id, date, amount, quantity) for rfm and predict. Large files are read in shares.

#include <memory>
#include <string>
#include <vector>

#include "field_parser.hpp"
#include "record_gate.hpp"
#include "record_kinds.hpp"
#include "csm/activity_state.hpp"
#include "split_read.hpp"

namespace csm::io {
namespace {

using fields::FieldParser;

// Slots of the transaction columns.
enum TransactionSlot : std::size_t { kTxCustomerId, kTxDate, kTxAmount, kTxQuantity };

// Out: an RfmAccumulator, or a thread's RfmShard below.
template <typename Out>
class BasicTransactionConsumer final : public KindConsumer<Out> {
  using KindConsumer<Out>::columns_;
  using KindConsumer<Out>::out_;
  using KindConsumer<Out>::gate_;
  using KindConsumer<Out>::report_;

 public:
  using KindConsumer<Out>::KindConsumer;

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
    if (gate_.shard_count != 0) {
      gate_.check_shard(record.customer_id, where, columns_.display_name(kTxCustomerId));
    }
    out_.add(record);
    ++report_.records;
  }
};
using TransactionConsumer = BasicTransactionConsumer<RfmAccumulator>;

// One reading thread's way into RfmShards.
struct RfmShard {
  RfmShards& shards;
  unsigned shard;
  void add(const TransactionRecord& record) { shards.add(shard, record); }
};

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
void read_purchases(RecordReading& reading, RfmAccumulator& out) {
  read_with<TransactionConsumer>(
      reading, RecordKind::transaction, out, [&](const SplitPlan& plan, RecordGate& gate) {
        const auto make = [&](RowConsumer& consumer, std::uint64_t start) {
          return ShareReader(plan, consumer, start);
        };
        return read_split_transactions(plan.source, plan.size, plan.body(), plan.lines_before_body(),
                                       plan.columns, plan.options, plan.threads, make, out,
                                       plan.report, gate);
      });
}

std::vector<ColumnSpec> columns() { return column_specs(transaction_columns(), {kTxCustomerId, kTxDate, kTxAmount}); }

}  // namespace

const std::vector<std::string>& transaction_columns() {
  static const std::vector<std::string> columns = {"customer_id", "date", "amount", "quantity"};
  return columns;
}

const KindSpec& transaction_kind() {
  static const KindSpec spec{
      .kind = RecordKind::transaction,
      .name = "transaction",
      .columns = columns,
      .detect_with = {"date", "amount"},
      .detect_without = {"period"},
      .purchases = read_purchases,
  };
  return spec;
}

}  // namespace csm::io
