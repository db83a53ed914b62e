#pragma once
// Camera RAW files with LibRaw (CR2, CR3, CRW, NEF, ARW, RAF, RW2, ORF, PEF, DNG, SRW, MRW, IIQ
// and the rest LibRaw 0.20 reads): the camera's own JPEG preview when it serves, else LibRaw's
// half-size decode (demosaicked, camera white balance, sRGB), turned by the RAW's flip.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "decoded.hpp"
#include "geometry.hpp"
#include "metadata.hpp"

namespace imaging {

struct RawDecoded {
  Decoded image;  // as stored, its orientation the RAW's flip (EXIF-style)
  int width = 0;  // the whole image as stored (LibRaw's visible area)
  int height = 0;
  bool from_preview = false;  // the camera's embedded JPEG, not the sensor data
  Metadata metadata;          // LibRaw's camera, lens and timestamp, for files libexiv2 cannot read
};

// The preview serves when it is a JPEG that preview_serves() every box with, fits[i] for boxes[i]
// (preview_rule.hpp); it is
// decoded at the smallest scale that keeps twice each box. Returns nullopt when LibRaw does not take
// the data for a RAW (a plain TIFF: libtiff's then); throws std::runtime_error for a RAW it cannot
// read ("cannot read RAW data: ...") or with more than max_pixels.
std::optional<RawDecoded> decode_raw(std::string_view data, std::uint64_t max_pixels, const std::vector<Box>& boxes,
                                     const std::vector<Fit>& fits);

// The LibRaw running: "0.20.2".
std::string libraw_version();

}  // namespace imaging
