#include "redact.hpp"

namespace common {

namespace {

constexpr std::string_view kHidden = "***";

bool ends_authority(char c) {
  switch (c) {
    case '/':
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '"':
    case '\'':
    case '<':
    case '>':
    case '\\':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string redact_urls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t done = 0;  // text before this is in out
  for (std::size_t at = text.find("://"); at != std::string_view::npos; at = text.find("://", at)) {
    const std::size_t start = at + 3;
    std::size_t end = start;
    while (end < text.size() && !ends_authority(text[end])) ++end;
    const std::string_view authority = text.substr(start, end - start);
    const std::size_t mark = authority.rfind('@');
    at = end;
    if (mark == std::string_view::npos) continue;
    const std::string_view userinfo = authority.substr(0, mark);
    const std::size_t colon = userinfo.find(':');
    out.append(text.substr(done, start - done));
    if (colon != std::string_view::npos) out.append(userinfo.substr(0, colon + 1));
    out.append(kHidden);
    done = start + mark;  // from the '@' on, as it was
  }
  out.append(text.substr(done));
  return out;
}

}  // namespace common
