#include "csm/io/output_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "csm/error.hpp"
#include "temp_names.hpp"

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

// A failed write or flush: errno and what failed.
struct WriteFailure {
  int error;
  const char* what;
};

// Writes all of `text` to `fd`; throws WriteFailure.
void write_piece(int fd, std::string_view text) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw WriteFailure{errno, "write failed"};
    }
    written += static_cast<std::size_t>(n);
  }
}

// Writes the pieces of produce() to the regular file `fd` and flushes it to disk; returns 0 or
// the errno of the failure and what failed. Other exceptions of produce go on. Every 8 MiB the
// kernel is asked to start writing the pages back (sync_file_range, which does not wait), so
// that the final fsync of a large file mostly finds them on their way already.
int write_all(int fd, const std::function<void(const TextSink&)>& produce, const char*& what) {
  constexpr off_t kKick = off_t{8} << 20;
  off_t written = 0;
  off_t kicked = 0;
  try {
    produce([&](std::string_view piece) {
      write_piece(fd, piece);
      written += static_cast<off_t>(piece.size());
#ifdef SYNC_FILE_RANGE_WRITE
      if (written - kicked >= kKick) {
        ::sync_file_range(fd, kicked, written - kicked, SYNC_FILE_RANGE_WRITE);  // advice only
        kicked = written;
      }
#endif
    });
  } catch (const WriteFailure& failure) {
    what = failure.what;
    return failure.error;
  }
  if (::fsync(fd) != 0) {
    what = "cannot flush to disk";
    return errno;
  }
  return 0;
}

// Removes the temporary files that runs of csm-metrics on this host left in `directory` when
// they were killed with SIGKILL at the one moment it cannot be covered (see write_unnamed).
// Names of live processes, of other hosts, or of any other shape are left alone.
void remove_leftovers(const std::string& directory, const std::string& own_prefix) {
  // own_prefix ends "-PID-"; the part every run on this host shares ends at the host's '-'.
  const std::string host_prefix =
      own_prefix.substr(0, own_prefix.rfind('-', own_prefix.size() - 2) + 1);
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return;  // the write itself will report what is wrong
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name.substr(0, host_prefix.size()) != host_prefix) continue;
    const std::string_view rest = name.substr(host_prefix.size());  // "PID-SUFFIX"
    const std::size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string_view::npos || dash > 9) continue;
    const std::string_view digits = rest.substr(0, dash);
    const std::string_view suffix = rest.substr(dash + 1);
    if (suffix.empty() || suffix.find('-') != std::string_view::npos) continue;
    bool numeric = true;
    for (const char c : digits) numeric = numeric && c >= '0' && c <= '9';
    if (!numeric) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(std::string(digits)));
    if (pid == ::getpid() || pid <= 0) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // running (EPERM: someone else's)
    ::unlinkat(::dirfd(dir), entry->d_name, 0);
  }
  ::closedir(dir);
}

// The unnamed way (Linux O_TMPFILE): the result is written to a file that has no name, so that
// SIGKILL or the kernel's OOM killer in the middle of a long write leaves nothing behind. A new
// FILE gets its name directly; an existing one is replaced through a temporary name held only
// for the instant between linkat and rename (a kill there leaves a complete copy, which the
// next run removes). Returns false, having left nothing, when the file system or the kernel
// cannot do it (then the named way is used).
bool write_unnamed(const std::string& path, const std::string& directory, const std::string& prefix,
                   const std::function<void(const TextSink&)>& produce, mode_t mode, bool exists) {
#ifdef O_TMPFILE
  const int fd = ::open(directory.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0) return false;  // EOPNOTSUPP, EISDIR (old kernels), ...: not an error
  if (::fchmod(fd, mode) != 0) {  // open() applied the umask; keep an existing file's mode
    const int error = errno;
    ::close(fd);
    fail(path, "cannot set permissions", error);
  }
  const char* what = "";
  int write_error = 0;
  try {
    write_error = write_all(fd, produce, what);
  } catch (...) {
    ::close(fd);  // the file has no name: nothing is left
    throw;
  }
  if (write_error != 0) {
    ::close(fd);
    fail(path, what, write_error);
  }
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  if (!exists) {
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      ::close(fd);
      return true;
    }
    // EEXIST: created meanwhile (or a dangling symlink), so replace it below; anything else
    // (no /proc, say): write it again the named way.
    if (errno != EEXIST) {
      ::close(fd);
      return false;
    }
  }
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string temp = directory + "/" + prefix + std::to_string(attempt);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST) continue;
      ::close(fd);
      return false;
    }
    const bool renamed = ::rename(temp.c_str(), path.c_str()) == 0;
    const int error = errno;
    ::close(fd);
    if (!renamed) {
      ::unlink(temp.c_str());
      fail(path, "cannot replace the file", error);
    }
    return true;
  }
  ::close(fd);
#else
  (void)path;
  (void)directory;
  (void)prefix;
  (void)produce;
  (void)mode;
  (void)exists;
#endif
  return false;
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view text) {
  write_file_atomically_in_pieces(path, [&](const TextSink& sink) { sink(text); });
}

void write_file_atomically_in_pieces(const std::string& path,
                                     const std::function<void(const TextSink&)>& produce) {
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
    try {
      produce([&](std::string_view piece) { write_piece(fd, piece); });
    } catch (const WriteFailure& failure) {
      ::close(fd);
      fail(path, failure.what, failure.error);
    } catch (...) {
      ::close(fd);
      throw;
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
  const std::string prefix = temp_file_prefix();
  remove_leftovers(directory, prefix);
  if (write_unnamed(path, directory, prefix, produce, mode, existing.st_mode != 0)) return;

  std::string temp = directory + "/" + prefix + "XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, "cannot create a temporary file in " + directory, errno);
  auto abandon = [&](const std::string& what, int error) {
    ::close(fd);
    ::unlink(temp.c_str());
    fail(path, what, error);
  };
  if (::fchmod(fd, mode) != 0) abandon("cannot set permissions", errno);
  const char* what = "";
  int write_error = 0;
  try {
    write_error = write_all(fd, produce, what);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  if (write_error != 0) abandon(what, write_error);
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

std::string temp_file_prefix() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string prefix = ".csm-metrics-";
  for (const char* c = host; *c != '\0'; ++c) {
    const bool plain = std::isalnum(static_cast<unsigned char>(*c)) != 0 || *c == '.' || *c == '-';
    prefix += plain ? *c : '_';
  }
  return prefix + '-' + std::to_string(::getpid()) + '-';
}

}  // namespace csm::io
