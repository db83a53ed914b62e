#include "engine/resolve_entries.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace fetch {

namespace {

// An IPv4 or IPv6 address; an IPv6 one may stand in brackets.
bool is_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  const std::string address(text);
  unsigned char bytes[16];
  return ::inet_pton(AF_INET, address.c_str(), bytes) == 1 || ::inet_pton(AF_INET6, address.c_str(), bytes) == 1;
}

}  // namespace

std::optional<std::string> resolve_entry_problem(std::string_view entry) {
  const std::string expected = "'" + std::string(entry) + "' is not HOST:PORT:ADDRESS[,ADDRESS...]";
  std::string_view rest = entry;
  if (!rest.empty() && rest.front() == '+') rest.remove_prefix(1);
  const auto host_end = rest.find(':');
  if (host_end == std::string_view::npos || host_end == 0) return expected;
  rest.remove_prefix(host_end + 1);
  const auto port_end = rest.find(':');
  if (port_end == std::string_view::npos) return expected;
  unsigned port = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + port_end, port);
  if (error != std::errc() || end != rest.data() + port_end || port == 0 || port > 65535) {
    return expected + ": the port must be a number from 1 to 65535";
  }
  rest.remove_prefix(port_end + 1);
  if (rest.empty()) return expected;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view address = rest.substr(0, comma);
    if (!is_address(address)) {
      return expected + ": '" + std::string(address) + "' is not an IPv4 or IPv6 address";
    }
    if (comma == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace fetch
