#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "image_header.hpp"
#include "images.hpp"
#include "metadata.hpp"

using imaging::Format;

TEST_CASE("formats are recognised by content, not by name", "[thumbs][header]") {
  const cv::Mat img = test_images::quadrants(40, 30);
  CHECK(imaging::detect_format(test_images::encode(img, ".jpg")) == Format::Jpeg);
  CHECK(imaging::detect_format(test_images::encode(img, ".png")) == Format::Png);
  CHECK(imaging::detect_format(test_images::encode(img, ".webp")) == Format::Webp);
  CHECK(imaging::detect_format(test_images::encode(img, ".tiff")) == Format::Tiff);
  CHECK(imaging::detect_format(test_images::encode(img, ".bmp")) == Format::Bmp);
  CHECK(imaging::detect_format("GIF89a\x01\x00\x01\x00") == Format::Gif);
  CHECK(imaging::detect_format(std::string("\0\0\0\x18"
                                           "ftypheic\0\0\0\0",
                                           16)) == Format::Heic);
  CHECK(imaging::detect_format("Hello, world") == Format::Unknown);
  CHECK(imaging::detect_format("") == Format::Unknown);
}

TEST_CASE("image extensions are known case-insensitively", "[thumbs][header]") {
  CHECK(imaging::has_image_extension("IMG_1.JPG"));
  CHECK(imaging::has_image_extension("a.b.jpeg"));
  CHECK(imaging::has_image_extension("x.heic"));
  CHECK_FALSE(imaging::has_image_extension("README.txt"));
  CHECK_FALSE(imaging::has_image_extension(".DS_Store"));
  CHECK_FALSE(imaging::has_image_extension("jpg"));
}

TEST_CASE("JPEG headers give size, components and completeness", "[thumbs][header]") {
  const std::string colour = test_images::encode(test_images::quadrants(321, 123), ".jpg");
  auto h = imaging::read_header(colour);
  CHECK(h.format == Format::Jpeg);
  CHECK(h.width == 321);
  CHECK(h.height == 123);
  CHECK(h.channels == 3);
  CHECK(h.complete);
  CHECK(h.orientation == 1);

  const std::string grey = test_images::encode(test_images::quadrants(64, 48, CV_8UC1), ".jpg");
  CHECK(imaging::read_header(grey).channels == 1);

  // Cut anywhere after the start of the scan: incomplete.
  for (std::size_t cut : {colour.size() - 2, colour.size() - 100, colour.size() / 2}) {
    CHECK_FALSE(imaging::read_header(colour.substr(0, cut)).complete);
  }
  // Trailing bytes after EOI are common and harmless.
  CHECK(imaging::read_header(colour + "trailing junk").complete);
}

TEST_CASE("EXIF orientation is read in either byte order", "[thumbs][header]") {
  const std::string jpeg = test_images::encode(test_images::quadrants(40, 30), ".jpg");
  for (int o = 1; o <= 8; ++o) {
    CHECK(imaging::read_header(test_images::with_exif_orientation(jpeg, o, true)).orientation == o);
    CHECK(imaging::read_header(test_images::with_exif_orientation(jpeg, o, false)).orientation == o);
  }
  // Out of range values are ignored.
  CHECK(imaging::read_header(test_images::with_exif_orientation(jpeg, 9)).orientation == 1);
}

TEST_CASE("PNG headers give size, channels and depth, and a cut file is incomplete", "[thumbs][header]") {
  cv::Mat rgba(20, 30, CV_16UC4, cv::Scalar(1000, 2000, 3000, 65535));
  const std::string png = test_images::encode(rgba, ".png");
  auto h = imaging::read_header(png);
  CHECK(h.format == Format::Png);
  CHECK(h.width == 30);
  CHECK(h.height == 20);
  CHECK(h.channels == 4);
  CHECK(h.bit_depth == 16);
  CHECK(h.complete);
  CHECK_FALSE(imaging::read_header(png.substr(0, png.size() - 5)).complete);
}

TEST_CASE("WebP and BMP headers give the size", "[thumbs][header]") {
  const cv::Mat img = test_images::quadrants(77, 55);
  auto webp = imaging::read_header(test_images::encode(img, ".webp"));
  CHECK(webp.width == 77);
  CHECK(webp.height == 55);
  auto bmp = imaging::read_header(test_images::encode(img, ".bmp"));
  CHECK(bmp.width == 77);
  CHECK(bmp.height == 55);
  auto tiff = imaging::read_header(test_images::encode(img, ".tiff"));
  CHECK(tiff.width == 77);
  CHECK(tiff.height == 55);
}

TEST_CASE("header parsing survives garbage and cut files", "[thumbs][header]") {
  const std::string jpeg =
      test_images::with_exif_orientation(test_images::encode(test_images::quadrants(40, 30), ".jpg"), 6);
  const std::string png = test_images::encode(test_images::quadrants(40, 30), ".png");
  std::mt19937 rng(42);
  for (const std::string& base : {jpeg, png}) {
    for (std::size_t cut = 0; cut < base.size(); cut += 7) (void)imaging::read_header(base.substr(0, cut));
    for (int round = 0; round < 2000; ++round) {
      std::string mutated = base;
      for (int k = 0; k < 4; ++k) mutated[rng() % mutated.size()] = static_cast<char>(rng());
      (void)imaging::read_header(mutated);
    }
  }
  SUCCEED("no crash, no read past the end (checked by the sanitizer builds)");
}
