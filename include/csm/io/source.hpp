#pragma once
/// The one place that opens inputs: a file by path, or standard input for "-".

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace csm::io {

class InputSource {
 public:
  /// Open `path` for reading ("-" = standard input). Throws SourceError naming the path and the
  /// reason (no such file, a directory, permission denied).
  static InputSource open(const std::string& path);
  /// An input held in memory, named `name` in messages: read as a regular file of these bytes.
  static InputSource from_text(std::string name, std::shared_ptr<const std::string> bytes);

  InputSource(InputSource&& other) noexcept;
  InputSource& operator=(InputSource&& other) noexcept;
  InputSource(const InputSource&) = delete;
  InputSource& operator=(const InputSource&) = delete;
  ~InputSource();

  /// The name used in messages: the path as given, or "<stdin>".
  const std::string& name() const noexcept { return name_; }
  /// The path as given ("-" for standard input).
  const std::string& path() const noexcept { return path_; }
  /// Size in bytes for a regular file; nullopt for pipes and terminals.
  std::optional<std::uint64_t> size() const noexcept { return size_; }

  /// Read up to `capacity` bytes; 0 at the end. Throws SourceError on a read error.
  std::size_t read(char* destination, std::size_t capacity);

  /// Read up to `capacity` bytes at `offset` without moving the read position (regular files
  /// only; several threads may call it at once). 0 at the end. Throws SourceError.
  std::size_t read_at(char* destination, std::size_t capacity, std::uint64_t offset) const;

 private:
  InputSource(int fd, std::string path, std::string name, std::optional<std::uint64_t> size);
  int fd_ = -1;
  std::string path_;
  std::string name_;
  std::optional<std::uint64_t> size_;
  std::shared_ptr<const std::string> text_;  // from_text: the bytes (fd_ is -1)
  std::size_t position_ = 0;                 // from_text: the next byte read() gives
};

}  // namespace csm::io
