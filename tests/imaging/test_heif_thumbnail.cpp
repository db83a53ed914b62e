// A HEIF's embedded thumbnail serves only when its own transforms (clap, irot, imir) give the same
// picture as the primary's: libheif applies each item's own, and its encoder gives a thumbnail
// none of the primary's orientation. The primary, decoded whole by libheif (as heif-convert and
// vips show it), is the reference. Each input is written here with libheif.

#include <catch2/catch.hpp>

#include <lcms2.h>
#include <libheif/heif.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "heif_geometry.hpp"
#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;

namespace {

// Quadrants (red, green / blue, white) inside a magenta frame a quarter of each side wide: a crop,
// a turn and a mirror each show. Negative: every colour inverted.
heif_image* picture(int width, int height, bool negative = false) {
  heif_image* image = nullptr;
  heif_image_create(width, height, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &image);
  heif_image_add_plane(image, heif_channel_interleaved, width, height, 8);
  int stride = 0;
  uint8_t* plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool right = x >= width / 2;
      const bool bottom = y >= height / 2;
      const bool frame = x < width / 4 || x >= width - width / 4 || y < height / 4 || y >= height - height / 4;
      const cv::Vec3b rgb = frame               ? cv::Vec3b(255, 0, 255)
                            : !right && !bottom ? cv::Vec3b(255, 0, 0)
                            : right && !bottom  ? cv::Vec3b(0, 255, 0)
                            : !right && bottom  ? cv::Vec3b(0, 0, 255)
                                                : cv::Vec3b(255, 255, 255);
      for (int c = 0; c < 3; ++c) plane[y * stride + x * 3 + c] = negative ? 255 - rgb[c] : rgb[c];
    }
  }
  return image;
}

struct Written {
  bool ok = false;
  std::string bytes;
};

// A 640x480 AVIF (or HEIC) of picture(), its primary turned by `orientation` (irot and imir), with
// a thumbnail 320 on its long side turned by `thumbnail_orientation` (of the negative picture when
// `negative_thumbnail`, to see which one a thumbnail comes from). With an ICC profile when
// `profile`: its colr property is the one large enough to become a clap.
Written write_heif(const fs::path& path, heif_orientation orientation, heif_orientation thumbnail_orientation,
                   bool profile = false, bool negative_thumbnail = false) {
  heif_context* context = heif_context_alloc();
  heif_encoder* encoder = nullptr;
  // AV1 first: Debian's x265 (HEVC) leaks a few bytes per encoder, which LeakSanitizer reports.
  if (heif_context_get_encoder_for_format(context, heif_compression_AV1, &encoder).code != heif_error_Ok &&
      heif_context_get_encoder_for_format(context, heif_compression_HEVC, &encoder).code != heif_error_Ok) {
    heif_context_free(context);
    return {};
  }
  heif_encoder_set_lossy_quality(encoder, 90);
  heif_image* image = picture(640, 480);
  heif_image* small_source = picture(640, 480, negative_thumbnail);
  if (profile) {
    cmsHPROFILE srgb = cmsCreate_sRGBProfile();
    cmsUInt32Number size = 0;
    cmsSaveProfileToMem(srgb, nullptr, &size);
    std::string icc(size, '\0');
    cmsSaveProfileToMem(srgb, icc.data(), &size);
    cmsCloseProfile(srgb);
    heif_image_set_raw_color_profile(image, "prof", icc.data(), icc.size());
  }
  heif_encoding_options* options = heif_encoding_options_alloc();
  options->image_orientation = orientation;
  heif_encoding_options* thumbnail_options = heif_encoding_options_alloc();
  thumbnail_options->image_orientation = thumbnail_orientation;
  heif_image_handle* handle = nullptr;
  heif_image_handle* thumbnail = nullptr;
  const bool ok =
      heif_context_encode_image(context, image, encoder, options, &handle).code == heif_error_Ok &&
      heif_context_encode_thumbnail(context, small_source, handle, encoder, thumbnail_options, 320, &thumbnail).code ==
          heif_error_Ok &&
      heif_context_write_to_file(context, path.c_str()).code == heif_error_Ok;
  heif_image_handle_release(thumbnail);
  heif_image_handle_release(handle);
  heif_encoding_options_free(thumbnail_options);
  heif_encoding_options_free(options);
  heif_image_release(small_source);
  heif_image_release(image);
  heif_encoder_release(encoder);
  heif_context_free(context);
  if (!ok) return {};
  std::ifstream in(path, std::ios::binary);
  return {true, std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())};
}

