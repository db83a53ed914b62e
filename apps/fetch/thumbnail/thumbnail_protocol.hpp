#pragma once
// What travels between conc-fetch and its thumbnail workers: a downloaded body (by descriptor,
// never copied through the socket) and how to thumbnail it; back, the thumbnail's facts, and its
// bytes when they are not written to a file. Kept apart from the imaging code, so that the
// hand-off can be built and tested without it.

#include <conc/shared_buffer.hpp>
#include <conc/task.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace fetch {

// The registered task that makes a thumbnail (thumbnail_task.cpp, built with the imaging library).
inline constexpr const char* kThumbnailTask = "fetch_thumbnail";

struct ThumbnailSpec {
  int width = 256;
  int height = 256;
  std::string fit = "contain";  // contain, cover, fill
  std::string format = "auto";  // auto, jpeg, png, webp
  int quality = 85;
  std::uint64_t max_pixels = 200'000'000;
};

struct ThumbnailRequest {
  conc::SharedBuffer body;  // the whole downloaded body, sealed
  // The thumbnail goes to output_stem + its extension; empty: its bytes come back in the reply.
  std::string output_stem;
  std::string original;  // with --keep-originals: where the body itself is written; else empty
  // The output root's temporaries token (common::Temporaries): files are written through its
  // names, so that what a killed worker leaves is known to be the run's own. Empty: the worker's.
  std::string temporaries_token;
  ThumbnailSpec spec;
};

struct ThumbnailReply {
  bool ok = false;
  std::string error;
  int width = 0;
  int height = 0;
  int source_width = 0;
  int source_height = 0;
  std::string extension;  // ".jpg", ".png", ".webp"
  std::string sha256;     // of the body, hex
  std::string encoded;    // the thumbnail, when output_stem was empty
};

}  // namespace fetch

// The body travels as its descriptor (SharedBuffer's codec), the rest as JSON after it.
template <>
struct conc::Codec<fetch::ThumbnailRequest> {
  static void encode(const fetch::ThumbnailRequest& value, std::string& out);
  static fetch::ThumbnailRequest decode(std::string_view bytes);
};

// A JSON header (its length first, 4 bytes) and then the thumbnail's bytes as they are.
template <>
struct conc::Codec<fetch::ThumbnailReply> {
  static void encode(const fetch::ThumbnailReply& value, std::string& out);
  static fetch::ThumbnailReply decode(std::string_view bytes);
};
