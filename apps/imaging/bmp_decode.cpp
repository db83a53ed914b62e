#include "bmp_decode.hpp"

#include <array>
#include <bit>
#include <stdexcept>
#include <string>
#include <vector>

namespace imaging {

namespace {

std::uint32_t le(std::string_view d, std::size_t at, int bytes) {
  if (at + static_cast<std::size_t>(bytes) > d.size()) throw std::runtime_error("truncated BMP header");
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d[at + static_cast<std::size_t>(i)]);
  return v;
}

// One channel of a bit-field pixel, scaled to 0..255.
struct Field {
  std::uint32_t mask = 0;
  int shift = 0;
  std::uint32_t max = 0;
  explicit Field(std::uint32_t m) : mask(m) {
    if (mask != 0) {
      shift = std::countr_zero(mask);
      max = mask >> shift;
    }
  }
  unsigned char operator()(std::uint32_t px) const {
    if (mask == 0) return 0;
    return static_cast<unsigned char>((std::uint64_t{(px & mask) >> shift} * 255 + max / 2) / max);
  }
};

constexpr std::uint32_t kRgb = 0, kRle8 = 1, kRle4 = 2, kBitfields = 3, kAlphaBitfields = 6;

}  // namespace

std::optional<Decoded> decode_bmp(std::string_view d, std::uint64_t max_pixels) {
  const std::uint32_t pixel_offset = le(d, 10, 4);
  const std::uint32_t header_size = le(d, 14, 4);
  const bool os2_v1 = header_size == 12;
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::uint32_t bits = 0;
  std::uint32_t compression = kRgb;
  std::uint32_t colours_used = 0;
  if (os2_v1) {
    width = le(d, 18, 2);
    height = static_cast<std::int16_t>(le(d, 20, 2));
    bits = le(d, 24, 2);
  } else if (header_size >= 16 && header_size <= 124) {
    width = static_cast<std::int32_t>(le(d, 18, 4));
    height = static_cast<std::int32_t>(le(d, 22, 4));
    bits = le(d, 28, 2);
    if (header_size >= 20) compression = le(d, 30, 4);
    if (header_size >= 36) colours_used = le(d, 46, 4);
  } else {
    throw std::runtime_error("unknown BMP header size " + std::to_string(header_size));
  }
  // OS/2 2.x headers (16..64 bytes, none of Windows' sizes) number their compressions differently.
  const bool windows =
      header_size == 40 || header_size == 52 || header_size == 56 || header_size == 108 || header_size == 124;
  if (!os2_v1 && !windows && compression >= 3) {
    throw std::runtime_error("unsupported BMP compression (OS/2 " + std::to_string(compression) + ")");
  }
  if (compression == kRle8 || compression == kRle4) return std::nullopt;
  if (compression != kRgb && compression != kBitfields && compression != kAlphaBitfields) {
    throw std::runtime_error("unsupported BMP compression (" + std::to_string(compression) + ")");
  }
  const bool top_down = height < 0;
  if (top_down) height = -height;
  if (width <= 0 || height <= 0) throw std::runtime_error("BMP without pixels");
  if (static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height) > max_pixels) {
    throw std::runtime_error("too many pixels (" + std::to_string(width) + "x" + std::to_string(height) +
                             " is more than the limit of " + std::to_string(max_pixels) + ")");
  }
  if (bits != 1 && bits != 2 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
    throw std::runtime_error("unsupported BMP bit depth " + std::to_string(bits));
  }

  // Bit fields: in the header from 52 bytes on, else right after a 40-byte header.
  std::uint32_t red = 0, green = 0, blue = 0, alpha = 0;
  const std::size_t header_end = 14 + std::size_t{header_size};
  std::size_t palette_at = header_end;
  if (compression == kBitfields || compression == kAlphaBitfields) {
    if (bits != 16 && bits != 32) throw std::runtime_error("BMP bit fields need 16 or 32 bits per pixel");
    const std::size_t masks_at = header_size >= 52 ? 54 : header_end;
    red = le(d, masks_at, 4);
    green = le(d, masks_at + 4, 4);
    blue = le(d, masks_at + 8, 4);
    if (header_size >= 56 || compression == kAlphaBitfields) alpha = le(d, masks_at + 12, 4);
    if (header_size < 52) palette_at += compression == kAlphaBitfields ? 16 : 12;
  } else if (bits == 16) {
    red = 0x7C00, green = 0x03E0, blue = 0x001F;
  } else if (bits == 32) {
    red = 0xFF0000, green = 0xFF00, blue = 0xFF;  // the fourth byte is padding, not alpha
  }

  std::vector<cv::Vec3b> palette;
  if (bits <= 8) {
    const std::size_t entry = os2_v1 ? 3 : 4;
    std::size_t count = colours_used != 0 && colours_used < (1u << bits) ? colours_used : (1u << bits);
    if (pixel_offset > palette_at) count = std::min(count, (pixel_offset - palette_at) / entry);
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t at = palette_at + i * entry;
      if (at + 3 > d.size()) break;
      palette.emplace_back(static_cast<unsigned char>(d[at]), static_cast<unsigned char>(d[at + 1]),
                           static_cast<unsigned char>(d[at + 2]));
    }
    if (palette.empty()) throw std::runtime_error("BMP without a colour table");
  }

  const std::size_t stride = ((static_cast<std::size_t>(width) * bits + 31) / 32) * 4;
  const std::size_t rows = static_cast<std::size_t>(height);
  if (pixel_offset > d.size() || (d.size() - pixel_offset) / stride < rows)
    throw std::runtime_error("truncated BMP data");

  const Field r(red), g(green), b(blue), a(alpha);
  Decoded out;
  const int w = static_cast<int>(width);
  out.pixels.create(static_cast<int>(height), w, alpha != 0 ? CV_8UC4 : CV_8UC3);
  for (std::size_t y = 0; y < rows; ++y) {
    const auto* src = reinterpret_cast<const unsigned char*>(d.data()) + pixel_offset + y * stride;
    const int out_y = static_cast<int>(top_down ? y : rows - 1 - y);
    unsigned char* dst = out.pixels.ptr<unsigned char>(out_y);
    const int channels = out.pixels.channels();
    for (int x = 0; x < w; ++x, dst += channels) {
      if (bits <= 8) {
        const std::size_t bit = static_cast<std::size_t>(x) * bits;
        const unsigned index = (src[bit / 8] >> (8 - bits - bit % 8)) & ((1u << bits) - 1);
        const cv::Vec3b c = index < palette.size() ? palette[index] : cv::Vec3b(0, 0, 0);
        dst[0] = c[0], dst[1] = c[1], dst[2] = c[2];
      } else if (bits == 24) {
        dst[0] = src[3 * x], dst[1] = src[3 * x + 1], dst[2] = src[3 * x + 2];
      } else {
        const std::uint32_t px =
            bits == 16
                ? le(std::string_view(reinterpret_cast<const char*>(src), stride), static_cast<std::size_t>(x) * 2, 2)
                : le(std::string_view(reinterpret_cast<const char*>(src), stride), static_cast<std::size_t>(x) * 4, 4);
        dst[0] = b(px), dst[1] = g(px), dst[2] = r(px);
        if (channels == 4) dst[3] = a(px);
      }
    }
  }
  return out;
}

}  // namespace imaging
