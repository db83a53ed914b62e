#include "cli_values.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace common {

double parse_bytes(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
  double scale = 0;
  if (suffix.empty())
    scale = 1;
  else if (suffix == "k" || suffix == "K")
    scale = 1024;
  else if (suffix == "m" || suffix == "M")
    scale = 1024.0 * 1024;
  else if (suffix == "g" || suffix == "G")
    scale = 1024.0 * 1024 * 1024;
  if (error != std::errc() || scale == 0 || !(value > 0) || !std::isfinite(value * scale))
    throw std::invalid_argument("invalid size '" + std::string(text) + "' (e.g. 512, 64k, 10M)");
  return value * scale;
}

unsigned parse_jobs(std::string_view text, unsigned most) {
  if (text == "auto") return 0;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > most)
    throw std::invalid_argument("invalid --jobs '" + std::string(text) + "' (auto, or 1 to " + std::to_string(most) +
                                ")");
  return value;
}

}  // namespace common
