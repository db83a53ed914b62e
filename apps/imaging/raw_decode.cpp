#include "raw_decode.hpp"

#include <libraw/libraw.h>

#include <opencv2/imgproc.hpp>

#include <ctime>
#include <memory>
#include <stdexcept>

#include "image_header.hpp"
#include "jpeg_decode.hpp"
#include "preview_rule.hpp"

namespace imaging {

namespace {

// LibRaw's flip (dcraw's bits: 4 transpose, 2 flip rows, 1 flip columns) as EXIF's orientation.
int orientation_of_flip(int flip) {
  static constexpr int kOrientation[8] = {1, 2, 4, 3, 5, 8, 6, 7};
  return kOrientation[flip & 7];
}

struct ImageDeleter {
  void operator()(libraw_processed_image_t* image) const { LibRaw::dcraw_clear_mem(image); }
};

[[noreturn]] void fail(int code) {
  std::string why = libraw_strerror(code);
  if (code == LIBRAW_IO_ERROR) why = "its sensor data is cut short or damaged";
  if (code == LIBRAW_UNSUFFICIENT_MEMORY) why = "out of memory";
  throw std::runtime_error("cannot read RAW data: " + why);
}

// LibRaw's own facts, for the formats libexiv2 does not read (Sigma, Kyocera, some CR3).
Metadata metadata_of(const LibRaw& raw) {
  Metadata m;
  const libraw_data_t& d = raw.imgdata;
  m.make = d.idata.normalized_make[0] != '\0' ? d.idata.normalized_make : d.idata.make;
  m.model = d.idata.normalized_model[0] != '\0' ? d.idata.normalized_model : d.idata.model;
  m.lens = d.lens.Lens;
  if (d.other.timestamp > 0) {
    // LibRaw took the camera's local date and time for this machine's: turned back the same way.
    std::tm tm{};
    const std::time_t t = d.other.timestamp;
    if (localtime_r(&t, &tm) != nullptr) {
      char text[32];
      std::strftime(text, sizeof text, "%Y:%m:%d %H:%M:%S", &tm);
      m.captured = iso_date(text);
    }
  }
  return m;
}

// The camera's JPEG preview, when LibRaw has one that serves: decoded at its scale.
std::optional<Decoded> preview(LibRaw& raw, int shown_width, int shown_height, bool swap, const std::vector<Box>& boxes,
                               const std::vector<Fit>& fits) {
  // Its kind is known once unpacked: a bitmap preview (some old cameras) is left to the sensor data.
  if (raw.imgdata.thumbnail.tlength == 0 || raw.unpack_thumb() != LIBRAW_SUCCESS) return std::nullopt;
  if (raw.imgdata.thumbnail.tformat != LIBRAW_THUMBNAIL_JPEG || raw.imgdata.thumbnail.thumb == nullptr) {
    return std::nullopt;
  }
  const std::string_view jpeg(raw.imgdata.thumbnail.thumb, raw.imgdata.thumbnail.tlength);
  const ImageHeader h = parse_header(jpeg);
  if (h.format != Format::Jpeg || !h.complete || h.width == 0 || h.height == 0) return std::nullopt;
  const int width = static_cast<int>(swap ? h.height : h.width);
  const int height = static_cast<int>(swap ? h.width : h.height);
  if (!preview_serves(width, height, shown_width, shown_height, boxes, fits)) return std::nullopt;
  const DecodeNeed need = decode_need(static_cast<int>(h.width), static_cast<int>(h.height), swap, boxes, fits);
  return decode_jpeg(
      jpeg, jpeg_scale_denominator(static_cast<int>(h.width), static_cast<int>(h.height), need.width, need.height));
}

// LibRaw's half-size decode: one pixel per 2x2 sensor block, demosaicked, in sRGB with its curve.
// LibRaw is opened afresh: a preview it failed to unpack leaves it refusing the sensor data.
cv::Mat half_size(LibRaw& raw, std::string_view data) {
  raw.recycle();
  if (const int rc = raw.open_buffer(const_cast<char*>(data.data()), data.size()); rc != LIBRAW_SUCCESS) fail(rc);
  libraw_output_params_t& p = raw.imgdata.params;
  p.half_size = 1;
  p.use_camera_wb = 1;
  p.output_color = 1;  // sRGB primaries
  p.output_bps = 8;
  p.gamm[0] = 1 / 2.4;  // the sRGB curve, not dcraw's BT.709 default
  p.gamm[1] = 12.92;
  p.user_flip = 0;  // turned later, on the small image
  if (const int rc = raw.unpack(); rc != LIBRAW_SUCCESS) fail(rc);
  if (const int rc = raw.dcraw_process(); rc != LIBRAW_SUCCESS) fail(rc);
  int rc = LIBRAW_SUCCESS;
  const std::unique_ptr<libraw_processed_image_t, ImageDeleter> image(raw.dcraw_make_mem_image(&rc));
  if (!image || rc != LIBRAW_SUCCESS) fail(rc);
  if (image->type != LIBRAW_IMAGE_BITMAP || image->bits != 8 || (image->colors != 3 && image->colors != 1)) {
    throw std::runtime_error("cannot read RAW data: LibRaw gave an image of an unexpected kind");
  }
  const cv::Mat pixels(image->height, image->width, image->colors == 3 ? CV_8UC3 : CV_8UC1, image->data);
  cv::Mat bgr;
  if (image->colors == 3) {
    cv::cvtColor(pixels, bgr, cv::COLOR_RGB2BGR);
  } else {
    bgr = pixels.clone();
  }
  return bgr;
}

}  // namespace

std::optional<RawDecoded> decode_raw(std::string_view data, std::uint64_t max_pixels, const std::vector<Box>& boxes,
                                     const std::vector<Fit>& fits) {
  // LibRaw's state is large (hundreds of KB): on the heap, not a worker's stack.
  const auto raw = std::make_unique<LibRaw>(LIBRAW_OPTIONS_NONE);
  // Its warnings would go to stderr: the parent says what matters, in one line.
  raw->set_dataerror_handler([](void*, const char*, int) {}, nullptr);
  const int opened = raw->open_buffer(const_cast<char*>(data.data()), data.size());
  if (opened == LIBRAW_FILE_UNSUPPORTED) return std::nullopt;
  if (opened != LIBRAW_SUCCESS) fail(opened);
  const libraw_image_sizes_t& sizes = raw->imgdata.sizes;
  const int width = sizes.width;
  const int height = sizes.height;
  if (width <= 0 || height <= 0) throw std::runtime_error("cannot read RAW data: no image size");
  if (static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height) > max_pixels) {
    throw std::runtime_error("too many pixels (" + std::to_string(width) + "x" + std::to_string(height) +
                             " is more than the limit of " + std::to_string(max_pixels) + ")");
  }
  RawDecoded out;
  out.width = width;
  out.height = height;
  out.metadata = metadata_of(*raw);
  out.image.orientation = orientation_of_flip(sizes.flip);
  const bool swap = out.image.orientation >= 5;
  const int shown_width = swap ? height : width;
  const int shown_height = swap ? width : height;
  if (std::optional<Decoded> jpeg = preview(*raw, shown_width, shown_height, swap, boxes, fits)) {
    out.image.pixels = std::move(jpeg->pixels);
    out.image.colour = std::move(jpeg->colour);
    out.from_preview = true;
    return out;
  }
  out.image.pixels = half_size(*raw, data);
  return out;
}

std::string libraw_version() {
  const std::string version = LibRaw::version();  // "0.20.2-Release"
  return version.substr(0, version.find('-'));
}

}  // namespace imaging
