#include "heif_decode.hpp"

#include <lcms2.h>
#include <libheif/heif.h>

#include <opencv2/imgproc.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "heif_geometry.hpp"

namespace imaging {

namespace {

struct ContextDeleter {
  void operator()(heif_context* c) const { heif_context_free(c); }
};
struct HandleDeleter {
  void operator()(heif_image_handle* h) const { heif_image_handle_release(h); }
};
struct ImageDeleter {
  void operator()(heif_image* i) const { heif_image_release(i); }
};
using Handle = std::unique_ptr<heif_image_handle, HandleDeleter>;

void check(const heif_error& e) {
  if (e.code != heif_error_Ok) throw std::runtime_error(std::string("cannot decode HEIF data: ") + e.message);
}

// An ICC profile for nclx primaries other than sRGB's (Display P3, BT.2020) with the sRGB curve
// (which BT.709-coded images are shown with too). HDR curves (PQ, HLG) are left as they are.
std::string profile_from_nclx(const heif_color_profile_nclx& nclx) {
  if (nclx.color_primaries == heif_color_primaries_ITU_R_BT_709_5 ||
      nclx.color_primaries == heif_color_primaries_unspecified) {
    return {};
  }
  switch (nclx.transfer_characteristics) {
    case heif_transfer_characteristic_ITU_R_BT_709_5:
    case heif_transfer_characteristic_unspecified:
    case heif_transfer_characteristic_ITU_R_BT_601_6:
    case heif_transfer_characteristic_IEC_61966_2_1:
    case heif_transfer_characteristic_ITU_R_BT_2020_2_10bit:
    case heif_transfer_characteristic_ITU_R_BT_2020_2_12bit:
      break;
    default:
      return {};
  }
  const cmsCIExyY white{nclx.color_primary_white_x, nclx.color_primary_white_y, 1.0};
  const cmsCIExyYTRIPLE primaries{{nclx.color_primary_red_x, nclx.color_primary_red_y, 1.0},
                                  {nclx.color_primary_green_x, nclx.color_primary_green_y, 1.0},
                                  {nclx.color_primary_blue_x, nclx.color_primary_blue_y, 1.0}};
  const cmsFloat64Number srgb_curve[5] = {2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045};
  cmsToneCurve* curve = cmsBuildParametricToneCurve(nullptr, 4, srgb_curve);
  cmsToneCurve* curves[3] = {curve, curve, curve};
  cmsHPROFILE profile = cmsCreateRGBProfile(&white, &primaries, curves);
  cmsFreeToneCurve(curve);
  if (profile == nullptr) return {};
  cmsUInt32Number size = 0;
  std::string icc;
  if (cmsSaveProfileToMem(profile, nullptr, &size) && size > 0) {
    icc.resize(size);
    if (!cmsSaveProfileToMem(profile, icc.data(), &size)) icc.clear();
  }
  cmsCloseProfile(profile);
  return icc;
}

std::string profile_of(const heif_image_handle* handle) {
  const heif_color_profile_type type = heif_image_handle_get_color_profile_type(handle);
  if (type == heif_color_profile_type_nclx) {
    heif_color_profile_nclx* nclx = nullptr;
    if (heif_image_handle_get_nclx_color_profile(handle, &nclx).code != heif_error_Ok || nclx == nullptr) return {};
    std::string icc = profile_from_nclx(*nclx);
    heif_nclx_color_profile_free(nclx);
    return icc;
  }
  if (type != heif_color_profile_type_prof && type != heif_color_profile_type_rICC) return {};
  std::string icc(heif_image_handle_get_raw_color_profile_size(handle), '\0');
  if (icc.empty() || heif_image_handle_get_raw_color_profile(handle, icc.data()).code != heif_error_Ok) return {};
  return icc;
}

}  // namespace

Decoded decode_heif(std::string_view data, std::uint64_t max_pixels,
                    const std::function<bool(int, int, int, int)>& serves) {
  const std::unique_ptr<heif_context, ContextDeleter> context(heif_context_alloc());
  check(heif_context_read_from_memory_without_copy(context.get(), data.data(), data.size(), nullptr));
  heif_image_handle* primary_raw = nullptr;
  check(heif_context_get_primary_image_handle(context.get(), &primary_raw));
  const Handle primary(primary_raw);
  const int full_w = heif_image_handle_get_width(primary.get());
  const int full_h = heif_image_handle_get_height(primary.get());
  if (full_w <= 0 || full_h <= 0) throw std::runtime_error("HEIF image without dimensions");
  if (static_cast<std::uint64_t>(full_w) * static_cast<std::uint64_t>(full_h) > max_pixels) {
    throw std::runtime_error("too many pixels (" + std::to_string(full_w) + "x" + std::to_string(full_h) +
                             " is more than the limit of " + std::to_string(max_pixels) + ")");
  }
  Decoded out;
  out.colour.icc = profile_of(primary.get());
  out.orientation = 1;  // libheif applies the file's rotation and mirroring itself

  // The embedded thumbnail serves when it is big enough, decoding it costs a fraction, and it shows
  // the same picture: libheif crops and turns each item by its own properties, and a thumbnail
  // without the primary's would come out uncropped or unturned.
  Handle chosen;
  const int thumbnails = heif_image_handle_get_number_of_thumbnails(primary.get());
  heif_item_id primary_id = 0;
  const std::optional<HeifGeometry> primary_geometry =
      thumbnails > 0 && heif_context_get_primary_image_ID(context.get(), &primary_id).code == heif_error_Ok
          ? heif_item_geometry(data, primary_id)
          : std::nullopt;
  if (primary_geometry) {
    std::vector<heif_item_id> ids(static_cast<std::size_t>(thumbnails));
    heif_image_handle_get_list_of_thumbnail_IDs(primary.get(), ids.data(), thumbnails);
    for (const heif_item_id id : ids) {
      heif_image_handle* t = nullptr;
      if (heif_image_handle_get_thumbnail(primary.get(), id, &t).code != heif_error_Ok) continue;
      Handle thumbnail(t);
      if (!serves(heif_image_handle_get_width(t), heif_image_handle_get_height(t), full_w, full_h) ||
          (chosen && heif_image_handle_get_width(t) >= heif_image_handle_get_width(chosen.get()))) {
        continue;
      }
      const std::optional<HeifGeometry> geometry = heif_item_geometry(data, id);
      if (geometry && same_picture(*primary_geometry, *geometry)) chosen = std::move(thumbnail);
    }
  }
  out.preview = static_cast<bool>(chosen);
  const heif_image_handle* handle = chosen ? chosen.get() : primary.get();
  const bool alpha = heif_image_handle_has_alpha_channel(handle) != 0;
  heif_image* image_raw = nullptr;
  check(heif_decode_image(handle, &image_raw, heif_colorspace_RGB,
                          alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, nullptr));
  const std::unique_ptr<heif_image, ImageDeleter> image(image_raw);
  int stride = 0;
  const std::uint8_t* plane = heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
  const int width = heif_image_get_width(image.get(), heif_channel_interleaved);
  const int height = heif_image_get_height(image.get(), heif_channel_interleaved);
  if (plane == nullptr || width <= 0 || height <= 0) throw std::runtime_error("cannot decode HEIF data");
  const cv::Mat rgb(height, width, alpha ? CV_8UC4 : CV_8UC3, const_cast<std::uint8_t*>(plane),
                    static_cast<std::size_t>(stride));
  cv::cvtColor(rgb, out.pixels, alpha ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGB2BGR);
  return out;
}

}  // namespace imaging
