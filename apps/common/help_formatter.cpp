#include "help_formatter.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "cli.hpp"

namespace common::cli {

namespace {

constexpr std::size_t kOptionColumn = 30;  // where an option's text starts

}  // namespace

std::size_t help_width() {
  winsize size{};
  if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return std::max<std::size_t>(60, size.ws_col);
  }
  if (const char* columns = std::getenv("COLUMNS")) {
    const long n = std::strtol(columns, nullptr, 10);
    if (n > 0) return std::max<std::size_t>(60, static_cast<std::size_t>(n));
  }
  return 80;
}

std::string wrapped(const std::string& text, std::size_t width, std::size_t indent, std::size_t first_indent) {
  std::string out;
  std::size_t column = first_indent;
  bool line_start = true;
  std::istringstream paragraphs(text);
  std::string paragraph;
  bool first_paragraph = true;
  while (std::getline(paragraphs, paragraph)) {
    if (!first_paragraph) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
      line_start = true;
    }
    first_paragraph = false;
    std::istringstream words(paragraph);
    std::string word;
    while (words >> word) {
      if (!line_start && column + 1 + word.size() > width) {
        out += "\n" + std::string(indent, ' ');
        column = indent;
        line_start = true;
      }
      if (!line_start) {
        out += ' ';
        ++column;
      }
      out += word;
      column += word.size();
      line_start = false;
    }
  }
  return out;
}

HelpFormatter::HelpFormatter(std::size_t width) : width_(width) { column_width(kOptionColumn); }

std::string HelpFormatter::make_option_opts(const CLI::Option* opt) const {
  if (opt->get_items_expected_max() == 0) return {};
  if (!opt->get_option_text().empty()) return " " + opt->get_option_text();
  std::string choice_list;
  for (const std::string& c : choices(const_cast<CLI::Option&>(*opt)))
    choice_list += (choice_list.empty() ? "" : "|") + c;
  if (!choice_list.empty()) return " " + choice_list;
  std::string type = opt->get_type_name();
  if (type.empty()) type = "VALUE";
  return " " + type + (opt->get_expected_max() > 1 ? " ..." : "");
}

std::string HelpFormatter::make_option(const CLI::Option* opt, bool is_positional) const {
  const std::string name = "  " + make_option_name(opt, is_positional) + make_option_opts(opt);
  const std::string description = make_option_desc(opt);
  std::string out = name;
  std::size_t column = name.size();
  if (description.empty()) return out + "\n";
  if (column + 1 >= kOptionColumn) {
    out += "\n" + std::string(kOptionColumn, ' ');
  } else {
    out += std::string(kOptionColumn - column, ' ');
  }
  return out + wrapped(description, width_, kOptionColumn, kOptionColumn) + "\n";
}

std::string HelpFormatter::make_description(const CLI::App* app) const {
  const std::string description = app->get_description();
  return description.empty() ? std::string() : wrapped(description, width_, 0) + "\n";
}

std::string HelpFormatter::make_usage(const CLI::App* app, std::string) const {
  std::string usage = "Usage: " + app->get_name() + " [OPTIONS]";
  for (const CLI::Option* p : app->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
    usage += " " + p->get_name(true) + (p->get_expected_max() > 1 ? "..." : "");
  }
  return usage + "\n";
}

std::string HelpFormatter::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const {
  if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
  return make_description(app) + make_usage(app, name) + make_positionals(app) + ordered_groups(app, mode) + "\n" +
         make_footer(app);
}

std::string HelpFormatter::make_footer(const CLI::App* app) const {
  // Indented lines (examples) as they are; the others wrapped.
  std::string out;
  std::istringstream lines(app->get_footer());
  for (std::string line; std::getline(lines, line);) {
    out += (line.empty() || line[0] == ' ' ? line : wrapped(line, width_, 0)) + "\n";
  }
  return out;
}

std::string HelpFormatter::ordered_groups(const CLI::App* app, CLI::AppFormatMode mode) const {
  std::vector<std::string> groups = order_;
  for (const std::string& g : app->get_groups()) {
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  std::string out;
  for (const std::string& group : groups) {
    const std::vector<const CLI::Option*> options = app->get_options([&](const CLI::Option* o) {
      return o->get_group() == group && o->nonpositional() &&
             (mode != CLI::AppFormatMode::Sub || (app->get_help_ptr() != o && app->get_help_all_ptr() != o));
    });
    if (!group.empty() && !options.empty()) out += make_group(group, false, options);
  }
  return out;
}

void use_help_formatter(CLI::App& app) {
  app.formatter(std::make_shared<HelpFormatter>(help_width()));
  app.set_help_flag("-h,--help", "print the options and exit");
}

void set_groups(CLI::App& app, const std::vector<OptionGroup>& groups) {
  std::vector<std::string> order;
  for (const OptionGroup& g : groups) {
    order.push_back(g.title);
    for (const std::string& entry : g.options) {
      const auto space = entry.find(' ');
      const std::string name = entry.substr(0, space);
      CLI::Option* option = app.get_option_no_throw(name);
      if (option == nullptr) throw std::logic_error("set_groups: no option " + name);
      option->group(g.title);
      if (space != std::string::npos) option->type_name(entry.substr(space + 1));
    }
  }
  if (auto formatter = std::dynamic_pointer_cast<HelpFormatter>(app.get_formatter())) {
    formatter->order_groups(std::move(order));
  }
}

}  // namespace common::cli
