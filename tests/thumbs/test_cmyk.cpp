// CMYK JPEGs (print workflows, some scanners) give ordinary 8-bit RGB thumbnails.

#include <catch2/catch.hpp>

#include <jpeglib.h>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>

#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace {
// Writes a width x height CMYK JPEG: left half one ink mix, right half another.
void write_cmyk_jpeg(const std::string& path, int width, int height) {
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
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<unsigned char> row(static_cast<std::size_t>(width) * 4);
  for (int x = 0; x < width; ++x) {
    const bool left = x < width / 2;
    unsigned char* p = &row[static_cast<std::size_t>(x) * 4];
    p[0] = left ? 255 : 0;    // C
    p[1] = left ? 0 : 255;    // M
    p[2] = left ? 0 : 0;      // Y
    p[3] = left ? 200 : 255;  // K
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

TEST_CASE("a CMYK JPEG gives an ordinary 8-bit RGB thumbnail", "[thumbs][thumbnail]") {
  TempDir dir;
  const std::string src = (dir / "cmyk.jpg").string();
  write_cmyk_jpeg(src, 800, 600);
  thumbs::ThumbJob job;
  job.source = src;
  job.outputs = {{(dir / "out.jpg").string(), {100, 100}}};
  const auto r = thumbs::make_thumbnail(job);
  REQUIRE(r.ok);
  CHECK(r.width == 100);
  CHECK(r.height == 75);
  const cv::Mat thumb = cv::imread((dir / "out.jpg").string(), cv::IMREAD_UNCHANGED);
  REQUIRE(thumb.type() == CV_8UC3);
  // The colours are those of OpenCV's own full-size decode of the CMYK data.
  const cv::Mat full = cv::imread(src, cv::IMREAD_COLOR);
  for (auto [tx, fx] : {std::pair{20, 160}, std::pair{80, 640}}) {
    const cv::Vec3b a = thumb.at<cv::Vec3b>(37, tx);
    const cv::Vec3b b = full.at<cv::Vec3b>(300, fx);
    for (int c = 0; c < 3; ++c) CHECK(std::abs(a[c] - b[c]) <= 12);
  }
  CHECK(cv::norm(thumb.at<cv::Vec3b>(37, 20), thumb.at<cv::Vec3b>(37, 80)) > 60);  // two distinct halves
}
