#pragma once
// HEIC and AVIF with libheif: the primary image with its transforms (crop, rotation, mirror)
// applied, or the file's own thumbnail when that is already large enough and its own transforms
// give the same picture, and the colour profile (ICC, or one built from nclx primaries).

#include <cstdint>
#include <functional>
#include <string_view>

#include "decoded.hpp"

namespace imaging {

// `serves(width, height, primary_width, primary_height)`: whether a thumbnail of that size may stand
// in for the primary image of its size. Throws std::runtime_error with libheif's message.
Decoded decode_heif(std::string_view data, std::uint64_t max_pixels,
                    const std::function<bool(int, int, int, int)>& serves);

}  // namespace imaging
