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

std::uint64_t parse_byte_limit(std::string_view text, std::string_view option) {
  constexpr double kMost = 9223372036854775808.0;  // 2^63, as far as a file size goes
  // A plain count of bytes is read exactly; a double would round 2^63 + 1 down to 2^63.
  std::uint64_t whole = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), whole);
  const bool all_digits = !text.empty() && end == text.data() + text.size();
  if (all_digits && error == std::errc() && whole >= 1 && whole <= std::uint64_t{1} << 63) return whole;
  double value = 0;
  try {
    if (!all_digits) value = parse_bytes(text);
  } catch (const std::invalid_argument&) {
    value = 0;
  }
  if (all_digits || !(value >= 1) || value > kMost) {
    throw std::invalid_argument("invalid " + std::string(option) + " '" + std::string(text) +
                                "' (1 byte to 2^63 bytes, e.g. 512, 64k, 10M)");
  }
  return value == kMost ? std::uint64_t{1} << 63 : static_cast<std::uint64_t>(value);
}

namespace {
int box_side(std::string_view text, std::string_view whole) {
  std::size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(std::string(text), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v <= 0 || v > 65535) {
    throw std::invalid_argument("invalid size '" + std::string(whole) + "' (expected WxH or N, e.g. 256x256 or 256)");
  }
  return v;
}
}  // namespace

BoxSize parse_box_size(std::string_view text) {
  const auto x = text.find_first_of("xX");
  if (x == std::string_view::npos) {
    const int n = box_side(text, text);
    return {n, n};
  }
  return {box_side(text.substr(0, x), text), box_side(text.substr(x + 1), text)};
}

std::uint32_t parse_rgb(std::string_view text) {
  if (text == "black") return 0x000000;
  if (text == "white") return 0xFFFFFF;
  if (text == "grey" || text == "gray") return 0x808080;
  const std::string_view hex = text.starts_with('#') ? text.substr(1) : text;
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
  if (hex.size() != 6 || error != std::errc() || end != hex.data() + hex.size() || hex.find_first_of("+-") == 0) {
    throw std::invalid_argument("invalid colour '" + std::string(text) +
                                "' (black, white, grey, or RRGGBB in hex, e.g. 202020)");
  }
  return value;
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
