#pragma once
// What a photo says about itself in its EXIF and XMP, read with libexiv2 in every format it knows
// (JPEG, PNG, WebP, TIFF, HEIF and AVIF, camera RAW): orientation, capture date, camera, lens.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "image_header.hpp"

namespace imaging {

struct Metadata {
  int orientation = 0;  // EXIF orientation 1..8, else XMP's tiff:Orientation; 0: the file gives none
  // When the photo was taken, ISO 8601, local time with its UTC offset when the file gives one:
  // "2024-05-04T13:22:01+02:00", "2024-05-04T13:22:01"; from EXIF DateTimeOriginal (and
  // OffsetTimeOriginal), else XMP's exif:DateTimeOriginal, photoshop:DateCreated or xmp:CreateDate.
  // Empty: unknown.
  std::string captured;
  std::string make;   // "Canon", "NIKON CORPORATION"
  std::string model;  // "Canon EOS 5D Mark IV", "NIKON D850"
  std::string lens;   // "EF24-70mm f/2.8L II USM"

  // Make and model as one name: the model alone when it starts with the make's first word
  // ("NIKON D850" for NIKON CORPORATION's), else both ("FUJIFILM X-T3"). Empty when neither is known.
  std::string camera() const;
  bool empty() const { return orientation == 0 && captured.empty() && make.empty() && model.empty() && lens.empty(); }
  bool operator==(const Metadata&) const = default;
};

// Never throws: what is missing or malformed is left empty. It runs libexiv2's parsers on the
// data, so it belongs where a crash costs one file (a worker), as decoding does.
// With `exif_thumbnail`, also the JPEG thumbnail the EXIF carries (IFD1), empty when none.
Metadata read_metadata(std::string_view data, std::string* exif_thumbnail = nullptr);

// parse_header() with the orientation the file's EXIF or XMP gives (1 when none): for a caller
// that needs the header and the orientation only.
ImageHeader read_header(std::string_view data);

// "2024:05:04 13:22:01" (EXIF) or "2024-05-04T13:22:01.25+02:00" (XMP) as captured's form;
// `offset` ("+02:00", EXIF's OffsetTimeOriginal) is added when valid. Empty for anything else,
// including EXIF's blank "0000:00:00 00:00:00".
std::string iso_date(std::string_view exif_or_xmp, std::string_view offset = {});

// The fields present, for the report and the messages between processes: "captured", "camera",
// "make", "model", "lens" (camera is derived and ignored when read back).
void to_json(nlohmann::json& j, const Metadata& m);
void from_json(const nlohmann::json& j, Metadata& m);

}  // namespace imaging
