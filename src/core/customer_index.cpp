#include "csm/customer_index.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>

#include "pages.hpp"

namespace csm {
namespace {

inline std::uint64_t load64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t load32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// 64x64 -> 128 multiply folded to 64 bits: the mixing step of wyhash.
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ typedef unsigned __int128 u128;
  const u128 r = static_cast<u128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

constexpr std::uint64_t kP0 = 0xa0761d6478bd642full;
constexpr std::uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr std::uint64_t kP2 = 0x8ebc6af09c88c6e3ull;

// The id's first 16 bytes, zero-padded, as two words.
inline void head_words(std::string_view id, std::uint64_t (&out)[2]) noexcept {
  char padded[16] = {};
  if (!id.empty()) std::memcpy(padded, id.data(), id.size() < 16 ? id.size() : 16);
  out[0] = load64(padded);
  out[1] = load64(padded + 8);
}

}  // namespace

namespace detail {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

void* allocate_table(std::size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes);
  // Map one huge page more than needed and trim, so that the table starts on a huge-page
  // boundary (transparent huge pages need aligned 2 MiB ranges).
  const std::size_t mapped = bytes + kHugePage;
  void* raw = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  const std::uintptr_t tail = aligned + bytes;
  const std::uintptr_t end = start + mapped;
  if (end > tail) ::munmap(reinterpret_cast<void*>(tail), end - tail);
  ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

void free_table(void* memory, std::size_t bytes) noexcept {
  if (bytes < kHugePage) {
    ::operator delete(memory);
  } else {
    ::munmap(memory, bytes);
  }
}

}  // namespace detail

std::uint64_t CustomerIndex::hash(std::string_view id) noexcept {
  const char* p = id.data();
  const std::size_t n = id.size();
  std::uint64_t seed = kP0 ^ n;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n <= 16) {
    if (n >= 8) {
      a = load64(p);
      b = load64(p + n - 8);
    } else if (n >= 4) {
      a = load32(p);
      b = load32(p + n - 4);
    } else if (n > 0) {
      a = (static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
          (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
          static_cast<unsigned char>(p[n - 1]);
    }
  } else {
    std::size_t i = 0;
    for (; i + 16 < n; i += 16) seed = mix(load64(p + i) ^ kP1, load64(p + i + 8) ^ seed);
    a = load64(p + n - 16);
    b = load64(p + n - 8);
  }
  return mix(kP1 ^ n, mix(a ^ kP1, b ^ seed) ^ kP2);
}

std::string_view CustomerIndex::id(std::uint32_t index) const noexcept {
  const std::uint64_t begin = offsets_[index];
  const std::uint64_t end = index + 1 < offsets_.size() ? offsets_[index + 1] : text_.size();
  return std::string_view(text_).substr(begin, end - begin);
}

void CustomerIndex::grow() {
  const std::size_t capacity = slots_.empty() ? 1024 : slots_.size() * 2;
  // Room for the ids until the next growth (3/4 of the slots), with its pages backed at once
  // rather than faulted in one by one as ids are appended (pages.hpp).
  const std::size_t customers = capacity / 4 * 3 + 1;
  detail::reserve_populated(offsets_, customers);
  if (!offsets_.empty() && text_.capacity() < text_.size() / offsets_.size() * customers) {
    const std::size_t bytes = (text_.size() / offsets_.size() + 1) * customers;
    text_.reserve(bytes);
    detail::prepare_for_writing(text_.data() + text_.size(), bytes - text_.size());
  }
  std::vector<Slot, detail::TableAllocator<Slot>> slots(capacity, Slot{0, kEmpty, 0, {0, 0}});
  const std::size_t mask = capacity - 1;
  constexpr std::size_t kAhead = 16;  // the new table is larger than the cache: prefetch
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (i + kAhead < slots_.size()) __builtin_prefetch(&slots[slots_[i + kAhead].hash & mask], 1);
    const Slot& s = slots_[i];
    if (s.index == kEmpty) continue;
    std::size_t at = s.hash & mask;
    while (slots[at].index != kEmpty) at = (at + 1) & mask;
    slots[at] = s;
  }
  slots_.swap(slots);
}

std::uint32_t CustomerIndex::intern(std::string_view id_text, std::uint64_t h) {
  if ((offsets_.size() + 1) * 4 > slots_.size() * 3) grow();  // load factor <= 3/4
  std::uint64_t head[2];
  head_words(id_text, head);
  const auto length = static_cast<std::uint32_t>(id_text.size());
  const std::size_t mask = slots_.size() - 1;
  std::size_t at = h & mask;
  for (;;) {
    const Slot& s = slots_[at];
    if (s.index == kEmpty) break;
    if (s.hash == h && s.length == length && s.head[0] == head[0] && s.head[1] == head[1] &&
        (length <= 16 || id(s.index) == id_text)) {
      return s.index;
    }
    at = (at + 1) & mask;
  }
  if (offsets_.size() >= kMaxCustomers) {
    throw std::length_error("more than 4,294,967,280 distinct customer ids");
  }
  const auto index = static_cast<std::uint32_t>(offsets_.size());
  offsets_.push_back(text_.size());
  text_.append(id_text);
  slots_[at] = Slot{h, index, length, {head[0], head[1]}};
  return index;
}

}  // namespace csm
