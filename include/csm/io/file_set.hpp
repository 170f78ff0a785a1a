#pragma once
/// Several new files in one directory that appear together when they are complete, or not at all
/// (`csm-metrics shard`). docs/reliability.md, "Output safety".

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace csm::io {

/// Files written in the dark: each is created without a name (Linux O_TMPFILE), so that a failure,
/// a signal, even SIGKILL, leaves nothing behind; commit() gives them their names. Where the file
/// system cannot create unnamed files, each gets an unpredictable temporary name created with
/// O_CREAT | O_EXCL | O_NOFOLLOW (never through a planted link), removed on failure and on
/// SIGINT, SIGTERM and SIGHUP (not on SIGKILL). Every error is an OutputError with the errno text.
class FileSet {
 public:
  /// Open `names.size()` files, to be named DIRECTORY/NAME, creating the directory if needed.
  /// The open-file limit is raised to its hard limit when the files need it; a set larger than
  /// that is refused before anything is created.
  FileSet(const std::string& directory, const std::vector<std::string>& names);
  /// Without commit(): every file is removed.
  ~FileSet();
  FileSet(const FileSet&) = delete;
  FileSet& operator=(const FileSet&) = delete;

  /// Append `bytes` to file `index` (buffered).
  void write(std::size_t index, std::string_view bytes);
  /// Flush every file to disk and give each its name, replacing a file of that name (termination
  /// signals wait until all are named). Throws OutputError; then no new file has its name.
  void commit();
  std::size_t size() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// File descriptors kept free for everything else when FileSet checks the open-file limit.
inline constexpr std::size_t kFileSetSpareDescriptors = 32;

}  // namespace csm::io
