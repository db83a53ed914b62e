#include "completion.hpp"

#include <iostream>
#include <stdexcept>
#include <vector>

#include "cli.hpp"

namespace common::cli {

namespace {

enum class Value { None, Text, File, Folder, Choice };

struct OptionFacts {
  std::vector<std::string> shorts;  // without the dash
  std::vector<std::string> longs;   // without the dashes
  std::string description;
  Value value = Value::None;
  std::vector<std::string> choices;
};

std::vector<OptionFacts> facts_of(CLI::App& app) {
  std::vector<OptionFacts> all;
  for (CLI::Option* o : app.get_options([](CLI::Option* o) { return o->nonpositional(); })) {
    OptionFacts f;
    f.shorts = o->get_snames();
    f.longs = o->get_lnames();
    f.description = o->get_description();
    if (o->get_items_expected_max() > 0) {
      f.choices = choices(*o);
      const std::string type = o->get_type_name();
      f.value = !f.choices.empty() ? Value::Choice
                : type == "DIR"    ? Value::Folder
                : type == "FILE"   ? Value::File
                                   : Value::Text;
    }
    if (o->get_group().empty()) continue;  // hidden
    all.push_back(std::move(f));
  }
  return all;
}

std::string function_name(const std::string& program) {
  std::string name = "_";
  for (char c : program) name += (c == '-' ? '_' : c);
  return name;
}

// Text inside single quotes, for every shell: ' becomes '\''.
std::string single_quoted(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string words(const std::vector<std::string>& list) {
  std::string w;
  for (const std::string& s : list) w += (w.empty() ? "" : " ") + s;
  return w;
}

std::string bash(CLI::App& app, const std::string& program) {
  const std::vector<OptionFacts> options = facts_of(app);
  std::string all_names;
  std::string cases;
  for (const OptionFacts& f : options) {
    std::vector<std::string> names;
    for (const std::string& s : f.shorts) names.push_back("-" + s);
    for (const std::string& l : f.longs) names.push_back("--" + l);
    all_names += (all_names.empty() ? "" : " ") + words(names);
    if (f.value == Value::None) continue;
    std::string pattern;
    for (const std::string& n : names) pattern += (pattern.empty() ? "" : "|") + n;
    std::string action;
    switch (f.value) {
      case Value::Choice:
        action = "COMPREPLY=($(compgen -W " + single_quoted(words(f.choices)) + " -- \"$cur\"))";
        break;
      case Value::Folder:
        action = "compopt -o filenames; COMPREPLY=($(compgen -d -- \"$cur\"))";
        break;
      case Value::File:
        action = "compopt -o filenames; COMPREPLY=($(compgen -f -- \"$cur\"))";
        break;
      default:
        action = "COMPREPLY=()";
        break;
    }
    cases += "    " + pattern + ") " + action + "; return ;;\n";
  }
  const std::string fn = function_name(program);
  return "# bash completion for " + program + ", generated from its options (" + program + " --completion bash)\n" +
         fn +
         "() {\n"
         "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
         "  case \"$prev\" in\n" +
         cases +
         "  esac\n"
         "  if [[ \"$cur\" == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W " +
         single_quoted(all_names) +
         " -- \"$cur\"))\n"
         "    return\n"
         "  fi\n"
         "  compopt -o filenames\n"
         "  COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "}\n"
         "complete -F " +
         fn + " " + program + "\n";
}

// A zsh _arguments description: no brackets or colons, which the spec syntax uses.
std::string zsh_description(std::string text) {
  for (char& c : text) {
    if (c == '[' || c == '(') c = '<';
    if (c == ']' || c == ')') c = '>';
    if (c == ':') c = ',';
  }
  const auto semicolon = text.find("; ");
  return semicolon == std::string::npos ? text : text.substr(0, semicolon);
}

std::string zsh(CLI::App& app, const std::string& program) {
  std::string specs;
  for (const OptionFacts& f : facts_of(app)) {
    std::vector<std::string> names;
    for (const std::string& s : f.shorts) names.push_back("-" + s);
    for (const std::string& l : f.longs) names.push_back("--" + l);
    std::string action;
    switch (f.value) {
      case Value::None:
        break;
      case Value::Choice:
        action = ":value:(" + words(f.choices) + ")";
        break;
      case Value::Folder:
        action = ":folder:_files -/";
        break;
      case Value::File:
        action = ":file:_files";
        break;
      case Value::Text:
        action = ":value: ";
        break;
    }
    const std::string description = "[" + zsh_description(f.description) + "]" + action;
    const bool repeatable = f.value != Value::None;  // -s, -H: each takes one value, given again for more
    for (const std::string& n : names) {
      const std::string exclusion = names.size() > 1 && !repeatable ? "(" + words(names) + ")" : "";
      specs += "  " + single_quoted((repeatable ? "*" : exclusion) + n + description) + " \\\n";
    }
  }
  return "#compdef " + program + "\n# zsh completion for " + program + ", generated from its options (" + program +
         " --completion zsh)\n_arguments -s \\\n" + specs + "  '*:file:_files'\n";
}

std::string fish(CLI::App& app, const std::string& program) {
  std::string lines =
      "# fish completion for " + program + ", generated from its options (" + program + " --completion fish)\n";
  for (const OptionFacts& f : facts_of(app)) {
    std::string line = "complete -c " + program;
    for (const std::string& s : f.shorts) line += " -s " + s;
    for (const std::string& l : f.longs) line += " -l " + l;
    switch (f.value) {
      case Value::None:
        break;
      case Value::Choice:
        line += " -x -a " + single_quoted(words(f.choices));
        break;
      case Value::Folder:
        line += " -x -a '(__fish_complete_directories)'";
        break;
      case Value::File:
        line += " -r -F";
        break;
      case Value::Text:
        line += " -x";
        break;
    }
    line += " -d " + single_quoted(zsh_description(f.description));
    lines += line + "\n";
  }
  return lines;
}

}  // namespace

Shell parse_shell(const std::string& name) {
  if (name == "bash") return Shell::Bash;
  if (name == "zsh") return Shell::Zsh;
  if (name == "fish") return Shell::Fish;
  throw std::invalid_argument("no completion for the shell '" + name + "' (bash, zsh or fish)");
}

std::string completion_script(CLI::App& app, const std::string& program, Shell shell) {
  switch (shell) {
    case Shell::Bash:
      return bash(app, program);
    case Shell::Zsh:
      return zsh(app, program);
    case Shell::Fish:
      return fish(app, program);
  }
  return {};
}

void add_completion_option(CLI::App& app, const std::string& program) {
  app.add_option_function<std::string>(
         "--completion",
         [&app, program](const std::string& shell) {
           std::cout << completion_script(app, program, parse_shell(shell));
           throw CLI::Success();
         },
         "print the shell's completion script (bash, zsh or fish) and exit")
      ->check(one_of({"bash", "zsh", "fish"}))
      ->configurable(false)
      ->group("");
}

}  // namespace common::cli
