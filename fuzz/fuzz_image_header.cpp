// libFuzzer target: the imaging core's header parser (JPEG markers and EXIF, PNG chunks and their
// raw-profile EXIF text, WebP, BMP, TIFF IFDs) must never read out of bounds, whatever the bytes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "image_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const imaging::ImageHeader h = imaging::read_header(bytes);
  if (h.orientation < 1 || h.orientation > 8) __builtin_trap();
  (void)imaging::tiff_orientation(bytes);
  (void)imaging::detect_format(bytes);
  return 0;
}
