#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include "images.hpp"
#include "orientation.hpp"

namespace {
// The colour at a corner: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right.
cv::Vec3b corner(const cv::Mat& m, int which) {
  const int x = (which % 2 == 0) ? 1 : m.cols - 2;
  const int y = (which < 2) ? 1 : m.rows - 2;
  return m.at<cv::Vec3b>(y, x);
}
bool near(cv::Vec3b a, cv::Vec3b b) {
  return std::abs(a[0] - b[0]) < 40 && std::abs(a[1] - b[1]) < 40 && std::abs(a[2] - b[2]) < 40;
}
}  // namespace

TEST_CASE("all eight EXIF orientations turn the image upright", "[thumbs][orientation]") {
  const cv::Mat stored = test_images::quadrants(60, 40);
  const cv::Vec3b red(0, 0, 255), green(0, 255, 0), blue(255, 0, 0), white(255, 255, 255);
  // Where each stored corner colour ends up (TL, TR, BL, BR of the upright image), from the
  // EXIF specification's definitions of the eight values.
  const std::vector<std::array<cv::Vec3b, 4>> expected = {
      {red, green, blue, white},  // 1 as stored
      {green, red, white, blue},  // 2 mirrored left-right
      {white, blue, green, red},  // 3 rotated 180
      {blue, white, red, green},  // 4 mirrored top-bottom
      {red, blue, green, white},  // 5 transposed
      {blue, red, white, green},  // 6 rotated 90 clockwise
      {white, green, blue, red},  // 7 transverse
      {green, white, red, blue},  // 8 rotated 90 counter-clockwise
  };
  for (int o = 1; o <= 8; ++o) {
    INFO("orientation " << o);
    const cv::Mat upright = imaging::apply_orientation(stored, o);
    CHECK(upright.cols == (imaging::swaps_axes(o) ? 40 : 60));
    for (int c = 0; c < 4; ++c)
      CHECK(near(corner(upright, c), expected[static_cast<std::size_t>(o - 1)][static_cast<std::size_t>(c)]));
  }
}

TEST_CASE("orientation agrees with OpenCV's own EXIF handling", "[thumbs][orientation]") {
  const std::string jpeg = test_images::encode(test_images::quadrants(64, 32), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  for (int o = 1; o <= 8; ++o) {
    INFO("orientation " << o);
    const std::string tagged = test_images::with_exif_orientation(jpeg, o);
    const cv::Mat buf(1, static_cast<int>(tagged.size()), CV_8U, const_cast<char*>(tagged.data()));
    const cv::Mat by_opencv = cv::imdecode(buf, cv::IMREAD_COLOR);
    const cv::Mat ours =
        imaging::apply_orientation(cv::imdecode(buf, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION), o);
    REQUIRE(by_opencv.size() == ours.size());
    CHECK(cv::norm(by_opencv, ours, cv::NORM_INF) == 0);
  }
}
