// libFuzzer target: the imaging core's header parser (JPEG markers, PNG chunks, WebP, BMP, TIFF
// IFDs) must never read out of bounds, whatever the bytes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "image_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const imaging::ImageHeader h = imaging::parse_header(bytes);
  if (h.format == imaging::Format::Unknown && (h.width != 0 || h.height != 0)) __builtin_trap();
  (void)imaging::detect_format(bytes);
  return 0;
}
