#pragma once
// What a file is, read from its first bytes and headers, without decoding pixels:
// the format (by content, never by extension), the dimensions and whether the data is complete.
// (Its EXIF and XMP are libexiv2's to read: metadata.hpp.)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imaging {

// Raw: a camera RAW by its own signature (CR2, CR3, CRW, RAF, ORF, RW2, MRW, X3F, Kyocera); the many
// TIFF-based ones (NEF, ARW, DNG, PEF, IIQ...) start as Tiff and LibRaw tells them apart.
enum class Format { Unknown, Jpeg, Png, Webp, Tiff, Bmp, Gif, Heic, Raw };

// "JPEG", "PNG", ...
const char* format_name(Format f);
// The usual file extension, without the dot: "jpg", "png", "webp", "tif", "bmp".
const char* format_extension(Format f);
// Formats this tool can decode: every one it recognises.
bool format_supported(Format f);

// The format from the first bytes of a file (32 are enough).
Format detect_format(std::string_view head);

// True for names that promise an image (.jpg, .jpeg, .png, .webp, .tif, .tiff, .bmp, .gif,
// .heic, .heif, .avif, the RAW ones: .cr2, .nef, .arw, .dng, ...), case-insensitively.
bool has_image_extension(const std::string& filename);

struct ImageHeader {
  Format format = Format::Unknown;
  std::uint32_t width = 0;  // as stored, before EXIF orientation
  std::uint32_t height = 0;
  int channels = 0;  // JPEG components, PNG colour type channels; 0 when unknown
  int bit_depth = 8;
  int orientation = 1;   // EXIF (else XMP) orientation 1..8: set by read_header() (metadata.hpp)
  bool complete = true;  // the data reaches its end marker (JPEG EOI, PNG IEND)
};

// Parses what the header of `data` says, orientation aside (left at 1). Never reads past data's
// end; a malformed header leaves fields at their defaults (the decoder reports the error).
ImageHeader parse_header(std::string_view data);

}  // namespace imaging
