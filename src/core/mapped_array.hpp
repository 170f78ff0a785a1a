#pragma once
// The row logs of the activity aggregator and the rfm accumulator. Private to csm_core.

#include <sys/mman.h>

#include "pages.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>

namespace csm::detail {

/// A contiguous array of 16-byte trivially copyable T that grows by remapping pages instead of
/// copying, so that growing never needs the old and the new array at once (the peak memory of a
/// reallocating vector). Starts with `kFirstCapacity` elements.
template <typename T, std::size_t kFirstCapacity>
class MappedArray {
  static_assert(sizeof(T) == 16 && alignof(T) == 16 && std::is_trivially_copyable_v<T>,
                "append_streaming stores whole 16-byte elements");

 public:
  MappedArray() = default;
  MappedArray(const MappedArray&) = delete;
  MappedArray& operator=(const MappedArray&) = delete;
  ~MappedArray() { release(); }

  std::size_t size() const noexcept { return size_; }
  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }

  void release() noexcept {
    if (data_ != nullptr) ::munmap(data_, capacity_ * sizeof(T));
    data_ = nullptr;
    size_ = capacity_ = populated_ = 0;
  }

  void push_back(const T& e) {
    if (size_ == capacity_) grow();
    data_[size_++] = e;
  }

  /// Append whole cache lines without reading the destination first (non-temporal stores): the
  /// rows are not looked at again until the log is sorted, long after.
  void append_streaming(const T* entries, std::size_t n) {
    while (capacity_ - size_ < n) grow();
    if ((size_ + n) * sizeof(T) > populated_) populate((size_ + n) * sizeof(T));
#if defined(__SSE2__)
    for (std::size_t i = 0; i < n; ++i) {
      _mm_stream_si128(reinterpret_cast<__m128i*>(data_ + size_ + i),
                       _mm_load_si128(reinterpret_cast<const __m128i*>(entries + i)));
    }
#else
    std::memcpy(data_ + size_, entries, n * sizeof(T));
#endif
    size_ += n;
  }

  /// Keep the first n elements and give the pages past them back to the system.
  void truncate(std::size_t n) noexcept {
    size_ = n;
    constexpr std::size_t kPage = 4096;
    const std::size_t keep = (n * sizeof(T) + kPage - 1) / kPage * kPage;
    const std::size_t all = capacity_ * sizeof(T);
    populated_ = std::min(populated_, keep);
    if (data_ != nullptr && keep < all) {
      ::madvise(reinterpret_cast<char*>(data_) + keep, all - keep, MADV_DONTNEED);
    }
  }

 private:
  // The log is written front to back: back the next stretch of it with pages ahead of the
  // writes, a step of a sixteenth of what is written so far (at least 64 KiB, at most 2 MiB), so
  // that at most that much more is resident than written.
  void populate(std::size_t needed) noexcept {
    constexpr std::size_t kPage = 4096;
    const std::size_t step = std::clamp<std::size_t>(populated_ / 16, 64 * 1024, 2 * 1024 * 1024);
    std::size_t end = std::max(needed, populated_ + step);
    end = std::min((end + kPage - 1) / kPage * kPage, capacity_ * sizeof(T));
    populate_pages(reinterpret_cast<char*>(data_) + populated_, end - populated_);
    populated_ = end;  // also when refused: the pages then fault in as they are written
  }

  void grow() {
    const std::size_t capacity = capacity_ == 0 ? kFirstCapacity : capacity_ * 2;
    void* memory = nullptr;
    if (data_ == nullptr) {
      memory = ::mmap(nullptr, capacity * sizeof(T), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    } else {
      memory = ::mremap(data_, capacity_ * sizeof(T), capacity * sizeof(T), MREMAP_MAYMOVE);
    }
    if (memory == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<T*>(memory);
    capacity_ = capacity;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::size_t populated_ = 0;  // bytes from data_ on already backed by pages (or left to faults)
};

}  // namespace csm::detail
