#pragma once
// EXIF orientation (1..8) applied to pixels, so that a phone's portrait photo gives a
// portrait thumbnail.

#include <opencv2/core.hpp>

namespace imaging {

// True for orientations 5..8, which swap width and height.
inline bool swaps_axes(int orientation) { return orientation >= 5 && orientation <= 8; }

// Turns an image stored with `orientation` into its upright form.
cv::Mat apply_orientation(const cv::Mat& stored, int orientation);

}  // namespace imaging
