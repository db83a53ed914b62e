#pragma once
// TIFF with libtiff's RGBA interface, which knows every photometric, bit depth, planar layout
// and alpha kind: the first page, BigTIFF too, with its ICC profile and orientation tag.

#include <cstdint>
#include <string_view>

#include "decoded.hpp"

namespace imaging {

// Throws std::runtime_error (libtiff's message, or "too many pixels ..." beyond max_pixels).
Decoded decode_tiff(std::string_view data, std::uint64_t max_pixels);

}  // namespace imaging
