#include "plan/url_list.hpp"

#include <idn2.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <sstream>

namespace fetch {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.front() == '[') {  // IPv6 literal
    return host.back() == ']' && host.size() > 2 && std::all_of(host.begin() + 1, host.end() - 1, [](unsigned char c) {
             return std::isxdigit(c) || c == ':' || c == '.';
           });
  }
  return std::all_of(host.begin(), host.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_'; });
}

// An internationalised host name in its ASCII (punycode) form, as libcurl converts it when it
// resolves; empty (and `error` set) when it is not a valid IDN.
std::string to_punycode(std::string_view host, std::string& error) {
  const std::string utf8(host);
  char* ascii = nullptr;
  int rc = idn2_to_ascii_8z(utf8.c_str(), &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc == IDN2_DISALLOWED) rc = idn2_to_ascii_8z(utf8.c_str(), &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
  if (rc != IDN2_OK) {
    error = std::string("invalid international host name (") + idn2_strerror(rc) + ")";
    return "";
  }
  std::string out = lower(ascii);
  idn2_free(ascii);
  // Characters IDNA maps to nothing (a byte-order mark, a soft hyphen) can leave no host at all.
  if (out.empty()) error = "invalid host";
  return out;
}

std::string encode_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == ' ')
      out += "%20";
    else
      out += c;
  }
  return out;
}

}  // namespace

UrlParse parse_url(std::string_view text) {
  UrlParse r;
  text = trim(text);
  const auto colon = text.find("://");
  if (colon == std::string_view::npos) {
    r.error = "not a URL (no scheme://)";
    return r;
  }
  Url u;
  u.scheme = lower(text.substr(0, colon));
  if (u.scheme != "http" && u.scheme != "https") {
    r.error = "unsupported scheme '" + u.scheme + "' (only http and https)";
    return r;
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F) {
      r.error = "URL contains control characters";
      return r;
    }
  }
  std::string_view rest = text.substr(colon + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view tail = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  std::string_view userinfo;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    userinfo = authority.substr(0, at + 1);
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  if (authority.size() > 0 && authority.front() == '[') {
    const auto close = authority.find(']');
    host = authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1);
    authority.remove_prefix(host.size());
  } else {
    const auto c = authority.find(':');
    host = authority.substr(0, c);
    authority.remove_prefix(c == std::string_view::npos ? authority.size() : c);
  }
  if (!authority.empty()) {  // ":port"
    const std::string_view digits = authority.substr(1);
    if (digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
      r.error = "invalid port";
      return r;
    }
    u.port = std::stoi(std::string(digits));
    if (u.port < 1 || u.port > 65535) {
      r.error = "invalid port";
      return r;
    }
  }
  if (std::any_of(host.begin(), host.end(), [](unsigned char c) { return c >= 0x80; })) {
    u.host = to_punycode(host, r.error);
    if (u.host.empty()) return r;
  } else {
    u.host = lower(host);
  }
  if (!valid_host(u.host)) {
    r.error = "invalid host";
    return r;
  }
  if (const auto hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  const auto q = tail.find('?');
  if (q != std::string_view::npos) {
    u.query = std::string(tail.substr(q + 1));
    tail = tail.substr(0, q);
  }
  u.path = tail.empty() ? "/" : std::string(tail);
  // What is requested: the host in ASCII, spaces percent-encoded (as aria2c does), no fragment.
  u.text = u.scheme + "://" + std::string(userinfo) + u.host + (u.port != 0 ? ":" + std::to_string(u.port) : "") +
           encode_spaces(u.path) + (q != std::string_view::npos ? "?" + encode_spaces(u.query) : "");
  r.url = std::move(u);
  return r;
}

void read_url_list(std::istream& in, const std::function<void(ListEntry&&)>& on_entry,
                   const std::function<void(std::string&&)>& on_warning) {
  std::string line;
  std::size_t number = 0;
  std::optional<ListEntry> current;  // the entry option lines belong to, until the next URL
  while (std::getline(in, line)) {
    ++number;
    // A UTF-8 byte-order mark (as Windows editors write) is no part of the first URL.
    if (number == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const bool indented = !line.empty() && (line.front() == ' ' || line.front() == '\t');
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    if (indented) {
      const auto eq = text.find('=');
      const std::string key = lower(trim(text.substr(0, eq == std::string_view::npos ? 0 : eq)));
      const std::string_view value = eq == std::string_view::npos ? std::string_view() : trim(text.substr(eq + 1));
      if (!current) {
        on_warning("line " + std::to_string(number) + ": option line without a URL above it");
      } else if (key == "out") {
        current->out = std::string(value);
      } else if (key == "checksum") {
        const auto sep = value.find('=');
        const std::string algo = lower(value.substr(0, sep));
        std::string hex = sep == std::string_view::npos ? "" : lower(value.substr(sep + 1));
        const bool is_hex =
            hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c); });
        if ((algo == "sha-256" || algo == "sha256") && is_hex) {
          current->sha256 = hex;
        } else {
          on_warning("line " + std::to_string(number) + ": unsupported checksum '" + std::string(value) +
                     "' (sha-256=HEX)");
        }
      } else {
        on_warning("line " + std::to_string(number) + ": option '" + key + "' ignored");
      }
      continue;
    }
    ListEntry e;
    e.line = number;
    // aria2 allows several mirror URIs of one file on a line, separated by TABs.
    const std::string_view first = text.substr(0, text.find('\t'));
    e.raw = std::string(first);
    UrlParse p = parse_url(first);
    e.url = std::move(p.url);
    e.error = std::move(p.error);
    for (std::string_view rest = text.substr(first.size()); !rest.empty();) {
      rest.remove_prefix(1);
      const std::string_view mirror = trim(rest.substr(0, rest.find('\t')));
      rest.remove_prefix(std::min(rest.size(), rest.find('\t')));
      if (mirror.empty()) continue;
      UrlParse m = parse_url(mirror);
      if (m.url) {
        e.mirrors.push_back(std::move(*m.url));
      } else {
        on_warning("line " + std::to_string(number) + ": mirror '" + std::string(mirror) + "' ignored: " + m.error);
      }
    }
    if (current) on_entry(std::move(*current));
    current = std::move(e);
    // Nothing more to read right now (a list still being written to a pipe): the entry goes at
    // once instead of waiting for the line after it; option lines must come in the same write.
    if (in.rdbuf()->in_avail() <= 0) {
      on_entry(std::move(*current));
      current.reset();
    }
  }
  if (current) on_entry(std::move(*current));
}

UrlList parse_url_list(std::istream& in) {
  UrlList list;
  read_url_list(
      in, [&](ListEntry&& e) { list.entries.push_back(std::move(e)); },
      [&](std::string&& w) { list.warnings.push_back(std::move(w)); });
  return list;
}

UrlList parse_url_list(std::string_view text) {
  std::istringstream in{std::string(text)};
  return parse_url_list(in);
}

}  // namespace fetch
