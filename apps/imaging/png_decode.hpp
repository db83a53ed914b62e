#pragma once
// PNG decoding with shrink-on-load: rows are read one at a time and averaged in blocks of
// factor x factor pixels as they arrive, so a large image never sits in memory at full size
// and the final resize starts from a small image (libvips's approach).

#include <string>
#include <string_view>

#include "decoded.hpp"

namespace imaging {

// 8-bit grey, BGR or BGRA, about (width / factor) x (height / factor), with the iCCP profile.
// Blocks are averaged with alpha weights, so transparent pixels lend no colour to their
// neighbours. Interlaced images are read whole first. Throws std::runtime_error with libpng's
// message for corrupt data.
Decoded decode_png_shrunk(std::string_view data, int factor);

}  // namespace imaging
