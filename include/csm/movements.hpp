#pragma once
/// Movements: one line per customer and period in which the customer moves the MRR bridge (new,
/// reactivation, expansion, contraction, churn; with groups also moved_in and moved_out). They
/// come from the walk that counts compute's bridge (ActivityAggregator::collect_movements), so the
/// lines of a period and type add up to compute's counts and MRR exactly (docs/movements.md).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/grain.hpp"
#include "csm/month.hpp"

namespace csm {

/// The kinds of movement, in the order the lines of one customer and period are listed.
enum class MovementType : std::uint8_t {
  fresh,         ///< "new": active at the period's end, first active in the period
  reactivation,  ///< active at the period's end, not at the previous one, first active before
  expansion,     ///< active at both ends, more revenue at this one
  contraction,   ///< active at both ends, less revenue at this one
  churn,         ///< active at the previous period's end, not at this one
  moved_in,      ///< groups: active at both ends, in this group now and in another before
  moved_out,     ///< groups: the same line seen from the group it left
};
inline constexpr int kMovementTypes = 7;

/// "new", "reactivation", "expansion", "contraction", "churn", "moved_in", "moved_out".
std::string_view to_string(MovementType type) noexcept;
/// The inverse of to_string(); nullopt for anything else.
std::optional<MovementType> parse_movement_type(std::string_view text) noexcept;

/// Which movements to collect, at which grain.
struct MovementOptions {
  Grain grain = Grain::month;
  std::uint8_t types = (1u << kMovementTypes) - 1;  ///< bit (1 << type) for each type wanted
  std::vector<YearMonth> periods;    ///< first months of the periods wanted; empty = every one
  std::vector<std::string> customers;  ///< customer ids wanted; empty = every one
};

/// One line. The change is after - before, and adds up to the bridge: + for new, reactivation,
/// expansion and moved_in, - for contraction, churn and moved_out.
struct Movement {
  YearMonth period;          ///< first month of the period
  MovementType type = MovementType::fresh;
  std::uint32_t customer = 0;  ///< index of the id in MovementList (ids in byte order)
  std::uint32_t group = 0;     ///< index in MovementList::groups (0 without groups)
  Money before = 0;  ///< revenue at the previous period's end (in this group, for moves)
  Money after = 0;   ///< revenue at this period's end (in this group, for moves)
  Money change() const noexcept { return after - before; }
};

/// The movements of an aggregation: sorted by period, then customer id (byte order), then type.
struct MovementList {
  Grain grain = Grain::month;
  bool grouped = false;
  std::vector<std::string> groups;  ///< group names in byte order (grouped only)
  std::vector<Movement> movements;

  std::size_t customer_count() const noexcept {
    return id_offsets_.empty() ? 0 : id_offsets_.size() - 1;
  }
  std::string_view customer_id(std::uint32_t index) const noexcept {
    return std::string_view(ids_).substr(id_offsets_[index], id_offsets_[index + 1] - id_offsets_[index]);
  }
  /// Append a customer id (they must come in byte order); returns its index.
  std::uint32_t add_customer(std::string_view id);

 private:
  std::string ids_;                      // the ids back to back
  std::vector<std::uint64_t> id_offsets_;  // start of id i; one more entry for the end
};

}  // namespace csm
