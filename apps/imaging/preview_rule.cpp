#include "preview_rule.hpp"

#include <algorithm>
#include <cmath>

namespace imaging {

bool same_aspect(int preview_width, int preview_height, int image_width, int image_height) {
  if (preview_width <= 0 || preview_height <= 0 || image_width <= 0 || image_height <= 0) return false;
  // The preview's height from its width (and its width from its height) at the image's ratio.
  const double height = static_cast<double>(preview_width) * image_height / image_width;
  const double width = static_cast<double>(preview_height) * image_width / image_height;
  const double height_slack = std::max(1.0, 0.01 * preview_height);
  const double width_slack = std::max(1.0, 0.01 * preview_width);
  return std::abs(height - preview_height) <= height_slack || std::abs(width - preview_width) <= width_slack;
}

bool preview_serves(int preview_width, int preview_height, int image_width, int image_height,
                    const std::vector<Box>& boxes, const std::vector<Fit>& fits) {
  if (!same_aspect(preview_width, preview_height, image_width, image_height)) return false;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const Geometry g = fit_geometry(image_width, image_height, boxes[i], fits[i]);
    if (preview_width < 2 * g.resize_width || preview_height < 2 * g.resize_height) return false;
  }
  return true;
}

}  // namespace imaging
