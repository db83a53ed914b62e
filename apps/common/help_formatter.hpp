#pragma once
// --help as people read it: options in their groups, each option's text wrapped to the terminal's
// width (COLUMNS, else 80 when not on a terminal), the program's description wrapped too, and the
// option column showing the value it takes (DIR, WxH, SECONDS, flat|host...) without CLI11's
// "Excludes:"/"Needs:" notes.

#include <CLI/CLI.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace common::cli {

class HelpFormatter : public CLI::Formatter {
 public:
  explicit HelpFormatter(std::size_t width);

  std::string make_option(const CLI::Option* opt, bool is_positional) const override;
  std::string make_option_opts(const CLI::Option* opt) const override;
  std::string make_description(const CLI::App* app) const override;
  std::string make_usage(const CLI::App* app, std::string name) const override;
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
  std::string make_footer(const CLI::App* app) const override;

  // The order groups are shown in; groups not named come after them.
  void order_groups(std::vector<std::string> order) { order_ = std::move(order); }

 private:
  // The option groups in order_, then any others (CLI11's own make_groups cannot be overridden).
  std::string ordered_groups(const CLI::App* app, CLI::AppFormatMode mode) const;

  std::size_t width_;
  std::vector<std::string> order_;
};

// The width --help wraps to: the terminal's, else $COLUMNS, else 80; never below 60.
std::size_t help_width();

// Text wrapped at spaces to `width` columns, every line after the first indented by `indent`
// (the first by `first_indent`); existing line breaks are kept.
std::string wrapped(const std::string& text, std::size_t width, std::size_t indent, std::size_t first_indent = 0);

// Installs the formatter on the app.
void use_help_formatter(CLI::App& app);

// Puts each named option in its group, and shows the groups in this order (after use_help_formatter).
// An option may be followed by the name of the value it takes ("--out DIR", "--size WxH"), which
// --help and completion show. Throws std::logic_error for a name no option has, so a renamed option
// cannot drop out of its group.
struct OptionGroup {
  std::string title;
  std::vector<std::string> options;  // "--out DIR", "--force", ...
};
void set_groups(CLI::App& app, const std::vector<OptionGroup>& groups);

}  // namespace common::cli
