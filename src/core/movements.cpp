#include "csm/movements.hpp"

#include <array>

#include "movement_walk.hpp"

namespace csm {
namespace {

constexpr std::array<std::string_view, kMovementTypes> kNames = {
    "new", "reactivation", "expansion", "contraction", "churn", "moved_in", "moved_out"};

}  // namespace

std::string_view to_string(MovementType type) noexcept {
  return kNames[static_cast<std::size_t>(type)];
}

std::optional<MovementType> parse_movement_type(std::string_view text) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == text) return static_cast<MovementType>(i);
  }
  return std::nullopt;
}

std::uint32_t MovementList::add_customer(std::string_view id) {
  if (id_offsets_.empty()) id_offsets_.push_back(0);
  ids_.append(id);
  id_offsets_.push_back(ids_.size());
  return static_cast<std::uint32_t>(id_offsets_.size() - 2);
}

namespace detail {

MovementList merge_movements(const std::vector<MovementCollector>& collectors,
                             const std::vector<std::int32_t>& slot_start, Grain grain,
                             std::vector<std::string> groups, bool grouped) {
  MovementList out;
  out.grain = grain;
  out.grouped = grouped;
  out.groups = std::move(groups);
  // A counting sort by slot of the lines taken customer by customer in id order: the lines of
  // one slot stay in customer order, and a customer's lines of one slot in type order.
  std::vector<std::size_t> at(slot_start.size() + 1, 0);
  std::size_t total = 0;
  for (const MovementCollector& c : collectors) {
    for (const MovementCollector::Line& line : c.lines()) ++at[static_cast<std::size_t>(line.slot) + 1];
    total += c.lines().size();
  }
  for (std::size_t s = 0; s + 1 < at.size(); ++s) at[s + 1] += at[s];
  out.movements.resize(total);
  std::vector<std::size_t> next(collectors.size(), 0);
  for (;;) {
    const MovementCollector* from = nullptr;
    std::size_t k = 0;
    for (std::size_t i = 0; i < collectors.size(); ++i) {
      const auto& customers = collectors[i].customers();
      if (next[i] == customers.size()) continue;
      if (from == nullptr || customers[next[i]].id < from->customers()[next[k]].id) {
        from = &collectors[i];
        k = i;
      }
    }
    if (from == nullptr) break;
    const MovementCollector::Customer& customer = from->customers()[next[k]++];
    const std::uint32_t index = out.add_customer(customer.id);
    for (std::size_t i = customer.begin; i < customer.end; ++i) {
      const MovementCollector::Line& line = from->lines()[i];
      const auto slot = static_cast<std::size_t>(line.slot);
      Movement& m = out.movements[at[slot]++];
      m.period = YearMonth{slot_start[slot]};
      m.type = line.type;
      m.customer = index;
      m.group = line.group;
      m.before = line.before;
      m.after = line.after;
    }
  }
  return out;
}

}  // namespace detail
}  // namespace csm
