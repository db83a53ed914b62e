// libFuzzer target: the HEIF meta-box reader behind the choice of an embedded thumbnail (box sizes,
// ipma entries, ispe, clap, irot, imir) must never read out of bounds, and the part of the coded
// image it finds shown must lie inside it, whatever the bytes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "heif_geometry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto primary = imaging::heif_item_geometry(bytes, 1);
  const auto thumbnail = imaging::heif_item_geometry(bytes, 2);
  for (const auto& g : {primary, thumbnail}) {
    if (g &&
        !(0 <= g->left && g->left < g->right && g->right <= 1 && 0 <= g->top && g->top < g->bottom && g->bottom <= 1)) {
      __builtin_trap();
    }
  }
  if (primary && thumbnail) (void)imaging::same_picture(*primary, *thumbnail);
  return 0;
}
