#include "plan/names.hpp"

#include <algorithm>
#include <cctype>

#include "name_text.hpp"

namespace fetch {

namespace {

constexpr std::size_t kMaxBytes = 200;
constexpr std::size_t kMaxExtension = 16;
// A download in progress is NAME.part, its validators NAME.part.json: no name may end so.
constexpr std::string_view kReservedEndings[] = {".part", ".part.json"};
constexpr char kHex[] = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Cuts s to at most n bytes without splitting a UTF-8 character (which is at most 4 bytes long:
// invalid bytes are cut anywhere) or a %XX escape.
std::string cut_utf8(std::string s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t end = n;
  for (int back = 0; back < 3 && end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80; ++back) --end;
  if (end >= 1 && s[end - 1] == '%') {
    end -= 1;
  } else if (end >= 2 && s[end - 2] == '%') {
    end -= 2;
  }
  s.resize(end);
  return s;
}

// The length of the UTF-8 sequence s[i] starts, when it is a valid one; 0 otherwise.
std::size_t valid_sequence_at(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  const std::size_t n = lead < 0x80 ? 1 : lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : 0;
  if (n == 0 || i + n > s.size() || !common::is_valid_utf8(s.substr(i, n))) return 0;
  return n;
}

bool only_dots(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c == '.'; });
}

std::string sanitize_segments(std::string_view path, bool decode) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string_view seg =
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    const std::string clean = sanitize_component(decode ? name_from_url_segment(seg) : std::string(seg));
    if (!clean.empty()) out += (out.empty() ? "" : "/") + clean;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string escape_invalid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    if (const std::size_t n = valid_sequence_at(bytes, i); n != 0) {
      out.append(bytes.substr(i, n));
      i += n;
      continue;
    }
    const auto b = static_cast<unsigned char>(bytes[i++]);
    out += '%';
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string name_from_url_segment(std::string_view segment) { return escape_invalid_utf8(percent_decode(segment)); }

std::string sanitize_component(std::string_view name) {
  std::string s;
  s.reserve(name.size());
  for (unsigned char c : name) {
    if (c == '/' || c == '\\') {
      s += '_';
    } else if (c < 0x20 || c == 0x7F) {
      continue;  // control characters, NUL included
    } else {
      s += static_cast<char>(c);
    }
  }
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ')) s.pop_back();
  if (s.empty()) return s;
  if (s.size() > kMaxBytes) {
    const auto dot = s.rfind('.');
    const std::string ext = dot != std::string::npos && s.size() - dot <= kMaxExtension ? s.substr(dot) : "";
    s = cut_utf8(s.substr(0, s.size() - ext.size()), kMaxBytes - ext.size()) + ext;
  }
  // After the cut, which can leave either ending, or only the extension's dot.
  for (const std::string_view ending : kReservedEndings) {
    if (!s.ends_with(ending)) continue;
    if (s.size() < kMaxBytes) {
      s += '_';
    } else {
      s.back() = '_';
    }
  }
  if (only_dots(s)) return std::string(s.size(), '_');
  return s;
}

std::string flat_name(const Url& url) {
  const auto slash = url.path.rfind('/');
  const std::string last = sanitize_component(name_from_url_segment(std::string_view(url.path).substr(slash + 1)));
  return last.empty() ? "index.html" : last;
}

std::string host_path(const Url& url) {
  const std::string host = sanitize_component(url.port != 0 ? url.host + "_" + std::to_string(url.port) : url.host);
  std::string path = sanitize_segments(url.path, true);
  if (path.empty() || url.path.back() == '/') path += (path.empty() ? "" : "/") + std::string("index.html");
  return host + "/" + path;
}

std::optional<std::string> confine(std::string_view relative) {
  std::string out;
  std::size_t start = 0;
  while (start <= relative.size()) {
    const auto sep = relative.find_first_of("/\\", start);
    const std::string_view seg =
        relative.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start);
    if (!seg.empty() && seg != "." && seg != "..") {
      const std::string clean = sanitize_component(seg);
      if (!clean.empty()) out += (out.empty() ? "" : "/") + clean;
    }
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string disposition_filename(std::string_view value) {
  std::string plain;
  std::string extended;
  std::size_t i = 0;
  while (i < value.size()) {
    // One parameter: NAME=VALUE up to the next ';' outside quotes.
    const auto eq = value.find('=', i);
    const auto semi = value.find(';', i);
    if (eq == std::string_view::npos || (semi != std::string_view::npos && semi < eq)) {
      if (semi == std::string_view::npos) break;
      i = semi + 1;
      continue;
    }
    std::string name(value.substr(i, eq - i));
    name.erase(std::remove_if(name.begin(), name.end(), [](unsigned char c) { return std::isspace(c); }), name.end());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::size_t j = eq + 1;
    while (j < value.size() && value[j] == ' ') ++j;
    std::string v;
    if (j < value.size() && value[j] == '"') {
      for (++j; j < value.size() && value[j] != '"'; ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        v += value[j];
      }
      j = value.find(';', j);
    } else {
      const auto end = value.find(';', j);
      v = std::string(value.substr(j, end == std::string_view::npos ? std::string_view::npos : end - j));
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
      j = end;
    }
    if (name == "filename") plain = v;
    // RFC 5987: CHARSET'LANGUAGE'PERCENT-ENCODED; only UTF-8 (and its ASCII subset) is taken.
    if (name == "filename*") {
      const auto first = v.find('\'');
      const auto second = first == std::string::npos ? std::string::npos : v.find('\'', first + 1);
      std::string charset = v.substr(0, first == std::string::npos ? 0 : first);
      std::transform(charset.begin(), charset.end(), charset.begin(), [](unsigned char c) { return std::tolower(c); });
      if (second != std::string::npos && (charset == "utf-8" || charset == "us-ascii"))
        extended = name_from_url_segment(v.substr(second + 1));
    }
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  std::string chosen = extended.empty() ? plain : extended;
  if (const auto slash = chosen.find_last_of("/\\"); slash != std::string::npos) chosen.erase(0, slash + 1);
  // A plain filename= may hold bytes that are not UTF-8 (ISO-8859-1, say): they become escapes too.
  return sanitize_component(escape_invalid_utf8(chosen));
}

std::string NameRegistry::claim(const std::string& path) {
  if (taken_.insert(path).second) return path;
  const auto slash = path.rfind('/');
  const std::size_t base = slash == std::string::npos ? 0 : slash + 1;
  const auto dot = path.rfind('.');
  const bool has_ext = dot != std::string::npos && dot > base && path.size() - dot <= kMaxExtension;
  const std::string folder = path.substr(0, base);
  const std::string stem = path.substr(base, (has_ext ? dot : path.size()) - base);
  const std::string ext = has_ext ? path.substr(dot) : "";
  for (std::size_t n = 1;; ++n) {
    const std::string suffix = "." + std::to_string(n);
    // The name keeps within the length cap: the stem gives way to the suffix.
    std::string candidate = folder + cut_utf8(stem, kMaxBytes - suffix.size() - ext.size()) + suffix + ext;
    if (taken_.insert(candidate).second) return candidate;
  }
}

}  // namespace fetch
