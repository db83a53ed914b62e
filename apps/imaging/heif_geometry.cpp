#include "heif_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace imaging {

namespace {

std::uint32_t be16(std::string_view d, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(d[at]) << 8 | static_cast<unsigned char>(d[at + 1]));
}
std::uint32_t be32(std::string_view d, std::size_t at) { return be16(d, at) << 16 | be16(d, at + 2); }
std::uint64_t be64(std::string_view d, std::size_t at) { return std::uint64_t{be32(d, at)} << 32 | be32(d, at + 4); }

struct Box {
  std::string_view type;
  std::string_view body;
};

// The boxes laid one after another in `data`, up to the first malformed one.
std::vector<Box> boxes_in(std::string_view data) {
  std::vector<Box> boxes;
  std::size_t pos = 0;
  while (data.size() - pos >= 8) {
    std::uint64_t size = be32(data, pos);
    std::size_t header = 8;
    if (size == 1) {
      if (data.size() - pos < 16) break;
      size = be64(data, pos + 8);
      header = 16;
    } else if (size == 0) {
      size = data.size() - pos;  // to the end of the file
    }
    if (size < header || size > data.size() - pos) break;
    boxes.push_back({data.substr(pos + 4, 4), data.substr(pos + header, static_cast<std::size_t>(size) - header)});
    pos += static_cast<std::size_t>(size);
  }
  return boxes;
}

std::optional<std::string_view> body_of(const std::vector<Box>& boxes, std::string_view type) {
  for (const Box& b : boxes) {
    if (b.type == type) return b.body;
  }
  return std::nullopt;
}

// The indices into ipco (from 1; 0 is none) of `item`'s properties, in order: its entry in the
// first ipma box that has one, as libheif merges them.
std::optional<std::vector<std::uint32_t>> property_indices(const std::vector<Box>& iprp, std::uint32_t item) {
  for (const Box& box : iprp) {
    const std::string_view d = box.body;
    if (box.type != "ipma" || d.size() < 8) continue;
    const bool long_ids = d[0] != 0;                  // version 1 and up
    const bool long_indices = (be32(d, 0) & 1) != 0;  // flags bit 0
    const std::uint32_t entries = be32(d, 4);
    std::size_t pos = 8;
    for (std::uint32_t e = 0; e < entries; ++e) {
      const std::size_t id_size = long_ids ? 4 : 2;
      if (d.size() - pos < id_size + 1) return std::nullopt;
      const std::uint32_t id = long_ids ? be32(d, pos) : be16(d, pos);
      pos += id_size;
      const std::size_t count = static_cast<unsigned char>(d[pos++]);
      const std::size_t each = long_indices ? 2 : 1;
      if (d.size() - pos < count * each) return std::nullopt;
      if (id == item) {
        std::vector<std::uint32_t> indices;
        for (std::size_t k = 0; k < count; ++k, pos += each) {
          indices.push_back(long_indices ? be16(d, pos) & 0x7FFF : static_cast<unsigned char>(d[pos]) & 0x7Fu);
        }
        return indices;
      }
      pos += count * each;
    }
  }
  return std::nullopt;
}

// The shown image as it is built, step by step: its size, and coded = turn * shown + offset.
struct View {
  std::array<std::int64_t, 4> turn{1, 0, 0, 1};
  std::int64_t offset_x = 0;
  std::int64_t offset_y = 0;
  std::int64_t width = 0;
  std::int64_t height = 0;

