// `csm-metrics shard`: split inputs into N files by the shard hash of the customer id
// (csm::shard_of), streaming: a record is written out as soon as it is read.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "csm/activity_state.hpp"
#include "csm/error.hpp"
#include "csm/io/source.hpp"

namespace csm::cli {
namespace {

struct ShardOptions {
  std::vector<std::string> files;
  std::string by = "customer_id";
  std::uint32_t count = 0;
  std::string output;
  std::string input_format = "auto";
  bool quiet = false;
};

// Reads one source in blocks and hands out its bytes.
class ByteStream {
 public:
  explicit ByteStream(io::InputSource& source) : source_(source) {}
  // The next byte, or -1 at the end.
  int get() {
    if (pos_ == size_) {
      size_ = source_.read(buffer_.get(), kSize);
      pos_ = 0;
      if (size_ == 0) return -1;
    }
    return static_cast<unsigned char>(buffer_[pos_++]);
  }

 private:
  static constexpr std::size_t kSize = 1 << 16;
  io::InputSource& source_;
  std::unique_ptr<char[]> buffer_ = std::make_unique<char[]>(kSize);
  std::size_t pos_ = 0;
  std::size_t size_ = 0;
};

// The N shard files, written to temporary files in the output directory and renamed to their
// names only when every input has been read: a failed run leaves no shard file half written
// (and no temporary file either).
class ShardFiles {
 public:
  ShardFiles(const std::string& dir, std::uint32_t count, const std::string& extension) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw OutputError(dir + ": cannot create the directory: " + ec.message());
    const std::string tag = ".partial-" + std::to_string(::getpid());
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::string name = "shard-" + std::to_string(i) + "-of-" + std::to_string(count) + extension;
      paths_.push_back((std::filesystem::path(dir) / name).string());
      temporary_.push_back((std::filesystem::path(dir) / ("." + name + tag)).string());
      auto& out = files_.emplace_back(std::make_unique<std::ofstream>(temporary_.back(), std::ios::binary | std::ios::trunc));
      if (!*out) throw OutputError(temporary_.back() + ": cannot create the file");
    }
  }
  ShardFiles(const ShardFiles&) = delete;
  ShardFiles& operator=(const ShardFiles&) = delete;
  ~ShardFiles() {
    if (committed_) return;
    for (std::size_t i = 0; i < files_.size(); ++i) {
      files_[i]->close();
      std::error_code ec;
      std::filesystem::remove(temporary_[i], ec);
    }
  }
  std::ofstream& operator[](std::uint32_t i) { return *files_[i]; }
  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(files_.size()); }
  // Close every file, then rename them all to their names.
  void commit() {
    for (std::size_t i = 0; i < files_.size(); ++i) {
      files_[i]->flush();
      files_[i]->close();
      if (!*files_[i]) throw OutputError(paths_[i] + ": write failed");
    }
    for (std::size_t i = 0; i < files_.size(); ++i) {
      std::error_code ec;
      std::filesystem::rename(temporary_[i], paths_[i], ec);
      if (ec) throw OutputError(paths_[i] + ": cannot write the file: " + ec.message());
    }
    committed_ = true;
  }

 private:
  std::vector<std::unique_ptr<std::ofstream>> files_;
  std::vector<std::string> paths_;
  std::vector<std::string> temporary_;
  bool committed_ = false;
};

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The fields of one CSV/TSV record (RFC 4180 quoting), without the line end.
std::vector<std::string> split_fields(std::string_view record, char separator) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < record.size(); ++i) {
    const char c = record[i];
    if (quoted) {
      if (c == '"' && i + 1 < record.size() && record[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == separator) {
      fields.emplace_back();
    } else if (c != '\r' && c != '\n') {
      fields.back() += c;
    }
  }
  return fields;
}

// The fields of one CSV/TSV record as they are written (quotes kept), without the line end.
std::vector<std::string_view> raw_fields(std::string_view record, char separator) {
  std::vector<std::string_view> fields;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < record.size(); ++i) {
    if (record[i] == '"') quoted = !quoted;
    if (!quoted && record[i] == separator) {
      fields.push_back(record.substr(start, i - start));
      start = i + 1;
    }
  }
  fields.push_back(record.substr(start));
  return fields;
}

// The first input's header, which every shard file gets: later inputs must have the same
// columns, in any order (their records are rewritten in the first header's order).
struct FirstHeader {
  std::string name;                  // the first input's name
  std::vector<std::string> columns;  // its column names, trimmed and in lower case
};

