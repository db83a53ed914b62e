#pragma once
// What part of a HEIF item's coded image libheif shows, and turned how: its transformative
// properties (clap, irot, imir) applied in the order of its ipma entry, as libheif applies them
// on decode. libheif 1.15 applies them but does not tell them, so they are read from the meta box.
// A thumbnail item carries its own: one without the primary's crop or rotation shows another
// picture.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace imaging {

struct HeifGeometry {
  // The coded pixel under shown pixel (x, y) is turn * (x, y) + an offset: turn, a row-major 2x2
  // matrix, is a rotation or a mirror.
  std::array<int, 4> turn{1, 0, 0, 1};
  // The part of the coded image shown, as fractions of its size (ispe).
  double left = 0;
  double top = 0;
  double right = 1;
  double bottom = 1;
  int coded_width = 0;
  int coded_height = 0;
};

// The geometry of item `item` of the HEIF file `file`; nullopt when its boxes cannot be read.
std::optional<HeifGeometry> heif_item_geometry(std::string_view file, std::uint32_t item);

// Whether `other` (a thumbnail) shows the same picture as `primary`: turned alike, and cropped
// alike to within one of its own pixels.
bool same_picture(const HeifGeometry& primary, const HeifGeometry& other);

}  // namespace imaging
