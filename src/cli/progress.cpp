#include "cli/progress.hpp"

#include <fmt/format.h>

#include <chrono>

namespace csm::cli {

Progress::Progress(bool enabled, std::ostream& err, std::optional<std::uint64_t> total)
    : enabled_(enabled), err_(err), total_(total) {
  if (!enabled_) return;
  try {
    thread_ = std::thread([this] {
      try {
        loop();
      } catch (...) {  // out of memory while formatting: the progress line is not worth a crash
      }
    });
  } catch (...) {  // no thread to spare (memory, a process limit): run without the progress line
    enabled_ = false;
  }
}

Progress::~Progress() { finish(); }

void Progress::finish() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (shown_) {
    err_ << "\r\x1b[2K" << std::flush;  // erase the progress line
  }
}

void Progress::loop() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  // Quiet for the first second: short runs show nothing.
  if (wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) return;
  for (;;) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double bytes = static_cast<double>(bytes_.load(std::memory_order_relaxed));
    const double rate = bytes / seconds / 1e6;
    std::string line;
    if (total_ && *total_ > 0) {
      const double share = std::min(0.99, bytes / static_cast<double>(*total_));
      line = fmt::format("reading: {:3.0f}%  {:.0f} of {:.0f} MB  {:.0f} MB/s", 100 * share,
                         bytes / 1e6, static_cast<double>(*total_) / 1e6, rate);
    } else {
      line = fmt::format("reading: {:.0f} MB  {:.0f} MB/s", bytes / 1e6, rate);
    }
    err_ << "\r\x1b[2K" << line << std::flush;
    shown_ = true;
    if (wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; })) return;
  }
}

}  // namespace csm::cli
