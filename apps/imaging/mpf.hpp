#pragma once
// The other images of a JPEG's Multi-Picture Format index (CIPA DC-007, the APP2 "MPF" segment
// cameras write): a large preview, or a stereo pair's second view. No Debian library reads MPF
// (libexiv2 0.27 does not), hence this small reader, bounded like the header parser.

#include <string_view>
#include <vector>

namespace imaging {

// Every image the index lists after the first (the file's own main image), as views into `jpeg`:
// only those that lie wholly inside it and start with a JPEG's SOI marker.
std::vector<std::string_view> mpf_images(std::string_view jpeg);

}  // namespace imaging
