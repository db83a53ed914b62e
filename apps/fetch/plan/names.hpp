#pragma once
// Where a download goes: names taken from URLs (or aria2 out= lines) made safe, so that
// nothing is ever written outside the output folder, and made unique, deterministically.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "plan/url_list.hpp"

namespace fetch {

// %XX escapes decoded; malformed escapes are kept as written.
std::string percent_decode(std::string_view s);

// Bytes as a name that is valid UTF-8: valid UTF-8 stays as it is, each other byte becomes %XX
// (upper-case hex digits). So "caf\xE9.jpg" (ISO-8859-1) is named "caf%E9.jpg", and two names
// that differ in such a byte stay apart.
std::string escape_invalid_utf8(std::string_view bytes);

// The name a URL path segment gives: percent-decoded, then escape_invalid_utf8(): "caf%C3%A9.jpg"
// is "café.jpg", "caf%E9.jpg" (not UTF-8 once decoded) stays "caf%E9.jpg".
std::string name_from_url_segment(std::string_view segment);

// One path component that is safe inside a folder: no '/', '\', NUL or control characters,
// never "." or "..", no leading or trailing spaces, at most 200 bytes (cut at a UTF-8 character
// boundary, never inside a %XX escape, keeping a short extension), never ending in ".part" or
// ".part.json" (a download in progress and its validators). Empty when nothing usable is left.
std::string sanitize_component(std::string_view name);

// flat layout: the last path segment, named by name_from_url_segment() and sanitised;
// "index.html" when empty.
std::string flat_name(const Url& url);
// host layout: HOST[_PORT]/PATH, each segment named by name_from_url_segment() and sanitised; a
// path ending in '/' gets "index.html".
std::string host_path(const Url& url);
// An aria2 out= value confined to the output folder: segments sanitised, "..", "." and empty
// segments dropped, a leading '/' ignored. Empty optional when nothing usable is left.
std::optional<std::string> confine(std::string_view relative);

// The file name a Content-Disposition header value gives (filename*=UTF-8''... preferred to
// filename=), reduced to its last path component, bytes that are not UTF-8 escaped
// (escape_invalid_utf8) and sanitised; empty when it gives none.
std::string disposition_filename(std::string_view value);

// Hands out unique relative paths in request order: the second "a.jpg" becomes "a.1.jpg",
// the third "a.2.jpg", and so on.
class NameRegistry {
 public:
  // Reserves a path that must never be handed out (the manifest, say).
  void reserve(const std::string& path) { taken_.insert(path); }
  std::string claim(const std::string& path);

 private:
  std::set<std::string> taken_;
};

}  // namespace fetch
