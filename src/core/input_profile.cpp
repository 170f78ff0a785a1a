#include "csm/input_profile.hpp"

#include <cstring>

namespace csm {
namespace {

// The finalizer of splitmix64: every input bit reaches every output bit.
std::uint64_t avalanche(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

std::uint64_t InputProfile::mix(std::uint64_t hash, std::string_view bytes) noexcept {
  // The length first, so that ("ab", "c") and ("a", "bc") differ.
  hash = avalanche(hash ^ (bytes.size() + 0x51ed27u));
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    hash = avalanche(hash ^ word);
  }
  std::uint64_t tail = 0;
  if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);  // data() may be null
  return avalanche(hash ^ tail ^ 0xa5u);
}

std::uint64_t InputProfile::mix(std::uint64_t hash, std::int64_t value) noexcept {
  return avalanche(hash ^ static_cast<std::uint64_t>(value) ^ 0x3cu);
}

void InputProfile::row(YearMonth month, std::uint64_t fields_hash, bool zero_revenue) {
  ++rows_;
  if (zero_revenue) ++zero_revenue_;
  if (months_.empty()) {
    months_base_ = month.index;
    months_.resize(1);
  } else if (month.index < months_base_) {
    months_.insert(months_.begin(), static_cast<std::size_t>(months_base_ - month.index), false);
    months_base_ = month.index;
  } else if (static_cast<std::size_t>(month.index - months_base_) >= months_.size()) {
    months_.resize(static_cast<std::size_t>(month.index - months_base_) + 1);
  }
  months_[static_cast<std::size_t>(month.index - months_base_)] = true;

  if (2 * (used_ + 1) > slots_.size()) grow();
  const std::uint64_t key = fields_hash == 0 ? 1 : fields_hash;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = static_cast<std::size_t>(key) & mask;; at = (at + 1) & mask) {
    if (slots_[at] == key) {
      ++duplicates_;
      return;
    }
    if (slots_[at] == 0) {
      slots_[at] = key;
      ++used_;
      return;
    }
  }
}

bool InputProfile::has_rows(YearMonth month) const noexcept {
  const std::int64_t offset = std::int64_t{month.index} - months_base_;
  return offset >= 0 && static_cast<std::size_t>(offset) < months_.size() &&
         months_[static_cast<std::size_t>(offset)];
}

void InputProfile::grow() {
  std::vector<std::uint64_t> old(slots_.empty() ? 1024 : slots_.size() * 2, 0);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const std::uint64_t key : old) {
    if (key == 0) continue;
    std::size_t at = static_cast<std::size_t>(key) & mask;
    while (slots_[at] != 0) at = (at + 1) & mask;
    slots_[at] = key;
  }
}

}  // namespace csm
