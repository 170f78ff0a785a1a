#include "csm/customer_index.hpp"

#include <cstring>

namespace csm {

std::uint64_t CustomerIndex::hash(std::string_view id) noexcept {
  // FNV-1a over 8-byte words with a final avalanche: fast on short ids, good enough spread for
  // linear probing.
  std::uint64_t h = 0xcbf29ce484222325ull ^ id.size();
  std::size_t i = 0;
  for (; i + 8 <= id.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, id.data() + i, 8);
    h = (h ^ word) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, id.data() + i, id.size() - i);
  h = (h ^ tail) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  return h;
}

std::string_view CustomerIndex::id(std::uint32_t index) const noexcept {
  const std::uint64_t begin = offsets_[index];
  const std::uint64_t end = index + 1 < offsets_.size() ? offsets_[index + 1] : text_.size();
  return std::string_view(text_).substr(begin, end - begin);
}

void CustomerIndex::grow() {
  const std::size_t capacity = slots_.empty() ? 1024 : slots_.size() * 2;
  std::vector<std::uint32_t> slots(capacity, 0);
  std::vector<std::uint32_t> hashes(capacity, 0);
  const std::size_t mask = capacity - 1;
  for (std::uint32_t index = 0; index < offsets_.size(); ++index) {
    const std::uint64_t h = hash(id(index));
    std::size_t slot = h & mask;
    while (slots[slot] != 0) slot = (slot + 1) & mask;
    slots[slot] = index + 1;
    hashes[slot] = static_cast<std::uint32_t>(h >> 32);
  }
  slots_.swap(slots);
  slot_hash_.swap(hashes);
}

std::uint32_t CustomerIndex::intern(std::string_view id_text) {
  if ((offsets_.size() + 1) * 4 > slots_.size() * 3) grow();  // load factor <= 3/4
  const std::uint64_t h = hash(id_text);
  const auto tag = static_cast<std::uint32_t>(h >> 32);
  const std::size_t mask = slots_.size() - 1;
  std::size_t slot = h & mask;
  while (slots_[slot] != 0) {
    const std::uint32_t index = slots_[slot] - 1;
    if (slot_hash_[slot] == tag && id(index) == id_text) return index;
    slot = (slot + 1) & mask;
  }
  const auto index = static_cast<std::uint32_t>(offsets_.size());
  offsets_.push_back(text_.size());
  text_.append(id_text);
  slots_[slot] = index + 1;
  slot_hash_[slot] = tag;
  return index;
}

}  // namespace csm
