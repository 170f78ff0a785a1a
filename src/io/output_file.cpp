#include "csm/io/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "csm/error.hpp"

namespace csm::io {
namespace {

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
  throw OutputError(path + ": " + what + ": " + std::strerror(error));
}

// Writes all of `text` to `fd`, flushes it to disk; returns 0 or the errno of the failure and
// what failed.
int write_all(int fd, std::string_view text, const char*& what) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      what = "write failed";
      return errno;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    what = "cannot flush to disk";
    return errno;
  }
  return 0;
}

// The unnamed way (Linux O_TMPFILE): the result is written to a file that has no name, so that
// nothing is left behind even by SIGKILL or the kernel's OOM killer in the middle of a long
// write; it gets a temporary name only for the instant before the rename. Returns false, having
// left nothing, when the file system or the kernel cannot do it (then the named way is used).
bool write_unnamed(const std::string& path, const std::string& directory, std::string_view text,
                   mode_t mode) {
#ifdef O_TMPFILE
  const int fd = ::open(directory.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0) return false;  // EOPNOTSUPP, EISDIR (old kernels), ...: not an error
  if (::fchmod(fd, mode) != 0) {  // open() applied the umask; keep an existing file's mode
    const int error = errno;
    ::close(fd);
    fail(path, "cannot set permissions", error);
  }
  const char* what = "";
  if (const int error = write_all(fd, text, what); error != 0) {
    ::close(fd);
    fail(path, what, error);
  }
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  for (int attempt = 0; attempt < 100; ++attempt) {
    // Unique among running processes by the pid; a name left by a killed one is skipped.
    const std::string temp = directory + "/.csm-metrics-" + std::to_string(::getpid()) + "-" +
                             std::to_string(attempt);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST) continue;
      ::close(fd);
      return false;  // no /proc, say: write it again the named way
    }
    ::close(fd);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      const int error = errno;
      ::unlink(temp.c_str());
      fail(path, "cannot replace the file", error);
    }
    return true;
  }
  ::close(fd);
#else
  (void)path;
  (void)directory;
  (void)text;
  (void)mode;
#endif
  return false;
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view text) {
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 && S_ISDIR(existing.st_mode)) {
    throw OutputError(path + ": is a directory, expected a file name");
  }
  // A device or a pipe (-o /dev/null, -o /dev/stdout, a FIFO) is written to, never replaced: a
  // rename would put a regular file in place of /dev/null.
  if (existing.st_mode != 0 && !S_ISREG(existing.st_mode)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail(path, "cannot open for writing", errno);
    // Not write_all: fsync fails on a pipe, and there is nothing to flush to disk.
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int error = errno;
        ::close(fd);
        fail(path, "write failed", error);
      }
      written += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) fail(path, "write failed", errno);
    return;
  }
  const std::string directory = directory_of(path);
  // Block termination signals while a temporary file exists, so that a kill between creation
  // and rename cannot leave it behind; they are delivered right after. (SIGKILL cannot be
  // blocked: the unnamed way below covers it where the system allows.)
  sigset_t block, previous;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &block, &previous);
  struct Restore {
    sigset_t* mask;
    ~Restore() { pthread_sigmask(SIG_SETMASK, mask, nullptr); }
  } restore{&previous};

  // Keep the permissions a new file would get (mkstemp makes it 0600).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  const mode_t mode = (existing.st_mode != 0) ? (existing.st_mode & 07777) : (0666 & ~mask);
  if (write_unnamed(path, directory, text, mode)) return;

  std::string temp = directory + "/.csm-metrics-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, "cannot create a temporary file in " + directory, errno);
  auto abandon = [&](const std::string& what, int error) {
    ::close(fd);
    ::unlink(temp.c_str());
    fail(path, what, error);
  };
  if (::fchmod(fd, mode) != 0) abandon("cannot set permissions", errno);
  const char* what = "";
  if (const int error = write_all(fd, text, what); error != 0) abandon(what, error);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "write failed", error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "cannot replace the file", error);
  }
}

}  // namespace csm::io
