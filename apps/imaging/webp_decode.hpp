#pragma once
// WebP with libwebp and libwebpdemux: the first frame of an animation, the ICCP chunk,
// and libwebp's own scaling while decoding.

#include <string_view>

#include "decoded.hpp"

namespace imaging {

// Decodes scaled down by `factor` (1: full size). Throws std::runtime_error.
Decoded decode_webp(std::string_view data, int factor);

}  // namespace imaging
