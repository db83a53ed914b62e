#pragma once
// BMP without compression or with bit fields, read here: OpenCV misreads OS/2 headers, 16-bit
// 5-6-5 and 4-4-4-4 and 32-bit bit fields, and no library for BMP alone ships with Debian.
// RLE-compressed BMPs are left to OpenCV; JPEG, PNG, Huffman and RLE24 inside BMP are refused.

#include <cstdint>
#include <optional>
#include <string_view>

#include "decoded.hpp"

namespace imaging {

// The pixels, or nullopt for RLE4/RLE8 (OpenCV's). Throws std::runtime_error for what it
// cannot read, with the reason.
std::optional<Decoded> decode_bmp(std::string_view data, std::uint64_t max_pixels);

}  // namespace imaging
