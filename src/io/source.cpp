#include "csm/io/source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

InputSource::InputSource(InputSource&& other) noexcept
    : fd_(other.fd_),
      path_(std::move(other.path_)),
      name_(std::move(other.name_)),
      size_(other.size_) {
  other.fd_ = -1;
}

InputSource& InputSource::operator=(InputSource&& other) noexcept {
  if (this != &other) {
    if (fd_ > STDIN_FILENO) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    name_ = std::move(other.name_);
    size_ = other.size_;
    other.fd_ = -1;
  }
  return *this;
}

InputSource::~InputSource() {
  if (fd_ > STDIN_FILENO) ::close(fd_);
}

std::size_t InputSource::read(char* destination, std::size_t capacity) {
  for (;;) {
    const ssize_t n = ::read(fd_, destination, capacity);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    throw SourceError(name_ + ": read failed: " + std::strerror(errno));
  }
}

std::size_t InputSource::read_at(char* destination, std::size_t capacity,
                                 std::uint64_t offset) const {
  for (;;) {
    const ssize_t n = ::pread(fd_, destination, capacity, static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    throw SourceError(name_ + ": read failed: " + std::strerror(errno));
  }
}

}  // namespace csm::io
