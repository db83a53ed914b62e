#include "geometry.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "cli_values.hpp"

namespace imaging {

namespace {
int scaled(int length, double factor) { return std::max(1, static_cast<int>(std::lround(length * factor))); }
}  // namespace

Box parse_box(const std::string& text) {
  const common::BoxSize size = common::parse_box_size(text);
  return {size.width, size.height};
}

std::string to_string(Box box) { return std::to_string(box.width) + "x" + std::to_string(box.height); }

Fit parse_fit(const std::string& text) {
  if (text == "contain") return Fit::Contain;
  if (text == "cover") return Fit::Cover;
  if (text == "fill") return Fit::Fill;
  if (text == "shortest") return Fit::Shortest;
  if (text == "border") return Fit::Border;
  if (text == "none") return Fit::None;
  throw std::invalid_argument("invalid fit '" + text + "' (contain, shortest, cover, border, fill or none)");
}

const char* to_string(Fit fit) {
  switch (fit) {
    case Fit::Cover:
      return "cover";
    case Fit::Fill:
      return "fill";
    case Fit::Shortest:
      return "shortest";
    case Fit::Border:
      return "border";
    case Fit::None:
      return "none";
    case Fit::Contain:
      break;
  }
  return "contain";
}

Geometry fit_geometry(int width, int height, Box box, Fit fit, bool enlarge) {
  Geometry g;
  const double sx = static_cast<double>(box.width) / width;
  const double sy = static_cast<double>(box.height) / height;
  switch (fit) {
    case Fit::Fill:
      g.resize_width = box.width;
      g.resize_height = box.height;
      break;
    case Fit::None:
      g.resize_width = width;
      g.resize_height = height;
      break;
    case Fit::Contain:
    case Fit::Border:
      if (!enlarge && sx >= 1 && sy >= 1) {
        g.resize_width = width;
        g.resize_height = height;
      } else if (sx <= sy) {  // width binds: it becomes exactly the box's
        g.resize_width = box.width;
        g.resize_height = std::min(box.height, scaled(height, sx));
      } else {
        g.resize_height = box.height;
        g.resize_width = std::min(box.width, scaled(width, sy));
      }
      break;
    case Fit::Cover:
    case Fit::Shortest: {
      if (!enlarge && std::max(sx, sy) >= 1) {
        g.resize_width = width;
        g.resize_height = height;
      } else if (sx >= sy) {
        g.resize_width = box.width;
        g.resize_height = std::max(box.height, scaled(height, sx));
      } else {
        g.resize_height = box.height;
        g.resize_width = std::max(box.width, scaled(width, sy));
      }
      break;
    }
  }
  g.crop_width = std::min(g.resize_width, fit == Fit::Cover ? box.width : g.resize_width);
  g.crop_height = std::min(g.resize_height, fit == Fit::Cover ? box.height : g.resize_height);
  g.crop_x = (g.resize_width - g.crop_width) / 2;
  g.crop_y = (g.resize_height - g.crop_height) / 2;
  g.canvas_width = fit == Fit::Border ? box.width : g.crop_width;
  g.canvas_height = fit == Fit::Border ? box.height : g.crop_height;
  g.pad_x = (g.canvas_width - g.crop_width) / 2;
  g.pad_y = (g.canvas_height - g.crop_height) / 2;
  return g;
}

int jpeg_scale_denominator(int width, int height, int need_width, int need_height) {
  for (int d : {8, 4, 2}) {
    // libjpeg rounds scaled dimensions up.
    if ((width + d - 1) / d >= need_width && (height + d - 1) / d >= need_height) return d;
  }
  return 1;
}

DecodeNeed decode_need(int width, int height, bool swap, const std::vector<Box>& boxes, const std::vector<Fit>& fits,
                       bool enlarge) {
  DecodeNeed need;
  if (width <= 0 || height <= 0) return need;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const Geometry g = fit_geometry(swap ? height : width, swap ? width : height, boxes[i], fits[i], enlarge);
    const int margin = std::max(g.resize_width, g.resize_height) >= kDisplayBox ? 1 : 2;
    need.width = std::max(need.width, margin * (swap ? g.resize_height : g.resize_width));
    need.height = std::max(need.height, margin * (swap ? g.resize_width : g.resize_height));
  }
  return need;
}

}  // namespace imaging
