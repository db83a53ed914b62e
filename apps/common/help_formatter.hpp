#pragma once
// --help as people read it: options in their groups, each option's text wrapped to the terminal's
// width (COLUMNS, else 80 when not on a terminal), the program's description wrapped too, and the
// option column showing the value it takes (DIR, WxH, SECONDS, flat|host...) without CLI11's
// "Excludes:"/"Needs:" notes.

#include <CLI/CLI.hpp>
#include <cstddef>
#include <memory>
#include <string>

namespace common::cli {

class HelpFormatter : public CLI::Formatter {
 public:
  explicit HelpFormatter(std::size_t width);

  std::string make_option(const CLI::Option* opt, bool is_positional) const override;
  std::string make_option_opts(const CLI::Option* opt) const override;
  std::string make_description(const CLI::App* app) const override;
  std::string make_usage(const CLI::App* app, std::string name) const override;

 private:
  std::size_t width_;
};

// The width --help wraps to: the terminal's, else $COLUMNS, else 80; never below 60.
std::size_t help_width();

// Text wrapped at spaces to `width` columns, every line after the first indented by `indent`
// (the first by `first_indent`); existing line breaks are kept.
std::string wrapped(const std::string& text, std::size_t width, std::size_t indent, std::size_t first_indent = 0);

// Installs the formatter on the app.
void use_help_formatter(CLI::App& app);

}  // namespace common::cli
