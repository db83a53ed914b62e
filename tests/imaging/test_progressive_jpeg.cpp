// A progressive JPEG that holds only its first scan (the DC coefficients: a valid file whose
// encoder sent nothing more) is shown smoothed across its 8x8 blocks, as libjpeg's block
// smoothing, browsers and Pillow show it, not as flat blocks. Each input is written here with
// libjpeg and a scan script of one DC scan.

#include <catch2/catch.hpp>

#include <jpeglib.h>

#include <cstdio>
#include <cstdlib>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "jpeg_decode.hpp"

namespace {

// A smooth photo-like picture: blurred noise over a diagonal ramp, BGR.
cv::Mat photo(int width, int height) {
  cv::Mat noise(height, width, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(noise, noise, cv::Size(0, 0), 6);
  cv::Mat ramp(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const auto v = static_cast<unsigned char>(255 * (x + y) / (width + height));
      ramp.at<cv::Vec3b>(y, x) = cv::Vec3b(v, static_cast<unsigned char>(255 - v), 128);
    }
  }
  cv::Mat out;
  cv::addWeighted(noise, 2.0, ramp, 0.5, -128, out);
  return out;
}

// `bgr` as a JPEG: one DC scan only when dc_only, libjpeg's full progression otherwise.
std::string encode(const cv::Mat& bgr, bool dc_only) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr errors{};
  cinfo.err = jpeg_std_error(&errors);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(bgr.cols);
  cinfo.image_height = static_cast<JDIMENSION>(bgr.rows);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_EXT_BGR;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 90, TRUE);
  jpeg_scan_info dc_scan{};
  if (dc_only) {
    dc_scan.comps_in_scan = 3;
    for (int c = 0; c < 3; ++c) dc_scan.component_index[c] = c;
    cinfo.scan_info = &dc_scan;
    cinfo.num_scans = 1;
  } else {
    jpeg_simple_progression(&cinfo);
  }
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(bgr.ptr<unsigned char>(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string bytes(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return bytes;
}

// Mean step between horizontal and vertical neighbours across the edges of `block`-pixel blocks,
// divided by the mean step inside them: about 1 for a smooth picture, large for flat blocks.
double blockiness(const cv::Mat& bgr, int block) {
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  double edge = 0;
  double inside = 0;
  long edges = 0;
  long insides = 0;
  for (int y = 0; y + 1 < grey.rows; ++y) {
    for (int x = 0; x + 1 < grey.cols; ++x) {
      const int p = grey.at<unsigned char>(y, x);
      const int steps[2] = {std::abs(grey.at<unsigned char>(y, x + 1) - p),
                            std::abs(grey.at<unsigned char>(y + 1, x) - p)};
      const bool across[2] = {x % block == block - 1, y % block == block - 1};
      for (int d = 0; d < 2; ++d) {
        (across[d] ? edge : inside) += steps[d];
        ++(across[d] ? edges : insides);
      }
    }
  }
  return (edge / static_cast<double>(edges)) / std::max(inside / static_cast<double>(insides), 1e-3);
}

}  // namespace

TEST_CASE("a progressive JPEG with only its first scan is smoothed across its blocks, not flat", "[thumbs][jpeg]") {
  const cv::Mat picture = photo(512, 384);
  const std::string first_scan_only = encode(picture, true);
  const std::string complete = encode(picture, false);
  for (const int denominator : {1, 2, 4}) {
    INFO("1/" << denominator);
    const int block = 8 / denominator;
    const cv::Mat ours = imaging::decode_jpeg(first_scan_only, denominator).pixels;
    const cv::Mat full = imaging::decode_jpeg(complete, denominator).pixels;
    REQUIRE(ours.size() == full.size());
    // The complete file measures 1 to 1.6 here and its first scan, smoothed, within 10% of that;
    // flat blocks, with no step inside them, in the thousands.
    CHECK(blockiness(ours, block) < 1.25 * blockiness(full, block));
  }
}
