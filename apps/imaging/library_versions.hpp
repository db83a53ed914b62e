#pragma once
// The image libraries the thumbnailer was built with and runs against, for --version.

#include <string>
#include <utility>
#include <vector>

namespace imaging {

// (library, version), in the order a reader expects: OpenCV and oneTBB, then one per format, then colour.
std::vector<std::pair<std::string, std::string>> library_versions();

// The formats the thumbnailer reads, as --version lists them ("JPEG PNG WebP ... AVIF" when libheif
// has an AV1 decoder).
std::string readable_formats();

}  // namespace imaging