std::string name_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + quote_for_message(n);
  return out;
}

// CSV or TSV: the header goes to every shard, each record to its customer's shard.
// The first input (`first` still empty) sets the header; a later input's header locates the id
// column and, when its columns are in another order, maps its fields to the first header's order.
void shard_delimited(io::InputSource& source, char separator, const ShardOptions& options, ShardFiles& out,
                     FirstHeader& first) {
  ByteStream in(source);
  std::string record;
  std::uint64_t line = 1;
  std::uint64_t record_line = 1;
  bool have_header = false;
  std::size_t column = 0;
  std::vector<std::size_t> order;  // empty: fields in the first header's order already
  std::string rewritten;
  const auto take = [&]() {
    if (record.empty()) return;
    std::string_view text = record;
    if (!have_header) {
      if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
      const std::vector<std::string> names = split_fields(text, separator);
      std::vector<std::string> columns;
      for (const std::string& n : names) columns.push_back(lower_trimmed(n));
      const auto found = std::find(columns.begin(), columns.end(), lower_trimmed(options.by));
      if (found == columns.end()) {
        throw InputError(source.name(), record_line, "", "no column " + quote_for_message(options.by) + " in the header");
      }
      column = static_cast<std::size_t>(found - columns.begin());
      have_header = true;
      if (first.name.empty()) {
        first.name = source.name();
        first.columns = columns;
        for (std::uint32_t i = 0; i < out.size(); ++i) out[i] << record;
        return;
      }
      if (columns == first.columns) return;
      // The same columns in another order: each field goes to its place in the first header.
      std::vector<std::string> missing;
      std::vector<std::string> extra;
      for (const std::string& c : first.columns) {
        if (std::count(columns.begin(), columns.end(), c) != 1) missing.push_back(c);
      }
      for (const std::string& c : columns) {
        if (std::count(first.columns.begin(), first.columns.end(), c) != 1) extra.push_back(c);
      }
      if (!missing.empty() || !extra.empty() || columns.size() != first.columns.size()) {
        std::string what = "the columns differ from those of " + first.name + ", whose header every shard file has";
        if (!missing.empty()) what += "; not here (or not once): " + name_list(missing);
        if (!extra.empty()) what += "; only here (or more than once): " + name_list(extra);
        throw InputError(source.name(), record_line, "", what + " (shard the inputs with different columns separately)");
      }
      for (const std::string& c : first.columns) {
        order.push_back(static_cast<std::size_t>(std::find(columns.begin(), columns.end(), c) - columns.begin()));
      }
      return;
    }
    const std::size_t content_end = record.find_last_not_of("\r\n") + 1;
    const std::string_view content = std::string_view(record).substr(0, content_end);
    if (content.find_first_not_of(" \t") == std::string_view::npos) return;  // blank line
    const std::vector<std::string> fields = split_fields(record, separator);
    if (column >= fields.size()) {
      throw InputError(source.name(), record_line, options.by, "the record has no such field");
    }
    std::ofstream& shard_file = out[shard_of(fields[column], out.size())];
    if (order.empty()) {
      shard_file << record;
      return;
    }
    const std::vector<std::string_view> raw = raw_fields(content, separator);
    if (raw.size() != order.size()) {
      throw InputError(source.name(), record_line, "",
                       "expected " + std::to_string(order.size()) + " fields (as the header), found " +
                           std::to_string(raw.size()));
    }
    rewritten.clear();
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (k > 0) rewritten += separator;
      rewritten += raw[order[k]];
    }
    rewritten.append(record, content_end, std::string::npos);  // the line end as it was
    shard_file << rewritten;
  };
  bool quoted = false;
  for (int c = in.get(); c != -1; c = in.get()) {
    record += static_cast<char>(c);
    if (c == '"') quoted = !quoted;
    if (c == '\n') {
      ++line;
      if (!quoted) {
        take();
        record.clear();
        record_line = line;
      }
    }
  }
  if (quoted) {  // as compute says of the same input
    throw InputError(source.name(), record_line, "",
                     "unterminated quoted field: expected a closing '\"' before the end of the input");
  }
  if (!record.empty()) {
    record += '\n';
    take();
  }
}

