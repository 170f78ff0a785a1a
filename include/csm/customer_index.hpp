#pragma once
/// Customer ids interned once: each distinct id gets a dense index 0, 1, 2, ... so that the
/// aggregation works on integers and holds each id's text a single time.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace csm {

class CustomerIndex {
 public:
  /// The index of `id`, adding it when new.
  std::uint32_t intern(std::string_view id);
  std::size_t size() const noexcept { return offsets_.size(); }
  std::string_view id(std::uint32_t index) const noexcept;

 private:
  void grow();
  static std::uint64_t hash(std::string_view id) noexcept;

  std::string text_;                    // all ids, back to back
  std::vector<std::uint64_t> offsets_;  // start of id i in text_; end = start of i+1
  std::vector<std::uint32_t> slots_;    // open addressing: index + 1, 0 = empty
  std::vector<std::uint32_t> slot_hash_;  // low bits of the hash, to skip most string compares
};

}  // namespace csm
