#include <catch2/catch.hpp>

#include "geometry.hpp"

using imaging::Box;
using imaging::Fit;
using imaging::fit_geometry;

TEST_CASE("sizes parse as WxH or N", "[thumbs][geometry]") {
  CHECK(imaging::parse_box("75x75") == Box{75, 75});
  CHECK(imaging::parse_box("320X200") == Box{320, 200});
  CHECK(imaging::parse_box("256") == Box{256, 256});
  for (const char* bad : {"", "x", "0x10", "10x", "-5", "10x10x10", "abc", "99999"}) {
    CHECK_THROWS_AS(imaging::parse_box(bad), std::invalid_argument);
  }
  CHECK(imaging::to_string(Box{640, 480}) == "640x480");
}

TEST_CASE("contain fits inside the box and keeps the aspect ratio", "[thumbs][geometry]") {
  auto g = fit_geometry(4000, 3000, {256, 256}, Fit::Contain);
  CHECK(g.resize_width == 256);
  CHECK(g.resize_height == 192);
  CHECK(g.crop_width == 256);
  CHECK(g.crop_height == 192);
  g = fit_geometry(3000, 4000, {256, 256}, Fit::Contain);
  CHECK(g.resize_width == 192);
  CHECK(g.resize_height == 256);
  // Rounding: 1001 x 333 into 75 -> 75 x 24.95 -> 25.
  g = fit_geometry(1001, 333, {75, 75}, Fit::Contain);
  CHECK(g.resize_width == 75);
  CHECK(g.resize_height == 25);
  // An extreme panorama still gets one pixel.
  g = fit_geometry(100000, 10, {75, 75}, Fit::Contain);
  CHECK(g.resize_height == 1);
}

TEST_CASE("contain and cover never upscale", "[thumbs][geometry]") {
  auto g = fit_geometry(50, 40, {256, 256}, Fit::Contain);
  CHECK(g.resize_width == 50);
  CHECK(g.resize_height == 40);
  g = fit_geometry(50, 40, {256, 256}, Fit::Cover);
  CHECK(g.resize_width == 50);
  CHECK(g.resize_height == 40);
  CHECK(g.crop_width == 50);
  CHECK(g.crop_height == 40);
  // Larger in one dimension only: cover crops that one.
  g = fit_geometry(600, 100, {256, 256}, Fit::Cover);
  CHECK(g.resize_width == 600);
  CHECK(g.crop_width == 256);
  CHECK(g.crop_height == 100);
  CHECK(g.crop_x == (600 - 256) / 2);
}

TEST_CASE("cover fills the box and crops the centre", "[thumbs][geometry]") {
  auto g = fit_geometry(4000, 3000, {256, 256}, Fit::Cover);
  CHECK(g.resize_height == 256);
  CHECK(g.resize_width == 341);
  CHECK(g.crop_width == 256);
  CHECK(g.crop_height == 256);
  CHECK(g.crop_x == (341 - 256) / 2);
  CHECK(g.crop_y == 0);
}

TEST_CASE("fill gives exactly the box", "[thumbs][geometry]") {
  auto g = fit_geometry(4000, 3000, {100, 100}, Fit::Fill);
  CHECK(g.resize_width == 100);
  CHECK(g.resize_height == 100);
  g = fit_geometry(10, 10, {100, 50}, Fit::Fill);
  CHECK(g.crop_width == 100);
  CHECK(g.crop_height == 50);
}

TEST_CASE("the JPEG scale keeps the decode at least the needed size", "[thumbs][geometry]") {
  // 4000x3000 for a 256x192 thumbnail needs >= 512x384: 1/4 gives 1000x750, 1/8 gives 500x375.
  CHECK(imaging::jpeg_scale_denominator(4000, 3000, 512, 384) == 4);
  CHECK(imaging::jpeg_scale_denominator(4000, 3000, 150, 112) == 8);
  CHECK(imaging::jpeg_scale_denominator(800, 600, 600, 450) == 1);
  CHECK(imaging::jpeg_scale_denominator(801, 601, 401, 301) == 2);  // libjpeg rounds up
  CHECK(imaging::parse_fit("cover") == Fit::Cover);
  CHECK_THROWS_AS(imaging::parse_fit("stretch"), std::invalid_argument);
}

TEST_CASE("shortest, border and none, and enlarging a smaller image as img2dataset does", "[thumbs][geometry]") {
  // shortest: the smallest size that covers the box, nothing cropped.
  auto g = fit_geometry(400, 300, {80, 40}, Fit::Shortest);
  CHECK(g.resize_width == 80);
  CHECK(g.resize_height == 60);
  CHECK(g.crop_width == 80);
  CHECK(g.crop_height == 60);
  // border: contain, then centred on exactly the box.
  g = fit_geometry(400, 300, {80, 40}, Fit::Border);
  CHECK(g.resize_width == 53);
  CHECK(g.resize_height == 40);
  CHECK(g.canvas_width == 80);
  CHECK(g.canvas_height == 40);
  CHECK(g.pad_x == 13);
  CHECK(g.pad_y == 0);
  // Not enlarged, a small image is still padded to the box.
  g = fit_geometry(30, 20, {80, 40}, Fit::Border);
  CHECK(g.resize_width == 30);
  CHECK(g.canvas_width == 80);
  CHECK(g.pad_x == 25);
  CHECK(g.pad_y == 10);
  g = fit_geometry(400, 300, {80, 40}, Fit::None, true);
  CHECK(g.resize_width == 400);
  CHECK(g.canvas_height == 300);
  // Enlarged: up to the box, each mode its own way.
  g = fit_geometry(30, 20, {80, 40}, Fit::Contain, true);
  CHECK((g.resize_width == 60 && g.resize_height == 40));
  g = fit_geometry(30, 20, {80, 40}, Fit::Shortest, true);
  CHECK((g.resize_width == 80 && g.resize_height == 53));
  g = fit_geometry(30, 20, {80, 40}, Fit::Cover, true);
  CHECK((g.resize_width == 80 && g.resize_height == 53 && g.crop_width == 80 && g.crop_height == 40));
  CHECK(g.crop_y == 6);
  g = fit_geometry(30, 20, {80, 40}, Fit::Border, true);
  CHECK((g.resize_width == 60 && g.canvas_width == 80 && g.pad_x == 10));
  for (const char* name : {"contain", "shortest", "cover", "border", "fill", "none"}) {
    CHECK(std::string(imaging::to_string(imaging::parse_fit(name))) == name);
  }
}
