#include "thumbnail/opt_out.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace fetch {

namespace {

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::optional<std::string> opting_out(const std::vector<std::string>& robots_tags,
                                      const std::vector<std::string>& disallowed,
                                      const std::vector<std::string>& agents) {
  for (const std::string& value : robots_tags) {
    std::string_view directives = value;
    // "AGENT: d1, d2" addresses one agent; "d1, d2" every agent.
    if (const auto colon = directives.find(':'); colon != std::string_view::npos) {
      if (!contains(agents, lower_trimmed(directives.substr(0, colon)))) continue;
      directives.remove_prefix(colon + 1);
    }
    while (!directives.empty()) {
      const auto comma = directives.find(',');
      const std::string directive = lower_trimmed(directives.substr(0, comma));
      if (contains(disallowed, directive)) return directive;
      directives.remove_prefix(comma == std::string_view::npos ? directives.size() : comma + 1);
    }
  }
  return std::nullopt;
}

}  // namespace fetch
