#include "csm/io/output_file.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "csm/error.hpp"
#include "scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;
using csm::OutputError;
using csm::io::write_file_atomically;
using csm::test::ScratchDir;
using csm::test::slurp;

void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// Names of leftover temporary files in `dir`.
std::vector<std::string> temp_files(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".csm-metrics-", 0) == 0) found.push_back(name);
  }
  return found;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777u;
}

}  // namespace

TEST_CASE("output file: writes the text to a new file", "[io][output]") {
  ScratchDir dir;
  const std::string path = dir.path("out.json");
  const std::string text = std::string("{\"a\": 1}\n") + std::string(100'000, 'x') + '\0' + "end";
  write_file_atomically(path, text);
  CHECK(slurp(path) == text);
  CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("output file: empty text makes an empty file", "[io][output]") {
  ScratchDir dir;
  const std::string path = dir.path("empty.csv");
  write_file_atomically(path, "");
  CHECK(fs::exists(path));
  CHECK(fs::file_size(path) == 0);
}

TEST_CASE("output file: replaces an existing file whole and keeps its permissions",
          "[io][output]") {
  ScratchDir dir;
  const std::string path = dir.path("report.csv");
  spit(path, std::string(5000, 'o'));  // longer than the new text: no tail may survive
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  write_file_atomically(path, "new\n");
  CHECK(slurp(path) == "new\n");
  CHECK(mode_of(path) == 0640u);
  CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("output file: a new file gets the usual permissions, not mkstemp's 0600",
          "[io][output]") {
  ScratchDir dir;
  const mode_t old_mask = ::umask(022);
  const std::string path = dir.path("fresh.txt");
  write_file_atomically(path, "x");
  ::umask(old_mask);
  CHECK(mode_of(path) == 0644u);  // 0666 & ~022
}

TEST_CASE("output file: a bare file name writes in the current directory", "[io][output]") {
  ScratchDir dir;
  const fs::path before = fs::current_path();
  fs::current_path(dir.path());
  try {
    write_file_atomically("plain.txt", "here\n");
  } catch (...) {
    fs::current_path(before);
    throw;
  }
  fs::current_path(before);
  CHECK(slurp(dir.path("plain.txt")) == "here\n");
  CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("output file: a missing directory is an OutputError naming the path", "[io][output]") {
  ScratchDir dir;
  const std::string path = dir.path("no/such/dir/out.json");
  CHECK_THROWS_AS(write_file_atomically(path, "x"), OutputError);
  try {
    write_file_atomically(path, "x");
  } catch (const OutputError& e) {
    const std::string message = e.what();
    CHECK(message.rfind(path + ": ", 0) == 0);
    CHECK_THAT(message, Catch::Contains("No such file or directory"));
  }
  CHECK_FALSE(fs::exists(path));
  CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("output file: a directory as the target is refused and left alone", "[io][output]") {
  ScratchDir dir;
  const std::string path = dir.path("results");
  REQUIRE(fs::create_directory(path));
  spit(path + "/keep.txt", "keep");
  CHECK_THROWS_MATCHES(write_file_atomically(path, "x"), OutputError,
                       Catch::Matchers::Message(path + ": is a directory, expected a file name"));
  CHECK_THROWS_AS(write_file_atomically(path + "/", "x"), OutputError);
  CHECK(fs::is_directory(path));
  CHECK(slurp(path + "/keep.txt") == "keep");
  CHECK(temp_files(dir.path()).empty());
  CHECK(temp_files(path).empty());
}

TEST_CASE("output file: a path through a regular file fails cleanly", "[io][output]") {
  ScratchDir dir;
  const std::string file = dir.path("notadir");
  spit(file, "data");
  CHECK_THROWS_AS(write_file_atomically(file + "/out.json", "x"), OutputError);
  CHECK(slurp(file) == "data");
  CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("output file: a failed write leaves the old file and no temporary file",
          "[io][output]") {
  // Make write() fail part-way with EFBIG by lowering the file size limit (this works as root,
  // unlike permissions). SIGXFSZ is ignored meanwhile so the failure is an error, not a signal.
  ScratchDir dir;
  const std::string path = dir.path("metrics.json");
  spit(path, "old contents\n");

  struct rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  bool threw = false;
  std::string message;
  try {
    write_file_atomically(path, std::string(64 * 1024, 'n'));
  } catch (const OutputError& e) {
    threw = true;
    message = e.what();
  } catch (...) {
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous_handler);
    throw;
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);

  CHECK(threw);
  CHECK(message.rfind(path + ": ", 0) == 0);
  CHECK(slurp(path) == "old contents\n");
  CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("output file: an unwritable directory fails and keeps the old file", "[io][output]") {
  if (::geteuid() == 0) {
    WARN("running as root: directory permissions are not enforced, test skipped");
    return;
  }
  ScratchDir dir;
  const std::string path = dir.path("metrics.json");
  spit(path, "old\n");
  REQUIRE(::chmod(dir.path().c_str(), 0555) == 0);
  CHECK_THROWS_AS(write_file_atomically(path, "new\n"), OutputError);
  ::chmod(dir.path().c_str(), 0755);
  CHECK(slurp(path) == "old\n");
  CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("output file: a pipe is written to, not replaced by a file", "[io][output]") {
  // -o /dev/null or a FIFO: a rename would put a regular file in its place (found when
  // `-o /dev/null` turned /dev/null into a file). A FIFO in a scratch directory stands in.
  const ScratchDir dir;
  const std::string fifo = dir.path("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  write_file_atomically(fifo, "through the pipe\n");
  char buffer[64] = {};
  const ssize_t n = ::read(reader, buffer, sizeof buffer);
  ::close(reader);
  CHECK(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0) == "through the pipe\n");
  struct stat st {};
  REQUIRE(::stat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK(temp_files(dir.path()).empty());
}

namespace {

// The start of the temporary names of this host's runs, as docs/reliability.md describes it.
std::string host_prefix() {
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  std::string prefix = ".csm-metrics-";
  for (const char* c = host; *c != '\0'; ++c) {
    const bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                       (*c >= '0' && *c <= '9') || *c == '.' || *c == '-';
    prefix += plain ? *c : '_';
  }
  return prefix + "-";
}

// The pid of a process that has ended (and been waited for).
pid_t ended_process() {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return child;
}

}  // namespace

TEST_CASE("output file: temporary files of killed runs on this host are removed, others kept",
          "[io][output]") {
  ScratchDir dir;
  const std::string host = host_prefix();
  const std::string dead = std::to_string(ended_process());
  const std::string alive = std::to_string(::getppid());
  const std::vector<std::string> removed = {host + dead + "-0", host + dead + "-Ab3xYz"};
  const std::vector<std::string> kept = {
      host + alive + "-0",                      // a run still writing
      ".csm-metrics-elsewhere.invalid-" + dead + "-0",  // another machine's
      host + dead + "-0-extra",                 // not a name we make
      host + "x" + dead + "-0",
      "report.csv",
  };
  for (const auto& name : removed) spit(dir.path(name), "complete copy");
  for (const auto& name : kept) spit(dir.path(name), "keep");
  write_file_atomically(dir.path("out.json"), "new\n");
  CHECK(slurp(dir.path("out.json")) == "new\n");
  for (const auto& name : removed) CHECK_FALSE(fs::exists(dir.path(name)));
  for (const auto& name : kept) CHECK(slurp(dir.path(name)) == "keep");
}
