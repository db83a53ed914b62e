#pragma once
// The command line both apps share: validators whose failures are sentences ("--fit: 'c' is not
// one of contain, cover, fill"), options that mean nothing without another, and one parse that
// turns every CLI11 error into one line and the exit code 2.

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace common::cli {

// A value that is one of `names`.
CLI::Validator one_of(std::vector<std::string> names);
// The values a one_of() validator on `option` allows; empty when it has none.
std::vector<std::string> choices(CLI::Option& option);
// A whole number from `least` to `most`.
CLI::Validator whole_number(long long least, long long most);
// A number, at least `least`.
CLI::Validator number_at_least(double least);
// A number of seconds, at least `least` (0 or more when `least` is 0; more than 0 when `positive`).
CLI::Validator seconds(bool positive);

// An option that has no effect without another: given without it, a usage error naming both.
struct Needs {
  const char* option;  // "--title"
  const char* needed;  // "--gallery"
};
// The first option of `needs` given without what it needs, as a sentence; nothing when all is well.
std::optional<std::string> missing_need(const CLI::App& app, const std::vector<Needs>& needs);

// The configuration file: --config FILE, else $XDG_CONFIG_HOME/conc/NAME (~/.config/conc/NAME)
// when it exists; --no-config reads none. It holds long options as `name = value` lines (TOML, as
// CLI11 reads it); an option given on the command line wins over the file. Call before parse().
void add_config(CLI::App& app, const std::string& file_name, int argc, char** argv);

// Parses the command line. Returns the exit code when the program should stop now: 0 after --help
// or --version (printed to `out`), 2 after a usage error (one line on `err`: "TOOL: sentence").
std::optional<int> parse(CLI::App& app, int argc, char** argv, const std::string& tool, std::ostream& out,
                         std::ostream& err);

// "name version, name version, ..." for --version: wrapped before `width` columns, each line after
// the first indented by one space.
std::string listing(const std::vector<std::pair<std::string, std::string>>& items, std::size_t width = 78);

// What CLI11 says, as a sentence that names the option, the bad value and what is allowed.
std::string sentence(const CLI::ParseError& error);

}  // namespace common::cli
