#include "csm/io/file_set.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "csm/error.hpp"
#include "temp_names.hpp"

namespace csm::io {
namespace {

constexpr int kTerminationSignals[] = {SIGINT, SIGTERM, SIGHUP};
// Buffered bytes for all files together, and the bounds of one file's buffer.
constexpr std::size_t kBufferBudget = std::size_t{64} << 20;
constexpr std::size_t kMinBuffer = std::size_t{1} << 10;
constexpr std::size_t kMaxBuffer = std::size_t{256} << 10;

[[noreturn]] void fail(const std::string& what, int error) {
  throw OutputError(what + ": " + std::strerror(error));
}

// 16 letters and digits nobody can guess (getrandom), so that no name can be planted in advance.
std::string random_suffix() {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot make a temporary name (getrandom)", errno);
    }
    got += static_cast<std::size_t>(n);
  }
  std::string out;
  for (const unsigned char b : bytes) out += kChars[b % (sizeof kChars - 1)];
  return out;
}

// The named way's temporary names, for the signal handler: set with the signals blocked.
int g_dir_fd = -1;
const char* const* g_names = nullptr;
std::size_t g_name_count = 0;
struct sigaction g_previous[3];
bool g_installed = false;

extern "C" void remove_and_reraise(int signal_number) {
  for (std::size_t i = 0; i < g_name_count; ++i) {
    if (g_names[i] != nullptr) ::unlinkat(g_dir_fd, g_names[i], 0);
  }
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);  // delivered when the handler returns: the default action, termination
}

class BlockedSignals {
 public:
  BlockedSignals() {
    sigset_t block;
    sigemptyset(&block);
    for (const int s : kTerminationSignals) sigaddset(&block, s);
    pthread_sigmask(SIG_BLOCK, &block, &previous_);
  }
  ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace

struct FileSet::Impl {
  std::string directory;
  int dir_fd = -1;
  std::vector<std::string> names;
  std::vector<int> fds;
  std::vector<std::string> buffers;
  std::size_t buffer_cap = kMaxBuffer;
  bool unnamed = true;
  std::vector<std::string> temps;            // a file's temporary name, empty while it has none
  std::vector<const char*> temp_pointers;    // the same for the signal handler (named way)
  std::string prefix = temp_file_prefix();
  bool committed = false;

  std::string path_of(std::size_t i) const { return directory + "/" + names[i]; }

  ~Impl() {
    BlockedSignals blocked;
    for (const int fd : fds) ::close(fd);  // unnamed files vanish here
    if (!committed) {
      for (const std::string& t : temps) {
        if (!t.empty()) ::unlinkat(dir_fd, t.c_str(), 0);
      }
    }
    if (g_installed && g_names == temp_pointers.data()) {
      for (std::size_t k = 0; k < 3; ++k) ::sigaction(kTerminationSignals[k], &g_previous[k], nullptr);
      g_installed = false;
      g_names = nullptr;
      g_name_count = 0;
    }
    if (dir_fd >= 0) ::close(dir_fd);
  }

  void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    const rlim_t needed = static_cast<rlim_t>(names.size() + kFileSetSpareDescriptors);
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
      throw OutputError(directory + ": cannot keep " + std::to_string(names.size()) +
                        " files open at once: " + std::strerror(EMFILE) +
                        " (the open-file limit, ulimit -n, is " + std::to_string(limit.rlim_max) +
                        "; raise it, or use fewer shards)");
    }
    rlimit raised = limit;
    raised.rlim_cur = needed;
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      fail(directory + ": cannot raise the open-file limit to " + std::to_string(needed), errno);
    }
  }

  // A new file with no name, or false when the file system cannot make one.
  bool open_unnamed(std::size_t i) {
#ifdef O_TMPFILE
    const int fd = ::openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd >= 0) {
      fds.push_back(fd);
      return true;
    }
    const int error = errno;
    if (i == 0 && (error == EOPNOTSUPP || error == EISDIR || error == EINVAL || error == ENOENT)) {
      return false;  // no O_TMPFILE here: the named way
    }
    fail(path_of(i) + ": cannot create the file", error);
#else
    (void)i;
    return false;
