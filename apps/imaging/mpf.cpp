#include "mpf.hpp"

#include <cstdint>

namespace imaging {

namespace {

std::uint16_t be16(std::string_view d, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(d[at]) << 8) | static_cast<unsigned char>(d[at + 1]));
}

// The APP2 payload after "MPF\0": a TIFF structure whose offsets count from its own start.
std::string_view mpf_segment(std::string_view d) {
  std::size_t pos = 2;
  while (pos + 4 <= d.size() && static_cast<unsigned char>(d[pos]) == 0xFF) {
    const auto marker = static_cast<unsigned char>(d[pos + 1]);
    if (marker == 0xDA || marker == 0xD9) break;  // the first scan: APPn segments come before it
    if (marker == 0xFF || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
      pos += marker == 0xFF ? 1 : 2;
      continue;
    }
    const std::size_t length = be16(d, pos + 2);
    if (length < 2 || length > d.size() - pos - 2) break;
    const std::string_view body = d.substr(pos + 4, length - 2);
    if (marker == 0xE2 && body.size() > 4 && body.substr(0, 4) == std::string_view("MPF\0", 4)) return body.substr(4);
    pos += 2 + length;
  }
  return {};
}

}  // namespace

std::vector<std::string_view> mpf_images(std::string_view jpeg) {
  std::vector<std::string_view> images;
  const std::string_view t = mpf_segment(jpeg);
  if (t.size() < 8) return images;
  const bool little = t.substr(0, 4) == std::string_view("II*\0", 4);
  if (!little && t.substr(0, 4) != std::string_view("MM\0*", 4)) return images;
  auto u16 = [&](std::size_t at) -> std::uint32_t {
    const auto a = static_cast<unsigned char>(t[at]);
    const auto b = static_cast<unsigned char>(t[at + 1]);
    return little ? (b << 8 | a) : (a << 8 | b);
  };
  auto u32 = [&](std::size_t at) -> std::uint32_t {
    return little ? (u16(at + 2) << 16 | u16(at)) : (u16(at) << 16 | u16(at + 2));
  };
  const std::uint32_t ifd = u32(4);
  if (ifd > t.size() || t.size() - ifd < 2) return images;
  const std::uint32_t count = u16(ifd);
  // The MP Entry tag (0xB002): 16 bytes per image (attributes, size, offset, two dependent images).
  std::uint32_t entries_at = 0;
  std::uint32_t entries_size = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t entry = ifd + 2 + std::size_t{i} * 12;
    if (entry > t.size() || t.size() - entry < 12) break;
    if (u16(entry) == 0xB002 && u16(entry + 2) == 7) {
      entries_size = u32(entry + 4);
      entries_at = u32(entry + 8);
    }
  }
  if (entries_size < 32 || entries_at > t.size() || t.size() - entries_at < entries_size) return images;
  // Offsets count from the TIFF header's start in the file; the first image is the file itself.
  const std::size_t base = static_cast<std::size_t>(t.data() - jpeg.data());
  for (std::uint32_t k = 1; k < entries_size / 16; ++k) {
    const std::size_t e = entries_at + std::size_t{k} * 16;
    const std::uint64_t size = u32(e + 4);
    const std::uint64_t offset = u32(e + 8);
    if (offset == 0 || size < 4 || base + offset > jpeg.size() || jpeg.size() - base - offset < size) continue;
    const std::string_view image = jpeg.substr(base + offset, size);
    if (image.substr(0, 2) == std::string_view("\xFF\xD8", 2)) images.push_back(image);
  }
  return images;
}

}  // namespace imaging
