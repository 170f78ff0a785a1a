#pragma once
/// Customer ids interned once: each distinct id gets a dense index 0, 1, 2, ... so that the
/// aggregation works on integers and holds each id's text a single time.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace csm {

namespace detail {
/// Memory for the slot table: large tables get transparent huge pages, because lookups on
/// shuffled input touch a random page each, and with 4 KiB pages most of them miss the TLB.
void* allocate_table(std::size_t bytes);
void free_table(void* memory, std::size_t bytes) noexcept;

template <typename T>
struct TableAllocator {
  using value_type = T;
  TableAllocator() = default;
  template <typename U>
  TableAllocator(const TableAllocator<U>&) noexcept {}  // NOLINT: allocators convert implicitly
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_table(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_table(p, n * sizeof(T)); }
  friend bool operator==(const TableAllocator&, const TableAllocator&) noexcept { return true; }
};
}  // namespace detail

class CustomerIndex {
 public:
  /// The most distinct ids one index holds (the aggregation packs indexes into 32 bits).
  static constexpr std::uint32_t kMaxCustomers = 0xfffffff0u;

  /// The index of `id`, adding it when new. Throws std::length_error past kMaxCustomers.
  std::uint32_t intern(std::string_view id) { return intern(id, hash(id)); }
  /// intern() with the id's hash() already computed.
  std::uint32_t intern(std::string_view id, std::uint64_t id_hash);
  /// Start loading the slot where an id with this hash lives, ahead of intern(): on shuffled
  /// input the lookups are cache misses, and a few in flight at once hide most of the wait.
  void prefetch(std::uint64_t id_hash) const noexcept {
    if (slots_.empty()) return;
    // A probe often runs on into the next slots: load their cache line too.
    const Slot* slot = &slots_[id_hash & (slots_.size() - 1)];
    __builtin_prefetch(slot);
    __builtin_prefetch(reinterpret_cast<const char*>(slot) + 64);
  }
  std::size_t size() const noexcept { return offsets_.size(); }
  std::string_view id(std::uint32_t index) const noexcept;
  /// Load ahead where id(index) starts, then (a few calls later, once that is in) its bytes: for
  /// a walk over the ids in an order other than the index's, where each id is two cache misses.
  void prefetch_offset(std::uint32_t index) const noexcept { __builtin_prefetch(offsets_.data() + index); }
  void prefetch_text(std::uint32_t index) const noexcept { __builtin_prefetch(text_.data() + offsets_[index]); }

  static std::uint64_t hash(std::string_view id) noexcept;

 private:
  // One cache line holds two slots; ids of up to 16 bytes are compared without leaving the slot,
  // which keeps a lookup on shuffled input to about one cache miss.
  struct alignas(32) Slot {
    std::uint64_t hash;
    std::uint32_t index;  // kEmpty when free
    std::uint32_t length;
    std::uint64_t head[2];  // the first 16 bytes of the id, zero-padded
  };
  static constexpr std::uint32_t kEmpty = 0xffffffffu;

  void grow();

  std::string text_;                    // all ids, back to back
  std::vector<std::uint64_t> offsets_;  // start of id i in text_; end = start of i+1
  std::vector<Slot, detail::TableAllocator<Slot>> slots_;
};

}  // namespace csm
