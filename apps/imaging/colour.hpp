#pragma once
// Colour management with LittleCMS: decoded pixels in their embedded profile's space become
// sRGB. Untagged pixels are taken as sRGB and left alone, as are pixels tagged with sRGB itself.

#include <opencv2/core.hpp>
#include <string>

namespace imaging {

// Where the decoded pixels' colours are defined.
struct ColourSource {
  std::string icc;             // the embedded ICC profile, empty when there is none
  bool cmyk = false;           // 4-channel CMYK pixels (CMYK JPEG)
  bool inverted_cmyk = false;  // Adobe's CMYK JPEGs store 255 for no ink
};

// The CMYK profile used for CMYK images without one of their own (empty when none is installed).
const std::string& default_cmyk_profile_path();

// True when `icc` describes sRGB (same primaries, white and tone curves): no conversion needed.
bool is_srgb_profile(const std::string& icc);

// Converts 8-bit grey, BGR, BGRA or (source.cmyk) CMYK pixels to sRGB: BGR or BGRA, or grey
// when grey pixels have no grey profile to convert from. A profile that cannot be read or does
// not fit the pixels is ignored, as if the image were untagged.
cv::Mat to_srgb(cv::Mat pixels, const ColourSource& source);

}  // namespace imaging
