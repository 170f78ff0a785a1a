#pragma once
/// A progress line on stderr for long reads: only on a terminal, shown after the first second,
/// erased when reading ends.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>

namespace csm::cli {

class Progress {
 public:
  /// Starts the display thread when `enabled`; `total` is the input size when known.
  Progress(bool enabled, std::ostream& err, std::optional<std::uint64_t> total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// The counter the reader adds parsed bytes to (nullptr when disabled).
  std::atomic<std::uint64_t>* counter() noexcept { return enabled_ ? &bytes_ : nullptr; }

  /// Stop and erase the line; called before anything else is printed.
  void finish();

 private:
  void loop();

  bool enabled_;
  std::ostream& err_;
  std::optional<std::uint64_t> total_;
  std::atomic<std::uint64_t> bytes_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool shown_ = false;
  std::thread thread_;
};

}  // namespace csm::cli
