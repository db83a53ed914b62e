#include "cli.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace common::cli {

namespace {

std::string in_quotes(const std::string& value) { return "'" + value + "'"; }

std::string joined(const std::vector<std::string>& names, const char* last) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? last : ", ";
    text += names[i];
  }
  return text;
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// one_of() names its validator after the values it allows, so that completion can offer them.
constexpr std::string_view kChoicesPrefix = "choices:";

// The options CLI11 did not expect, from its message ("The following argument was not expected: a b").
std::vector<std::string> unexpected_arguments(const std::string& what) {
  std::vector<std::string> args;
  const auto colon = what.find(": ");
  if (colon == std::string::npos) return args;
  std::istringstream rest(what.substr(colon + 2));
  for (std::string a; rest >> a;) args.push_back(a);
  return args;
}

}  // namespace

CLI::Validator one_of(std::vector<std::string> names) {
  const std::string allowed = joined(names, " or ");
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : "|") + n;
  return CLI::Validator(
      [names = std::move(names), allowed](std::string& value) -> std::string {
        for (const std::string& n : names) {
          if (value == n) return {};
        }
        return in_quotes(value) + " is not one of " + allowed;
      },
      "", std::string(kChoicesPrefix) + list);
}

CLI::Validator whole_number(long long least, long long most) {
  return CLI::Validator(
      [least, most](std::string& value) -> std::string {
        long long n = 0;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (error == std::errc() && end == value.data() + value.size() && n >= least && n <= most) return {};
        return in_quotes(value) + " is not a whole number from " + std::to_string(least) + " to " +
               std::to_string(most);
      },
      "", "whole number");
}

CLI::Validator number_at_least(double least) {
  return CLI::Validator(
      [least](std::string& value) -> std::string {
        char* end = nullptr;
        const double n = std::strtod(value.c_str(), &end);
        if (!value.empty() && end == value.c_str() + value.size() && std::isfinite(n) && n >= least) return {};
        std::ostringstream bound;
        bound << least;
        return in_quotes(value) + " is not a number from " + bound.str() + " up";
      },
      "", "number");
}

CLI::Validator seconds(bool positive) {
  return CLI::Validator(
      [positive](std::string& value) -> std::string {
        char* end = nullptr;
        const double s = std::strtod(value.c_str(), &end);
        const bool number = !value.empty() && end == value.c_str() + value.size() && std::isfinite(s);
        if (number && (positive ? s > 0 : s >= 0)) return {};
        return in_quotes(value) + " is not a number of seconds " + (positive ? "above 0" : "from 0 up");
      },
      "", "seconds");
}

std::vector<std::string> choices(CLI::Option& option) {
  for (int i = 0;; ++i) {
    CLI::Validator* v = nullptr;
    try {
      v = option.get_validator(i);
    } catch (const CLI::OptionNotFound&) {
      return {};
    }
    const std::string& name = v->get_name();
    if (!starts_with(name, std::string(kChoicesPrefix))) continue;
    std::vector<std::string> values;
    std::string rest = name.substr(kChoicesPrefix.size());
    for (std::size_t at; (at = rest.find('|')) != std::string::npos; rest.erase(0, at + 1)) {
      values.push_back(rest.substr(0, at));
    }
    values.push_back(rest);
    return values;
  }
}

std::optional<std::string> missing_need(const CLI::App& app, const std::vector<Needs>& needs) {
  for (const Needs& n : needs) {
    if (app.count(n.option) > 0 && app.count(n.needed) == 0) {
      return std::string(n.option) + " has no effect without " + n.needed;
    }
  }
  return std::nullopt;
}

std::string sentence(const CLI::ParseError& error) {
  const std::string what = error.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    const std::vector<std::string> args = unexpected_arguments(what);
    for (const std::string& a : args) {
      if (a.size() > 1 && a[0] == '-') return "unknown option " + a;
    }
    if (!args.empty()) return "unexpected argument " + in_quotes(args.front());
    return what;
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    // "--size: 1 required WxH missing", "Expected exactly 1 arguments to --out, got 0"
    const auto colon = what.find(':');
    if (colon != std::string::npos && starts_with(what, "-")) return what.substr(0, colon) + " needs a value";
    const auto to = what.find(" to ");
    if (to != std::string::npos) {
      const auto comma = what.find(',', to);
      return what.substr(to + 4, comma == std::string::npos ? std::string::npos : comma - to - 4) + " needs a value";
    }
    return what;
  }
  if (dynamic_cast<const CLI::FileError*>(&error) != nullptr) {
    // "x.conf was not readable (missing?)"
    const auto at = what.find(" was not readable");
    if (at != std::string::npos) return "--config " + what.substr(0, at) + ": cannot read the file";
    return what;
  }
  if (dynamic_cast<const CLI::ConfigError*>(&error) != nullptr) {
    // "INI was not able to parse bogus", "retries: This option is not allowed in a configuration file"
    const std::string prefix = "INI was not able to parse ";
    if (starts_with(what, prefix))
      return "the configuration file names an unknown option: " + what.substr(prefix.size());
    return "the configuration file: " + what;
  }
  if (dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) {
    // "--force excludes --skip-existing"
    const auto at = what.find(" excludes ");
    if (at != std::string::npos) return what.substr(0, at) + " and " + what.substr(at + 10) + " cannot go together";
    return what;
  }
  if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
    // "Could not convert: --per-host = abc"
    const std::string prefix = "Could not convert: ";
    if (starts_with(what, prefix)) {
      const std::string rest = what.substr(prefix.size());
      const auto eq = rest.find(" = ");
      if (eq != std::string::npos) {
        return rest.substr(0, eq) + ": " + in_quotes(rest.substr(eq + 3)) + " is not a number it can take";
      }
    }
    return what;
  }
  return what;  // ValidationError: our validators' sentences, after the option's name
}

void add_config(CLI::App& app, const std::string& file_name, int argc, char** argv) {
  std::string folder;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && xdg[0] == '/') {
    folder = std::string(xdg) + "/conc";
  } else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
    folder = std::string(home) + "/.config/conc";
  }
  bool none = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") break;
    none = none || std::string_view(argv[i]) == "--no-config";
  }
  const std::string default_file = folder.empty() || none ? "" : folder + "/" + file_name;
  CLI::Option* config = app.set_config("--config", default_file,
                                       "read options from this file (default: " +
                                           (folder.empty() ? std::string("$XDG_CONFIG_HOME/conc/") : folder + "/") +
                                           file_name + " when it exists); the command line wins");
  config->type_name("FILE");
  app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt option in the file is said
  app.add_flag("--no-config")->description("read no configuration file")->excludes(config)->configurable(false);
}

std::optional<int> parse(CLI::App& app, int argc, char** argv, const std::string& tool, std::ostream& out,
                         std::ostream& err) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return 0;
  } catch (const CLI::Success&) {
    return 0;  // an option that did its work while parsing (--completion)
  } catch (const CLI::ParseError& e) {
    err << tool << ": " << sentence(e) << " (see " << tool << " --help)\n";
    return 2;
  }
  return std::nullopt;
}

std::string listing(const std::vector<std::pair<std::string, std::string>>& items, std::size_t width) {
  std::string text;
  std::size_t line = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string item = items[i].first + " " + items[i].second + (i + 1 < items.size() ? "," : "");
    if (line > 0 && line + 1 + item.size() > width) {
      text += "\n ";
      line = 1;
    } else if (line > 0) {
      text += ' ';
      ++line;
    }
    text += item;
    line += item.size();
  }
  return text;
}

}  // namespace common::cli
