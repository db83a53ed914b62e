#pragma once
// PNG decoding with shrink-on-load: rows are read one at a time and averaged in blocks of
// factor x factor pixels as they arrive, so a large image never sits in memory at full size
// and the final resize starts from a small image (libvips's approach).

#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace thumbs {

// 8-bit grey, BGR or BGRA, about (width / factor) x (height / factor). Returns an empty Mat
// for interlaced images, which cannot be read row by row; throws std::runtime_error with
// libpng's message for corrupt data.
cv::Mat decode_png_shrunk(std::string_view data, int factor);

}  // namespace thumbs
