#pragma once
// One image in, one thumbnail per requested size out: the unit of work that every
// engine (process pool, oneTBB, serial) runs. The job carries paths and options,
// never pixels.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "geometry.hpp"
#include "image_header.hpp"
#include "metadata.hpp"

namespace imaging {

enum class OutputFormat { Auto, Jpeg, Png, Webp };
// srgb: convert to sRGB (the default); keep: keep the source's colour space and embed its profile.
enum class Colour { Srgb, Keep };
Colour parse_colour(const std::string& text);
const char* to_string(Colour c);
OutputFormat parse_output_format(const std::string& text);
const char* to_string(OutputFormat f);
// The format a thumbnail of a `source` image is written in.
Format output_format_for(Format source, OutputFormat requested);

struct OutputSpec {
  std::string path;  // final path of the thumbnail
  Box box;
  std::optional<Fit> fit =
      std::nullopt;  // this output's own fit (a gallery viewer's rendition fits inside); none: the job's
};

// How a thumbnail is made, whatever the source is read from.
struct ThumbSettings {
  Fit fit = Fit::Contain;
  OutputFormat format = OutputFormat::Auto;
  int quality = 85;
  Colour colour = Colour::Srgb;
  std::uint64_t max_pixels = 200'000'000;
  // Make it from a preview the file carries (a JPEG's EXIF thumbnail or MPF preview, a HEIF
  // thumbnail) when one serves (preview_rule.hpp). Off by default: an edited photo can keep a stale
  // preview. A RAW's preview is always taken when it serves: RAW editors keep their edits beside it.
  bool embedded_preview = false;
  bool enlarge = false;                 // images smaller than the box are resized up to it
  std::uint32_t border_rgb = 0xFFFFFF;  // Fit::Border's padding, 0xRRGGBB
  // An sRGB (or untagged) upright JPEG whose thumbnail would be a JPEG of its own size keeps its bytes.
  bool skip_reencode = false;
};

struct ThumbJob : ThumbSettings {
  std::string source;  // absolute path
  std::vector<OutputSpec> outputs;
  // The output root's temporaries token (common::Temporaries): the thumbnails are written through
  // temporaries a later run of that root can prove are its own. Empty: this process's token.
  std::string temporaries;
  // tEXt chunks for PNG thumbnails (the desktop cache's Thumb::URI...): with them, Thumb::Mime and
  // Thumb::Image::Width and ::Height of the source are added.
  std::vector<std::pair<std::string, std::string>> png_text;
  bool private_files = false;  // thumbnails readable by their owner only (mode 0600)
};

struct ThumbResult {
  bool ok = false;
  std::string error;  // when !ok: "truncated JPEG data", "not an image", ...
  int width = 0;      // of the first output
  int height = 0;
  int source_width = 0;  // the source, upright (after its EXIF orientation)
  int source_height = 0;
  Metadata metadata;  // the source's capture date, camera and lens, when made
  // What the thumbnail was made from: "image" (the main image), "exif-thumbnail", "mpf-preview",
  // "heif-thumbnail", "raw-preview" (the camera's JPEG in a RAW) or "raw-half-size" (LibRaw's decode).
  std::string made_from = "image";
};

// Never throws: failures come back as a result with ok == false, the error one line of text (any name
// in it by common::name_for_display).
ThumbResult make_thumbnail(const ThumbJob& job);

// The same thumbnail of an encoded image held in memory (a downloaded body in a SharedBuffer).
struct BufferThumbJob : ThumbSettings {
  // The thumbnail goes to output_stem + its extension (".jpg", ".png", ".webp"), written
  // atomically; empty: its bytes come back in the result instead.
  std::string output_stem;
  Box box;
};

struct BufferThumbResult {
  bool ok = false;
  std::string error;
  int width = 0;  // the thumbnail's
  int height = 0;
  int source_width = 0;  // the source's, upright
  int source_height = 0;
  std::string extension;  // of the thumbnail's format: ".jpg", ".png" or ".webp"
  std::string path;       // where it was written (output_stem + extension), or empty
  std::string encoded;    // the thumbnail's bytes, when output_stem is empty
  bool reencoded = true;  // false: skip_reencode kept the source's bytes
};

// Never throws. --max-pixels is enforced from the header, before anything is decoded.
BufferThumbResult make_thumbnail(std::string_view encoded, const BufferThumbJob& job);

// ".jpg", ".png" or ".webp": the extension of a thumbnail written in that format.
const char* extension_for(Format thumbnail_format);

// Paths go into JSON by the name rule of apps/common/name_text.hpp, so that any name survives the
// trip to a worker and back.
void to_json(nlohmann::json& j, const OutputSpec& o);
void from_json(const nlohmann::json& j, OutputSpec& o);
void to_json(nlohmann::json& j, const ThumbJob& job);
void from_json(const nlohmann::json& j, ThumbJob& job);
void to_json(nlohmann::json& j, const ThumbResult& r);
void from_json(const nlohmann::json& j, ThumbResult& r);
void to_json(nlohmann::json& j, const BufferThumbJob& job);
void from_json(const nlohmann::json& j, BufferThumbJob& job);

}  // namespace imaging
