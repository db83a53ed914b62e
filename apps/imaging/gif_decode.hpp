#pragma once
// GIF with giflib: the first frame on its logical screen (grown to hold the frame), transparency
// kept as alpha.

#include <cstdint>
#include <string_view>

#include "decoded.hpp"

namespace imaging {

// BGRA pixels of the first frame. Throws std::runtime_error with giflib's message.
Decoded decode_gif(std::string_view data, std::uint64_t max_pixels);

}  // namespace imaging
