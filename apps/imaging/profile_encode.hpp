#pragma once
// Encoders that embed an ICC profile (--colour keep), with each format's own library: libjpeg
// (APP2 over as many segments as it takes), libpng (iCCP) and libwebpmux (ICCP).

#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace imaging {

// Grey or BGR pixels. Throws std::runtime_error.
std::vector<unsigned char> encode_jpeg_with_profile(const cv::Mat& pixels, int quality, const std::string& icc);
// Grey, BGR or BGRA pixels, with `icc` as its iCCP (none when empty) and each (key, text) as a tEXt
// chunk before the pixels (Latin-1 text, as PNG's tEXt is). Throws std::runtime_error.
std::vector<unsigned char> encode_png_with_profile(const cv::Mat& pixels, const std::string& icc,
                                                   const std::vector<std::pair<std::string, std::string>>& text = {});
// Adds an ICCP chunk to an encoded WebP. Throws std::runtime_error.
std::vector<unsigned char> add_webp_profile(const std::vector<unsigned char>& webp, const std::string& icc);

}  // namespace imaging