  // The previous shown pixel is m * (new shown pixel) + (cx, cy).
  void then(const std::array<std::int64_t, 4>& m, std::int64_t cx, std::int64_t cy) {
    offset_x += turn[0] * cx + turn[1] * cy;
    offset_y += turn[2] * cx + turn[3] * cy;
    turn = {turn[0] * m[0] + turn[1] * m[2], turn[0] * m[1] + turn[1] * m[3], turn[2] * m[0] + turn[3] * m[2],
            turn[2] * m[1] + turn[3] * m[3]};
  }
  void rotate_ccw() {  // libheif's rotate_ccw(90)
    then({0, -1, 1, 0}, width - 1, 0);
    std::swap(width, height);
  }
  void mirror(bool left_right) {  // libheif's mirror_inplace
    if (left_right) {
      then({-1, 0, 0, 1}, width - 1, 0);
    } else {
      then({1, 0, 0, -1}, 0, height - 1);
    }
  }
  // libheif's clean-aperture crop, with its rounding. False when nothing is left.
  bool crop(std::string_view clap) {
    if (clap.size() < 32) return false;
    auto fraction = [&](std::size_t at, bool is_signed) {
      const std::uint32_t n = be32(clap, at);
      const std::uint32_t d = be32(clap, at + 4);
      const double numerator = is_signed ? static_cast<double>(static_cast<std::int32_t>(n)) : static_cast<double>(n);
      return d == 0 ? std::nan("") : numerator / static_cast<double>(d);
    };
    const double clean_w = fraction(0, false);
    const double clean_h = fraction(8, false);
    const double off_x = fraction(16, true);
    const double off_y = fraction(24, true);
    if (std::isnan(clean_w) || std::isnan(clean_h) || std::isnan(off_x) || std::isnan(off_y)) return false;
    auto clamp = [](double v, std::int64_t hi) {
      return static_cast<std::int64_t>(std::clamp(v, 0.0, static_cast<double>(hi)));
    };
    const double left = std::floor(off_x + (static_cast<double>(width) - 1) / 2 - (clean_w - 1) / 2);
    const double right = std::floor(clean_w - 1 + left + 0.5);
    const double top = std::floor(off_y + (static_cast<double>(height) - 1) / 2 - (clean_h - 1) / 2 + 0.5);
    const double bottom = std::floor(clean_h - 1 + top + 0.5);
    const std::int64_t x0 = clamp(left, width - 1);
    const std::int64_t x1 = clamp(right, width - 1);
    const std::int64_t y0 = clamp(top, height - 1);
    const std::int64_t y1 = clamp(bottom, height - 1);
    if (x0 > x1 || y0 > y1 || right < 0 || bottom < 0) return false;
    then({1, 0, 0, 1}, x0, y0);
    width = x1 - x0 + 1;
    height = y1 - y0 + 1;
    return true;
  }
};

}  // namespace

std::optional<HeifGeometry> heif_item_geometry(std::string_view file, std::uint32_t item) {
  const auto meta = body_of(boxes_in(file), "meta");
  if (!meta || meta->size() < 4) return std::nullopt;
  const auto iprp_body = body_of(boxes_in(meta->substr(4)), "iprp");  // after meta's version and flags
  if (!iprp_body) return std::nullopt;
  const std::vector<Box> iprp = boxes_in(*iprp_body);
  const auto ipco = body_of(iprp, "ipco");
  if (!ipco) return std::nullopt;
  const std::vector<Box> properties = boxes_in(*ipco);
  const auto indices = property_indices(iprp, item);
  if (!indices) return std::nullopt;
  std::vector<Box> own;
  for (const std::uint32_t index : *indices) {
    if (index > properties.size()) return std::nullopt;
    if (index > 0) own.push_back(properties[index - 1]);
  }

  View view;
  for (const Box& p : own) {
    if (p.type == "ispe" && p.body.size() >= 12) {
      view.width = be32(p.body, 4);
      view.height = be32(p.body, 8);
    }
  }
  if (view.width <= 0 || view.height <= 0 || view.width > (1 << 30) || view.height > (1 << 30)) return std::nullopt;
  HeifGeometry g;
  g.coded_width = static_cast<int>(view.width);
  g.coded_height = static_cast<int>(view.height);
  for (const Box& p : own) {
    if (p.type == "irot" && !p.body.empty()) {
      for (int quarter = 0; quarter < (p.body[0] & 3); ++quarter) view.rotate_ccw();
    } else if (p.type == "imir" && !p.body.empty()) {
      view.mirror((p.body[0] & 1) != 0);
    } else if (p.type == "clap" && !view.crop(p.body)) {
      return std::nullopt;
    }
  }
  // The coded pixels under the shown image's first and last pixels bound the part shown.
  const std::int64_t x0 = view.offset_x;
  const std::int64_t y0 = view.offset_y;
  const std::int64_t x1 = view.turn[0] * (view.width - 1) + view.turn[1] * (view.height - 1) + view.offset_x;
  const std::int64_t y1 = view.turn[2] * (view.width - 1) + view.turn[3] * (view.height - 1) + view.offset_y;
  for (int i = 0; i < 4; ++i)
    g.turn[static_cast<std::size_t>(i)] = static_cast<int>(view.turn[static_cast<std::size_t>(i)]);
  g.left = static_cast<double>(std::min(x0, x1)) / static_cast<double>(g.coded_width);
  g.right = static_cast<double>(std::max(x0, x1) + 1) / static_cast<double>(g.coded_width);
  g.top = static_cast<double>(std::min(y0, y1)) / static_cast<double>(g.coded_height);
  g.bottom = static_cast<double>(std::max(y0, y1) + 1) / static_cast<double>(g.coded_height);
  return g;
}

bool same_picture(const HeifGeometry& primary, const HeifGeometry& other) {
  if (primary.turn != other.turn) return false;
  const double pixel_x = 1.0 / other.coded_width + 1e-9;
  const double pixel_y = 1.0 / other.coded_height + 1e-9;
  return std::abs(primary.left - other.left) <= pixel_x && std::abs(primary.right - other.right) <= pixel_x &&
         std::abs(primary.top - other.top) <= pixel_y && std::abs(primary.bottom - other.bottom) <= pixel_y;
}

}  // namespace imaging
