#include "engine/validators.hpp"

#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fetch {

std::string Validators::check() const {
  if (!etag.empty()) return "ETag";
  if (!last_modified.empty()) return "Last-Modified";
  return "length";
}

std::filesystem::path validators_file(const std::filesystem::path& part) { return part.string() + ".json"; }

std::optional<Validators> read_validators(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  try {
    const auto j = nlohmann::json::parse(text.str());
    if (const auto schema = j.find("schema"); schema != j.end() && *schema != kPartSchema) return std::nullopt;
    Validators v;
    v.url_sha256 = j.at("url_sha256").get<std::string>();
    v.etag = j.value("etag", "");
    v.last_modified = j.value("last_modified", "");
    if (j.contains("length")) v.length = j.at("length").get<std::uint64_t>();
    if (v.url_sha256.empty() || !v.can_vouch()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool write_validators(const std::filesystem::path& file, const Validators& v, const common::Temporaries& temporaries) {
  nlohmann::ordered_json j = {{"schema", kPartSchema}, {"url_sha256", v.url_sha256}};
  if (!v.etag.empty()) j["etag"] = v.etag;
  if (!v.last_modified.empty()) j["last_modified"] = v.last_modified;
  if (v.length) j["length"] = *v.length;
  try {
    // Header values are bytes; one that is not UTF-8 is replaced, and then simply never matches.
    common::write_atomically(file.string(), j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                             temporaries);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<ContentRange> parse_content_range(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() &&
         (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' || value.back() == '\n'))
    value.remove_suffix(1);
  if (value.substr(0, 6) != "bytes ") return std::nullopt;
  value.remove_prefix(6);
  ContentRange range;
  const char* end = value.data() + value.size();
  auto [p, error] = std::from_chars(value.data(), end, range.start);
  if (error != std::errc() || p == end || *p != '-') return std::nullopt;
  std::uint64_t last = 0;
  auto [q, error2] = std::from_chars(p + 1, end, last);
  if (error2 != std::errc() || q == end || *q != '/' || last < range.start) return std::nullopt;
  if (std::string_view(q + 1, static_cast<std::size_t>(end - q - 1)) == "*") return range;
  std::uint64_t total = 0;
  auto [r, error3] = std::from_chars(q + 1, end, total);
  if (error3 != std::errc() || r != end || total <= last) return std::nullopt;
  range.total = total;
  return range;
}

std::optional<std::string> changed_since(const Validators& recorded, const std::string& etag,
                                         const std::string& last_modified, const std::optional<ContentRange>& range) {
  if (!recorded.etag.empty() && !etag.empty() && etag != recorded.etag) {
    return "its ETag is now " + etag + ", was " + recorded.etag;
  }
  if (!recorded.last_modified.empty() && !last_modified.empty() && last_modified != recorded.last_modified) {
    return "its Last-Modified is now " + last_modified + ", was " + recorded.last_modified;
  }
  if (recorded.length && (!range || !range->total || *range->total != *recorded.length)) {
    const std::string now = range && range->total ? std::to_string(*range->total) + " bytes" : "not given";
    return "its length is now " + now + ", was " + std::to_string(*recorded.length) + " bytes";
  }
  return std::nullopt;
}

}  // namespace fetch
