#include "thumbnail/thumbnail_protocol.hpp"

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "name_text.hpp"

namespace {

constexpr std::size_t kIndexBytes = sizeof(std::uint32_t);  // a SharedBuffer's encoding: its descriptor's index

}  // namespace

void conc::Codec<fetch::ThumbnailRequest>::encode(const fetch::ThumbnailRequest& value, std::string& out) {
  conc::Codec<conc::SharedBuffer>::encode(value.body, out);
  // Paths are bytes: as text by the one rule, so that a name that is not UTF-8 arrives as it is.
  nlohmann::json j = {{"stem", common::name_to_text(value.output_stem)},
                      {"original", common::name_to_text(value.original)},
                      {"token", value.temporaries_token},
                      {"w", value.spec.width},
                      {"h", value.spec.height},
                      {"fit", value.spec.fit},
                      {"format", value.spec.format},
                      {"quality", value.spec.quality},
                      {"max_pixels", value.spec.max_pixels},
                      {"enlarge", value.spec.enlarge},
                      {"border", value.spec.border_colour},
                      {"skip_reencode", value.spec.skip_reencode},
                      {"min_side", value.spec.min_side},
                      {"max_aspect", value.spec.max_aspect_ratio},
                      {"beside", value.beside},
                      {"key", value.key},
                      {"url", common::name_to_text(value.url)},
                      {"columns", value.columns}};
  if (value.caption) j["caption"] = common::name_to_text(*value.caption);
  out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

fetch::ThumbnailRequest conc::Codec<fetch::ThumbnailRequest>::decode(std::string_view bytes) {
  if (bytes.size() < kIndexBytes) throw std::runtime_error("conc-fetch: a thumbnail request too short");
  fetch::ThumbnailRequest r;
  r.body = conc::Codec<conc::SharedBuffer>::decode(bytes.substr(0, kIndexBytes));
  const auto j = nlohmann::json::parse(bytes.substr(kIndexBytes));
  r.output_stem = common::name_from_text(j.at("stem").get<std::string>());
  r.original = common::name_from_text(j.at("original").get<std::string>());
  r.temporaries_token = j.at("token").get<std::string>();
  r.spec.width = j.at("w").get<int>();
  r.spec.height = j.at("h").get<int>();
  r.spec.fit = j.at("fit").get<std::string>();
  r.spec.format = j.at("format").get<std::string>();
  r.spec.quality = j.at("quality").get<int>();
  r.spec.max_pixels = j.at("max_pixels").get<std::uint64_t>();
  r.spec.enlarge = j.at("enlarge").get<bool>();
  r.spec.border_colour = j.at("border").get<std::string>();
  r.spec.skip_reencode = j.at("skip_reencode").get<bool>();
  r.spec.min_side = j.at("min_side").get<int>();
  r.spec.max_aspect_ratio = j.at("max_aspect").get<double>();
  r.beside = j.at("beside").get<bool>();
  r.key = j.at("key").get<std::string>();
  r.url = common::name_from_text(j.at("url").get<std::string>());
  r.columns = j.at("columns").get<std::string>();
  if (j.contains("caption")) r.caption = common::name_from_text(j.at("caption").get<std::string>());
  return r;
}

void conc::Codec<fetch::ThumbnailReply>::encode(const fetch::ThumbnailReply& value, std::string& out) {
  nlohmann::json j = {{"ok", value.ok},         {"error", value.error},     {"w", value.width},
                      {"h", value.height},      {"sw", value.source_width}, {"sh", value.source_height},
                      {"ext", value.extension}, {"sha256", value.sha256}};
  if (!value.filtered.empty()) j["filtered"] = value.filtered;
  const std::string header = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto length = static_cast<std::uint32_t>(header.size());
  out.append(reinterpret_cast<const char*>(&length), sizeof length);
  out += header;
  out += value.encoded;
}

fetch::ThumbnailReply conc::Codec<fetch::ThumbnailReply>::decode(std::string_view bytes) {
  std::uint32_t length = 0;
  if (bytes.size() < sizeof length) throw std::runtime_error("conc-fetch: a thumbnail reply too short");
  std::memcpy(&length, bytes.data(), sizeof length);
  if (bytes.size() - sizeof length < length) throw std::runtime_error("conc-fetch: a thumbnail reply cut short");
  const auto j = nlohmann::json::parse(bytes.substr(sizeof length, length));
  fetch::ThumbnailReply r;
  r.ok = j.at("ok").get<bool>();
  r.error = j.at("error").get<std::string>();
  r.filtered = j.value("filtered", "");
  r.width = j.at("w").get<int>();
  r.height = j.at("h").get<int>();
  r.source_width = j.at("sw").get<int>();
  r.source_height = j.at("sh").get<int>();
  r.extension = j.at("ext").get<std::string>();
  r.sha256 = j.at("sha256").get<std::string>();
  r.encoded = std::string(bytes.substr(sizeof length + length));
  return r;
}
