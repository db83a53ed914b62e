#pragma once
// What a format's decoder hands to the rest of the pipeline.

#include <opencv2/core.hpp>
#include <string>

#include "colour.hpp"

namespace imaging {

struct Decoded {
  cv::Mat pixels;        // 8-bit grey, BGR, BGRA (straight alpha) or, for colour.cmyk, CMYK
  ColourSource colour;   // the profile the pixels are in
  int orientation = 0;   // EXIF-style 1..8 found by the decoder; 0: the header's
  bool preview = false;  // decoded from a preview the file carries, not from its main image
};

}  // namespace imaging
