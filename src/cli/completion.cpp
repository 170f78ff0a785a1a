#include "cli/completion.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "csm/thresholds.hpp"

namespace csm::cli {
namespace {

// The scripts are generated from the CLI11 definitions themselves, so a new option or command
// appears in every shell's completion without anyone editing a script.

struct OptionSpec {
  std::vector<std::string> names;  // "--format", "-f"
  std::string description;
  bool takes_value = false;
  std::vector<std::string> values;  // fixed choices, empty when free
  enum class ValueKind { kNone, kFile, kChoice, kOther } value_kind = ValueKind::kNone;
};

struct CommandSpec {
  std::string path;  // "compute", "calc clv"
  std::string name;
  std::string description;
  std::vector<OptionSpec> options;
  std::vector<CommandSpec> children;
  bool takes_files = false;
};

std::string first_sentence(std::string text) {
  const auto newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  // Shell scripts quote descriptions; keep them short and free of the characters that need care.
  std::string out;
  for (char c : text) {
    if (c == '\'' || c == '"' || c == '`' || c == '\\' || c == '$' || c == '[' || c == ']' ||
        c == ':') {
      out += ' ';
    } else {
      out += c;
    }
  }
  if (out.size() > 70) {
    const auto cut = out.rfind(' ', 67);
    out.resize(cut == std::string::npos || cut < 20 ? 67 : cut);
    out += "...";
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// CLI11 writes a choice list into the type name: "TEXT:{table,json,csv}".
std::vector<std::string> choices_of(const std::string& type_name) {
  const auto open = type_name.find('{');
  const auto close = type_name.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> values;
  std::string item;
  for (std::size_t i = open + 1; i < close; ++i) {
    if (type_name[i] == ',') {
      if (!item.empty()) values.push_back(item);
      item.clear();
    } else if (type_name[i] != ' ') {
      item += type_name[i];
    }
  }
  if (!item.empty()) values.push_back(item);
  return values;
}

bool is_numeric_type(const std::string& type_name) {
  for (const char* numeric : {"INT", "UINT", "FLOAT", "NUMBER", "RATE", "N", "F", "YYYY"}) {
    if (type_name.rfind(numeric, 0) == 0) return true;
  }
  return false;
}

OptionSpec describe_option(const CLI::Option& option) {
  OptionSpec spec;
  for (const auto& l : option.get_lnames()) spec.names.push_back("--" + l);
  for (const auto& s : option.get_snames()) spec.names.push_back("-" + s);
  spec.description = first_sentence(option.get_description());
  spec.takes_value = option.get_type_size_max() > 0;
  if (!spec.takes_value) return spec;
  const std::string type_name = option.get_type_name();
  spec.values = choices_of(type_name);
  const bool is_fail_if = std::find(spec.names.begin(), spec.names.end(), "--fail-if") !=
                          spec.names.end();
  if (is_fail_if) {
    spec.values = threshold_field_names();
    spec.value_kind = OptionSpec::ValueKind::kChoice;
  } else if (!spec.values.empty()) {
    spec.value_kind = OptionSpec::ValueKind::kChoice;
  } else if (is_numeric_type(type_name)) {
    spec.value_kind = OptionSpec::ValueKind::kOther;
  } else {
    spec.value_kind = OptionSpec::ValueKind::kFile;
  }
  return spec;
}

CommandSpec describe(const CLI::App& app, const std::string& path) {
  CommandSpec spec;
  spec.name = app.get_name();
  spec.path = path;
  spec.description = first_sentence(app.get_description());
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) continue;  // hidden (old spellings kept as aliases)
    if (option->get_positional() && !option->nonpositional()) {
      spec.takes_files = true;
      continue;
    }
    spec.options.push_back(describe_option(*option));
  }
  // get_subcommands with a filter is not const in CLI11 2.1; it does not change the app.
  auto& mutable_app = const_cast<CLI::App&>(app);
  for (CLI::App* sub : mutable_app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue;
    spec.children.push_back(
        describe(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name()));
  }
  return spec;
}

std::string joined(const std::vector<std::string>& words, const char* separator = " ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

void collect(const CommandSpec& command, std::vector<const CommandSpec*>& all) {
  all.push_back(&command);
  for (const auto& child : command.children) collect(child, all);
}

std::string function_suffix(const std::string& path) {
  std::string out;
  for (char c : path) out += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
  return out;
}

// --- bash -------------------------------------------------------------------------------------

void write_bash(const CommandSpec& root, std::ostream& out) {
  std::vector<const CommandSpec*> all;
  collect(root, all);
  out << "# bash completion for csm-metrics (generated by `csm-metrics completion bash`)\n"
         "_csm_metrics() {\n"
         "  local cur prev path word i\n"
         "  cur=${COMP_WORDS[COMP_CWORD]}\n"
         "  prev=${COMP_WORDS[COMP_CWORD-1]}\n"
         "  path=\n"
         "  # The command path: the words that name a command or a subcommand of it.\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    word=${COMP_WORDS[i]}\n"
         "    case \"$path|$word\" in\n";
  for (const CommandSpec* command : all) {
    for (const auto& child : command->children) {
      out << "      '" << command->path << "|" << child.name
          << "') path='" << child.path << "' ;;\n";
    }
  }
  out << "    esac\n"
         "  done\n"
         "  local opts= children= files=\n"
         "  case \"$path\" in\n";
  for (const CommandSpec* command : all) {
    std::vector<std::string> names;
    for (const auto& o : command->options) names.insert(names.end(), o.names.begin(), o.names.end());
    std::vector<std::string> children;
    for (const auto& c : command->children) children.push_back(c.name);
    out << "    '" << command->path << "')\n"
        << "      opts='" << joined(names) << "'\n"
        << "      children='" << joined(children) << "'\n"
        << "      files=" << (command->takes_files ? 1 : 0) << "\n"
        << "      case \"$prev\" in\n";
    for (const auto& o : command->options) {
      if (!o.takes_value) continue;
      out << "        " << joined(o.names, "|") << ")\n";
      switch (o.value_kind) {
        case OptionSpec::ValueKind::kChoice:
          out << "          COMPREPLY=($(compgen -W '" << joined(o.values) << "' -- \"$cur\"))\n";
          break;
        case OptionSpec::ValueKind::kFile:
          out << "          COMPREPLY=($(compgen -f -- \"$cur\"))\n";
          break;
        default:
          out << "          COMPREPLY=()\n";
          break;
      }
      out << "          return ;;\n";
    }
    out << "      esac ;;\n";
  }
  out << "  esac\n"
         "  if [[ $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
         "  elif [[ -n $children ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$children\" -- \"$cur\"))\n"
         "  elif [[ $files == 1 ]]; then\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -o filenames -o bashdefault -F _csm_metrics csm-metrics\n";
}

// --- zsh --------------------------------------------------------------------------------------

std::string zsh_option(const OptionSpec& o) {
  std::string names = o.names.size() == 1 ? o.names[0] : "{" + joined(o.names, ",") + "}";
  std::string exclusion = o.names.size() > 1 ? "'(" + joined(o.names) + ")'" : "";
  std::string spec = exclusion + names + "'[" + o.description + "]";
  if (o.takes_value) {
    switch (o.value_kind) {
      case OptionSpec::ValueKind::kChoice:
        spec += ":value:(" + joined(o.values) + ")";
        break;
      case OptionSpec::ValueKind::kFile:
        spec += ":file:_files";
        break;
      default:
        spec += ":value: ";
        break;
    }
  }
  return spec + "'";
}

void write_zsh_function(const CommandSpec& command, bool is_root, std::ostream& out) {
  for (const auto& child : command.children) write_zsh_function(child, false, out);
  out << "_csm_metrics" << (is_root ? "" : "_" + function_suffix(command.path)) << "() {\n";
  if (command.children.empty()) {
    out << "  _arguments -s";
    for (const auto& o : command.options) out << " \\\n    " << zsh_option(o);
    if (command.takes_files) out << " \\\n    '*:file:_files'";
    out << "\n}\n";
    return;
  }
  out << "  local curcontext=$curcontext state line\n"
         "  local -a commands\n"
         "  commands=(\n";
  for (const auto& child : command.children) {
    out << "    '" << child.name << ":" << child.description << "'\n";
  }
  out << "  )\n"
         "  _arguments -C";
  for (const auto& o : command.options) out << " \\\n    " << zsh_option(o);
  out << " \\\n    '1: :->command' \\\n    '*:: :->args'\n"
         "  case $state in\n"
         "    command) _describe -t commands command commands ;;\n"
         "    args)\n"
         "      case $line[1] in\n";
  for (const auto& child : command.children) {
    out << "        " << child.name << ") _csm_metrics_" << function_suffix(child.path) << " ;;\n";
  }
  out << "      esac ;;\n"
         "  esac\n"
         "}\n";
}

void write_zsh(const CommandSpec& root, std::ostream& out) {
  out << "#compdef csm-metrics\n"
         "# zsh completion for csm-metrics (generated by `csm-metrics completion zsh`)\n";
  write_zsh_function(root, true, out);
  out << "_csm_metrics \"$@\"\n";
}

// --- fish -------------------------------------------------------------------------------------

void write_fish(const CommandSpec& root, std::ostream& out) {
  std::vector<const CommandSpec*> all;
  collect(root, all);
  out << "# fish completion for csm-metrics (generated by `csm-metrics completion fish`)\n"
         "function __csm_metrics_path\n"
         "  set -l path ''\n"
         "  for word in (commandline -opc)[2..-1]\n"
         "    switch \"$path|$word\"\n";
  for (const CommandSpec* command : all) {
    for (const auto& child : command->children) {
      out << "      case '" << command->path << "|" << child.name
          << "'\n        set path '" << child.path << "'\n";
    }
  }
  out << "    end\n"
         "  end\n"
         "  echo $path\n"
         "end\n"
         "function __csm_metrics_at\n"
         "  test (__csm_metrics_path) = \"$argv[1]\"\n"
         "end\n"
         "complete -c csm-metrics -f\n";
  for (const CommandSpec* command : all) {
    const std::string at =
        "-n '__csm_metrics_at \"" + command->path + "\"'";
    for (const auto& child : command->children) {
      out << "complete -c csm-metrics " << at << " -a " << child.name << " -d '"
          << child.description << "'\n";
    }
    if (command->takes_files) out << "complete -c csm-metrics " << at << " -F\n";
    for (const auto& o : command->options) {
      out << "complete -c csm-metrics " << at;
      for (const auto& name : o.names) {
        out << (name.rfind("--", 0) == 0 ? " -l " + name.substr(2) : " -s " + name.substr(1));
      }
      if (o.takes_value) {
        switch (o.value_kind) {
          case OptionSpec::ValueKind::kChoice:
            out << " -x -a '" << joined(o.values) << "'";
            break;
          case OptionSpec::ValueKind::kFile:
            out << " -r -F";
            break;
          default:
            out << " -x";
            break;
        }
      }
      out << " -d '" << o.description << "'\n";
    }
  }
}

}  // namespace

void write_completion(const CLI::App& app, CompletionShell shell, std::ostream& out) {
  const CommandSpec root = describe(app, "");
  switch (shell) {
    case CompletionShell::kBash:
      write_bash(root, out);
      break;
    case CompletionShell::kZsh:
      write_zsh(root, out);
      break;
    case CompletionShell::kFish:
      write_fish(root, out);
      break;
  }
}

// A man page's NAME line: the description up to its first parenthesis, colon or semicolon.
std::string short_description(std::string text) {
  const auto newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  std::size_t cut = std::string::npos;
  for (const char* stop : {" (", ": ", "; ", ", "}) {
    const auto at = text.find(stop, 15);
    if (at != std::string::npos && at < cut) cut = at;
  }
  if (cut != std::string::npos) text.resize(cut);
  return text;
}

void write_command_list(const CLI::App& app, std::ostream& out) {
  auto& mutable_app = const_cast<CLI::App&>(app);
  for (CLI::App* sub : mutable_app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue;
    out << sub->get_name() << '\t' << short_description(sub->get_description()) << '\n';
  }
}

CommandRunner add_completion_command(CLI::App& app, Streams io) {
  CLI::App* cmd = app.add_subcommand(
      "completion",
      "Print a shell completion script (bash, zsh or fish; installed packages have them already)");
  auto shell = std::make_shared<std::string>();
  auto list = std::make_shared<bool>(false);
  cmd->add_option("shell", *shell, "bash, zsh or fish")
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  // For the man-page build: one line per command with its one-line description.
  cmd->add_flag("--list-commands", *list, "Print the commands, one per line")->group("");
  cmd->footer(
      "Examples:\n"
      "  source <(csm-metrics completion bash)\n"
      "  csm-metrics completion zsh > \"${fpath[1]}/_csm-metrics\"\n"
      "  csm-metrics completion fish > ~/.config/fish/completions/csm-metrics.fish");
  return [&app, io, shell, list]() -> int {
    if (*list) {
      write_command_list(app, io.out);
    } else if (shell->empty()) {
      throw UsageError("completion: name a shell: bash, zsh or fish");
    } else {
      const CompletionShell which = *shell == "bash"  ? CompletionShell::kBash
                                    : *shell == "zsh" ? CompletionShell::kZsh
                                                      : CompletionShell::kFish;
      write_completion(app, which, io.out);
    }
    io.out.flush();
    return io.out ? kOk : kIoError;
  };
}

}  // namespace csm::cli