std::uint32_t be32(const std::string& d, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(d[at]) << 24 |
                                    static_cast<unsigned char>(d[at + 1]) << 16 |
                                    static_cast<unsigned char>(d[at + 2]) << 8 | static_cast<unsigned char>(d[at + 3]));
}
void put32(std::string& d, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) d[at + static_cast<std::size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
}

// libheif's AV1 encoder writes no clean aperture, so one is made in place, the file's length and
// offsets unchanged: the primary's ICC colr property becomes a clap keeping the centred width x
// height (the rest of its bytes left unread), moved from the first to the last of the primary's
// properties, where transforms belong.
void crop_primary(std::string& heif, std::uint32_t width, std::uint32_t height) {
  const std::size_t colr = heif.find("colrprof");
  REQUIRE(colr != std::string::npos);
  heif.replace(colr, 4, "clap");
  const std::uint32_t values[8] = {width, 1, height, 1, 0, 1, 0, 1};
  for (std::size_t i = 0; i < 8; ++i) put32(heif, colr + 4 + 4 * i, values[i]);
  const std::size_t ipma = heif.find("ipma");
  REQUIRE(ipma != std::string::npos);
  REQUIRE(heif[ipma + 4] == 0);        // version 0: 16-bit item IDs
  REQUIRE((heif[ipma + 7] & 1) == 0);  // 7-bit property indices
  REQUIRE(be32(heif, ipma + 8) >= 1);
  const std::size_t entry = ipma + 12;  // the primary, item 1, comes first
  REQUIRE(heif[entry] == 0);
  REQUIRE(heif[entry + 1] == 1);
  const std::size_t count = static_cast<unsigned char>(heif[entry + 2]);
  std::string indices = heif.substr(entry + 3, count);
  REQUIRE((indices[0] & 0x7F) == 1);  // the colr, now clap
  std::rotate(indices.begin(), indices.begin() + 1, indices.end());
  heif.replace(entry + 3, count, indices);
}

// The primary image as libheif decodes it, whole, with its transforms: the reference.
cv::Mat primary_of(const std::string& heif) {
  heif_context* context = heif_context_alloc();
  REQUIRE(heif_context_read_from_memory_without_copy(context, heif.data(), heif.size(), nullptr).code == heif_error_Ok);
  heif_image_handle* handle = nullptr;
  REQUIRE(heif_context_get_primary_image_handle(context, &handle).code == heif_error_Ok);
  heif_image* image = nullptr;
  REQUIRE(heif_decode_image(handle, &image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nullptr).code ==
          heif_error_Ok);
  int stride = 0;
  const uint8_t* plane = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride);
  const cv::Mat rgb(heif_image_get_height(image, heif_channel_interleaved),
                    heif_image_get_width(image, heif_channel_interleaved), CV_8UC3, const_cast<uint8_t*>(plane),
                    static_cast<std::size_t>(stride));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  heif_image_release(image);
  heif_image_handle_release(handle);
  heif_context_free(context);
  return bgr;
}

// The thumbnail of `heif` in a 100x100 box (the embedded 320x240 thumbnail covers it twice), with
// embedded previews allowed (--embedded-preview).
cv::Mat thumbnail_of(const TempDir& dir, const std::string& heif) {
  std::ofstream(dir / "in.avif", std::ios::binary) << heif;
  imaging::ThumbJob job;
  job.source = (dir / "in.avif").string();
  job.outputs = {{(dir / "out.png").string(), {100, 100}}};
  job.format = imaging::OutputFormat::Png;
  job.embedded_preview = true;
  REQUIRE(imaging::make_thumbnail(job).ok);
  return cv::imread((dir / "out.png").string(), cv::IMREAD_COLOR);
}

// Mean difference per sample from the primary shrunk to the thumbnail's size.
double difference_from_primary(const cv::Mat& thumbnail, const std::string& heif) {
  cv::Mat expected;
  cv::resize(primary_of(heif), expected, thumbnail.size(), 0, 0, cv::INTER_AREA);
  return cv::norm(thumbnail, expected, cv::NORM_L1) / static_cast<double>(expected.total() * 3);
}

}  // namespace

