#pragma once
// Shell completion scripts for bash, zsh and fish, generated from an app's own option definitions
// (the ones --help shows), so that they never drift from it. The build writes them by running each
// program with --completion SHELL; they are installed where each shell looks.
//
// What an option's value completes to comes from its definition: the values of a one_of()
// validator, folders for a type named DIR, files for FILE (and for positionals), nothing otherwise.

#include <CLI/CLI.hpp>
#include <string>

namespace common::cli {

enum class Shell { Bash, Zsh, Fish };

// "bash", "zsh" or "fish"; std::invalid_argument otherwise.
Shell parse_shell(const std::string& name);

std::string completion_script(CLI::App& app, const std::string& program, Shell shell);

// Adds the hidden --completion SHELL option, which prints the script and exits 0.
void add_completion_option(CLI::App& app, const std::string& program);

}  // namespace common::cli
