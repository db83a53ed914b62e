// CMYK JPEGs (print workflows, some scanners) give sRGB thumbnails through a CMYK profile.

#include <catch2/catch.hpp>

#include <jpeglib.h>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>

#include "colour.hpp"
#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace {
// Writes a width x height CMYK JPEG: left half one ink mix, right half another. Adobe's variant
// stores the values inverted (255: no ink) and says so in an APP14 marker.
void write_cmyk_jpeg(const std::string& path, int width, int height, bool adobe) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  cinfo.write_Adobe_marker = adobe ? TRUE : FALSE;
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<unsigned char> row(static_cast<std::size_t>(width) * 4);
  for (int x = 0; x < width; ++x) {
    const bool left = x < width / 2;
    unsigned char* p = &row[static_cast<std::size_t>(x) * 4];
    p[0] = left ? 255 : 0;    // C
    p[1] = left ? 0 : 255;    // M
    p[2] = left ? 0 : 0;      // Y
    p[3] = left ? 200 : 255;  // K
    if (adobe) {
      for (int c = 0; c < 4; ++c) p[c] = static_cast<unsigned char>(255 - p[c]);
    }
  }
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}
}  // namespace

TEST_CASE("a CMYK JPEG is converted through the default CMYK profile", "[thumbs][thumbnail][colour]") {
  REQUIRE_FALSE(imaging::default_cmyk_profile_path().empty());  // Debian's libgs-common (scripts/setup.sh)
  for (const bool adobe : {false, true}) {
    TempDir dir;
    const std::string src = (dir / "cmyk.jpg").string();
    write_cmyk_jpeg(src, 800, 600, adobe);
    imaging::ThumbJob job;
    job.source = src;
    job.outputs = {{(dir / "out.png").string(), {100, 100}}};
    job.format = imaging::OutputFormat::Png;
    const auto r = imaging::make_thumbnail(job);
    REQUIRE(r.ok);
    CHECK(r.width == 100);
    CHECK(r.height == 75);
    const cv::Mat thumb = cv::imread((dir / "out.png").string(), cv::IMREAD_UNCHANGED);
    REQUIRE(thumb.type() == CV_8UC3);
    // Pillow's ImageCms with the same profile (perceptual): cyan + 78% black is (0, 68, 95) in
    // sRGB, full magenta + black (44, 0, 14). The naive conversion gives (0, 55, 55) and (0, 0, 0).
    INFO("adobe " << adobe);
    const cv::Vec3b left = thumb.at<cv::Vec3b>(37, 20);
    const cv::Vec3b right = thumb.at<cv::Vec3b>(37, 80);
    const cv::Vec3b want_left(95, 68, 0);
    const cv::Vec3b want_right(14, 0, 44);
    for (int c = 0; c < 3; ++c) {
      CHECK(std::abs(left[c] - want_left[c]) <= 4);
      CHECK(std::abs(right[c] - want_right[c]) <= 4);
    }
  }
}
