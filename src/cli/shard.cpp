// `csm-metrics shard`: split inputs into N files by the shard hash of the customer id
// (csm::shard_of), streaming: a record is written out as soon as it is read. The records are found
// by the readers every command uses (io::RecordSharder) and copied byte for byte; the files are
// written unnamed and named only when every input has been read (io::FileSet).
#include <algorithm>
#include <memory>

#include "io/text_output.hpp"
#include "cli/commands.hpp"
#include "cli/input_options.hpp"
#include "cli/run.hpp"
#include "cli/scale_out.hpp"
#include "csm/error.hpp"
#include "csm/io/file_set.hpp"
#include "csm/io/record_input.hpp"
#include "csm/io/record_sharder.hpp"
#include "csm/io/source.hpp"

namespace csm::cli {
namespace {

struct ShardOptions {
  std::vector<std::string> files;
  std::string id_column;              // --id-column (and the hidden --by of earlier versions)
  std::vector<std::string> columns;   // --column NAME=INPUT
  std::uint32_t count = 0;
  std::string output;
  std::string input_format = "auto";
  bool quiet = false;
};

io::InputFormat format_of(const std::string& given) {
  const std::string name = io::text::ascii_lower(given);
  if (name == "csv") return io::InputFormat::csv;
  if (name == "tsv") return io::InputFormat::tsv;
  if (name == "json") return io::InputFormat::json;
  if (name == "jsonl" || name == "ndjson") return io::InputFormat::jsonl;
  return io::InputFormat::automatic;
}

// --column pairs as compute takes them; any record kind's column may be named (so that the same
// options work for shard and compute), and only customer_id's matters here.
std::vector<std::pair<std::string, std::string>> shard_renames(const ShardOptions& options) {
  std::vector<std::pair<std::string, std::string>> renames = parse_renames(options.columns);
  for (const auto& [canonical, input] : renames) {
    std::string lower = io::text::ascii_lower(canonical);
    bool known = false;
    for (const auto* list : {&io::activity_columns(), &io::summary_columns(), &io::subscription_columns(),
                             &io::transaction_columns(), &io::spend_columns()}) {
      known = known || std::find(list->begin(), list->end(), lower) != list->end();
    }
    if (!known) {
      throw UsageError("--column " + canonical + "=" + input + ": " + canonical +
                       " is not a column of any record kind (shard uses --column customer_id=NAME)");
    }
  }
  if (!options.id_column.empty()) {
    for (const auto& [canonical, input] : renames) {
      if (io::text::ascii_lower(canonical) == "customer_id" && input != options.id_column) {
        throw UsageError("--id-column " + options.id_column + " and --column " + canonical + "=" + input +
                         " name different id columns: give one");
      }
    }
    renames.emplace_back("customer_id", options.id_column);
  }
  return renames;
}

int shard(const ShardOptions& options, Streams io) {
  if (options.count == 0) throw UsageError("shard: -n N, the number of shards, must be at least 1");
  if (options.output.empty()) throw UsageError("shard: -o DIR, the directory for the shards, is required");
  const std::vector<std::pair<std::string, std::string>> renames = shard_renames(options);
  const std::vector<std::string> files = options.files.empty() ? std::vector<std::string>{"-"} : options.files;
  // The files are opened on the first write (the first input's header or first record), when the
  // first input's format, which names them, is known: a run that fails before creates nothing.
  class LazySink final : public io::ShardSink {
   public:
    LazySink(const ShardOptions& o, std::unique_ptr<io::FileSet>& files) : options_(o), files_(files) {}
    const io::RecordSharder* sharder = nullptr;
    void open() {
      if (files_) return;
      const io::InputFormat f = sharder->output_format();
      const std::string extension =
          f == io::InputFormat::tsv ? ".tsv" : f == io::InputFormat::jsonl ? ".jsonl" : ".csv";
      std::vector<std::string> names;
      for (std::uint32_t i = 0; i < options_.count; ++i) {
        names.push_back("shard-" + std::to_string(i) + "-of-" + std::to_string(options_.count) + extension);
      }
      files_ = std::make_unique<io::FileSet>(options_.output, names);
    }
    void write(std::uint32_t shard, std::string_view bytes) override {
      open();
      files_->write(shard, bytes);
    }

   private:
    const ShardOptions& options_;
    std::unique_ptr<io::FileSet>& files_;
  };
  std::unique_ptr<io::FileSet> out;
  LazySink lazy(options, out);
  io::RecordSharder sharder(lazy, options.count, format_of(options.input_format), renames);
  lazy.sharder = &sharder;
  for (const std::string& path : files) {
    io::InputSource source = io::InputSource::open(path);
    sharder.add(source);
  }
  lazy.open();  // JSON inputs without records: every shard is empty, and written all the same
  out->commit();
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
  cmd->add_option("--id-column", options->id_column,
                  "The customer id column (default customer_id; the same as --column customer_id=COLUMN)")
      ->type_name("COLUMN");
  // The name of earlier versions, kept so that existing scripts run; not shown in --help.
  cmd->add_option("--by", options->id_column, "")->type_name("COLUMN")->group("");
  cmd->add_option("--column", options->columns,
                  "Read a column under another name, as compute does, e.g. --column customer_id=account "
                  "(only customer_id matters to shard; repeatable)")
      ->type_name("NAME=INPUT")
      ->allow_extra_args(false);
  cmd->add_option("-n,--shards", options->count, "Number of shards")->required()->check(CLI::Range(1u, 65536u));
  cmd->add_option("-o,--output", options->output,
                  "Directory for the shards, written as shard-I-of-N.EXT")->required();
  cmd->add_option("--input-format", options->input_format,
                  "Input format: auto (by extension, else by content, as compute), csv, tsv, json, jsonl")
      ->transform(CLI::IsMember({"auto", "csv", "tsv", "json", "jsonl", "ndjson"}, CLI::ignore_case));
  cmd->add_flag("-q,--quiet", options->quiet, "No notes on stderr");
  return [options, io] { return shard(*options, io); };
}

}  // namespace csm::cli
