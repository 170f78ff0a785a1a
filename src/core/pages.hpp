#pragma once
// Page advice for large buffers that are about to be written front to back (issue 22). Private
// to the library (csm_core and csm_io include it by path).
//
// A fresh anonymous page costs a page fault when it is first written: a trap into the kernel,
// which on a virtual machine costs several microseconds (far more than zeroing the 4 KiB). Asking
// for the pages in one system call (MADV_POPULATE_WRITE) backs the whole range without a trap per
// page; huge-page advice lets ranges of 2 MiB and more be backed by 2 MiB pages.

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <vector>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels refuse it and pages fault in as before
#endif

namespace csm::detail {

/// Back [begin, begin + bytes) (page-aligned) with written pages in one system call. Returns false
/// when the kernel does not know the advice (before Linux 5.14) or refuses it.
inline bool populate_pages(void* begin, std::size_t bytes) noexcept {
  static std::atomic<bool> unsupported{false};
  if (bytes == 0 || unsupported.load(std::memory_order_relaxed)) return false;
  if (::madvise(begin, bytes, MADV_POPULATE_WRITE) == 0) return true;
  if (errno == EINVAL) unsupported.store(true, std::memory_order_relaxed);
  return false;
}

/// A buffer from the heap (a std::string's or vector's storage) that is about to be written
/// whole: populate the pages that lie entirely inside it. Small buffers (under 256 KiB) are left
/// alone: they mostly reuse pages of the heap. (No huge-page advice here: with transparent huge
/// pages in madvise mode that asks the kernel to compact memory on the spot.)
inline void prepare_for_writing(void* begin, std::size_t bytes) noexcept {
  constexpr std::uintptr_t kPage = 4096;
  if (bytes < (std::size_t{256} << 10)) return;
  const auto start = reinterpret_cast<std::uintptr_t>(begin);
  const std::uintptr_t first = (start + kPage - 1) & ~(kPage - 1);
  const std::uintptr_t last = (start + bytes) & ~(kPage - 1);
  if (last > first) populate_pages(reinterpret_cast<void*>(first), last - first);
}

/// Room for n elements (at least twice the old capacity when it grows, as a vector grows), with
/// the pages of the new elements backed at once: for a large vector about to be filled whole.
template <typename T, typename A>
void reserve_populated(std::vector<T, A>& v, std::size_t n) {
  if (n <= v.capacity()) return;
  v.reserve(v.capacity() * 2 > n ? v.capacity() * 2 : n);
  prepare_for_writing(v.data() + v.size(), (n - v.size()) * sizeof(T));
}

}  // namespace csm::detail
