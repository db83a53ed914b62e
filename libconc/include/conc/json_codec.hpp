#pragma once
// Codec for any type that nlohmann::json can convert (to_json / from_json):
//
//   template <> struct conc::Codec<ThumbJob> : conc::JsonCodec<ThumbJob> {};

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace conc {

template <class T>
struct JsonCodec {
  static void encode(const T& value, std::string& out) { out.append(nlohmann::json(value).dump()); }
  static T decode(std::string_view bytes) { return nlohmann::json::parse(bytes).get<T>(); }
};

}  // namespace conc
