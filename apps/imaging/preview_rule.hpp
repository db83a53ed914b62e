#pragma once
// When a picture a file carries beside its main image (a JPEG's EXIF thumbnail or MPF preview, a
// HEIF thumbnail, a RAW's preview) can stand in for it: it must be large enough and show the same
// frame. Many cameras letterbox a 160x120 thumbnail of a 3:2 photo; that one never serves.

#include <vector>

#include "geometry.hpp"

namespace imaging {

// Whether a preview_width x preview_height picture has the image's aspect ratio: its other side,
// computed from the image's ratio, is off by at most a pixel (or 1% of that side, for a RAW whose
// sensor area and the camera's JPEG crop differ by a few pixels). Both sizes in the same axes.
bool same_aspect(int preview_width, int preview_height, int image_width, int image_height);

// Whether the preview serves every box: same_aspect(), and at least twice the size each box's
// thumbnail of the image has (fits[i] for boxes[i], as the decode scale of a main image is chosen).
// Sizes as shown.
bool preview_serves(int preview_width, int preview_height, int image_width, int image_height,
                    const std::vector<Box>& boxes, const std::vector<Fit>& fits);

}  // namespace imaging
