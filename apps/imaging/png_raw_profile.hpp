#pragma once
// EXIF that ImageMagick, exiv2 and GIMP keep in a PNG text chunk (tEXt, zTXt or iTXt) under the
// keyword "Raw profile type exif" (older ImageMagick: "Raw profile type APP1"): a line with the
// profile's name, a line with its length in bytes, then the bytes in hex.

#include <optional>
#include <string>
#include <string_view>

namespace imaging {

// The EXIF TIFF structure (without the "Exif\0\0" of a JPEG APP1) held by a PNG chunk of type
// `chunk_type` with data `data`; nullopt for another chunk or keyword, or a malformed profile.
std::optional<std::string> exif_from_png_text(std::string_view chunk_type, std::string_view data);

}  // namespace imaging
