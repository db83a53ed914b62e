#pragma once
// JPEG with libjpeg directly: scaled DCT (1/2, 1/4, 1/8) while decoding, the ICC profile from
// APP2 (over several segments), and CMYK kept as CMYK for colour management.

#include <string_view>

#include "decoded.hpp"

namespace imaging {

// Decodes at 1/scale_denominator (1, 2, 4 or 8). Throws std::runtime_error with libjpeg's message.
Decoded decode_jpeg(std::string_view data, int scale_denominator);

}  // namespace imaging
