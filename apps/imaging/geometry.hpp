#pragma once
// Thumbnail geometry: how big the thumbnail is for a box and a fit mode, and which
// libjpeg scale to decode at.

#include <string>
#include <vector>

namespace imaging {

// contain: inside the box; shortest: the box's shorter side reached; cover: filled and cropped;
// border: inside the box and padded to it; fill: stretched to it; none: the image's own size.
enum class Fit { Contain, Cover, Fill, Shortest, Border, None };

struct Box {
  int width = 0;
  int height = 0;
  bool operator==(const Box&) const = default;
};

// "75x75", "320x200" or "256" (a square). Throws std::invalid_argument with a message.
Box parse_box(const std::string& text);
std::string to_string(Box box);
Fit parse_fit(const std::string& text);
const char* to_string(Fit fit);

struct Geometry {
  int resize_width = 0;  // the image is resized to this...
  int resize_height = 0;
  int crop_x = 0;  // ...then this rectangle is kept (the whole image unless cover crops)
  int crop_y = 0;
  int crop_width = 0;
  int crop_height = 0;
  int canvas_width = 0;  // ...and placed at (pad_x, pad_y) on a canvas this size (larger only for border)
  int canvas_height = 0;
  int pad_x = 0;
  int pad_y = 0;
};

// For an image of width x height (as displayed, after orientation), keeping the aspect ratio but
// for fill:
//   contain:  fit inside the box;
//   shortest: as small as it can be while covering the box (a square box: the shorter side is its side);
//   cover:    as shortest, then the centre cropped to the box;
//   border:   as contain, then centred on a canvas of exactly the box;
//   fill:     exactly the box;
//   none:     as it is.
// Without `enlarge` an image is never made larger (one that fits stays as it is; border still pads
// it to the box); with it, a smaller image is resized up to the box as well.
Geometry fit_geometry(int width, int height, Box box, Fit fit, bool enlarge = false);

// A box this large is a display rendition (the gallery's viewer image), not a thumbnail.
inline constexpr int kDisplayBox = 1024;

// The size, in stored axes, an image stored as width x height (turned a quarter when `swap`) must
// be decoded to so that every box's thumbnail (fits[i] for boxes[i]) is made from at least twice
// its pixels, so that the final resize still averages; a display rendition from at least its own
// pixels, as vipsthumbnail's shrink-on-load does, where twice would mean a full decode for little gain.
struct DecodeNeed {
  int width = 1;
  int height = 1;
};
DecodeNeed decode_need(int width, int height, bool swap, const std::vector<Box>& boxes, const std::vector<Fit>& fits,
                       bool enlarge = false);

// The largest libjpeg scale denominator (8, 4, 2 or 1) at which an image of width x height
// still decodes to at least need_width x need_height pixels.
int jpeg_scale_denominator(int width, int height, int need_width, int need_height);

}  // namespace imaging
