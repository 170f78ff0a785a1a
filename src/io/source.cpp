#include "csm/io/source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "csm/error.hpp"

namespace csm::io {

InputSource::InputSource(int fd, std::string path, std::string name,
                         std::optional<std::uint64_t> size)
    : fd_(fd), path_(std::move(path)), name_(std::move(name)), size_(size) {}

InputSource InputSource::open(const std::string& path) {
  if (path == "-") {
    struct stat st {};
    std::optional<std::uint64_t> size;
    if (::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
      size = static_cast<std::uint64_t>(st.st_size);
    }
    return InputSource(STDIN_FILENO, path, "<stdin>", size);
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw SourceError(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int saved = errno;
    ::close(fd);
    throw SourceError(path + ": cannot read: " + std::strerror(saved));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw SourceError(path + ": is a directory, expected a file");
  }
  std::optional<std::uint64_t> size;
  if (S_ISREG(st.st_mode)) {
    size = static_cast<std::uint64_t>(st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  }
  return InputSource(fd, path, path, size);
}

InputSource InputSource::from_text(std::string name, std::shared_ptr<const std::string> bytes) {
  const std::uint64_t size = bytes->size();
  InputSource source(-1, name, name, size);
  source.text_ = std::move(bytes);
  return source;
}

InputSource::InputSource(InputSource&& other) noexcept
    : fd_(other.fd_),
      path_(std::move(other.path_)),
      name_(std::move(other.name_)),
      size_(other.size_),
      text_(std::move(other.text_)),
      position_(other.position_) {
  other.fd_ = -1;
}

InputSource& InputSource::operator=(InputSource&& other) noexcept {
  if (this != &other) {
    if (fd_ > STDIN_FILENO) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    name_ = std::move(other.name_);
    size_ = other.size_;
    text_ = std::move(other.text_);
    position_ = other.position_;
    other.fd_ = -1;
  }
  return *this;
}

InputSource::~InputSource() {
  if (fd_ > STDIN_FILENO) ::close(fd_);
}

std::size_t InputSource::read(char* destination, std::size_t capacity) {
  if (text_) {
    const std::size_t n = std::min(capacity, text_->size() - position_);
    std::memcpy(destination, text_->data() + position_, n);
    position_ += n;
    return n;
  }
  for (;;) {
    const ssize_t n = ::read(fd_, destination, capacity);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    throw SourceError(name_ + ": read failed: " + std::strerror(errno));
  }
}

std::size_t InputSource::read_at(char* destination, std::size_t capacity,
                                 std::uint64_t offset) const {
  if (text_) {
    if (offset >= text_->size()) return 0;
    const std::size_t n = std::min<std::size_t>(capacity, text_->size() - static_cast<std::size_t>(offset));
    std::memcpy(destination, text_->data() + offset, n);
    return n;
  }
  for (;;) {
    const ssize_t n = ::pread(fd_, destination, capacity, static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    throw SourceError(name_ + ": read failed: " + std::strerror(errno));
  }
}

}  // namespace csm::io
