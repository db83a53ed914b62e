#pragma once
// What travels between conc-fetch and its thumbnail workers: a downloaded body (by descriptor,
// never copied through the socket) and how to thumbnail it; back, the thumbnail's facts, and its
// bytes when they are not written to a file. Kept apart from the imaging code, so that the
// hand-off can be built and tested without it.

#include <conc/shared_buffer.hpp>
#include <conc/task.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fetch {

// The registered task that makes a thumbnail (thumbnail_task.cpp, built with the imaging library).
inline constexpr const char* kThumbnailTask = "fetch_thumbnail";

struct ThumbnailSpec {
  int width = 256;
  int height = 256;
  std::string fit = "contain";  // contain, shortest, cover, border, fill, none
  std::string format = "auto";  // auto, jpeg, png, webp
  int quality = 85;
  std::uint64_t max_pixels = 200'000'000;
  bool enlarge = true;                  // images smaller than the box are resized up to it
  std::string border_colour = "white";  // --fit border: black, white, grey, or RRGGBB
  bool skip_reencode = false;           // a JPEG that needs no change keeps its bytes
  int min_side = 0;                     // --min-image-size: smaller images are filtered out
  double max_aspect_ratio = 0;          // --max-aspect-ratio (longer side / shorter); 0: any
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
  // Files from a table: the sample's JSON goes beside the thumbnail (STEM.json), and its caption
  // (STEM.txt) when it has one.
  bool beside = false;
  std::string key;
  std::string url;
  std::optional<std::string> caption;
  std::string columns;  // the saved columns, a JSON object's text
};

struct ThumbnailReply {
  bool ok = false;
  std::string error;
  std::string filtered;  // when a filter refused the image: "too_small", "aspect_ratio", "too_many_pixels"
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
