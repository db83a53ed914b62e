#pragma once
/// @file
/// Codec for any type that nlohmann::json can convert (to_json / from_json):
///
/// ```
/// template <> struct conc::Codec<ThumbJob> : conc::JsonCodec<ThumbJob> {};
/// ```

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace conc {

/// A Codec that carries T as JSON text; derive `Codec<T>` from it to use it.
template <class T>
struct JsonCodec {
  /// Appends value as compact JSON to out.
  static void encode(const T& value, std::string& out) { out.append(nlohmann::json(value).dump()); }
  /// The T that the JSON text converts to; throws nlohmann::json's exceptions on bad text or shape.
  static T decode(std::string_view bytes) { return nlohmann::json::parse(bytes).get<T>(); }
};

}  // namespace conc