// JSON Lines: each line to its customer's shard, as it is.
void shard_json_lines(io::InputSource& source, const ShardOptions& options, ShardFiles& out) {
  ByteStream in(source);
  std::string line;
  std::uint64_t number = 0;
  const auto take = [&]() {
    ++number;
    if (line.find_first_not_of(" \t\r\n") == std::string::npos) return;
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw InputError(source.name(), number, "", "invalid JSON");
    }
    const auto field = value.is_object() ? value.find(options.by) : value.end();
    if (!value.is_object() || field == value.end() || !field->is_string()) {
      throw InputError(source.name(), number, options.by, "expected an object with a string " + options.by);
    }
    out[shard_of(field->get_ref<const std::string&>(), out.size())] << line;
    if (line.back() != '\n') out[shard_of(field->get_ref<const std::string&>(), out.size())] << '\n';
  };
  for (int c = in.get(); c != -1; c = in.get()) {
    line += static_cast<char>(c);
    if (c == '\n') {
      take();
      line.clear();
    }
  }
  if (!line.empty()) take();
}

// A JSON array of objects: each object to its customer's shard as one JSON Lines line; the
// parser keeps only the object being read.
void shard_json_array(const std::string& path, const std::string& name, const ShardOptions& options,
                      ShardFiles& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SourceError(name + ": cannot open");
  std::uint64_t index = 0;
  const nlohmann::json::parser_callback_t callback = [&](int depth, nlohmann::json::parse_event_t event,
                                                         nlohmann::json& value) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::object_end) {
      ++index;
      const auto field = value.find(options.by);
      if (field == value.end() || !field->is_string()) {
        throw InputError(name, 0, options.by, "object " + std::to_string(index) + ": expected a string " + options.by);
      }
      out[shard_of(field->get_ref<const std::string&>(), out.size())] << value.dump() << '\n';
      return false;  // not kept
    }
    return true;
  };
  try {
    const nlohmann::json rest = nlohmann::json::parse(in, callback);
    (void)rest;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(name, 0, "", std::string("invalid JSON: ") + e.what());
  }
}

std::string extension_of(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  return lower_trimmed(ext);
}

int shard(const ShardOptions& options, Streams io) {
  if (options.count == 0) throw UsageError("shard: -n N, the number of shards, must be at least 1");
  if (options.output.empty()) throw UsageError("shard: -o DIR, the directory for the shards, is required");
  std::vector<std::string> files = options.files.empty() ? std::vector<std::string>{"-"} : options.files;
  // One format for all inputs: the shards are one file each.
  std::string format = options.input_format;
  if (format == "auto") {
    const std::string ext = extension_of(files.front());
    format = ext == ".tsv" ? "tsv" : ext == ".json" ? "json" : (ext == ".jsonl" || ext == ".ndjson") ? "jsonl" : "csv";
  }
  if (format == "ndjson") format = "jsonl";
  const std::string extension = format == "json" ? ".jsonl" : "." + format;
  ShardFiles out(options.output, options.count, extension);
  FirstHeader first;
  for (const std::string& path : files) {
    if (format == "json") {
      if (path == "-") throw UsageError("shard: a JSON array is read from a file, not stdin (or use JSON Lines)");
      shard_json_array(path, path, options, out);
      continue;
    }
    io::InputSource source = io::InputSource::open(path);
    if (format == "jsonl") {
      shard_json_lines(source, options, out);
    } else {
      shard_delimited(source, format == "tsv" ? '\t' : ',', options, out, first);
    }
  }
  out.commit();
  if (!options.quiet) {
    io.err << "csm-metrics: wrote " << options.count << " shards to " << options.output << '\n';
  }
  return kOk;
}

}  // namespace

CommandRunner add_shard_command(CLI::App& app, Streams io) {
  auto options = std::make_shared<ShardOptions>();
  CLI::App* cmd = app.add_subcommand(
      "shard", "Split inputs into N files by a stable hash of the customer id, so that each "
               "customer is in one shard (docs/scale-out.md)");
  cmd->add_option("files", options->files, "Input files; none or '-' reads standard input");
  cmd->add_option("--by", options->by, "The customer id column (default customer_id)")->type_name("COLUMN");
  cmd->add_option("-n,--shards", options->count, "Number of shards")->required()->check(CLI::Range(1u, 65536u));
  cmd->add_option("-o,--output", options->output,
                  "Directory for the shards, written as shard-I-of-N.EXT")->required();
  cmd->add_option("--input-format", options->input_format, "Input format: auto (by extension), csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_flag("-q,--quiet", options->quiet, "No notes on stderr");
  return [options, io] { return shard(*options, io); };
}

}  // namespace csm::cli
