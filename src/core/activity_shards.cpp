// ActivityShards: several threads feeding one aggregation, each customer's rows kept by one shard.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "activity_groups.hpp"
#include "activity_log.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/customer_index.hpp"
#include "row_exchange.hpp"

namespace csm {

struct ActivityShards::Impl {
  explicit Impl(unsigned count) : exchange(count) {}
  detail::RowExchange exchange;
  std::vector<ActivityAggregator> shards;
};

namespace {
std::atomic<std::uint64_t> next_shard_group{1};
}  // namespace

ActivityShards::ActivityShards(unsigned count, const ActivityAggregator* like)
    : impl_(std::make_unique<Impl>(count)) {
  Impl& impl = *impl_;
  impl.shards.resize(impl.exchange.count());
  const std::uint64_t group = next_shard_group.fetch_add(1);
  for (ActivityAggregator& shard : impl.shards) {
    shard.parts_.front()->group = group;
    if (like != nullptr && like->grouped()) {
      shard.group_by_segment();
      shard.grouping_->table = like->grouping_->table;  // one numbering of groups for all
    }
  }
}

ActivityShards::~ActivityShards() = default;

void ActivityShards::add(unsigned shard, const ActivityRecord& record) {
  add(shard, record, CustomerIndex::hash(record.customer_id));
}

void ActivityShards::add(unsigned shard, const ActivityRecord& record, std::uint64_t hash) {
  Impl& impl = *impl_;
  ActivityAggregator& mine = impl.shards[shard];
  const std::int32_t key = mine.count(record);
  const unsigned owner = impl.exchange.owner(hash);
  if (owner == shard) {
    mine.parts_.front()->add(record.customer_id, hash, key, record.revenue);
    return;
  }
  impl.exchange.post(shard, owner, record.customer_id, hash, key, record.revenue);
}

void ActivityShards::receive(unsigned shard) {
  auto& part = *impl_->shards[shard].parts_.front();
  impl_->exchange.receive(shard, [&](std::string_view id, std::uint64_t hash, std::int32_t month,
                                     Money revenue) { part.add(id, hash, month, revenue); });
}

void ActivityShards::finish(unsigned shard) {
  auto& part = *impl_->shards[shard].parts_.front();
  impl_->exchange.finish(shard, [&](std::string_view id, std::uint64_t hash, std::int32_t month,
                                    Money revenue) { part.add(id, hash, month, revenue); });
}

ActivityAggregator ActivityShards::take(unsigned shard) { return std::move(impl_->shards[shard]); }

}  // namespace csm
