#pragma once
/// Shell completion scripts (bash, zsh, fish) generated from the command-line definitions.

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/run.hpp"

namespace csm::cli {

enum class CompletionShell { kBash, kZsh, kFish };

/// Writes a completion script for `shell` covering every visible command, option and the values
/// of options with a fixed choice list (and the field names of --fail-if).
void write_completion(const CLI::App& app, CompletionShell shell, std::ostream& out);

/// One line per visible top-level command: name, a tab, its one-line description (for man pages).
void write_command_list(const CLI::App& app, std::ostream& out);

/// `csm-metrics completion SHELL`. Register it last: it describes the commands registered before.
CommandRunner add_completion_command(CLI::App& app, Streams io);

}  // namespace csm::cli