#endif
  }

  void open_named(std::size_t i) {
    for (int attempt = 0;; ++attempt) {
      std::string temp = prefix + random_suffix();
      int fd = -1;
      {
        BlockedSignals blocked;  // the name is in the handler's list as soon as it exists
        fd = ::openat(dir_fd, temp.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0666);
        if (fd >= 0) {
          temps[i] = temp;  // a copy: `temp` names the file in the error below
          temp_pointers[i] = temps[i].c_str();
        }
      }
      if (fd >= 0) {
        fds.push_back(fd);
        return;
      }
      if (errno == EEXIST && attempt < 100) continue;
      fail(directory + "/" + temp + ": cannot create a temporary file for " + names[i], errno);
    }
  }

  void install_handler() {
    BlockedSignals blocked;
    g_dir_fd = dir_fd;
    g_names = temp_pointers.data();
    g_name_count = temp_pointers.size();
    struct sigaction action {};
    action.sa_handler = remove_and_reraise;
    sigfillset(&action.sa_mask);
    for (std::size_t k = 0; k < 3; ++k) ::sigaction(kTerminationSignals[k], &action, &g_previous[k]);
    g_installed = true;
  }

  void flush(std::size_t i) {
    std::string& buffer = buffers[i];
    write_all(i, buffer);
    buffer.clear();
  }

  void write_all(std::size_t i, std::string_view bytes) {
    std::size_t written = 0;
    while (written < bytes.size()) {
      const ssize_t n = ::write(fds[i], bytes.data() + written, bytes.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(path_of(i) + ": write failed", errno);
      }
      written += static_cast<std::size_t>(n);
    }
  }

  // A hard link to unnamed file `i` under a fresh temporary name.
  void link_unnamed(std::size_t i) {
    const std::string self = "/proc/self/fd/" + std::to_string(fds[i]);
    for (int attempt = 0;; ++attempt) {
      std::string temp = prefix + random_suffix();
      int result = ::linkat(AT_FDCWD, self.c_str(), dir_fd, temp.c_str(), AT_SYMLINK_FOLLOW);
      if (result != 0 && errno == ENOENT) {  // no /proc: the way that needs privileges
        result = ::linkat(fds[i], "", dir_fd, temp.c_str(), AT_EMPTY_PATH);
      }
      if (result == 0) {
        temps[i] = std::move(temp);
        return;
      }
      if (errno == EEXIST && attempt < 100) continue;
      fail(path_of(i) + ": cannot give the file a name", errno);
    }
  }
};

FileSet::FileSet(const std::string& directory, const std::vector<std::string>& names)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.directory = directory;
  s.names = names;
  s.raise_descriptor_limit();
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) throw OutputError(directory + ": cannot create the directory: " + ec.message());
  s.dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s.dir_fd < 0) fail(directory + ": cannot open the directory", errno);
  s.temps.assign(names.size(), std::string());
  s.temp_pointers.assign(names.size(), nullptr);
  s.buffers.assign(names.size(), std::string());
  s.buffer_cap = std::clamp(kBufferBudget / std::max<std::size_t>(names.size(), 1), kMinBuffer, kMaxBuffer);
  s.fds.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (s.unnamed && s.open_unnamed(i)) continue;
    if (s.unnamed) {
      s.unnamed = false;
      s.install_handler();
    }
    s.open_named(i);
  }
}

FileSet::~FileSet() = default;

std::size_t FileSet::size() const noexcept { return impl_->names.size(); }

void FileSet::write(std::size_t index, std::string_view bytes) {
  Impl& s = *impl_;
  std::string& buffer = s.buffers[index];
  if (buffer.size() + bytes.size() <= s.buffer_cap) {
    buffer.append(bytes);
    return;
  }
  s.flush(index);
  if (bytes.size() >= s.buffer_cap) {
    s.write_all(index, bytes);
  } else {
    buffer.append(bytes);
  }
}

void FileSet::commit() {
  Impl& s = *impl_;
  BlockedSignals blocked;  // a kill waits until every file has its name
  for (std::size_t i = 0; i < s.names.size(); ++i) {
    s.flush(i);
    if (::fsync(s.fds[i]) != 0) fail(s.path_of(i) + ": cannot flush to disk", errno);
    struct stat st {};
    if (::fstatat(s.dir_fd, s.names[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      throw OutputError(s.path_of(i) + ": is a directory, expected a file name");
    }
  }
  if (s.unnamed) {
    for (std::size_t i = 0; i < s.names.size(); ++i) s.link_unnamed(i);
  }
  for (std::size_t i = 0; i < s.names.size(); ++i) {
    if (::renameat(s.dir_fd, s.temps[i].c_str(), s.dir_fd, s.names[i].c_str()) != 0) {
      fail(s.path_of(i) + ": cannot write the file", errno);
    }
    s.temps[i].clear();
    s.temp_pointers[i] = nullptr;
  }
  s.committed = true;
  for (const int fd : s.fds) {
    if (::close(fd) != 0 && errno != EINTR) {
      s.fds.clear();
      fail(s.directory + ": write failed", errno);
    }
  }
  s.fds.clear();
}

}  // namespace csm::io
