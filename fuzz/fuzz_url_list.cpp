// libFuzzer target: conc-fetch's URL list parser and name sanitiser. Whatever the list says,
// every name it yields stays inside the output folder.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "name_text.hpp"
#include "plan/names.hpp"
#include "plan/url_list.hpp"

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}
void check_relative(const std::string& path) {
  require(!path.empty() && path.front() != '/');
  require(path.find('\\') == std::string::npos);
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string seg = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    require(!seg.empty() && seg != "." && seg != ".." && seg.size() <= 200);
    for (unsigned char c : seg) require(c >= 0x20 && c != 0x7F);
    require(!seg.ends_with(".part") && !seg.ends_with(".part.json"));  // a part and its validators
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const fetch::UrlList list = fetch::parse_url_list(text);
  fetch::NameRegistry names;
  for (const fetch::ListEntry& e : list.entries) {
    require(e.url.has_value() != !e.error.empty());
    if (!e.url) continue;
    require(e.url->scheme == "http" || e.url->scheme == "https");
    const std::string flat = names.claim(fetch::flat_name(*e.url));
    check_relative(flat);
    require(common::is_valid_utf8(flat));  // names from URLs: bytes that are not UTF-8 stay %XX
    check_relative(fetch::host_path(*e.url));
    if (!e.out.empty()) {
      if (auto confined = fetch::confine(e.out)) check_relative(*confined);
    }
  }
  const std::string one = fetch::sanitize_component(fetch::name_from_url_segment(text));
  if (!one.empty()) check_relative(one);
  require(common::is_valid_utf8(one));
  require(one.find('/') == std::string::npos);
  return 0;
}
