// A GIF's first frame larger than its logical screen, or beyond it: the canvas grows from its
// top-left corner to hold the frame, as browsers, Pillow (GifImagePlugin) and vips (libnsgif)
// show it, instead of clipping the frame. Each input is written here with giflib.

#include <catch2/catch.hpp>

#include <gif_lib.h>

#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;

namespace {

// One frame of palette entry 1 (orange) on a screen_w x screen_h logical screen, at (left, top).
void write_gif(const fs::path& path, int screen_w, int screen_h, int left, int top, int width, int height) {
  int error = 0;
  GifFileType* gif = EGifOpenFileName(path.c_str(), false, &error);
  REQUIRE(gif != nullptr);
  GifColorType colours[2] = {{0, 0, 0}, {255, 128, 0}};
  ColorMapObject* map = GifMakeMapObject(2, colours);
  REQUIRE(EGifPutScreenDesc(gif, screen_w, screen_h, 1, 0, map) == GIF_OK);
  REQUIRE(EGifPutImageDesc(gif, left, top, width, height, false, nullptr) == GIF_OK);
  std::vector<GifPixelType> row(static_cast<std::size_t>(width), 1);
  for (int y = 0; y < height; ++y) REQUIRE(EGifPutLine(gif, row.data(), width) == GIF_OK);
  GifFreeMapObject(map);
  REQUIRE(EGifCloseFile(gif, &error) == GIF_OK);
}

imaging::ThumbResult thumbnail(const fs::path& source, const fs::path& out, int side) {
  imaging::ThumbJob job;
  job.source = source.string();
  job.outputs = {{out.string(), {side, side}}};
  job.format = imaging::OutputFormat::Png;
  return imaging::make_thumbnail(job);
}

const cv::Vec4b orange(0, 128, 255, 255);

}  // namespace

TEST_CASE("a GIF's first frame larger than the logical screen grows the canvas", "[thumbs][gif]") {
  TempDir dir;
  write_gif(dir / "larger.gif", 100, 60, 0, 0, 150, 80);
  const auto r = thumbnail(dir / "larger.gif", dir / "out.png", 400);
  REQUIRE(r.ok);
  // Pillow and vipsthumbnail: 150x80, the whole frame.
  CHECK(r.source_width == 150);
  CHECK(r.source_height == 80);
  const cv::Mat t = cv::imread((dir / "out.png").string(), cv::IMREAD_UNCHANGED);
  REQUIRE(t.size() == cv::Size(150, 80));
  REQUIRE(t.type() == CV_8UC4);
  CHECK(t.at<cv::Vec4b>(0, 0) == orange);
  CHECK(t.at<cv::Vec4b>(79, 149) == orange);
}

TEST_CASE("a GIF's first frame beyond the logical screen grows the canvas to reach it", "[thumbs][gif]") {
  TempDir dir;
  write_gif(dir / "outside.gif", 100, 60, 120, 50, 40, 30);
  const auto r = thumbnail(dir / "outside.gif", dir / "out.png", 400);
  REQUIRE(r.ok);
  // Pillow and vipsthumbnail: 160x80, the frame in the bottom-right corner.
  const cv::Mat t = cv::imread((dir / "out.png").string(), cv::IMREAD_UNCHANGED);
  REQUIRE(t.size() == cv::Size(160, 80));
  REQUIRE(t.type() == CV_8UC4);
  CHECK(t.at<cv::Vec4b>(50, 120) == orange);
  CHECK(t.at<cv::Vec4b>(79, 159) == orange);
  CHECK(t.at<cv::Vec4b>(49, 120)[3] == 0);  // the screen around the frame stays transparent
  CHECK(t.at<cv::Vec4b>(10, 10)[3] == 0);
}

TEST_CASE("a GIF whose first frame would grow the canvas past --max-pixels is refused", "[thumbs][gif]") {
  TempDir dir;
  write_gif(dir / "far.gif", 10, 10, 60000, 60000, 4, 4);
  imaging::ThumbJob job;
  job.source = (dir / "far.gif").string();
  job.outputs = {{(dir / "out.png").string(), {64, 64}}};
  job.max_pixels = 1'000'000;
  const auto r = imaging::make_thumbnail(job);
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("too many pixels (60004x60004") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out.png"));
}
