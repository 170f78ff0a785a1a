#pragma once
// Inputs for RecordInput held in memory (RecordInput::from_memory) instead of temporary files.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "csm/io/record_input.hpp"

namespace csm::test {

/// The inputs written so far, by name (one test's names may overwrite another's).
inline std::map<std::string, std::string>& memory_inputs() {
  static std::map<std::string, std::string> inputs;
  return inputs;
}

/// Stands where a temporary directory stood: write() keeps the bytes under `name` and returns
/// the name, which messages then show.
class MemoryDir {
 public:
  std::string write(const std::string& name, const std::string& bytes) const {
    memory_inputs()[name] = bytes;
    return name;
  }
};

/// A RecordInput of `names`: the in-memory inputs when every name was written, else the files.
inline csm::io::RecordInput open_input(const std::vector<std::string>& names, csm::io::ReadOptions options) {
  std::vector<csm::io::InputText> texts;
  for (const std::string& name : names) {
    const auto found = memory_inputs().find(name);
    if (found == memory_inputs().end()) return csm::io::RecordInput(names, std::move(options));
    texts.push_back({name, found->second});
  }
  if (texts.empty()) return csm::io::RecordInput(names, std::move(options));
  return csm::io::RecordInput::from_memory(std::move(texts), std::move(options));
}

}  // namespace csm::test