TEST_CASE("a HEIF whose primary is turned but whose thumbnail is not gives the turned primary", "[thumbs][heif]") {
  TempDir dir;
  for (const heif_orientation o : {heif_orientation_rotate_90_cw, heif_orientation_flip_horizontally,
                                   heif_orientation_rotate_90_cw_then_flip_horizontally}) {
    INFO("orientation " << static_cast<int>(o));
    const Written heif = write_heif(dir / "photo.avif", o, heif_orientation_normal);
    REQUIRE(heif.ok);
    const cv::Mat t = thumbnail_of(dir, heif.bytes);
    // heif-convert and vipsthumbnail: 75x100 when turned a quarter, 100x75 mirrored.
    CHECK(t.size() == (o == heif_orientation_flip_horizontally ? cv::Size(100, 75) : cv::Size(75, 100)));
    if (t.size() == cv::Size(100, 75) || t.size() == cv::Size(75, 100)) {
      CHECK(difference_from_primary(t, heif.bytes) < 4);
    }
  }
}

TEST_CASE("a HEIF whose primary is cropped by clap but whose thumbnail is not gives the cropped primary",
          "[thumbs][heif]") {
  TempDir dir;
  Written heif = write_heif(dir / "photo.avif", heif_orientation_normal, heif_orientation_normal, true);
  REQUIRE(heif.ok);
  crop_primary(heif.bytes, 320, 240);  // the centre: the quadrants without their magenta frame
  const cv::Mat t = thumbnail_of(dir, heif.bytes);
  REQUIRE(t.size() == cv::Size(100, 75));
  CHECK(difference_from_primary(t, heif.bytes) < 4);
  const cv::Vec3b corner = t.at<cv::Vec3b>(2, 2);
  CHECK((corner[2] > 200 && corner[0] < 60));  // red, not the magenta frame of the uncropped thumbnail
}

TEST_CASE("a HEIF thumbnail turned as its primary is still used", "[thumbs][heif]") {
  TempDir dir;
  const Written heif =
      write_heif(dir / "photo.avif", heif_orientation_rotate_90_cw, heif_orientation_rotate_90_cw, false, true);
  REQUIRE(heif.ok);
  heif_context* context = heif_context_alloc();
  REQUIRE(heif_context_read_from_memory_without_copy(context, heif.bytes.data(), heif.bytes.size(), nullptr).code ==
          heif_error_Ok);
  heif_item_id primary = 0;
  REQUIRE(heif_context_get_primary_image_ID(context, &primary).code == heif_error_Ok);
  heif_image_handle* handle = nullptr;
  REQUIRE(heif_context_get_primary_image_handle(context, &handle).code == heif_error_Ok);
  heif_item_id thumbnail = 0;
  REQUIRE(heif_image_handle_get_list_of_thumbnail_IDs(handle, &thumbnail, 1) == 1);
  heif_image_handle_release(handle);
  heif_context_free(context);
  const auto p = imaging::heif_item_geometry(heif.bytes, primary);
  const auto t = imaging::heif_item_geometry(heif.bytes, thumbnail);
  REQUIRE(p);
  REQUIRE(t);
  CHECK(p->turn == std::array<int, 4>{0, 1, -1, 0});  // coded (x, y) = (y', h - 1 - x'): a clockwise turn
  CHECK(imaging::same_picture(*p, *t));
  const cv::Mat out = thumbnail_of(dir, heif.bytes);
  REQUIRE(out.size() == cv::Size(75, 100));
  // The negative: the thumbnail was used. Turned clockwise, the blue quadrant is top-left, its
  // negative yellow.
  const cv::Vec3b inside = out.at<cv::Vec3b>(30, 30);
  CHECK((inside[0] < 60 && inside[1] > 200 && inside[2] > 200));
}

TEST_CASE("HEIF geometry: the same turn and crop to within one thumbnail pixel is the same picture", "[thumbs][heif]") {
  imaging::HeifGeometry primary;  // 641x481 coded, a clap to the even 640x480 (as libheif pads x265)
  primary.coded_width = 642;
  primary.coded_height = 482;
  primary.right = 641.0 / 642;
  primary.bottom = 481.0 / 482;
  imaging::HeifGeometry thumbnail;  // 320x240, whole
  thumbnail.coded_width = 320;
  thumbnail.coded_height = 240;
  CHECK(imaging::same_picture(primary, thumbnail));
  primary.left = 0.25;  // cropped by a quarter on the left: another picture
  CHECK_FALSE(imaging::same_picture(primary, thumbnail));
  primary.left = 0;
  primary.turn = {-1, 0, 0, 1};  // mirrored
  CHECK_FALSE(imaging::same_picture(primary, thumbnail));
}
